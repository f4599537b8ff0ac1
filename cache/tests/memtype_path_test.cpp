// The physical mechanisms every corruption scenario rests on (docs/reference/memory-types.md §5 -
// §7), and the SDM Table 11-2 paths of each memory type.
#include <doctest/doctest.h>

#include "cache/tests/rig.h"

using namespace mtsim;
using namespace mtsim::test;

namespace {

memory_system_config with(bool self_snoop, bool fabric = true, bool inclusive = true) {
    auto c = rig::small_config();
    c.self_snoop = self_snoop;
    c.fabric_snoops_uncached = fabric;
    c.llc_inclusive = inclusive;
    c.llc.wbinvd_sharers = inclusive;
    return c;
}

bool cached_anywhere(const rig& r, std::uint64_t a) {
    return !r.ms.copies(a).empty();
}

} // namespace

TEST_CASE("WB store then non-snooped DMA read returns the old DRAM bytes and snooped the new") {
    rig r;
    r.start();
    r.mem.byte(0x1000) = 0x11;
    r.store(0, 0x1000, fill(1, 0x22));
    CHECK(r.dma_read(0x1000, 1, true) == fill(1, 0x11));
    CHECK(r.dma_read(0x1000, 1, false) == fill(1, 0x22));
}

TEST_CASE("WB store, CLFLUSH, then non-snooped DMA read returns the new bytes") {
    rig r;
    r.start();
    r.mem.byte(0x1000) = 0x11;
    r.store(0, 0x1000, fill(1, 0x22));
    r.op(0, op_kind::clflush, 0x1000);
    CHECK(r.dma_read(0x1000, 1, true) == fill(1, 0x22));
    CHECK_FALSE(cached_anywhere(r, 0x1000));
}

TEST_CASE("CLFLUSHOPT issued on another pCPU flushes the owner's dirty line") {
    rig r;
    r.start();
    r.store(0, 0x1000, fill(4, 0x22));
    r.op(1, op_kind::clflushopt, 0x1000);
    CHECK(r.dma_read(0x1000, 4, true) == fill(4, 0x22));
    CHECK_FALSE(cached_anywhere(r, 0x1000));
}

TEST_CASE("WC store is invisible to DMA before SFENCE and visible after") {
    rig r;
    r.start();
    r.store(0, 0x2000, fill(8, 0x5a), memtype::wc);
    CHECK(r.ms.in_wc_buffer(0, 0x2000));
    CHECK(r.dma_read(0x2000, 8, true) == fill(8, 0));
    CHECK(r.dma_read(0x2000, 8, false) == fill(8, 0)); // no snoop sees a WC buffer
    CHECK(r.ms.read_coherent(0x2000, 8) == fill(8, 0));
    r.op(0, op_kind::sfence);
    CHECK_FALSE(r.ms.in_wc_buffer(0, 0x2000));
    CHECK(r.dma_read(0x2000, 8, true) == fill(8, 0x5a));
}

TEST_CASE("a dirty line evicted after a non-snooped DMA write overwrites the device's bytes") {
    rig r;
    r.start();
    r.store(0, 0x000, fill(64, 0xc0));        // p0 holds line 0 modified
    r.dma_write(0x000, fill(64, 0xde), true); // device writes DRAM directly
    CHECK(r.ms.read_dram(0x000, 64) == fill(64, 0xde));
    // Lines 8 and 16 share line 0's L2 and LLC sets (L2 4 sets, LLC 8 sets, 2 ways each):
    // filling them evicts line 0 from the LLC, which back-invalidates p0's dirty copy.
    r.load(1, 8 * 64, 1);
    r.load(1, 16 * 64, 1);
    CHECK_FALSE(cached_anywhere(r, 0x000));
    CHECK(r.ms.read_dram(0x000, 64) == fill(64, 0xc0)); // the device's bytes are gone
}

TEST_CASE("the same eviction with a non-inclusive LLC happens when the private copy leaves") {
    rig r(with(true, true, false));
    r.start();
    r.store(0, 0x000, fill(64, 0xc0));
    r.dma_write(0x000, fill(64, 0xde), true);
    r.load(0, 4 * 64, 1); // L2 set 0 holds lines 0 and 4
    r.load(0, 8 * 64, 1); // line 0 leaves p0's L2 -> its dirty data goes to the LLC
    CHECK(r.ms.read_dram(0x000, 64) == fill(64, 0xde));
    r.load(1, 16 * 64, 1); // LLC set 0 now needs a victim: line 0 is written to DRAM
    r.load(1, 24 * 64, 1);
    CHECK(r.ms.read_dram(0x000, 64) == fill(64, 0xc0));
}

TEST_CASE("self-snoop off: a WC store leaves a stale line that a later WB read hits") {
    rig r(with(false));
    r.start();
    r.mem.byte(0x3000) = 0x01;
    CHECK(r.load(0, 0x3000, 1) == fill(1, 0x01)); // cached through the WB alias
    r.store(0, 0x3000, fill(1, 0x02), memtype::wc);
    r.op(0, op_kind::sfence);
    CHECK(r.ms.read_dram(0x3000, 1) == fill(1, 0x02));
    CHECK(r.state(0, 0x3000) == mesi::e);
    CHECK(r.load(0, 0x3000, 1) == fill(1, 0x01)); // stale
}

TEST_CASE("self-snoop on: the WC store invalidates the own WB copy") {
    rig r(with(true));
    r.start();
    r.mem.byte(0x3000) = 0x01;
    r.load(0, 0x3000, 1);
    r.store(0, 0x3000, fill(1, 0x02), memtype::wc);
    r.op(0, op_kind::sfence);
    CHECK(r.state(0, 0x3000) == mesi::i);
    CHECK(r.load(0, 0x3000, 1) == fill(1, 0x02));
}

TEST_CASE("self-snoop off: another pCPU's cached copy is invalidated by the fabric") {
    rig r(with(false));
    r.start();
    r.mem.byte(0x3000) = 0x01;
    r.load(1, 0x3000, 1);
    r.store(0, 0x3000, fill(1, 0x02), memtype::wc);
    r.op(0, op_kind::sfence);
    CHECK(r.state(1, 0x3000) == mesi::i);
    CHECK(r.load(1, 0x3000, 1) == fill(1, 0x02));
}

TEST_CASE("fabric_snoops_uncached off: another pCPU's copy stays stale") {
    rig r(with(false, false));
    r.start();
    r.mem.byte(0x3000) = 0x01;
    r.load(1, 0x3000, 1);
    r.store(0, 0x3000, fill(1, 0x02), memtype::wc);
    r.op(0, op_kind::sfence);
    CHECK(r.ms.read_dram(0x3000, 1) == fill(1, 0x02));
    CHECK(r.load(1, 0x3000, 1) == fill(1, 0x01));
}

TEST_CASE("UC from the page type checks the own caches without self-snoop but from the range "
          "type it does not") {
    rig r(with(false));
    r.start();
    r.mem.byte(0x4000) = 0x01;
    r.store(0, 0x4000, fill(1, 0x02)); // dirty WB alias on p0
    CHECK(r.load(0, 0x4000, 1, memtype::uc, type_source::range) == fill(1, 0x01));
    CHECK(r.state(0, 0x4000) == mesi::m);
    CHECK(r.load(0, 0x4000, 1, memtype::uc, type_source::page) == fill(1, 0x02));
    CHECK(r.ms.read_dram(0x4000, 1) == fill(1, 0x02)); // written back by the self-check
}

TEST_CASE("UC read takes another pCPU's dirty data and UC write invalidates its copy") {
    rig r(with(false));
    r.start();
    r.store(1, 0x4000, fill(4, 0x07));
    CHECK(r.load(0, 0x4000, 4, memtype::uc) == fill(4, 0x07));
    CHECK(r.state(1, 0x4000) == mesi::s);
    r.store(0, 0x4002, fill(1, 0x09), memtype::uc);
    CHECK(r.state(1, 0x4000) == mesi::i);
    CHECK(r.ms.read_dram(0x4000, 4) == bytes{7, 7, 9, 7});
    CHECK(r.load(1, 0x4000, 4) == bytes{7, 7, 9, 7});
}

TEST_CASE("UC and UC- never allocate and drain the WC buffers first") {
    rig r;
    r.start();
    r.store(0, 0x5000, fill(4, 0x33), memtype::wc);
    CHECK(r.ms.in_wc_buffer(0, 0x5000));
    r.load(0, 0x6000, 4, memtype::uc_minus);
    CHECK_FALSE(r.ms.in_wc_buffer(0, 0x5000));
    CHECK(r.ms.read_dram(0x5000, 4) == fill(4, 0x33));
    r.store(0, 0x6000, fill(4, 0x44), memtype::uc);
    CHECK_FALSE(cached_anywhere(r, 0x6000));
    CHECK(r.load(0, 0x6000, 4, memtype::uc) == fill(4, 0x44));
    CHECK_FALSE(cached_anywhere(r, 0x6000));
}

TEST_CASE("WC stores combine and collapse per buffer and a partial buffer writes only its bytes") {
    rig r;
    r.start();
    r.mem.byte(0x7003) = 0xee;
    r.store(0, 0x7000, bytes{1, 2}, memtype::wc);
    r.store(0, 0x7001, bytes{9}, memtype::wc); // collapses onto byte 1
    r.store(0, 0x7004, bytes{5}, memtype::wc);
    CHECK(r.ms.stats().wc_allocations.value() == 1);
    CHECK(r.ms.stats().wc_combines.value() == 2);
    r.op(0, op_kind::mfence);
    CHECK(r.ms.stats().wc_drains.value() == 1);
    CHECK(r.ms.read_dram(0x7000, 5) == bytes{1, 9, 0, 0xee, 5});
}

TEST_CASE("WC buffers: when all are busy the oldest drains first") {
    rig r; // two buffers
    r.start();
    r.store(0, 0x8000, fill(1, 1), memtype::wc);
    r.store(0, 0x9000, fill(1, 2), memtype::wc);
    r.store(0, 0x8001, fill(1, 3), memtype::wc); // combines: 0x8000 is still the oldest
    r.store(0, 0xa000, fill(1, 4), memtype::wc);
    CHECK(r.ms.stats().wc_full_evictions.value() == 1);
    CHECK_FALSE(r.ms.in_wc_buffer(0, 0x8000));
    CHECK(r.ms.read_dram(0x8000, 2) == bytes{1, 3});
    CHECK(r.ms.in_wc_buffer(0, 0x9000));
    CHECK(r.ms.in_wc_buffer(0, 0xa000));
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    r.ms.serialize(0, d); // VM exit
    CHECK(r.ms.read_dram(0x9000, 1) == fill(1, 2));
    CHECK(r.ms.read_dram(0xa000, 1) == fill(1, 4));
}

TEST_CASE("WC load sees the pCPU's own buffered store but other pCPUs do not") {
    rig r;
    r.start();
    r.store(0, 0xb000, fill(2, 0x66), memtype::wc);
    CHECK(r.load(1, 0xb000, 2, memtype::wc) == fill(2, 0));
    CHECK(r.ms.in_wc_buffer(0, 0xb000));
    CHECK(r.load(0, 0xb000, 2, memtype::wc) == fill(2, 0x66));
    CHECK_FALSE(r.ms.in_wc_buffer(0, 0xb000));
}

TEST_CASE("locked operation drains the WC buffers") {
    rig r;
    r.start();
    r.store(0, 0xb000, fill(2, 0x66), memtype::wc);
    bytes b(4, 1);
    r.access(0, tlm::TLM_WRITE_COMMAND, op_kind::locked_rmw, memtype::wb, 0xc000, b.data(), 4);
    CHECK(r.ms.read_dram(0xb000, 2) == fill(2, 0x66));
    CHECK(r.state(0, 0xc000) == mesi::m);
    bytes rd(4);
    r.access(1, tlm::TLM_READ_COMMAND, op_kind::locked_rmw, memtype::wb, 0xc000, rd.data(), 4);
    CHECK(rd == fill(4, 1));
    CHECK(r.state(1, 0xc000) == mesi::m); // a locked read takes ownership
    CHECK(r.state(0, 0xc000) == mesi::i);
}

TEST_CASE("non-temporal store evicts the own cached copy first and goes through WC buffers") {
    rig r;
    r.start();
    r.store(0, 0xd000, fill(8, 0x10)); // dirty, cached
    r.store(0, 0xd004, fill(2, 0x20), memtype::wb, op_kind::nt_store);
    CHECK(r.state(0, 0xd000) == mesi::i);
    CHECK(r.ms.read_dram(0xd000, 8) == fill(8, 0x10));
    CHECK(r.ms.in_wc_buffer(0, 0xd004));
    r.op(0, op_kind::sfence);
    CHECK(r.ms.read_dram(0xd000, 8) == bytes{0x10, 0x10, 0x10, 0x10, 0x20, 0x20, 0x10, 0x10});
}

TEST_CASE("a pCPU's WB load and store see its own NT store still in a WC buffer") {
    rig r;
    r.start();
    r.store(0, 0xd000, fill(4, 0x20), memtype::wb, op_kind::nt_store);
    REQUIRE(r.ms.in_wc_buffer(0, 0xd000));
    CHECK(r.load(1, 0xd000, 4) == fill(4, 0)); // another pCPU: invisible until drained
    CHECK(r.ms.in_wc_buffer(0, 0xd000));
    CHECK(r.load(0, 0xd000, 4) == fill(4, 0x20)); // its own: drained first
    CHECK_FALSE(r.ms.in_wc_buffer(0, 0xd000));
    r.store(0, 0xd040, fill(2, 0x30), memtype::wb, op_kind::nt_store);
    r.store(0, 0xd040, fill(1, 0x31)); // a younger WB store to the same bytes
    r.op(0, op_kind::sfence);
    r.op(0, op_kind::clflush, 0xd040);
    CHECK(r.ms.read_dram(0xd040, 2) == bytes{0x31, 0x30});
}

TEST_CASE("non-temporal store to cacheable memory is coherent even without fabric snoops") {
    rig r(with(false, false));
    r.start();
    r.load(1, 0xd000, 1);
    r.store(0, 0xd000, fill(1, 0x20), memtype::wb, op_kind::nt_store);
    r.op(0, op_kind::sfence);
    CHECK(r.state(1, 0xd000) == mesi::i);
    CHECK(r.load(1, 0xd000, 1) == fill(1, 0x20));
}

TEST_CASE("WT: reads allocate, a store hit updates the line and memory, a miss does not "
          "allocate") {
    rig r;
    r.start();
    r.load(0, 0xe000, 1, memtype::wt);
    CHECK(r.state(0, 0xe000) == mesi::e);
    r.store(0, 0xe000, fill(2, 0x31), memtype::wt);
    CHECK(r.state(0, 0xe000) == mesi::e);
    CHECK(r.ms.read_dram(0xe000, 2) == fill(2, 0x31));
    CHECK(r.load(0, 0xe000, 2, memtype::wt) == fill(2, 0x31));
    r.store(0, 0xf000, fill(2, 0x32), memtype::wt);
    CHECK(r.ms.copies(0xf000).empty());
    CHECK(r.ms.read_dram(0xf000, 2) == fill(2, 0x32));
}

TEST_CASE("WT store on a shared line invalidates the other copies and keeps its own") {
    rig r;
    r.start();
    r.load(0, 0xe000, 1, memtype::wt);
    r.load(1, 0xe000, 1, memtype::wt);
    r.store(0, 0xe000, fill(1, 0x41), memtype::wt);
    CHECK(r.state(0, 0xe000) == mesi::s);
    CHECK(r.state(1, 0xe000) == mesi::i);
    CHECK(r.load(1, 0xe000, 1) == fill(1, 0x41));
}

TEST_CASE("WP: reads allocate, a store goes to memory and invalidates every copy") {
    rig r;
    r.start();
    r.load(0, 0xe000, 1, memtype::wp);
    r.load(1, 0xe000, 1, memtype::wp);
    CHECK(r.state(0, 0xe000) == mesi::s);
    r.store(0, 0xe000, fill(1, 0x51), memtype::wp);
    CHECK(r.state(0, 0xe000) == mesi::i);
    CHECK(r.state(1, 0xe000) == mesi::i);
    CHECK(r.ms.read_dram(0xe000, 1) == fill(1, 0x51));
}

TEST_CASE("WP store over a dirty WB alias keeps the alias's other bytes") {
    rig r;
    r.start();
    r.store(0, 0xe000, fill(4, 0x61));
    r.store(1, 0xe001, fill(1, 0x62), memtype::wp);
    CHECK(r.ms.copies(0xe000).size() == 1); // only the (clean) LLC copy is left
    CHECK(r.ms.read_dram(0xe000, 4) == bytes{0x61, 0x62, 0x61, 0x61});
}

TEST_CASE("snooped DMA write merges a partial line with the owner's dirty data") {
    rig r;
    r.start();
    r.store(0, 0x1000, fill(8, 0x71));
    r.dma_write(0x1002, bytes{0x72, 0x72}, false);
    CHECK_FALSE(cached_anywhere(r, 0x1000));
    CHECK(r.ms.read_dram(0x1000, 8) == bytes{0x71, 0x71, 0x72, 0x72, 0x71, 0x71, 0x71, 0x71});
    CHECK(r.load(1, 0x1000, 4) == bytes{0x71, 0x71, 0x72, 0x72});
}

TEST_CASE("non-snooped DMA leaves a clean cached copy stale") {
    rig r;
    r.start();
    r.load(0, 0x1000, 1);
    r.dma_write(0x1000, fill(1, 0x99), true);
    CHECK(r.load(0, 0x1000, 1) == fill(1, 0));
    r.op(0, op_kind::clflush, 0x1000);
    CHECK(r.load(0, 0x1000, 1) == fill(1, 0x99));
}

TEST_CASE("CR0.CD=1 no-fill mode: hits use the cache, misses do not allocate") {
    rig r(with(false, false));
    r.start();
    r.store(0, 0x1000, fill(4, 0x21)); // M on p0
    CHECK(r.load(0, 0x1000, 4, memtype::uc, type_source::cd) == fill(4, 0x21));
    r.store(0, 0x1000, fill(2, 0x22), memtype::uc, op_kind::store, type_source::cd);
    CHECK(r.state(0, 0x1000) == mesi::m); // write hit on an owned line stays in the cache
    CHECK(r.ms.read_dram(0x1000, 4) == fill(4, 0));
    CHECK(r.load(0, 0x2000, 4, memtype::uc, type_source::cd) == fill(4, 0));
    CHECK(r.ms.copies(0x2000).empty()); // a read miss does not allocate
    r.load(1, 0x3000, 1);               // p1 caches a line p0 then writes with CD=1
    r.store(0, 0x3000, fill(1, 0x23), memtype::uc, op_kind::store, type_source::cd);
    CHECK(r.state(1, 0x3000) == mesi::i); // coherence kept even without fabric snoops
    CHECK(r.ms.read_dram(0x3000, 1) == fill(1, 0x23));
    CHECK_THROWS_AS(r.load(0, 0x1000, 4, memtype::wb, type_source::cd), std::invalid_argument);
}

TEST_CASE("a WC buffer drains on its own wc_drain_delay after its allocation") {
    auto c = rig::small_config(); // 1 GHz: a cycle is 1 ns
    c.wc_drain_delay = cycles{100};
    rig r(c);
    r.start();
    r.store(0, 0x2000, fill(8, 0x5a), memtype::wc);
    sc_core::sc_start(sc_core::sc_time(90, sc_core::SC_NS));
    CHECK(r.ms.in_wc_buffer(0, 0x2000));
    CHECK(r.dma_read(0x2000, 8, true) == fill(8, 0));
    sc_core::sc_start(sc_core::sc_time(20, sc_core::SC_NS));
    CHECK_FALSE(r.ms.in_wc_buffer(0, 0x2000));
    CHECK(r.ms.stats().wc_timed_drains.value() == 1);
    CHECK(r.dma_read(0x2000, 8, true) == fill(8, 0x5a));
}
