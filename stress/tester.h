// The random coherence tester: N CPU agents (one per pCPU, WB memory only: the coherent subset
// where the invariants must hold) and M snooped-DMA agents issue random loads, stores,
// CLFLUSH/CLFLUSHOPT/CLWB, fences, WBINVD/WBNOINVD and DMA reads/writes over a few lines with
// heavy false sharing; stress/checker.h checks every transaction. Each agent is an SC_THREAD
// with its own quantum keeper and random idle time, so interleavings vary with the seed.
//
// run_stress elaborates the memory system, so it may run once per process (SystemC 2.3).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cache/protocol.h"
#include "stress/checker.h"
#include "stress/stress_config.h"

namespace mtsim::stress {

struct stress_report {
    std::uint64_t seed = 0;
    std::uint64_t ops = 0; // transactions performed and checked
    std::uint64_t violations = 0;
    std::vector<violation> reported; // the first cfg.max_reported, in detail
    // Coverage of the protocol table: defined cells taken at least once, and those never
    // taken ("S x drop"): a cell the run never exercised is a cell it cannot vouch for.
    unsigned cells_defined = 0, cells_taken = 0;
    std::vector<std::string> cells_never_taken;
    double host_seconds = 0.0; // wall time of sc_start
    double simulated_ns = 0.0; // simulated time when sc_start returned
    nlohmann::json counters;   // every statistic of the run (model/stats.h dump_stats())
    double ops_per_s() const { return host_seconds > 0 ? double(ops) / host_seconds : 0.0; }
};

// Applied to the memory system's protocol table after elaboration, before the first
// transaction: how a test breaks one cell to prove the checker notices.
using table_patch = std::function<void(protocol_table&)>;

stress_report run_stress(const stress_config& cfg, const table_patch& patch = {});

// {"violations", "ops", "ops_per_s", "seed", "simulated_ns", "coverage": {cells_defined,
// cells_taken, never_taken}, "counters": {...}, "reported": [{kind, line, seq, message,
// history, copies}]}
nlohmann::json to_json(const stress_report& r);
std::string to_text(const stress_report& r);

} // namespace mtsim::stress
