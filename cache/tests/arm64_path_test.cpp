// arm64 on the memory system's paths (cache/cpu_port_arm64.cpp): what each Device type costs a
// stream of stores and that its bytes arrive, DC CIVAC/CVAC/IVAC, DSB/DMB, the exclusive
// monitor and LSE atomics.
#include <doctest/doctest.h>

#include "cache/tests/rig.h"

using namespace mtsim;
using namespace mtsim::test;

namespace {

// Issues 64 eight-byte stores (one 512-byte command buffer) back to back, each at the
// completion of the one before (one outstanding, as the vCPU issues device stores), then a DSB;
// returns the cycles from `start` until the DSB completed. Streams of one test start apart
// (the LLC port calendar remembers the earlier ones).
std::uint64_t stream(rig& r, memtype type, arm_device dev, std::uint64_t base,
                     std::uint64_t start = 0) {
    std::uint64_t t = start;
    for (unsigned i = 0; i < 64; ++i) {
        bytes b(8, static_cast<std::uint8_t>(i + 1));
        access_ext ext;
        ext.type = type;
        ext.device = dev;
        ext.op = op_kind::store;
        tlm::tlm_generic_payload gp;
        prepare(gp, tlm::TLM_WRITE_COMMAND, base + 8 * i, b.data(), 8);
        ext_guard g(gp, ext);
        sc_core::sc_time d = r.ms.clk().to_time(cycles{t});
        r.cpu[0]->b_transport(gp, d);
        t = r.ms.clk().to_cycles(d).n;
    }
    access_ext ext;
    ext.op = op_kind::dsb;
    tlm::tlm_generic_payload gp;
    prepare(gp, tlm::TLM_IGNORE_COMMAND, 0, nullptr, 0);
    ext_guard g(gp, ext);
    sc_core::sc_time d = r.ms.clk().to_time(cycles{t});
    r.cpu[0]->b_transport(gp, d);
    return r.ms.clk().to_cycles(d).n - start;
}

bool arrived(const rig& r, std::uint64_t base) {
    for (unsigned i = 0; i < 64; ++i)
        for (unsigned k = 0; k < 8; ++k)
            if (r.mem.peek(base + 8 * i + k) != i + 1) return false;
    return true;
}

// One access with an arm64 op; returns the completion in cycles.
std::uint64_t arm_op(rig& r, unsigned p, tlm::tlm_command cmd, op_kind k, std::uint64_t addr,
                     bytes& b, memtype type = memtype::wb, bool* failed = nullptr) {
    access_ext ext;
    ext.type = type;
    ext.op = k;
    ext.who.pcpu = static_cast<std::uint16_t>(p);
    tlm::tlm_generic_payload gp;
    prepare(gp, cmd, addr, b.empty() ? nullptr : b.data(), static_cast<unsigned>(b.size()));
    ext_guard g(gp, ext);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    r.cpu[p]->b_transport(gp, d);
    if (failed) *failed = ext.exclusive_failed;
    return r.ms.clk().to_cycles(d).n;
}

} // namespace

TEST_CASE("a Device store stream costs GRE < nGRE < nGnRE < nGnRnE and every byte arrives") {
    rig r;
    r.start();
    const std::uint64_t nc = stream(r, memtype::wc, arm_device::none, 0x10000);
    const std::uint64_t gre = stream(r, memtype::uc, arm_device::gre, 0x20000, 1'000'000);
    const std::uint64_t ngre = stream(r, memtype::uc, arm_device::ngre, 0x30000, 2'000'000);
    const std::uint64_t ngnre = stream(r, memtype::uc, arm_device::ngnre, 0x40000, 3'000'000);
    const std::uint64_t ngnrne = stream(r, memtype::uc, arm_device::ngnrne, 0x50000, 4'000'000);
    MESSAGE("NC ", nc, " GRE ", gre, " nGRE ", ngre, " nGnRE ", ngnre, " nGnRnE ", ngnrne);
    for (std::uint64_t base : {0x10000, 0x20000, 0x30000, 0x40000, 0x50000})
        CHECK(arrived(r, base));
    CHECK(gre == nc); // Device-GRE gathers like Normal-NC
    CHECK(gre < ngre);
    CHECK(ngre < ngnre);
    CHECK(ngnre < ngnrne);
    // No gathering, no reordering: every store is one write to memory.
    // The small rig: 8 drains of (LLC 20 + memory 100) and 64 stores at 1 cycle.
    CHECK(nc == 8 * (20 + 100) + 64);
    // nGnRE: each store waits for its write (LLC 20 + memory 100).
    CHECK(ngnre == 64 * (20 + 100));
    CHECK(ngnrne == ngnre + 64 * 1500);
    // nGRE: four in flight, so a store waits for the one issued four stores earlier.
    CHECK(ngre < ngnre / 2);
}

TEST_CASE("Device-nG stores are one transaction each and Device-GRE stores gather") {
    rig r;
    r.start();
    const auto before = r.mem.writes;
    stream(r, memtype::uc, arm_device::gre, 0x20000);
    CHECK(r.mem.writes - before == 8); // 512 bytes in 64-byte buffers
    const auto mid = r.mem.writes;
    stream(r, memtype::uc, arm_device::ngnre, 0x40000, 1'000'000);
    CHECK(r.mem.writes - mid == 64);
    CHECK(r.ms.stats().device_transactions.value() == 64);
}

TEST_CASE("DC CIVAC writes the dirty line back and invalidates it") {
    rig r;
    r.start();
    r.store(0, 0x1000, fill(8, 0x22));
    bytes none;
    arm_op(r, 0, tlm::TLM_IGNORE_COMMAND, op_kind::dc_civac, 0x1000, none);
    CHECK(r.mem.peek(0x1000) == 0x22);
    CHECK(r.ms.copies(0x1000).empty());
}

TEST_CASE("DC CVAC writes the dirty line back and keeps it") {
    rig r;
    r.start();
    r.store(0, 0x1000, fill(8, 0x22));
    bytes none;
    arm_op(r, 1, tlm::TLM_IGNORE_COMMAND, op_kind::dc_cvac, 0x1000, none);
    CHECK(r.mem.peek(0x1000) == 0x22);
    CHECK(r.state(0, 0x1000) != mesi::i);
}

TEST_CASE("DC IVAC drops the dirty bytes: memory keeps its old value") {
    rig r;
    r.start();
    r.mem.byte(0x1000) = 0x11;
    r.store(0, 0x1000, fill(1, 0x22));
    bytes none;
    arm_op(r, 0, tlm::TLM_IGNORE_COMMAND, op_kind::dc_ivac, 0x1000, none);
    CHECK(r.ms.copies(0x1000).empty());
    CHECK(r.mem.peek(0x1000) == 0x11);
    CHECK(r.load(0, 0x1000, 1) == fill(1, 0x11));
    CHECK(r.ms.stats().invd_dirty_lost.value() == 1);
}

TEST_CASE("DMB and DSB drain the gathered Normal-NC stores") {
    rig r;
    r.start();
    for (op_kind k : {op_kind::dmb, op_kind::dsb}) {
        r.store(0, 0x2000, fill(8, 0x5a), memtype::wc);
        CHECK(r.ms.in_wc_buffer(0, 0x2000));
        bytes none;
        arm_op(r, 0, tlm::TLM_IGNORE_COMMAND, k, 0, none);
        CHECK_FALSE(r.ms.in_wc_buffer(0, 0x2000));
        CHECK(r.mem.peek(0x2000) == 0x5a);
        r.mem.byte(0x2000) = 0;
    }
}

TEST_CASE("DSB waits for the Device-nGRE stores in flight") {
    rig r;
    r.start();
    bytes b(8, 1);
    access_ext ext;
    ext.type = memtype::uc;
    ext.device = arm_device::ngre;
    ext.op = op_kind::store;
    tlm::tlm_generic_payload gp;
    prepare(gp, tlm::TLM_WRITE_COMMAND, 0x3000, b.data(), 8);
    ext_guard g(gp, ext);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    r.cpu[0]->b_transport(gp, d);
    const std::uint64_t issued = r.ms.clk().to_cycles(d).n;
    CHECK(issued == 4); // device_issue_latency: the write itself is in flight
    bytes none;
    const std::uint64_t dsb = arm_op(r, 0, tlm::TLM_IGNORE_COMMAND, op_kind::dsb, 0, none);
    CHECK(dsb >= 20 + 100); // LLC lookup and the memory's write
    CHECK(r.mem.peek(0x3000) == 1);
}

TEST_CASE("STXR succeeds while the monitor holds the line and stores") {
    rig r;
    r.start();
    bytes v(8, 0);
    arm_op(r, 0, tlm::TLM_READ_COMMAND, op_kind::ldxr, 0x1000, v);
    bytes n(8, 0x33);
    bool failed = true;
    arm_op(r, 0, tlm::TLM_WRITE_COMMAND, op_kind::stxr, 0x1000, n, memtype::wb, &failed);
    CHECK_FALSE(failed);
    CHECK(r.ms.read_coherent(0x1000, 1) == fill(1, 0x33));
}

TEST_CASE("STXR fails when another pCPU wrote the line in between and stores nothing") {
    rig r;
    r.start();
    bytes v(8, 0);
    arm_op(r, 0, tlm::TLM_READ_COMMAND, op_kind::ldxr, 0x1000, v);
    r.store(1, 0x1000, fill(8, 0x44));
    bytes n(8, 0x33);
    bool failed = false;
    arm_op(r, 0, tlm::TLM_WRITE_COMMAND, op_kind::stxr, 0x1000, n, memtype::wb, &failed);
    CHECK(failed);
    CHECK(r.ms.read_coherent(0x1000, 1) == fill(1, 0x44));
    CHECK(r.ms.stats().exclusive_failures.value() == 1);
}

TEST_CASE("STXR fails after the line was lost and fetched again") {
    rig r;
    r.start();
    bytes v(8, 0);
    arm_op(r, 0, tlm::TLM_READ_COMMAND, op_kind::ldxr, 0x1000, v);
    bytes none;
    arm_op(r, 1, tlm::TLM_IGNORE_COMMAND, op_kind::dc_civac, 0x1000, none);
    r.load(0, 0x1000, 8); // back in pCPU 0's caches, the monitor stays disarmed
    bytes n(8, 0x33);
    bool failed = false;
    arm_op(r, 0, tlm::TLM_WRITE_COMMAND, op_kind::stxr, 0x1000, n, memtype::wb, &failed);
    CHECK(failed);
}

TEST_CASE("STXR to non-cacheable memory fails: it has no exclusive monitor") {
    rig r;
    r.start();
    bytes v(8, 0);
    arm_op(r, 0, tlm::TLM_READ_COMMAND, op_kind::ldxr, 0x1000, v, memtype::wc);
    bytes n(8, 0x33);
    bool failed = false;
    arm_op(r, 0, tlm::TLM_WRITE_COMMAND, op_kind::stxr, 0x1000, n, memtype::wc, &failed);
    CHECK(failed);
    CHECK(r.mem.peek(0x1000) == 0);
}

TEST_CASE("an LSE atomic on Normal-WB takes ownership and writes through the caches") {
    rig r;
    r.start();
    r.load(1, 0x1000, 8); // pCPU 1 shares the line
    bytes old(8, 0);
    arm_op(r, 0, tlm::TLM_READ_COMMAND, op_kind::lse_atomic, 0x1000, old);
    CHECK(r.state(0, 0x1000) == mesi::m);
    CHECK(r.state(1, 0x1000) == mesi::i);
    bytes neu(8, 0x01);
    arm_op(r, 0, tlm::TLM_WRITE_COMMAND, op_kind::lse_atomic, 0x1000, neu);
    CHECK(r.ms.read_coherent(0x1000, 1) == fill(1, 0x01));
    CHECK(r.mem.peek(0x1000) == 0); // still in the cache
}
