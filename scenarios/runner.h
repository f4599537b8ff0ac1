// The runner: one scenario under one host in this process (SystemC elaborates once per
// process; `matrix` runs each pair in a child process, scenarios/matrix.h). The verdict is
// the oracle's: bytes flowed through the model, the oracle compared them with what
// happens-before says each reader must get.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "scenarios/scenario.h"

namespace mtsim::scenarios {

// "0.1.0 (git describe)", the description taken when the binary was built
// (scenarios/version.cpp); "0.1.0" alone outside a git checkout.
std::string mtsim_version();

// Elaborates and runs; the result: scenario, host, verdict, expected, expect_met,
// corruptions, findings (with cause chains), cycles per agent, stats, config, seed, version.
// With `all_stats`, it also receives every statistic of the platform after the run
// (model/stats.h dump_stats(): the tree) and `units` (each path's unit and description).
nlohmann::json run_scenario(const scenario& s, nlohmann::json* all_stats = nullptr);

// The cost part of a result, human-readable: each agent's total in its own clock's cycles and
// in µs, busy time (total minus waits), its parts, and the measured phase (scenarios/costs.cpp).
std::string format_costs(const nlohmann::json& r);

// Human-readable form of a result.
std::string format_result(const nlohmann::json& r);

} // namespace mtsim::scenarios
