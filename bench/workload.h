// A benchmark workload: one elaboration, one sc_start, N accesses from one initiator with a
// quantum keeper. Only the simulation (sc_start) is timed, not elaboration. A workload may run
// at most once per process (SystemC 2.3 elaborates once), which is why the runner
// (bench/runner.h) executes each in its own child process.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cache/cache_config.h"
#include "model/cycles.h"
#include "model/dram.h"

namespace mtsim::bench {

// Every benchmark parameter and its default, in one place.
struct bench_config {
    std::uint64_t accesses = 2'000'000; // accesses issued by the workload's initiator
    std::uint64_t quantum_ns = 1000;    // tlm_global_quantum of every workload
    double cpu_mhz = 3000.0;            // clock of the bare loop's trivial memory
    cycles bare_latency{4};             // the trivial memory's fixed delay per access
    dram_config dram{};                 // the DRAM behind every workload that reaches it
    memory_system_config memory{};      // caches of the memory-system workloads (1 pCPU)
};

struct result {
    std::string workload;
    std::uint64_t accesses = 0;
    double host_seconds = 0.0; // wall time of sc_start only
    double simulated_ns = 0.0; // simulated time at the end, including the local offset
    // The stats tree at the end (model/stats.h): shows the workload did what it claims.
    nlohmann::json counters = nlohmann::json::object();
    double accesses_per_s() const { return host_seconds > 0 ? double(accesses) / host_seconds : 0; }
};

nlohmann::json to_json(const result& r);
result result_from_json(const nlohmann::json& j);

struct workload {
    std::string_view name;
    std::string_view description;
    double target_ratio; // the floor for ratio_to_bare on this machine, 0 when none
    result (*run)(const bench_config& cfg);
};

// Every workload; the first is the bare TLM-2.0 loop every other one is compared with.
const std::vector<workload>& workloads();
// nullptr when no workload has that name.
const workload* find_workload(std::string_view name);

} // namespace mtsim::bench
