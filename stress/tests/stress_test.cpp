// The random coherence tester must pass on the intact MESI table and must fail when one cell
// of it is broken: a checker that cannot fail proves nothing. Each case elaborates once.
#include <doctest/doctest.h>

#include <set>

#include "stress/tester.h"

using namespace mtsim;
using namespace mtsim::stress;

namespace {

stress_config small(std::uint64_t seed) {
    stress_config c;
    c.agents = 3;
    c.dma_agents = 1;
    c.ops = 20000;
    c.seed = seed;
    return c;
}

void expect_clean(const stress_config& c) {
    const auto r = run_stress(c);
    INFO(to_text(r));
    CHECK(r.ops == c.ops);
    CHECK(r.violations == 0);
}

// Runs with one cell replaced and expects at least one violation of one of `kinds`.
void expect_caught(mesi s, proto_event e, transition broken, std::vector<std::string> kinds,
                   stress_config c = small(1)) {
    const auto r = run_stress(c, [&](protocol_table& t) {
        REQUIRE(t.at(s, e).defined);
        t.at(s, e) = broken;
    });
    INFO(to_text(r));
    REQUIRE(r.violations > 0);
    REQUIRE_FALSE(r.reported.empty());
    const auto& first = r.reported.front();
    CHECK(std::find(kinds.begin(), kinds.end(), first.kind) != kinds.end());
    if (first.kind != "model-error") CHECK_FALSE(first.history.empty());
}

} // namespace

TEST_CASE("intact MESI table: no violation, seed 1") {
    expect_clean(small(1));
}
TEST_CASE("intact MESI table: no violation, seed 2") {
    expect_clean(small(2));
}
TEST_CASE("intact MESI table: no violation, seed 3") {
    expect_clean(small(3));
}
TEST_CASE("intact MESI table: no violation, seed 4, eight CPU agents, two DMA agents") {
    stress_config c = small(4);
    c.agents = 8;
    c.dma_agents = 2;
    expect_clean(c);
}
TEST_CASE("intact MESI table: no violation, seed 5, non-inclusive LLC") {
    stress_config c = small(5);
    c.memory.llc_inclusive = false;
    expect_clean(c);
}
// Two sockets: every line moves between the sockets' LLCs (home_agent::claim_remote) while
// the checker holds SWMR, data values and WBINVD's per-socket reach after every transaction.
TEST_CASE("intact MESI table: no violation, seed 6, two sockets of two pCPUs") {
    stress_config c = small(6);
    c.agents = 4;
    c.memory.sockets = 2;
    expect_clean(c);
}
TEST_CASE("intact MESI table: no violation, seed 7, two sockets, non-inclusive LLC reaching only "
          "the issuer") {
    stress_config c = small(7);
    c.agents = 4;
    c.memory.sockets = 2;
    c.memory.llc_inclusive = false;
    c.memory.llc.wbinvd_sharers = false;
    expect_clean(c);
}

// An M line answering a snoop-read without writing back: the reader gets stale bytes.
TEST_CASE("broken cell M x snoop-read (no write-back) is caught") {
    expect_caught(mesi::m, proto_event::snoop_read, transition{true, mesi::s, 0},
                  {"data-value", "copy-value"});
}

// An S line upgraded to M without asking home: two writers, or a writer beside readers.
TEST_CASE("broken cell S x store (silent upgrade) is caught") {
    expect_caught(mesi::s, proto_event::store,
                  transition{true, mesi::m, act::hit | act::update_line},
                  {"swmr", "directory", "data-value", "copy-value"});
}

// A snoop-invalidate that leaves an E copy valid: a stale reader survives a remote write.
TEST_CASE("broken cell E x snoop-inv (stays E) is caught") {
    expect_caught(mesi::e, proto_event::snoop_inv, transition{true, mesi::e, 0},
                  {"swmr", "directory", "inclusion", "data-value", "copy-value"});
}

// The same cell breaks the inclusive LLC's back-invalidation: the private copy outlives its LLC
// line, which the inclusion invariant names (the home agent skips the snoop filter when an
// inclusive LLC misses, so this is what it rests on). Not with a non-inclusive LLC.
static std::set<std::string> kinds_with_sticky_e(const stress_config& c) {
    const auto r = run_stress(c, [](protocol_table& t) {
        t.at(mesi::e, proto_event::snoop_inv) = transition{true, mesi::e, 0};
    });
    std::set<std::string> k;
    for (const auto& v : r.reported) k.insert(v.kind);
    return k;
}
TEST_CASE("a private copy that outlives its inclusive LLC line is an inclusion violation") {
    CHECK(kinds_with_sticky_e(small(1)).count("inclusion") == 1);
}
TEST_CASE("with a non-inclusive LLC the same copy is no inclusion violation") {
    stress_config c = small(1);
    c.memory.llc_inclusive = false;
    const auto k = kinds_with_sticky_e(c);
    CHECK(k.count("inclusion") == 0);
    CHECK_FALSE(k.empty()); // still caught, as something else
}

// Evicting an M line without writing it back loses the write.
TEST_CASE("broken cell M x evict (no write-back) is caught") {
    expect_caught(mesi::m, proto_event::evict, transition{true, mesi::i, 0},
                  {"data-value", "copy-value"});
}

// A missing cell is an error the model raises, never silently ignored; the tester reports it.
TEST_CASE("a removed cell (S x snoop-inv) is reported as a model error") {
    expect_caught(mesi::s, proto_event::snoop_inv, transition{}, {"model-error"});
}

TEST_CASE("report JSON has the documented keys") {
    stress_config c = small(6);
    c.ops = 500;
    const auto j = to_json(run_stress(c));
    CHECK(j.at("violations") == 0);
    CHECK(j.at("ops") == 500);
    CHECK(j.at("seed") == 6);
    CHECK(j.at("ops_per_s").get<double>() > 0);
}

TEST_CASE("bad configurations are refused, naming the parameter") {
    stress_config c = small(1);
    c.agents = 0;
    c.dma_agents = 0;
    CHECK_THROWS_WITH(validate(c), doctest::Contains("--agents"));
    c = small(1);
    c.p_store = 0.9;
    c.p_clflush = 0.2;
    CHECK_THROWS_WITH(validate(c), doctest::Contains("probabilities"));
    c = small(1);
    c.base = 3;
    CHECK_THROWS_WITH(validate(c), doctest::Contains("base"));
}

// The liveness check must be able to fire: with a limit shorter than one operation every agent
// is "stuck" between two completions.
TEST_CASE("an agent slower than the liveness limit is reported") {
    stress_config c = small(7);
    c.ops = 200;
    c.liveness = cycles{1};
    const auto r = run_stress(c);
    INFO(to_text(r));
    REQUIRE(r.violations > 0);
    CHECK(r.reported.front().kind == "liveness");
}
