// model/accounting.h: parts sum to the total by construction, cycles round so that they sum
// exactly, and charging more than the time that passed is refused.
#include <doctest/doctest.h>

#include <set>

#include "model/accounting.h"

using namespace mtsim;
using sc_core::SC_NS;
using sc_core::SC_PS;
using sc_core::sc_time;

TEST_CASE("accounting: explicit parts and the gap sum to the total") {
    cost_account a;
    a.open(sc_time(100, SC_NS));
    a.add(cost_part::mem_dram, sc_time(30, SC_NS));
    a.add(cost_part::mem_l1, sc_time(2, SC_NS));
    a.close_gap(cost_part::executing, sc_time(150, SC_NS)); // 50 passed, 32 explicit
    a.close_gap(cost_part::sync_wait, sc_time(400, SC_NS));
    a.close(cost_part::executing, sc_time(401, SC_NS));
    CHECK(a.total() == sc_time(301, SC_NS));
    CHECK(a.part(cost_part::executing) == sc_time(19, SC_NS));
    CHECK(a.part(cost_part::sync_wait) == sc_time(250, SC_NS));
    const auto j = a.to_json(mtsim::clock(1000.0));
    CHECK(j["cycles"] == 301);
    CHECK(j["busy_ns"] == doctest::Approx(51.0));
    std::uint64_t sum = 0;
    for (const auto& [k, v] : j["parts"].items()) sum += v["cycles"].get<std::uint64_t>();
    CHECK(sum == 301);
}

TEST_CASE("accounting: part cycles round cumulatively so they sum exactly to the total") {
    // 3 GHz: a period of 333 ps; three parts of 500 ps each would round up to 2 cycles each
    // (6), the total of 1500 ps to 5.
    cost_account a;
    a.open(sc_time(0, SC_PS));
    a.add(cost_part::mem_l1, sc_time(500, SC_PS));
    a.add(cost_part::mem_l2, sc_time(500, SC_PS));
    a.close(cost_part::executing, sc_time(1500, SC_PS));
    const mtsim::clock c(3000.0);
    const auto j = a.to_json(c);
    std::uint64_t sum = 0;
    for (const auto& [k, v] : j["parts"].items()) sum += v["cycles"].get<std::uint64_t>();
    CHECK(j["cycles"].get<std::uint64_t>() == c.to_cycles(sc_time(1500, SC_PS)).n);
    CHECK(sum == j["cycles"].get<std::uint64_t>());
}

TEST_CASE("accounting: charging more than the time that passed is a bug, not a negative part") {
    cost_account a;
    a.open(sc_time(0, SC_NS));
    a.add(cost_part::mem_dram, sc_time(10, SC_NS));
    CHECK_THROWS_AS(a.close_gap(cost_part::executing, sc_time(5, SC_NS)), std::logic_error);
}

TEST_CASE("accounting: a closed-over account ignores additions (walks before the run)") {
    cost_account a;
    a.add(cost_part::mem_dram, sc_time(10, SC_NS));
    CHECK(a.part(cost_part::mem_dram) == sc_time(0, SC_NS));
}

TEST_CASE("accounting: every part has its own name, exits by reason") {
    std::set<std::string> names;
    for (unsigned i = 0; i < cost_part_count; ++i) names.insert(cost_part_name(i));
    CHECK(names.size() == cost_part_count);
    CHECK(cost_part_name(static_cast<unsigned>(exit_part(exit_reason::wbinvd, false))) ==
          "exit.wbinvd.exit_entry");
    CHECK(cost_part_name(static_cast<unsigned>(exit_part(exit_reason::ept_violation, true))) ==
          "exit.ept-violation.kvm");
    CHECK(memory_part(served_level::dram) == cost_part::mem_dram);
}
