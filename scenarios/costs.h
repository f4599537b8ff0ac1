// Costs in every output: the cost of one result as the matrix and the sweep show it, and the
// flat columns of its agents' accounts (model/accounting.h, the result's `agents`).
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace mtsim::scenarios {

// The cost a table shows next to a verdict, in µs: the scenario's `measure` phase when it
// declares one (basis "measure"), else the slowest agent's busy time, total minus waits
// (basis "busy:AGENT"). A result without agents (refused) costs 0 with basis "".
struct result_cost {
    double us = 0;
    std::string basis;
};
result_cost cost_of(const nlohmann::json& result);

// "12.3µs": three significant digits, never exponent notation.
std::string format_us(double us);

// One agent's account as flat columns: AGENT.cycles, AGENT.us, AGENT.busy_us, and
// AGENT.PART.cycles for each part (parts absent from the account are absent here).
std::map<std::string, std::string> agent_columns(const nlohmann::json& agents);

} // namespace mtsim::scenarios
