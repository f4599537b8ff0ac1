// The checker on its own, fed fabricated operations over an idle memory system: each invariant
// must fire when its condition is broken, and stay quiet when it holds.
#include <doctest/doctest.h>

#include "cache/memory_system.h"
#include "model/dram.h"
#include "stress/checker.h"

using namespace mtsim;
using namespace mtsim::stress;

namespace {

struct idle_initiator : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<idle_initiator> isock{"isock"};
    explicit idle_initiator(const sc_core::sc_module_name& n) : sc_core::sc_module(n) {}
};

struct rig {
    dram mem{"dram"};
    memory_system ms{"ms", [] {
                         memory_system_config c;
                         c.pcpus = 1;
                         return c;
                     }()};
    idle_initiator cpu{"cpu"}, dev{"dev"};
    rig() {
        ms.to_dram.bind(mem.tsock);
        cpu.isock.bind(ms.cpu[0]);
        dev.isock.bind(ms.dma);
        sc_core::sc_start(sc_core::SC_ZERO_TIME); // completes binding; nothing runs
    }
};

op_record op(std::uint64_t seq, op_kind k, std::uint64_t addr, std::vector<std::uint8_t> data) {
    op_record r;
    r.seq = seq;
    r.agent = "cpu0";
    r.pcpu = 0;
    r.op = k;
    r.addr = addr;
    r.len = static_cast<unsigned>(data.size());
    r.data = std::move(data);
    return r;
}

} // namespace

TEST_CASE("checker: a read of the last written bytes passes, a stale read is a data-value "
          "violation with the line's history") {
    rig r;
    checker c(r.ms, checker::config{0x1000, 2, 64, 16, 10, true});
    // Fresh memory reads zero.
    c.after(op(1, op_kind::load, 0x1008, {0, 0, 0, 0}));
    CHECK(c.violations() == 0);
    // The shadow now expects the stored bytes; DRAM (no cache was involved) still holds zero,
    // so the copy-value check fires too: a store nobody performed is a lost write.
    c.after(op(2, op_kind::dma_write, 0x1008, {1, 2, 3, 4}));
    REQUIRE(c.violations() == 1);
    CHECK(c.reported()[0].kind == "copy-value");
    c.after(op(3, op_kind::load, 0x1008, {1, 2, 0, 4}));
    REQUIRE(c.violations() == 2);
    const violation& v = c.reported()[1];
    CHECK(v.kind == "data-value");
    CHECK(v.line == 0x1000);
    CHECK(v.seq == 3);
    CHECK(v.message.find("+2") != std::string::npos); // the first differing byte
    CHECK(v.history.size() == 3);
    CHECK_FALSE(v.copies.empty()); // at least DRAM's bytes
}

TEST_CASE("checker: a violated invariant counts once until it holds again") {
    rig r;
    checker c(r.ms, checker::config{0x1000, 1, 64, 16, 10, true});
    c.after(op(1, op_kind::load, 0x1000, {7}));
    c.after(op(2, op_kind::load, 0x1000, {7}));
    CHECK(c.violations() == 1);
    c.after(op(3, op_kind::load, 0x1000, {0}));
    c.after(op(4, op_kind::load, 0x1000, {7}));
    CHECK(c.violations() == 2);
}

TEST_CASE("checker: CLFLUSH requires DRAM to hold the last written bytes") {
    rig r;
    checker c(r.ms, checker::config{0x1000, 1, 64, 16, 10, true});
    std::vector<std::uint8_t> bytes(8, 0x5a);
    r.mem.poke(0x1000, bytes.data(), bytes.size());
    c.after(op(1, op_kind::dma_write, 0x1000, bytes));
    CHECK(c.violations() == 0);
    c.after(op(2, op_kind::clflush, 0x1000, {}));
    CHECK(c.violations() == 0);
    // A later write that never reached memory: the flush's postcondition fails.
    std::vector<std::uint8_t> lost(8, 0x33);
    c.after(op(3, op_kind::dma_write, 0x1000, lost));
    c.after(op(4, op_kind::clflush, 0x1000, {}));
    bool saw = false;
    for (const auto& v : c.reported()) saw = saw || v.kind == "cache-op";
    CHECK(saw);
}
