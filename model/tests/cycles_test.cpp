// cycles and clock: the one place where cycles become sc_time; and the payload extension's
// clone/copy contract (TLM copies extensions when a payload is duplicated).
#include <doctest/doctest.h>

#include "model/access_ext.h"
#include "model/cycles.h"

using namespace mtsim;
using sc_core::SC_NS;
using sc_core::SC_PS;
using sc_core::sc_time;

TEST_CASE("clock converts cycles to time by its period") {
    const mtsim::clock c2g(2000.0); // 2 GHz: 500 ps
    CHECK(c2g.period() == sc_time(500, SC_PS));
    CHECK(c2g.to_time(cycles{0}) == sc_time(0, SC_PS));
    CHECK(c2g.to_time(cycles{4}) == sc_time(2, SC_NS));
    CHECK(c2g.to_time(cycles{3}) == sc_time(1500, SC_PS));
    const mtsim::clock c1g(1000.0);
    CHECK(c1g.to_time(cycles{17}) == sc_time(17, SC_NS));
}

TEST_CASE("to_time is the exact integer product for every clock, on both sides of 2^52 ps") {
    for (double mhz : {1.0, 7.0, 333.0, 1000.0, 2900.0, 4700.0}) {
        const mtsim::clock c(mhz);
        const std::uint64_t p = c.period().value();
        const std::uint64_t edge = ((std::uint64_t(1) << 52) - 1) / p; // the last via a double
        std::uint64_t x = 1;
        for (int i = 0; i < 2000; ++i) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            for (std::uint64_t n : {x >> 44, (x >> 12) % (edge + 1), edge - std::uint64_t(i),
                                    edge + std::uint64_t(i), edge * 2 + 1 + std::uint64_t(i)})
                CHECK(c.to_time(cycles{n}).value() == n * p);
        }
    }
}

TEST_CASE("clock rounds a partial cycle up when converting back") {
    const mtsim::clock c(2000.0);
    CHECK(c.to_cycles(sc_time(0, SC_PS)) == cycles{0});
    CHECK(c.to_cycles(sc_time(500, SC_PS)) == cycles{1});
    CHECK(c.to_cycles(sc_time(501, SC_PS)) == cycles{2});
    CHECK(c.to_cycles(sc_time(999, SC_PS)) == cycles{2});
    for (std::uint64_t n : {1u, 7u, 1000u, 123456u})
        CHECK(c.to_cycles(c.to_time(cycles{n})) == cycles{n});
}

TEST_CASE("to_cycles equals the integer ceiling division for every clock and many times") {
    for (double mhz : {1.0, 7.0, 333.0, 1000.0, 1600.0, 2000.0, 2900.0, 3000.0, 4700.0}) {
        const mtsim::clock c(mhz);
        const std::uint64_t p = c.period().value();
        std::uint64_t x = 1;
        for (int i = 0; i < 2000; ++i) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            for (std::uint64_t v : {x >> 20, x >> 11, std::uint64_t(i), std::uint64_t(i) * p,
                                    std::uint64_t(i) * p + 1}) {
                const sc_time t = sc_time::from_value(v);
                CHECK(c.to_cycles(t) == cycles{(v + p - 1) / p});
            }
        }
    }
}

TEST_CASE("cycles arithmetic and ordering") {
    cycles a{3};
    a += cycles{4};
    CHECK(a == cycles{7});
    CHECK(a * 3 == cycles{21});
    CHECK(a - cycles{2} == cycles{5});
    CHECK(cycles{2} < cycles{3});
    CHECK(cycles{3} >= cycles{3});
    CHECK(cycles{4} != cycles{3});
}

TEST_CASE("access_ext clone and copy_from carry every field") {
    access_ext e;
    e.type = memtype::wc;
    e.source = type_source::page;
    e.op = op_kind::clflushopt;
    e.who = requester{requester_kind::device, 3, 1, 0x0100, 7};
    e.no_snoop = true;
    e.page_walk = true;
    e.oracle_id = 42;
    auto* c = static_cast<access_ext*>(e.clone());
    CHECK(c->type == memtype::wc);
    CHECK(c->source == type_source::page);
    CHECK(c->op == op_kind::clflushopt);
    CHECK(c->who.kind == requester_kind::device);
    CHECK(c->who.bdf == 0x0100);
    CHECK(c->who.pasid == 7u);
    CHECK(c->no_snoop);
    CHECK(c->page_walk);
    CHECK(c->oracle_id == 42u);
    access_ext d;
    d.copy_from(e);
    CHECK(d.oracle_id == 42u);
    CHECK(d.type == memtype::wc);
    delete c;
}

TEST_CASE("UC checks the issuing CPU's caches when the page type or CR0.CD decided it") {
    CHECK(uc_must_check_caches(type_source::page));
    CHECK(uc_must_check_caches(type_source::cd));
    CHECK_FALSE(uc_must_check_caches(type_source::range));
    CHECK_FALSE(uc_must_check_caches(type_source::fixed));
    CHECK(to_string(type_source::page) == "page");
    CHECK(to_string(op_kind::nt_store) == "nt-store");
}
