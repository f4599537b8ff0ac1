// Two sockets (memory_system_config::sockets): each socket's own LLC, a line cached in one
// socket at a time, the inter-socket link's latency, and WBINVD's reach as the platform's
// CPUID.4:EDX[0] per level (cache_level_config::wbinvd_sharers), never across sockets.
#include <doctest/doctest.h>

#include "cache/tests/rig.h"

using namespace mtsim;
using namespace mtsim::test;

namespace {

// Four pCPUs on two sockets: pCPUs 0 and 1 on socket 0, 2 and 3 on socket 1.
memory_system_config two_sockets(bool inclusive, bool sharers = true) {
    auto c = rig::small_config();
    c.pcpus = 4;
    c.sockets = 2;
    c.socket_link_latency = cycles{120};
    c.llc_inclusive = inclusive;
    c.llc.wbinvd_sharers = sharers;
    return c;
}

unsigned llc_socket(const rig& r, std::uint64_t a) {
    for (const line_view& v : r.ms.copies(a))
        if (v.level == cache_level::llc) return v.socket;
    return ~0u;
}

bool in_any_llc(const rig& r, std::uint64_t a) {
    for (const line_view& v : r.ms.copies(a))
        if (v.level == cache_level::llc) return true;
    return false;
}

} // namespace

TEST_CASE("a line lives in the LLC of the socket whose pCPU missed on it") {
    rig r(two_sockets(true));
    r.start();
    r.load(0, 0x1000, 4);
    CHECK(llc_socket(r, 0x1000) == 0);
    r.load(2, 0x2000, 4);
    CHECK(llc_socket(r, 0x2000) == 1);
}

TEST_CASE("a load from the other socket takes the dirty line over the link and pays its latency") {
    rig r(two_sockets(true));
    r.start();
    r.store(0, 0x1000, fill(4, 0x5a));
    std::uint64_t remote = 0;
    CHECK(r.load(2, 0x1000, 4, memtype::wb, type_source::fixed, &remote) == fill(4, 0x5a));
    CHECK(r.state(0, 0x1000) == mesi::i); // snoop-invalidated on socket 0
    CHECK(llc_socket(r, 0x1000) == 1);
    CHECK(r.ms.stats().cross_socket_transfers.value() == 1);
    // A cache-to-cache transfer: DRAM still holds the old bytes, the moved LLC line is dirty.
    CHECK(r.ms.read_dram(0x1000, 4) == fill(4, 0x00));
    // L1D 4 + L2 10 + socket 1's LLC 20 (its port was free) + the link 120 (the snoop and
    // the transfer), and no DRAM read (100).
    CHECK(remote == 4 + 10 + 20 + 120);
}

TEST_CASE("a store on one socket leaves no copy on the other") {
    rig r(two_sockets(false));
    r.start();
    r.load(0, 0x1000, 4);
    r.load(1, 0x1000, 4);
    r.store(3, 0x1000, fill(4, 0x77));
    CHECK(r.state(0, 0x1000) == mesi::i);
    CHECK(r.state(1, 0x1000) == mesi::i);
    CHECK(r.state(3, 0x1000) == mesi::m);
    CHECK(llc_socket(r, 0x1000) == 1);
    CHECK(r.ms.read_coherent(0x1000, 4) == fill(4, 0x77));
    CHECK(r.dma_read(0x1000, 4, false) == fill(4, 0x77)); // snooped: the newest bytes
}

TEST_CASE("a dirty line in socket 0's LLC is invisible to a non-snooped read until written back") {
    rig r(two_sockets(false));
    r.start();
    r.store(0, 0x1000, fill(4, 0x33));
    r.op(0, op_kind::wbnoinvd); // DRAM holds 0x33; the line stays valid and clean
    CHECK(r.ms.read_dram(0x1000, 4) == fill(4, 0x33));
    r.store(0, 0x1000, fill(4, 0x44));
    // Evict the L2 line of pCPU 0 (4 sets x 2 ways: two more lines of its set) so that
    // the dirty bytes sit in socket 0's LLC only.
    r.store(0, 0x1000 + 256, fill(4, 1));
    r.store(0, 0x1000 + 512, fill(4, 2));
    REQUIRE(r.state(0, 0x1000) == mesi::i);
    bool dirty_llc = false;
    for (const line_view& v : r.ms.copies(0x1000))
        dirty_llc = dirty_llc || (v.level == cache_level::llc && v.socket == 0 && v.dirty);
    REQUIRE(dirty_llc);
    CHECK(r.dma_read(0x1000, 4, true) == fill(4, 0x33)); // non-snooped: DRAM's old bytes
    r.op(2, op_kind::wbinvd);                            // socket 1: does not reach it
    CHECK(r.dma_read(0x1000, 4, true) == fill(4, 0x33));
    r.op(1, op_kind::wbinvd); // socket 0's LLC walk writes it back
    CHECK(r.dma_read(0x1000, 4, true) == fill(4, 0x44));
}

// WBINVD's reach is the platform's fact per level, the same with or without inclusion.
TEST_CASE("WBINVD on socket 1 leaves socket 0's private dirty lines with an inclusive LLC") {
    rig r(two_sockets(true));
    r.start();
    r.store(0, 0x1000, fill(4, 0xa0));
    r.store(3, 0x2000, fill(4, 0xb0));
    r.op(2, op_kind::wbinvd);
    CHECK(r.state(0, 0x1000) == mesi::m);
    CHECK(r.ms.read_dram(0x1000, 4) == fill(4, 0x00));
    CHECK(r.dma_read(0x1000, 4, true) == fill(4, 0x00));
    // The sharer on socket 1 was reached (inclusive: back-invalidation).
    CHECK(r.state(3, 0x2000) == mesi::i);
    CHECK(r.ms.read_dram(0x2000, 4) == fill(4, 0xb0));
}

TEST_CASE("WBINVD on socket 1 leaves socket 0's private dirty lines with a non-inclusive LLC") {
    rig r(two_sockets(false, true));
    r.start();
    r.store(0, 0x1000, fill(4, 0xa0));
    r.store(3, 0x2000, fill(4, 0xb0));
    r.op(2, op_kind::wbinvd);
    CHECK(r.state(0, 0x1000) == mesi::m);
    CHECK(r.ms.read_dram(0x1000, 4) == fill(4, 0x00));
    // llc.wbinvd_sharers (CPUID.4:EDX[0]=0): pCPU 3 shares the LLC, its caches are walked.
    CHECK(r.state(3, 0x2000) == mesi::i);
    CHECK(r.ms.read_dram(0x2000, 4) == fill(4, 0xb0));
}

TEST_CASE("WBINVD with CPUID.4:EDX[0]=1 on a non-inclusive LLC leaves its sharers' lines") {
    rig r(two_sockets(false, false));
    r.start();
    r.store(3, 0x2000, fill(4, 0xb0));
    r.op(2, op_kind::wbinvd);
    CHECK(r.state(3, 0x2000) == mesi::m);
    CHECK(r.ms.read_dram(0x2000, 4) == fill(4, 0x00));
    CHECK(in_any_llc(r, 0x2000) == false);
}

TEST_CASE("WBINVD on each socket of the dirty mask makes DRAM current") {
    rig r(two_sockets(true));
    r.start();
    r.store(0, 0x1000, fill(64, 0xc1));
    r.store(2, 0x2000, fill(64, 0xc2));
    r.op(0, op_kind::wbinvd);
    r.op(2, op_kind::wbinvd);
    CHECK(r.dma_read(0x1000, 64, true) == fill(64, 0xc1));
    CHECK(r.dma_read(0x2000, 64, true) == fill(64, 0xc2));
    CHECK(r.ms.copies(0x1000).empty());
    CHECK(r.ms.copies(0x2000).empty());
}

TEST_CASE("an inclusive LLC that WBINVD does not reach its sharers with is refused") {
    auto c = two_sockets(true, false);
    CHECK_THROWS_WITH_AS(validate(c), doctest::Contains("llc.wbinvd_sharers"),
                         std::invalid_argument);
    c = two_sockets(true);
    c.pcpus = 3;
    CHECK_THROWS_WITH_AS(validate(c), doctest::Contains("sockets"), std::invalid_argument);
}
