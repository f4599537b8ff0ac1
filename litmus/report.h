// The summary of many runs of one litmus test (docs/litmus.md §3): the histogram of outcomes,
// the verdict of the condition (Ok / No), herd's witnesses and litmus7's observation, and
// whether the test's `expect` agrees. Pure data: the runs are the results `mtsim run --json`
// would print (their `registers`, `locations`, `litmus`, `verdict`), however they were run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "litmus/condition.h"

namespace mtsim::litmus {

struct exploration {
    std::string test, file, host, version;
    std::uint64_t runs = 0, seed = 0;
    unsigned jobs = 1;
    quantifier q = quantifier::exists;
    std::string condition;
    std::string expect;                  // allow | forbid | empty
    std::vector<nlohmann::json> results; // one per run that produced a result
    std::vector<nlohmann::json> failed;  // {run, perturb, error}
    double seconds = 0;
};

// Run i's perturbation seed under --seed S: splitmix64(S + i), never 0.
std::uint64_t run_perturb_seed(std::uint64_t seed, std::uint64_t i);

// The `mtsim litmus --json` object (docs/litmus.md §3). Its `schema_version` changes only when
// a field is removed, renamed or changes its type or meaning; adding a field keeps it.
inline constexpr int summary_schema_version = 1;
nlohmann::json summarize(const exploration& e);
// herd/litmus7-like text of a summary.
std::string format_summary(const nlohmann::json& summary);

} // namespace mtsim::litmus
