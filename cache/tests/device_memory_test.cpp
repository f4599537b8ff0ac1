// Device memory in the memory system: a cacheable (WB/WT/WP) CPU access to a range the
// platform decodes as device memory calls the machine-check hook with the access's type and
// its source; UC and WC accesses, accesses outside the ranges and DMA do not. The hangs a WB
// poll produces rest on the path rows below: a line cached E keeps serving loads while a
// non-snooped DMA write changes DRAM, and an uncached (WC) load reads DRAM each time.
#include <doctest/doctest.h>

#include <vector>

#include "cache/tests/rig.h"

using namespace mtsim;
using namespace mtsim::test;

namespace {

struct mc_event {
    std::uint64_t addr;
    unsigned len;
    memtype type;
    type_source source;
    op_kind op;
    unsigned pcpu;
};

constexpr std::uint64_t vga = 0xa0000, vga_bytes = 0x20000;

std::vector<mc_event>& watch(rig& r) {
    static std::vector<mc_event> events;
    events.clear();
    r.ms.set_device_memory({{vga, vga_bytes}},
                           [](const access_ext& e, std::uint64_t a, unsigned n) {
                               events.push_back({a, n, e.type, e.source, e.op, e.who.pcpu});
                           });
    return events;
}

} // namespace

TEST_CASE("a WB load of the legacy VGA window is a machine check with its type and source") {
    rig r;
    auto& mc = watch(r);
    r.start();
    r.load(1, vga + 0x40, 8, memtype::wb, type_source::range);
    REQUIRE(mc.size() == 1);
    CHECK(mc[0].addr == vga + 0x40);
    CHECK(mc[0].len == 8);
    CHECK(mc[0].type == memtype::wb);
    CHECK(mc[0].source == type_source::range);
    CHECK(mc[0].op == op_kind::load);
    CHECK(mc[0].pcpu == 1);
}

TEST_CASE("WT and WP stores to device memory are machine checks but UC and WC ones are not") {
    rig r;
    auto& mc = watch(r);
    r.start();
    r.store(0, vga, fill(8, 1), memtype::uc, op_kind::store, type_source::page);
    r.store(0, vga + 0x100, fill(8, 2), memtype::wc);
    r.op(0, op_kind::sfence);
    r.load(0, vga, 8, memtype::uc, type_source::page);
    CHECK(mc.empty());
    r.store(0, vga + 0x200, fill(8, 3), memtype::wt);
    r.store(0, vga + 0x300, fill(8, 4), memtype::wp);
    REQUIRE(mc.size() == 2);
    CHECK(mc[0].type == memtype::wt);
    CHECK(mc[1].type == memtype::wp);
    CHECK(mc[1].op == op_kind::store);
}

TEST_CASE("cacheable accesses outside the device ranges and DMA into them are no machine check") {
    rig r;
    auto& mc = watch(r);
    r.start();
    r.load(0, vga - 64, 64);        // the line below the window
    r.load(0, vga + vga_bytes, 64); // the line above it
    r.dma_write(vga, fill(64, 9), true);
    CHECK(mc.empty());
    r.load(0, vga - 8, 16); // straddles the window's start
    CHECK(mc.size() == 1);
}

TEST_CASE("a WB line cached E keeps serving loads while a non-snooped DMA write changes DRAM") {
    rig r;
    r.start();
    CHECK(r.load(0, 0x2000, 4) == fill(4, 0));
    CHECK(r.state(0, 0x2000) == mesi::e);
    r.dma_write(0x2000, fill(4, 1), true);
    CHECK(r.load(0, 0x2000, 4) == fill(4, 0)); // the poller's own cache: never the new value
    CHECK(r.ms.read_dram(0x2000, 4) == fill(4, 1));
    CHECK(r.load(0, 0x2000, 4, memtype::wc) == fill(4, 1)); // an uncached load reads DRAM
}
