// Table-driven timing: (issue time, pCPU, op, address, type) -> expected completion, on the
// rig's small configuration: L1D 4, L2 10, LLC 20 (+1-cycle port occupancy), snoop 30,
// memory 100 cycles, walk 1 cycle per frame (L1D 4 + L2 8 + LLC 16 frames = 28).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cache/tests/rig.h"

using namespace mtsim;
using namespace mtsim::test;

namespace {

enum class what {
    load,
    store,
    uc_load,
    wc_store,
    wt_store,
    fence,
    clflush,
    wbinvd,
    ns_dma_rd,
    dma_rd
};

struct row {
    std::uint64_t issue;
    unsigned pcpu;
    what op;
    std::uint64_t addr;
    std::uint64_t expected;
    const char* why;
};

std::uint64_t run(rig& r, const row& x) {
    std::uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const auto rd = tlm::TLM_READ_COMMAND;
    const auto wr = tlm::TLM_WRITE_COMMAND;
    const auto ig = tlm::TLM_IGNORE_COMMAND;
    const auto f = type_source::fixed;
    switch (x.op) {
    case what::load:
        return r.access(x.pcpu, rd, op_kind::load, memtype::wb, x.addr, buf, 8, f, x.issue);
    case what::store:
        return r.access(x.pcpu, wr, op_kind::store, memtype::wb, x.addr, buf, 8, f, x.issue);
    case what::uc_load:
        return r.access(x.pcpu, rd, op_kind::load, memtype::uc, x.addr, buf, 8, f, x.issue);
    case what::wc_store:
        return r.access(x.pcpu, wr, op_kind::store, memtype::wc, x.addr, buf, 8, f, x.issue);
    case what::wt_store:
        return r.access(x.pcpu, wr, op_kind::store, memtype::wt, x.addr, buf, 8, f, x.issue);
    case what::fence:
        return r.access(x.pcpu, ig, op_kind::sfence, memtype::wb, 0, nullptr, 0, f, x.issue);
    case what::clflush:
        return r.access(x.pcpu, ig, op_kind::clflush, memtype::wb, x.addr, nullptr, 0, f, x.issue);
    case what::wbinvd:
        return r.access(x.pcpu, ig, op_kind::wbinvd, memtype::wb, 0, nullptr, 0, f, x.issue);
    case what::ns_dma_rd:
    case what::dma_rd: {
        bytes b(64);
        access_ext ext;
        ext.no_snoop = x.op == what::ns_dma_rd;
        tlm::tlm_generic_payload gp;
        gp.set_command(rd);
        gp.set_address(x.addr);
        gp.set_data_ptr(b.data());
        gp.set_data_length(64);
        gp.set_streaming_width(64);
        ext_guard guard(gp, ext);
        sc_core::sc_time d = r.ms.clk().to_time(cycles{x.issue});
        r.dev->b_transport(gp, d);
        return r.ms.clk().to_cycles(d).n;
    }
    }
    return 0;
}

} // namespace

TEST_CASE("timing: hits, misses, snoops, contention, uncached, flushes and WBINVD") {
    rig r;
    r.start();
    const std::vector<row> rows{
        {0, 0, what::load, 0x000, 134, "cold miss: L1D+L2+LLC+memory"},
        {200, 0, what::load, 0x008, 204, "L1D hit"},
        {300, 0, what::store, 0x000, 304, "store hit on E: L1D only"},
        {400, 1, what::load, 0x000, 464, "miss, LLC hit, owner p0 snooped (M->S)"},
        {500, 0, what::store, 0x010, 554, "upgrade S->M: L1D+LLC+snoop of p1"},
        {600, 1, what::load, 0x040, 734, "cold miss"},
        {800, 0, what::load, 0x040, 864, "LLC hit, p1 snooped (E->S)"},
        {1000, 0, what::load, 0x080, 1134, "cold miss, takes the LLC port at 1014"},
        {1000, 1, what::load, 0x0c0, 1135, "cold miss, waits 1 cycle for the LLC port"},
        {1200, 0, what::load, 0x100, 1334, "cold miss, pushes line 0 out of the L1D"},
        {1400, 0, what::load, 0x000, 1414, "L2 hit: L1D+L2"},
        {2000, 0, what::wbinvd, 0, 2128, "walk 28 frames + 1 dirty line written back"},
        {2200, 0, what::load, 0x000, 2334, "after WBINVD: a cold miss again"},
        {3000, 0, what::uc_load, 0x200, 3120, "UC: LLC/fabric + memory, no snoop"},
        {3200, 0, what::wc_store, 0x240, 3201, "WC store combines in a buffer"},
        {3300, 0, what::fence, 0, 3420, "SFENCE drains one buffer: fabric + memory"},
        {3500, 0, what::store, 0x300, 3634, "store miss"},
        {3700, 0, what::clflush, 0x300, 3854, "CLFLUSH of M: L1D+LLC+snoop+write-back"},
        {3900, 0, what::wt_store, 0x000, 4024, "WT store hit on E: L1D+LLC+memory write"},
        {4100, 0, what::ns_dma_rd, 0x000, 4200, "non-snooped DMA: memory only"},
        {4300, 0, what::dma_rd, 0x400, 4420, "snooped DMA, nobody holds it: LLC+memory"},
        {4500, 0, what::dma_rd, 0x000, 4550, "snooped DMA, p0 holds it E: LLC+snoop"},
    };
    for (const row& x : rows) {
        CAPTURE(x.why);
        CAPTURE(x.issue);
        CHECK(run(r, x) == x.expected);
    }
}

TEST_CASE("timing: a WBINVD costs the walk plus one memory write per dirty line") {
    rig r;
    r.start();
    // Four dirty lines on p0 (distinct L2/LLC sets), one dirty line on p1 (untouched by p0's
    // WBINVD in the private walk; in the LLC walk it is back-invalidated, inclusive LLC).
    for (std::uint64_t a : {0x000, 0x040, 0x080, 0x0c0}) r.store(0, a, fill(8, 1));
    r.store(1, 0x140, fill(8, 2));
    const std::uint64_t walk = 4 + 8 + 16;
    CHECK(r.op(0, op_kind::wbinvd) == walk + 5 * 100);
    CHECK(r.ms.stats().wbinvd_writebacks.value() == 5);
    CHECK(r.op(0, op_kind::wbinvd) == walk);
}
