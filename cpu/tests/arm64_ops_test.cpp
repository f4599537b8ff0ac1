// The engine's arm64 ops (cpu/agent_arm64.cpp) on a host agent's flat mapping: exclusives and
// their status, LSE atomics, DC by VA with DSB/DMB, and the malfunction report of an
// exclusive on memory that is not Normal-WB.
#include <doctest/doctest.h>

#include <string>

#include "cpu/tests/vcpu_rig.h"

using namespace mtsim;
using namespace mtsim::cpu;
using namespace mtsim::cpu::test;

namespace {

struct recorder : agent_observer {
    std::vector<access_record> loads, stores, malfunctions;
    std::vector<std::string> attributes;
    void on_load(const agent&, const access_record& r) override { loads.push_back(r); }
    void on_store(const agent&, const access_record& r) override { stores.push_back(r); }
    void on_malfunction(const agent&, const access_record& r, const std::string& a) override {
        malfunctions.push_back(r);
        attributes.push_back(a);
    }
};

constexpr std::uint64_t hva_wb = 0x20000000, hva_wc = 0x10000000;
constexpr std::uint64_t hpa_wb = gpa_data + 0x9000, hpa_wc = gpa_data + 0x8000;

void map_two(host_cpu& h) {
    h.map({hva_wb, hpa_wb, 0x1000});
    h.map({hva_wc, hpa_wc, 0x1000, memtype::wc});
}

std::uint64_t result(const agent& a, const std::string& label) {
    const auto& r = a.load_labelled(label);
    return le_value(r.bytes.data(), static_cast<unsigned>(r.bytes.size()));
}

} // namespace

TEST_CASE("LDXR then STXR on Normal-WB memory succeeds: status 0 and the value stored") {
    rig r;
    host_cpu& h = r.add_host(0);
    map_two(h);
    recorder rec;
    h.set_observer(&rec);
    program p;
    p.store_value(hva_wb, 41, 8).ldxr(hva_wb, 8, "old").stxr(hva_wb, 42, 8, "status");
    h.set_program(p);
    r.run();
    CHECK(result(h, "old") == 41);
    CHECK(result(h, "status") == 0);
    CHECK(le_value(r.ms.read_coherent(hpa_wb, 8).data(), 8) == 42);
    CHECK(rec.malfunctions.empty());
    REQUIRE(rec.stores.size() == 2);
    CHECK(rec.stores[1].kind == op_kind::stxr);
}

TEST_CASE("STXR fails after the line left the cache between LDXR and STXR: status 1") {
    rig r;
    host_cpu& h = r.add_host(0);
    map_two(h);
    recorder rec;
    h.set_observer(&rec);
    program p;
    p.store_value(hva_wb, 41, 8)
        .ldxr(hva_wb, 8, "old")
        .dc(op_code::dc_civac, hva_wb)
        .dsb()
        .stxr(hva_wb, 42, 8, "status");
    h.set_program(p);
    r.run();
    CHECK(result(h, "status") == 1);
    CHECK(le_value(r.ms.read_coherent(hpa_wb, 8).data(), 8) == 41);
    CHECK(rec.stores.size() == 1); // the failed STXR stored nothing
}

TEST_CASE("LDADD returns the old value and adds and CAS stores only on a match") {
    rig r;
    host_cpu& h = r.add_host(0);
    map_two(h);
    program p;
    p.store_value(hva_wb, 5, 4)
        .ldadd(hva_wb, 3, 4, "add")
        .cas(hva_wb, 7, 100, 4, "cas-miss")
        .cas(hva_wb, 8, 200, 4, "cas-hit");
    h.set_program(p);
    r.run();
    CHECK(result(h, "add") == 5);
    CHECK(result(h, "cas-miss") == 8);
    CHECK(result(h, "cas-hit") == 8);
    CHECK(le_value(r.ms.read_coherent(hpa_wb, 4).data(), 4) == 200);
}

TEST_CASE("an exclusive and an atomic on WC memory are reported as malfunctions and STXR fails") {
    rig r;
    host_cpu& h = r.add_host(0);
    map_two(h);
    recorder rec;
    h.set_observer(&rec);
    program p;
    p.ldxr(hva_wc, 8, "old").stxr(hva_wc, 42, 8, "status").ldadd(hva_wc, 1, 8, "add");
    h.set_program(p);
    r.run();
    CHECK(result(h, "status") == 1);
    REQUIRE(rec.malfunctions.size() == 3);
    CHECK(rec.malfunctions[0].kind == op_kind::ldxr);
    CHECK(rec.malfunctions[1].kind == op_kind::stxr);
    CHECK(rec.malfunctions[2].kind == op_kind::lse_atomic);
    CHECK(rec.malfunctions[0].hpa == hpa_wc);
    CHECK(rec.attributes[0].find("WC") != std::string::npos);
}

TEST_CASE("DC IVAC discards a dirty line: a later load reads memory's older bytes") {
    rig r;
    host_cpu& h = r.add_host(0);
    map_two(h);
    program p;
    p.store_value(hva_wb, 0x11, 8)
        .dc(op_code::dc_civac, hva_wb)
        .dsb()
        .store_value(hva_wb, 0x22, 8)
        .dsb()
        .dc(op_code::dc_ivac, hva_wb)
        .dsb()
        .load(hva_wb, 8, "after");
    h.set_program(p);
    r.run();
    CHECK(result(h, "after") == 0x11);
}

TEST_CASE(
    "DC CVAC waits in the deferral queue until a DMB orders it: memory then holds the bytes") {
    rig r;
    host_cpu& h = r.add_host(0);
    map_two(h);
    bytes at_dmb;
    std::size_t pending_before = 0, pending_after = 0;
    program p;
    p.store_value(hva_wb, 0x33, 8)
        .dc(op_code::dc_cvac, hva_wb)
        .callback("queued", [&](agent& a) { pending_before = a.deferred_flushes(); })
        .dmb()
        .callback("ordered", [&](agent& a) {
            pending_after = a.deferred_flushes();
            at_dmb = r.ms.read_dram(hpa_wb, 8);
        });
    h.set_program(p);
    r.run();
    CHECK(pending_before == 1);
    CHECK(pending_after == 0);
    CHECK(at_dmb == le_bytes(0x33, 8));
}
