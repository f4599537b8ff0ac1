// Each workload does what its name claims (checked on its counters and simulated time, with a
// small access count), and the runner's output carries the documented keys. One workload per
// case: each elaborates once.
#include <doctest/doctest.h>

#include "bench/runner.h"
#include "bench/workload.h"

using namespace mtsim;
using namespace mtsim::bench;

namespace {

result run(std::string_view name, std::uint64_t n) {
    const workload* w = find_workload(name);
    REQUIRE(w != nullptr);
    bench_config cfg;
    cfg.accesses = n;
    const result r = w->run(cfg);
    CHECK(r.accesses == n);
    CHECK(r.host_seconds > 0);
    return r;
}

std::uint64_t at(const result& r, const char* block, const char* stat) {
    return r.counters.at(block).at(stat).get<std::uint64_t>();
}

} // namespace

TEST_CASE("bare loop: every access costs exactly the trivial memory's latency") {
    const result r = run("bare", 3000);
    const bench_config cfg;
    const mtsim::clock clk(cfg.cpu_mhz);
    CHECK(r.simulated_ns ==
          doctest::Approx(clk.to_time(cfg.bare_latency * 3000).to_seconds() * 1e9));
}

TEST_CASE("l1-hit stream: only the first pass over 4 KiB misses") {
    const result r = run("l1-hit", 8000);
    CHECK(at(r, "mem", "l1d_misses") == 4096 / 64);
    CHECK(at(r, "mem", "l1d_hits") == 8000 - 4096 / 64);
}

TEST_CASE("miss stream: every access misses every level and reads DRAM") {
    const result r = run("miss", 8000);
    CHECK(at(r, "mem", "l1d_hits") == 0);
    CHECK(at(r, "mem", "llc_misses") == 8000);
    CHECK(at(r, "mem", "dram_reads") == 8000);
}

TEST_CASE("miss-random stream: lines drawn over 8x the LLC nearly all miss to DRAM") {
    const result r = run("miss-random", 8000);
    // 8000 draws from 1 M lines repeat a line about 30 times (the birthday bound): those hit
    // some level; every other access misses all three.
    const std::uint64_t hits =
        at(r, "mem", "l1d_hits") + at(r, "mem", "l2_hits") + at(r, "mem", "llc_hits");
    CHECK(hits + at(r, "mem", "llc_misses") == 8000);
    CHECK(at(r, "mem", "llc_misses") >= 7900);
    CHECK(at(r, "mem", "dram_reads") == at(r, "mem", "llc_misses"));
}

TEST_CASE("wc-store stream: eight stores combine per line, every buffer drains") {
    const result r = run("wc-store", 8000);
    CHECK(at(r, "mem", "wc_allocations") == 8000 / 8);
    CHECK(at(r, "mem", "wc_combines") == 8000 - 8000 / 8);
    CHECK(at(r, "mem", "l1d_hits") + at(r, "mem", "l1d_misses") == 0);
    // Full sets drain as the stream allocates; the last set drains on its own timer
    // (platform.cache.wc_drain_delay) once the stream has stopped.
    CHECK(at(r, "mem", "wc_drains") == 8000 / 8);
    CHECK(at(r, "mem", "wc_timed_drains") >= 1);
}

TEST_CASE("ns-dma stream: no cache is consulted, every access reaches DRAM") {
    const result r = run("ns-dma", 8000);
    CHECK(at(r, "mem", "dma_non_snooped") == 8000);
    CHECK(at(r, "mem", "dma_snooped") == 0);
    CHECK(at(r, "mem", "snoops") == 0);
    CHECK(at(r, "mem", "dram_reads") == 4000);
    CHECK(at(r, "mem", "dram_writes") == 4000);
}

TEST_CASE("dram stream: one DRAM read per access") {
    const result r = run("dram", 8000);
    const auto& d = r.counters.at("dram");
    CHECK(d.at("ch0").at("reads").get<std::uint64_t>() +
              d.at("ch1").at("reads").get<std::uint64_t>() ==
          8000);
}

TEST_CASE("the bare loop is listed first and every name is unique") {
    REQUIRE_FALSE(workloads().empty());
    CHECK(workloads().front().name == "bare");
    for (std::size_t i = 0; i < workloads().size(); ++i)
        for (std::size_t j = i + 1; j < workloads().size(); ++j)
            CHECK(workloads()[i].name != workloads()[j].name);
    CHECK(find_workload("no-such") == nullptr);
}

TEST_CASE("a result survives the child-to-parent JSON line") {
    result r;
    r.workload = "miss";
    r.accesses = 10;
    r.host_seconds = 0.5;
    r.simulated_ns = 12.5;
    r.counters = {{"mem", {{"l1d_hits", 3}}}};
    const result back = result_from_json(nlohmann::json::parse(to_json(r).dump()));
    CHECK(back.workload == "miss");
    CHECK(back.accesses == 10);
    CHECK(back.accesses_per_s() == doctest::Approx(20.0));
    CHECK(back.counters == r.counters);
}

TEST_CASE("report JSON: accesses_per_s and ratio_to_bare for every workload") {
    std::vector<row> rows;
    for (const auto& w : workloads()) {
        row r;
        r.w = &w;
        r.best.workload = std::string(w.name);
        r.best.accesses = 100;
        r.best.host_seconds = w.name == "bare" ? 1.0 : 2.0;
        r.runs = {r.best.accesses_per_s()};
        r.ratio_to_bare = w.name == "bare" ? 1.0 : 0.5;
        rows.push_back(r);
    }
    bench_config cfg;
    const auto j = to_json(rows, cfg, 3);
    for (const auto& w : workloads()) {
        const auto& e = j.at("workloads").at(std::string(w.name));
        CHECK(e.at("accesses_per_s").get<double>() > 0);
        CHECK(e.contains("ratio_to_bare"));
    }
    CHECK(j.at("repeats") == 3);
    CHECK(to_table(rows, cfg, 3).find("best of 3") != std::string::npos);
}
