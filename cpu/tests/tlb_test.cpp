// TLB and paging-structure caches behind the MMU front door: hit and miss costs, what each
// invalidation drops (INVEPT, INVVPID by address, CR3 writes with global pages), dirty-flag
// re-walks, large-page entries, replacement, and the parameter declarations.
#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>

#include "cpu/mmu.h"
#include "cpu/tests/test_world.h"
#include "model/config.h"
#include "model/not_modelled.h"

using namespace mtsim;
using namespace mtsim::cpu;
using namespace mtsim::cpu::test;

namespace {

constexpr std::uint64_t GVA = 0x7f1234567000ULL;
constexpr std::uint64_t DATA_GPA = 0x8000000000ULL;
constexpr std::uint64_t DATA_HPA = 0x4000000000ULL;

struct rig {
    world w;
    mmu m;
    explicit rig(const char* path, const mmu_config& cfg = {}, unsigned ept_levels = 4,
                 bool ad = false)
        : w(ept_levels, ad), m(path, cfg, w.mem, w.clk) {}
    void start() {
        m.load_eptp(encode_eptp(w.ep));
        m.set_guest_regs(w.regs);
    }
    // Translates and returns the number of references and the cycles it cost.
    translation go(std::uint64_t gva, access_kind k, std::size_t* refs = nullptr,
                   std::uint64_t* cyc = nullptr) {
        const std::size_t before = w.mem.log.size();
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        const translation t = m.translate(gva, k, false, d);
        if (refs) *refs = w.mem.log.size() - before;
        if (cyc) *cyc = w.clk.to_cycles(d).n;
        return t;
    }
};

} // namespace

TEST_CASE("set_assoc: LRU victim within a set and geometry errors") {
    set_assoc<int> c;
    c.configure(4, 2, "test"); // 2 sets; even keys share set 0
    c.insert(0, 10);
    c.insert(2, 12);
    REQUIRE(c.find(0));
    c.insert(4, 14); // evicts 2, the least recently used of set 0
    CHECK(c.find(2) == nullptr);
    REQUIRE(c.find(0));
    CHECK(*c.find(0) == 10);
    REQUIRE(c.find(4));
    c.insert(1, 11); // set 1 untouched by set 0's traffic
    CHECK(c.valid_entries() == 3);
    c.erase(4);
    CHECK(c.find(4) == nullptr);
    c.clear();
    CHECK(c.valid_entries() == 0);
    CHECK_THROWS_AS(c.configure(6, 2, "test"), std::invalid_argument);
    CHECK_THROWS_AS(c.configure(4, 3, "test"), std::invalid_argument);
    c.configure(0, 1, "off");
    c.insert(1, 1);
    CHECK(c.find(1) == nullptr);
}

TEST_CASE("MMU: a miss walks and the repeat hits for the hit latency only") {
    mmu_config no_psc;
    no_psc.tlb.guest_psc_entries = 0;
    no_psc.tlb.ept_psc_entries = 0;
    rig cold("t.cold", no_psc);
    cold.w.map_page(GVA, DATA_GPA, DATA_HPA);
    cold.start();
    std::size_t refs = 0;
    std::uint64_t cyc = 0;
    REQUIRE(cold.go(GVA, access_kind::read, &refs, &cyc).ok());
    CHECK(refs == 24);
    CHECK(cyc == 1 + 24 * 10);

    rig r("t.mmu");
    r.w.map_page(GVA, DATA_GPA, DATA_HPA);
    r.start();
    const translation a = r.go(GVA | 0x123, access_kind::read, &refs, &cyc);
    REQUIRE(a.ok());
    CHECK_FALSE(a.tlb_hit);
    CHECK(a.hpa == (DATA_HPA | 0x123));
    // With the EPT PSC filling during the walk, the guest tables after the first (all in one
    // 2 MiB guest-physical region) cost one EPT reference each: 4+1, 3 x (1+1), 4 for the data.
    CHECK(refs == 15);
    CHECK(cyc == 1 + 3 * 1 + 15 * 10);
    REQUIRE(find_stat("t.mmu.walk_references"));
    CHECK(find_stat("t.mmu.walk_references")->to_json() == 15);
    CHECK(find_stat("t.mmu.walk_cycles")->to_json() == 3 + 150);
    const translation b = r.go(GVA | 0x456, access_kind::read, &refs, &cyc);
    REQUIRE(b.ok());
    CHECK(b.tlb_hit);
    CHECK(b.hpa == (DATA_HPA | 0x456));
    CHECK(b.type == memtype::wb);
    CHECK(refs == 0);
    CHECK(cyc == 1);
    CHECK(find_stat("t.mmu.tlb.hits")->to_json() == 1);
    CHECK(find_stat("t.mmu.tlb.misses")->to_json() == 1);
    CHECK(find_stat("t.mmu.walks")->to_json() == 1);
}

TEST_CASE("MMU: paging-structure caches cut a neighbouring page's walk to 3 references") {
    rig r("t.mmu");
    r.w.map_page(GVA, DATA_GPA, DATA_HPA);
    r.w.map_page(GVA + 0x1000, DATA_GPA + 0x1000, DATA_HPA + 0x1000);
    r.start();
    REQUIRE(r.go(GVA, access_kind::read).ok());
    std::size_t refs = 0;
    std::uint64_t cyc = 0;
    const translation t = r.go(GVA + 0x1000, access_kind::read, &refs, &cyc);
    REQUIRE(t.ok());
    CHECK(t.hpa == DATA_HPA + 0x1000);
    // guest PDE cached -> PT address; EPT PDE cached for the PT page and for the data page:
    // one EPT PTE, the guest PTE, one EPT PTE.
    CHECK(refs == 3);
    CHECK(cyc == 1 + 3 * 1 + 3 * 10);
    CHECK(r.m.last_walk().references() == 3);
}

TEST_CASE("MMU: a write through a clean TLB entry walks again and sets the dirty flags") {
    rig r("t.mmu", {}, 4, true);
    r.w.guest_map(GVA, DATA_GPA, 1, G_P | G_RW | G_US | G_A);
    r.w.ept_map(DATA_GPA, DATA_HPA);
    r.start();
    REQUIRE(r.go(GVA, access_kind::read).ok());
    CHECK((r.w.guest_entry(GVA, 1) & G_D) == 0);
    CHECK(r.go(GVA, access_kind::read).tlb_hit);
    const translation w1 = r.go(GVA, access_kind::write);
    REQUIRE(w1.ok());
    CHECK_FALSE(w1.tlb_hit);
    CHECK((r.w.guest_entry(GVA, 1) & G_D) != 0);
    CHECK((r.w.ept_entry(DATA_GPA, 1) & E_D) != 0);
    CHECK(r.go(GVA, access_kind::write).tlb_hit);
}

TEST_CASE("MMU: a stale TLB entry survives an EPT change until INVEPT") {
    rig r("t.mmu");
    r.w.map_page(GVA, DATA_GPA, DATA_HPA);
    r.start();
    REQUIRE(r.go(GVA, access_kind::write).ok());
    std::uint64_t& leaf = r.w.ept_entry(DATA_GPA, 1);
    leaf = (leaf & ~7ULL) | E_R | E_X; // the hypervisor write-protects the page
    const translation stale = r.go(GVA, access_kind::write);
    CHECK(stale.ok());
    CHECK(stale.tlb_hit);
    r.m.invept();
    CHECK(r.m.tlbs().valid_entries() == 0);
    CHECK(r.m.pscs().valid_guest_entries() == 0);
    CHECK(r.m.pscs().valid_ept_entries() == 0);
    std::size_t refs = 0;
    const translation t = r.go(GVA, access_kind::write, &refs);
    REQUIRE(t.outcome == walk_outcome::ept_violation);
    CHECK(refs == 15);
    CHECK(r.m.last_walk().qualification == (2 | (5 << 3) | 0x180));
    CHECK(r.m.last_walk().exit_gpa == DATA_GPA);
}

TEST_CASE("MMU: INVVPID by address drops that address only and keeps the EPT PSC") {
    rig r("t.mmu");
    r.w.map_page(GVA, DATA_GPA, DATA_HPA);
    r.w.map_page(GVA + 0x1000, DATA_GPA + 0x1000, DATA_HPA + 0x1000);
    r.start();
    REQUIRE(r.go(GVA, access_kind::read).ok());
    REQUIRE(r.go(GVA + 0x1000, access_kind::read).ok());
    const std::size_t ept_psc = r.m.pscs().valid_ept_entries();
    CHECK(ept_psc > 0);
    r.m.invvpid_address(GVA);
    CHECK(r.m.pscs().valid_guest_entries() == 0);
    CHECK(r.m.pscs().valid_ept_entries() == ept_psc);
    CHECK(r.go(GVA + 0x1000, access_kind::read).tlb_hit);
    std::size_t refs = 0;
    const translation t = r.go(GVA, access_kind::read, &refs);
    CHECK_FALSE(t.tlb_hit);
    // Guest PSC gone, EPT PSC kept: each of the 4 guest tables and the data page costs one
    // EPT PTE reference behind a cached EPT PDE, plus the 4 guest entries.
    CHECK(refs == 5 + 4);
    r.m.invvpid_context();
    CHECK(r.m.tlbs().valid_entries() == 0);
}

TEST_CASE("MMU: a CR3 write keeps global pages while CR4.PGE is set") {
    for (bool pge : {true, false}) {
        CAPTURE(pge);
        rig r(pge ? "t.pge" : "t.nopge");
        r.w.guest_map(GVA, DATA_GPA, 1, G_P | G_RW | G_A | G_D | G_G);
        r.w.ept_map(DATA_GPA, DATA_HPA);
        r.w.map_page(GVA + 0x1000, DATA_GPA + 0x1000, DATA_HPA + 0x1000);
        r.w.regs.cr4_pge = pge;
        r.start();
        REQUIRE(r.go(GVA, access_kind::read).ok());
        REQUIRE(r.go(GVA + 0x1000, access_kind::read).ok());
        r.m.write_cr3(r.w.regs.cr3);
        CHECK(r.go(GVA, access_kind::read).tlb_hit == pge);
        CHECK_FALSE(r.go(GVA + 0x1000, access_kind::read).tlb_hit);
    }
}

TEST_CASE("MMU: the TLB entry covers the smaller of the guest and EPT pages") {
    struct row {
        unsigned guest_leaf, ept_leaf;
        bool same_2m_hits;
    };
    const row rows[] = {{2, 2, true}, {2, 1, false}, {1, 2, false}, {3, 3, true}};
    int i = 0;
    for (const row& x : rows) {
        CAPTURE(x.guest_leaf);
        CAPTURE(x.ept_leaf);
        static const char* paths[] = {"t.a", "t.b", "t.c", "t.d"};
        rig r(paths[i++]);
        const std::uint64_t gva = 0x7f0000000000ULL; // 1 GiB aligned
        if (x.guest_leaf == 1) r.w.guest_map(gva + 0x5000, DATA_GPA + 0x5000, 1);
        r.w.guest_map(gva, DATA_GPA, x.guest_leaf);
        if (x.ept_leaf == 1) r.w.ept_map(DATA_GPA + 0x5000, DATA_HPA + 0x5000, 1);
        r.w.ept_map(DATA_GPA, DATA_HPA, x.ept_leaf);
        r.start();
        REQUIRE(r.go(gva, access_kind::read).ok());
        const translation t = r.go(gva + 0x5000, access_kind::read);
        REQUIRE(t.ok());
        CHECK(t.hpa == DATA_HPA + 0x5000);
        CHECK(t.tlb_hit == x.same_2m_hits);
    }
}

TEST_CASE("MMU: exits are not cached and a fixed entry translates without a flush") {
    rig r("t.mmu");
    r.w.map_page(GVA, DATA_GPA, DATA_HPA);
    const std::uint64_t pte = r.w.guest_entry(GVA, 1);
    r.w.guest_entry(GVA, 1) = 0;
    r.start();
    const translation f = r.go(GVA, access_kind::read);
    REQUIRE(f.outcome == walk_outcome::page_fault);
    CHECK(r.m.last_walk().error_code == 0);
    r.w.guest_entry(GVA, 1) = pte;
    CHECK(r.go(GVA, access_kind::read).ok());
}

TEST_CASE("MMU: TLB capacity and LRU replacement") {
    mmu_config cfg;
    cfg.tlb.entries_4k = 4;
    cfg.tlb.ways_4k = 4;
    rig r("t.mmu", cfg);
    for (std::uint64_t p = 0; p < 5; ++p)
        r.w.map_page(GVA + p * 0x1000, DATA_GPA + p * 0x1000, DATA_HPA + p * 0x1000);
    r.start();
    for (std::uint64_t p = 0; p < 4; ++p) REQUIRE(r.go(GVA + p * 0x1000, access_kind::read).ok());
    CHECK(r.go(GVA, access_kind::read).tlb_hit); // page 0 now most recent; page 1 is LRU
    REQUIRE(r.go(GVA + 4 * 0x1000, access_kind::read).ok());
    CHECK(r.go(GVA, access_kind::read).tlb_hit);
    CHECK_FALSE(r.go(GVA + 0x1000, access_kind::read).tlb_hit);
    CHECK(r.m.tlbs().valid_entries() == 4);
}

TEST_CASE("MMU: translation before an EPTP and an invalid EPTP are refused") {
    rig r("t.mmu");
    r.w.map_page(GVA, DATA_GPA, DATA_HPA);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    CHECK_THROWS_AS(r.m.translate(GVA, access_kind::read, false, d), not_modelled);
    CHECK_THROWS_AS(r.m.load_eptp(encode_eptp(r.w.ep) | 1), std::invalid_argument);
}

TEST_CASE("MMU parameters: every TLB and walker parameter is declared with a unit") {
    const std::vector<param_info> ps = list_params<mmu_config>();
    const auto has = [&ps](const char* path) {
        return std::any_of(ps.begin(), ps.end(),
                           [path](const param_info& p) { return p.path == path; });
    };
    CHECK(has("walk.ept.maxphyaddr"));
    CHECK(has("walk.ept.execute_only"));
    CHECK(has("walk.ept.pages_1g"));
    CHECK(has("walk.ept.walk_5level"));
    CHECK(has("walk.guest.maxphyaddr"));
    CHECK(has("walk.ad_guest_tables_are_writes"));
    CHECK(has("walk.mbec"));
    CHECK(has("tlb.entries_4k"));
    CHECK(has("tlb.ways_1g"));
    CHECK(has("tlb.ept_psc_entries"));
    CHECK(has("tlb.hit_latency"));
    CHECK(ps.size() == 9 + 12);
    mmu_config c;
    apply_set("tlb.entries_4k=128", c);
    CHECK(c.tlb.entries_4k == 128);
}
