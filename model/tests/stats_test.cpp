#include <doctest/doctest.h>

#include <memory>
#include <systemc>

#include "model/stats.h"

using namespace mtsim;

namespace {

// A tiny hierarchy shaped like a platform: top.cpuN.l1d.
struct l1 : sc_core::sc_module {
    counter m_hits{this, "hits", "lookups that found the line", "accesses"};
    counter m_misses{this, "misses", "lookups that did not", "accesses"};
    derived_stat m_hit_rate{this, "hit_rate", "hits / (hits + misses)", "ratio", [this] {
                                return ratio(
                                    static_cast<double>(m_hits.value()),
                                    static_cast<double>(m_hits.value() + m_misses.value()));
                            }};
    explicit l1(sc_core::sc_module_name n) : sc_module(n) {}
};

struct cpu : sc_core::sc_module {
    l1 m_l1d{"l1d"};
    counter m_retired{this, "retired", "instructions retired", "instructions"};
    explicit cpu(sc_core::sc_module_name n) : sc_module(n) {}
};

struct top : sc_core::sc_module {
    cpu m_cpu0{"cpu0"};
    cpu m_cpu1{"cpu1"};
    explicit top(sc_core::sc_module_name n) : sc_module(n) {}
};

} // namespace

TEST_CASE("stats: the JSON tree mirrors the sc_object hierarchy") {
    top t("top");
    for (int i = 0; i < 3; ++i) ++t.m_cpu0.m_l1d.m_hits;
    ++t.m_cpu0.m_l1d.m_misses;
    t.m_cpu0.m_retired += 1000;
    t.m_cpu1.m_l1d.m_misses += 2;

    const nlohmann::json expected = nlohmann::json::parse(R"({
        "top": {
            "cpu0": {"retired": 1000, "l1d": {"hits": 3, "misses": 1, "hit_rate": 0.75}},
            "cpu1": {"retired": 0, "l1d": {"hits": 0, "misses": 2, "hit_rate": 0.0}}
        }
    })");
    CHECK(dump_stats() == expected);
    CHECK(t.m_cpu0.m_l1d.m_hits.path() == "top.cpu0.l1d.hits");
    CHECK(t.m_cpu0.m_l1d.m_hits.name() == "hits");
}

TEST_CASE("stats: a derived stat is computed at dump time and null when undefined") {
    top t("top");
    const auto rate = [] { return dump_stats()["top"]["cpu1"]["l1d"]["hit_rate"]; };
    CHECK(rate().is_null()); // no accesses: no hit rate, not 0
    ++t.m_cpu1.m_l1d.m_hits;
    CHECK(rate() == 1.0);
    ++t.m_cpu1.m_l1d.m_misses;
    ++t.m_cpu1.m_l1d.m_misses;
    ++t.m_cpu1.m_l1d.m_misses;
    CHECK(rate() == 0.25);
    CHECK(t.m_cpu1.m_l1d.m_hit_rate.value() == 0.25);
    CHECK(ratio(1, 0) != ratio(1, 0)); // NaN
}

TEST_CASE("stats: list_stats gives every stat with kind and unit and description") {
    top t("top");
    const auto list = list_stats();
    REQUIRE(list.size() == 8);
    CHECK(list[0].path == "top.cpu0.l1d.hit_rate");
    CHECK(list[0].kind == "derived");
    CHECK(list[0].unit == "ratio");
    CHECK(list[0].description == "hits / (hits + misses)");
    CHECK(list[1].path == "top.cpu0.l1d.hits");
    CHECK(list[1].kind == "counter");
    CHECK(list[1].unit == "accesses");
    CHECK(list[1].description == "lookups that found the line");
    CHECK(list[2].path == "top.cpu0.l1d.misses");
    CHECK(list[3].path == "top.cpu0.retired");
    CHECK(list[3].unit == "instructions");
    CHECK(list[7].path == "top.cpu1.retired");
    for (std::size_t i = 1; i < list.size(); ++i) CHECK(list[i - 1].path < list[i].path);
}

TEST_CASE("stats: owners that are not sc_objects use a path and destroyed stats leave the tree") {
    counter reads("system.oracle", "reads", "reads checked", "reads");
    counter root("", "runs", "simulations", "runs");
    reads += 5;
    ++root;
    {
        derived_stat twice("system.oracle", "twice", "2 x reads", "reads",
                           [&] { return 2.0 * static_cast<double>(reads.value()); });
        CHECK(dump_stats() ==
              nlohmann::json::parse(
                  R"({"runs": 1, "system": {"oracle": {"reads": 5, "twice": 10.0}}})"));
        REQUIRE(find_stat("system.oracle.twice") == &twice);
    }
    CHECK(find_stat("system.oracle.twice") == nullptr);
    CHECK(find_stat("system.oracle.reads") == &reads);
    CHECK(dump_stats() ==
          nlohmann::json::parse(R"({"runs": 1, "system": {"oracle": {"reads": 5}}})"));
}

TEST_CASE("stats: duplicate paths and dotted names and a stat shadowing a subtree are errors") {
    counter a("x", "n", "first", "events");
    CHECK_THROWS_WITH_AS(counter("x", "n", "second", "events"), "stat 'x.n' is declared twice",
                         std::logic_error);
    CHECK_THROWS_AS(counter("x", "a.b", "dotted", "events"), std::logic_error);
    CHECK_THROWS_AS(counter("x", "", "empty", "events"), std::logic_error);
    // The failed constructions registered nothing.
    CHECK(list_stats().size() == 1);
    {
        counter below("x.n", "m", "under a stat", "events");
        CHECK_THROWS_WITH_AS(dump_stats(), "stat 'x.n.m' sits below 'x.n', which is a stat",
                             std::logic_error);
    }
    CHECK(dump_stats() == nlohmann::json::parse(R"({"x": {"n": 0}})"));
}

TEST_CASE("stats: a module's stats are named after it even when built inside another") {
    struct outer : sc_core::sc_module {
        std::unique_ptr<l1> m_child;
        explicit outer(sc_core::sc_module_name n) : sc_module(n) {
            m_child = std::make_unique<l1>("l2");
        }
    };
    outer o("soc");
    ++o.m_child->m_misses;
    CHECK(dump_stats()["soc"]["l2"]["misses"] == 1);
}
