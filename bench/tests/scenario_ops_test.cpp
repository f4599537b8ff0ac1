// The scenario-ops workload: its program runs through the scenario stack and every op reaches
// the oracle (one elaboration per test case: doctest cases are separate ctest entries).
#include <doctest/doctest.h>

#include "bench/workload.h"

using namespace mtsim::bench;

TEST_CASE("scenario-ops runs its stores and loads through the oracle and counts each op once") {
    const workload* w = find_workload("scenario-ops");
    REQUIRE(w != nullptr);
    bench_config cfg;
    cfg.accesses = 2 * 1280; // 1,280 guest ops: 10 blocks of 64 stores then 64 loads
    const result r = w->run(cfg);
    CHECK(r.accesses == 1280);
    const auto& o = r.counters.at("oracle");
    CHECK(o.at("writes").get<std::uint64_t>() == 640);
    CHECK(o.at("reads").get<std::uint64_t>() == 640);
    CHECK(o.at("verdict").get<std::string>() == "clean");
    // 64 locations (one per line of the buffer): the records held do not grow with the ops.
    CHECK(o.at("writes_held").get<std::uint64_t>() <= 64 * 9 + 1);
    CHECK(o.at("reads_held").get<std::uint64_t>() <= 64);
    CHECK(r.host_seconds > 0);
}
