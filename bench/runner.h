// Runs workloads in child processes (one SystemC elaboration each) and compares them with the
// bare loop measured in the same invocation.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/workload.h"

namespace mtsim::bench {

struct row {
    const workload* w = nullptr;
    result best;                // the fastest of the repeats
    std::vector<double> runs;   // accesses_per_s of every repeat, in order
    double ratio_to_bare = 0.0; // best / best of the bare loop
};

// Runs every workload `repeats` times as `exe bench --workload NAME --accesses N`, each in a
// fresh process, in rounds (every workload once per round, so that host drift hits them
// alike), and keeps the fastest run (host noise only ever slows a run down). Throws
// std::runtime_error when a child fails or prints something that is not one result line.
std::vector<row> run_all(const std::string& exe, const bench_config& cfg, unsigned repeats);

// {"accesses": N, "repeats": R, "selection": "...", "workloads": {name: {accesses_per_s,
// ratio_to_bare, target_ratio (null when the issue sets none), simulated_ns, runs}}}
nlohmann::json to_json(const std::vector<row>& rows, const bench_config& cfg, unsigned repeats);
// A fixed-width table with the same figures.
std::string to_table(const std::vector<row>& rows, const bench_config& cfg, unsigned repeats);

} // namespace mtsim::bench
