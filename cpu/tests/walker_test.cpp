// The 2-D walker against tables laid out by the test fixture: reference counts, the EPT
// permission matrix at every level for the final translation and for guest paging-structure
// accesses, misconfigurations met during a walk, EPT and guest A/D updates, guest #PF error
// codes, and the memory types of the walk's references and of the final access.
#include <doctest/doctest.h>

#include <string>

#include "cpu/tests/test_world.h"
#include "cpu/walker.h"
#include "model/ept_memtype.h"
#include "model/not_modelled.h"

using namespace mtsim;
using namespace mtsim::cpu;
using namespace mtsim::cpu::test;

namespace {

constexpr std::uint64_t GVA = 0x7f1234567abcULL;
constexpr std::uint64_t DATA_GPA = 0x8000000000ULL; // EPT PML4 index 1: apart from the tables
constexpr std::uint64_t DATA_HPA = 0x4000000000ULL;

walk_result run(world& w, std::uint64_t gva, access_kind k, bool user = false,
                walker_config cfg = {}) {
    walker wk(cfg, w.mem, w.clk);
    walk_result r;
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    wk.walk(w.regs, w.ep, gva, k, user, {}, r, d);
    CHECK(w.clk.to_cycles(d) == r.cost);
    return r;
}

constexpr access_kind kinds[] = {access_kind::read, access_kind::write, access_kind::fetch};

unsigned kind_bit(access_kind k) {
    return k == access_kind::read ? 1 : k == access_kind::write ? 2 : 4;
}

} // namespace

TEST_CASE("2-D walk: 24 references for a 4K page with 4-level guest and 4-level EPT") {
    world w;
    w.map_page(GVA, DATA_GPA, DATA_HPA);
    const walk_result r = run(w, GVA, access_kind::read);
    REQUIRE(r.outcome == walk_outcome::translated);
    CHECK(r.gpa == (DATA_GPA | (GVA & 0xfff)));
    CHECK(r.hpa == (DATA_HPA | (GVA & 0xfff)));
    CHECK(r.reads == 24);
    CHECK(r.writes == 0);
    CHECK(r.references() == 24);
    CHECK(w.mem.log.size() == 24);
    CHECK(r.cost == cycles{240});
    REQUIRE(r.steps.size() == 24);
    // Four times: 4 EPT references then the guest entry; then 4 for the final address.
    for (unsigned g = 0; g < 4; ++g) {
        for (unsigned e = 0; e < 4; ++e) {
            const walk_step& s = r.steps[5 * g + e];
            CHECK(s.stage == walk_stage::ept);
            CHECK(s.level == 4 - e);
            CHECK(s.for_guest_level == 4 - g);
            CHECK(s.guest_address == w.guest_entry_gpa(GVA, 4 - g));
        }
        const walk_step& s = r.steps[5 * g + 4];
        CHECK(s.stage == walk_stage::guest);
        CHECK(s.level == 4 - g);
        CHECK(s.address == w.guest_entry_hpa(GVA, 4 - g));
        CHECK(s.value == w.mem.word(s.address));
    }
    for (unsigned e = 0; e < 4; ++e) {
        CHECK(r.steps[20 + e].stage == walk_stage::ept);
        CHECK(r.steps[20 + e].for_guest_level == 0);
        CHECK(r.steps[20 + e].guest_address == r.gpa);
    }
    CHECK(r.steps[23].address == w.ept_entry_hpa(r.gpa, 1));
    for (const logged_ref& ref : w.mem.log) CHECK(ref.page_walk);
}

TEST_CASE("2-D walk: guest 2M and 1G pages and EPT 2M and 1G leaves take fewer references") {
    struct row {
        unsigned guest_leaf, ept_leaf, refs;
    };
    // (4 - guest_leaf + 1) guest entries, each behind a 4-level EPT walk, plus the final EPT
    // walk down to its leaf.
    const row rows[] = {{1, 1, 24}, {2, 1, 19}, {3, 1, 14}, {1, 2, 23}, {1, 3, 22}, {3, 3, 12}};
    for (const row& x : rows) {
        CAPTURE(x.guest_leaf);
        CAPTURE(x.ept_leaf);
        world w;
        const std::uint64_t gmask = (1ULL << shift_of(x.guest_leaf)) - 1;
        w.guest_map(GVA, DATA_GPA, x.guest_leaf);
        w.ept_map(DATA_GPA | (GVA & gmask), DATA_HPA | (GVA & gmask), x.ept_leaf);
        const walk_result r = run(w, GVA, access_kind::read);
        REQUIRE(r.outcome == walk_outcome::translated);
        CHECK(r.references() == x.refs);
        CHECK(r.gpa == (DATA_GPA | (GVA & gmask)));
        CHECK(r.hpa == (DATA_HPA | (GVA & gmask)));
        CHECK(r.guest_leaf_level == x.guest_leaf);
        CHECK(r.ept_leaf_level == x.ept_leaf);
    }
}

TEST_CASE("2-D walk: 5-level EPT takes 29 references") {
    world w(5);
    w.map_page(GVA, DATA_GPA, DATA_HPA);
    const walk_result r = run(w, GVA, access_kind::read);
    REQUIRE(r.outcome == walk_outcome::translated);
    CHECK(r.reads == 4 * 6 + 5);
    CHECK(r.hpa == (DATA_HPA | (GVA & 0xfff)));
    CHECK(r.steps[0].level == 5);
}

TEST_CASE("EPT permission matrix: every RWX at every level of the final translation") {
    int cases = 0;
    for (unsigned leaf = 1; leaf <= 3; ++leaf)
        for (unsigned level = leaf; level <= 4; ++level)
            for (unsigned rwx = 0; rwx < 8; ++rwx)
                for (bool xo : {false, true})
                    for (access_kind k : kinds) {
                        CAPTURE(leaf);
                        CAPTURE(level);
                        CAPTURE(rwx);
                        CAPTURE(xo);
                        CAPTURE(to_string(k));
                        world w;
                        w.guest_map(GVA, DATA_GPA);
                        w.ept_map(DATA_GPA, DATA_HPA, leaf);
                        std::uint64_t& e = w.ept_entry(DATA_GPA, level);
                        e = (e & ~7ULL) | rwx;
                        walker_config cfg;
                        cfg.ept.execute_only = xo;
                        const walk_result r = run(w, GVA, k, false, cfg);
                        const bool rd = rwx & 1, wr = rwx & 2;
                        ++cases;
                        if (rwx == 0) {
                            REQUIRE(r.outcome == walk_outcome::ept_violation);
                            CHECK(r.qualification == (kind_bit(k) | 0x180));
                            CHECK(r.exit_gpa == (DATA_GPA | (GVA & 0xfff)));
                            CHECK(r.exit_level == level);
                        } else if (wr && !rd) {
                            REQUIRE(r.outcome == walk_outcome::ept_misconfig);
                            CHECK(r.misconfig == ept_misconfig::write_without_read);
                            CHECK(r.exit_level == level);
                        } else if (rwx == 4 && !xo) {
                            REQUIRE(r.outcome == walk_outcome::ept_misconfig);
                            CHECK(r.misconfig == ept_misconfig::execute_only);
                        } else if (rwx & kind_bit(k)) {
                            REQUIRE(r.outcome == walk_outcome::translated);
                            CHECK(r.ept_rwx == rwx);
                        } else {
                            REQUIRE(r.outcome == walk_outcome::ept_violation);
                            CHECK(r.qualification == (kind_bit(k) | (rwx << 3) | 0x180));
                            CHECK(r.exit_gpa == (DATA_GPA | (GVA & 0xfff)));
                        }
                    }
    CHECK(cases == 9 * 8 * 2 * 3);
}

TEST_CASE("EPT permission matrix: every RWX on the path of each guest paging structure") {
    for (bool ad : {false, true})
        for (unsigned glevel = 1; glevel <= 4; ++glevel)
            for (unsigned elevel = 1; elevel <= 4; ++elevel)
                for (unsigned rwx = 0; rwx < 8; ++rwx) {
                    CAPTURE(ad);
                    CAPTURE(glevel);
                    CAPTURE(elevel);
                    CAPTURE(rwx);
                    world w(4, ad);
                    w.map_page(GVA, DATA_GPA, DATA_HPA);
                    // The EPT path of guest table `glevel`. Upper EPT levels are shared by all
                    // guest tables, so there the first guest access (the PML4E) meets them.
                    const std::uint64_t table_gpa = w.guest_entry_gpa(GVA, glevel);
                    std::uint64_t& e = w.ept_entry(table_gpa, elevel);
                    e = (e & ~7ULL) | rwx;
                    const std::uint64_t first_gpa =
                        elevel == 1 ? table_gpa : w.guest_entry_gpa(GVA, 4);
                    const walk_result r = run(w, GVA, access_kind::read);
                    const unsigned need = ad ? 3 : 1; // with EPT A/D: treated as writes
                    if (rwx == 0) {
                        REQUIRE(r.outcome == walk_outcome::ept_violation);
                        CHECK(r.qualification == (need | 0x80));
                        CHECK(r.exit_gpa == first_gpa);
                    } else if ((rwx & 3) == 2) {
                        REQUIRE(r.outcome == walk_outcome::ept_misconfig);
                        CHECK(r.exit_gpa == first_gpa);
                    } else if ((rwx & need) == need) {
                        CHECK(r.outcome == walk_outcome::translated);
                    } else {
                        REQUIRE(r.outcome == walk_outcome::ept_violation);
                        // bit 7 set (linear address valid), bit 8 clear (not the final access)
                        CHECK(r.qualification == (need | (rwx << 3) | 0x80));
                        CHECK(r.exit_gpa == first_gpa);
                    }
                }
}

TEST_CASE("EPT misconfiguration during a walk: reserved bits PS memtype and misaligned leaf") {
    SUBCASE("reserved bits 6 to 3 of every non-leaf entry") {
        for (unsigned level = 2; level <= 4; ++level)
            for (unsigned b = 3; b <= 6; ++b) {
                world w;
                w.map_page(GVA, DATA_GPA, DATA_HPA);
                w.ept_entry(DATA_GPA, level) |= 1ULL << b;
                const walk_result r = run(w, GVA, access_kind::read);
                REQUIRE(r.outcome == walk_outcome::ept_misconfig);
                CHECK(r.misconfig == ept_misconfig::non_leaf_reserved);
                CHECK(r.exit_level == level);
                CHECK(r.exit_gpa == (DATA_GPA | (GVA & 0xfff)));
            }
    }
    SUBCASE("PS in the PML4E") {
        world w;
        w.map_page(GVA, DATA_GPA, DATA_HPA);
        w.ept_entry(DATA_GPA, 4) |= E_PS;
        const walk_result r = run(w, GVA, access_kind::read);
        REQUIRE(r.outcome == walk_outcome::ept_misconfig);
        CHECK(r.misconfig == ept_misconfig::ps_in_top_level);
    }
    SUBCASE("leaf memory types 2 3 7 even where permissions would deny") {
        for (unsigned mt : {2u, 3u, 7u}) {
            world w;
            w.map_page(GVA, DATA_GPA, DATA_HPA);
            std::uint64_t& leaf = w.ept_entry(DATA_GPA, 1);
            leaf = (leaf & ~(7ULL << 3)) | (mt << 3);
            std::uint64_t& top = w.ept_entry(DATA_GPA, 4);
            top = (top & ~7ULL) | E_R; // a write would be a violation without the misconfig
            const walk_result r = run(w, GVA, access_kind::write);
            REQUIRE(r.outcome == walk_outcome::ept_misconfig);
            CHECK(r.misconfig == ept_misconfig::leaf_memtype);
            CHECK(r.exit_level == 1);
        }
    }
    SUBCASE("2M leaf with address bit 12 set") {
        world w;
        w.guest_map(GVA, DATA_GPA);
        w.ept_map(DATA_GPA, DATA_HPA, 2);
        w.ept_entry(DATA_GPA, 2) |= 1ULL << 12;
        const walk_result r = run(w, GVA, access_kind::read);
        REQUIRE(r.outcome == walk_outcome::ept_misconfig);
        CHECK(r.misconfig == ept_misconfig::large_leaf_address_bits);
    }
    SUBCASE("1G leaf without 1G support") {
        world w;
        w.guest_map(GVA, DATA_GPA);
        w.ept_map(DATA_GPA, DATA_HPA, 3);
        walker_config cfg;
        cfg.ept.pages_1g = false;
        const walk_result r = run(w, GVA, access_kind::read, false, cfg);
        REQUIRE(r.outcome == walk_outcome::ept_misconfig);
        CHECK(r.misconfig == ept_misconfig::ps_1g_unsupported);
        CHECK(describe_exit(r).find("exit reason 49") != std::string::npos);
    }
}

TEST_CASE("EPT A/D flags: A on every entry used and D on the final write only") {
    world w(4, true);
    w.map_page(GVA, DATA_GPA, DATA_HPA);
    const walk_result r = run(w, GVA, access_kind::read);
    REQUIRE(r.outcome == walk_outcome::translated);
    // Guest tables 0x200000..0x203000 share the EPT PML4E, PDPTE, PDE: the first translation
    // sets A on 4 entries (its leaf with D: guest table accesses are writes), the next three
    // only their leaves; the data path sets A on its 4 entries.
    CHECK(r.reads == 24);
    CHECK(r.writes == 4 + 3 + 4);
    for (unsigned l = 1; l <= 4; ++l) {
        CAPTURE(l);
        CHECK((w.ept_entry(DATA_GPA, l) & E_A) != 0);
        for (unsigned g = 1; g <= 4; ++g)
            CHECK((w.ept_entry(w.guest_entry_gpa(GVA, g), l) & E_A) != 0);
    }
    CHECK((w.ept_entry(DATA_GPA, 1) & E_D) == 0);
    for (unsigned g = 1; g <= 4; ++g) CHECK((w.ept_entry(w.guest_entry_gpa(GVA, g), 1) & E_D) != 0);
    CHECK_FALSE(r.dirty);

    const walk_result r2 = run(w, GVA, access_kind::write);
    REQUIRE(r2.outcome == walk_outcome::translated);
    CHECK(r2.writes == 1);
    CHECK((w.ept_entry(DATA_GPA, 1) & E_D) != 0);
    CHECK(r2.dirty);
    const walk_step& last = r2.steps.back();
    CHECK(last.write);
    CHECK(last.address == w.ept_entry_hpa(DATA_GPA, 1));

    // Without A/D enabled in EPTP nothing is written.
    world plain;
    plain.map_page(GVA, DATA_GPA, DATA_HPA);
    CHECK(run(plain, GVA, access_kind::write).writes == 0);
    CHECK((plain.ept_entry(DATA_GPA, 1) & (E_A | E_D)) == 0);
}

TEST_CASE("EPT A/D with guest table accesses as reads when the parameter is off") {
    world w(4, true);
    w.map_page(GVA, DATA_GPA, DATA_HPA);
    std::uint64_t& pt = w.ept_entry(w.guest_entry_gpa(GVA, 1), 1);
    pt = (pt & ~7ULL) | E_R;
    walker_config cfg;
    cfg.ad_guest_tables_are_writes = false;
    const walk_result r = run(w, GVA, access_kind::read, false, cfg);
    CHECK(r.outcome == walk_outcome::translated);
    CHECK((pt & E_D) == 0);
    const walk_result r2 = run(w, GVA, access_kind::read);
    REQUIRE(r2.outcome == walk_outcome::ept_violation);
    CHECK(r2.qualification == (3 | (1 << 3) | 0x80));
}

TEST_CASE("guest A/D updates are writes that need EPT write permission") {
    world w;
    w.guest_map(GVA, DATA_GPA, 1, G_P | G_RW | G_US);
    w.ept_map(DATA_GPA, DATA_HPA);
    const walk_result r = run(w, GVA, access_kind::write);
    REQUIRE(r.outcome == walk_outcome::translated);
    CHECK(r.writes == 1);
    CHECK((w.guest_entry(GVA, 1) & (G_A | G_D)) == (G_A | G_D));
    CHECK(r.dirty);
    const walk_step& upd = r.steps[20];
    CHECK(upd.stage == walk_stage::guest);
    CHECK(upd.write);
    CHECK(upd.address == w.guest_entry_hpa(GVA, 1));

    // The A update is a locked read-modify-write: an EPT violation on it reports read and
    // write (kvm-unit-tests ept_access_test_paddr_read_only_ad_disabled: 0x8B read-only,
    // 0xAB read-execute EPT on the guest page-table page).
    for (const auto& [rights, qual] : {std::pair{E_R, 0x8Bu}, std::pair{E_R | E_X, 0xABu}}) {
        CAPTURE(rights);
        world ro;
        ro.guest_map(GVA, DATA_GPA, 1, G_P | G_RW | G_US);
        ro.ept_map(DATA_GPA, DATA_HPA);
        const std::uint64_t pt_gpa = ro.guest_entry_gpa(GVA, 1);
        std::uint64_t& pt = ro.ept_entry(pt_gpa, 1);
        pt = (pt & ~7ULL) | rights;
        const walk_result v = run(ro, GVA, access_kind::read);
        REQUIRE(v.outcome == walk_outcome::ept_violation);
        CHECK(v.qualification == qual);
        CHECK(v.exit_gpa == pt_gpa);
        CHECK((ro.guest_entry(GVA, 1) & G_A) == 0);
    }
}

TEST_CASE("guest page faults carry the SDM error code") {
    SUBCASE("not present") {
        world w;
        w.map_page(GVA, DATA_GPA, DATA_HPA);
        w.guest_entry(GVA, 1) = 0;
        const walk_result r = run(w, GVA, access_kind::read);
        REQUIRE(r.outcome == walk_outcome::page_fault);
        CHECK(r.error_code == 0);
        CHECK(r.exit_level == 1);
        CHECK(run(w, GVA, access_kind::fetch, true).error_code == 0x14);
    }
    SUBCASE("user write to a read-only page") {
        world w;
        w.guest_map(GVA, DATA_GPA, 1, G_P | G_US | G_A | G_D);
        w.ept_map(DATA_GPA, DATA_HPA);
        CHECK(run(w, GVA, access_kind::write, true).error_code == 0x7);
        CHECK(run(w, GVA, access_kind::read, true).outcome == walk_outcome::translated);
        // CR0.WP = 0 lets the supervisor write.
        w.regs.cr0_wp = false;
        CHECK(run(w, GVA, access_kind::write, false).outcome == walk_outcome::translated);
        w.regs.cr0_wp = true;
        CHECK(run(w, GVA, access_kind::write, false).error_code == 0x3);
    }
    SUBCASE("user access to a supervisor PDE") {
        world w;
        w.map_page(GVA, DATA_GPA, DATA_HPA);
        w.guest_entry(GVA, 2) &= ~G_US;
        CHECK(run(w, GVA, access_kind::read, true).error_code == 0x5);
        CHECK(run(w, GVA, access_kind::read, false).outcome == walk_outcome::translated);
    }
    SUBCASE("fetch from an XD page") {
        world w;
        w.map_page(GVA, DATA_GPA, DATA_HPA);
        w.guest_entry(GVA, 3) |= G_XD;
        CHECK(run(w, GVA, access_kind::fetch).error_code == 0x11);
        w.regs.efer_nxe = false;
        const walk_result r = run(w, GVA, access_kind::read);
        REQUIRE(r.outcome == walk_outcome::page_fault);
        CHECK(r.error_code == 0x9);
        CHECK(r.pf_reserved == guest_reserved::xd_without_nxe);
    }
    SUBCASE("reserved PS bit in the PML4E") {
        world w;
        w.map_page(GVA, DATA_GPA, DATA_HPA);
        w.guest_entry(GVA, 4) |= G_PS;
        const walk_result r = run(w, GVA, access_kind::write, true);
        REQUIRE(r.outcome == walk_outcome::page_fault);
        CHECK(r.error_code == 0xf);
        CHECK(r.pf_reserved == guest_reserved::ps_in_pml4e);
        CHECK(r.reads == 5);
    }
}

TEST_CASE(
    "effective type: Linux ioremap_wc page under EPT WB is WC with IPAT 0 and WB with IPAT 1") {
    for (bool ipat : {false, true}) {
        CAPTURE(ipat);
        world w; // guest PAT is Linux's: index 1 = WC
        w.guest_map(GVA, DATA_GPA, 1, G_P | G_RW | G_A | G_D | G_PWT);
        w.ept_map(DATA_GPA, DATA_HPA, 1, 7, memtype::wb, ipat);
        const walk_result r = run(w, GVA, access_kind::write);
        REQUIRE(r.outcome == walk_outcome::translated);
        CHECK(r.guest_pat_index == 1);
        CHECK(r.guest_pat_type == memtype::wc);
        CHECK(r.ept_type == memtype::wb);
        CHECK(r.ipat == ipat);
        CHECK(r.type == (ipat ? memtype::wb : memtype::wc));
        CHECK(r.source == (ipat ? type_source::range : type_source::page));
        const memtype_explained e = explain_memtype(r);
        CHECK(e.type == r.type);
        CHECK(e.steps.front().find("PAT index 1") != std::string::npos);
        CHECK(e.steps.front().find("WC") != std::string::npos);
    }
}

TEST_CASE("effective type: large-page PAT bit 12 and CR0.CD") {
    world w;
    // PAT=1 PCD=0 PWT=1 -> index 5 = WP in Linux's PAT
    w.guest_map(GVA, DATA_GPA, 2, G_P | G_RW | G_A | G_D | G_PWT | (1ULL << 12));
    w.ept_map(DATA_GPA, DATA_HPA, 2);
    walk_result r = run(w, GVA, access_kind::read);
    REQUIRE(r.outcome == walk_outcome::translated);
    CHECK(r.guest_pat_index == 5);
    CHECK(r.type == memtype::wp);
    CHECK(r.gpa == (DATA_GPA | (GVA & 0x1fffff)));
    w.regs.cr0_cd = true;
    r = run(w, GVA, access_kind::read);
    CHECK(r.type == memtype::uc);
    CHECK(r.source == type_source::cd);
}

TEST_CASE("walk references are typed: EPT by EPTP and guest tables by PCD PWT with PAT 0") {
    world w;
    w.map_page(GVA, DATA_GPA, DATA_HPA);
    w.regs.cr3 |= G_PCD;                    // PML4 read: PAT[2] = UC- ; WB x UC- = UC (page)
    w.guest_entry(GVA, 4) |= G_PWT;         // PDPT read: PAT[1] = WC
    w.guest_entry(GVA, 3) |= G_PWT | G_PCD; // PD read: PAT[3] = UC
    // PT read: the PDE has neither bit, PAT[0] = WB
    const std::uint64_t pd_gpa = w.guest_entry_gpa(GVA, 2);
    w.ept_map(pd_gpa & ~0xfffULL, w.table_hpa.at(pd_gpa & ~0xfffULL), 1, 7, memtype::wt, true);
    w.ep.walk_type = memtype::uc;
    const walk_result r = run(w, GVA, access_kind::read);
    REQUIRE(r.outcome == walk_outcome::translated);
    const memtype want[5] = {memtype::wb, memtype::wb, memtype::wt, memtype::wc, memtype::uc};
    const type_source src[5] = {type_source::range, type_source::range, type_source::range,
                                type_source::page, type_source::page};
    for (const walk_step& s : r.steps) {
        CAPTURE(s.level);
        if (s.stage == walk_stage::ept) {
            CHECK(s.type == memtype::uc);
            CHECK(s.source == type_source::fixed);
        } else {
            CHECK(s.type == want[s.level]); // PD table: EPT WT with IPAT -> WT whatever PAT says
            CHECK(s.source == src[s.level]);
        }
    }
    for (const logged_ref& ref : w.mem.log) {
        bool found = false;
        for (const walk_step& s : r.steps)
            if (s.address == ref.pa) found = found || s.type == ref.type;
        CHECK(found);
    }
}

TEST_CASE("effective_memtype agrees with ept_effective_memtype for every input") {
    int n = 0;
    for (bool cd : {false, true})
        for (memtype ept : {memtype::uc, memtype::wc, memtype::wt, memtype::wp, memtype::wb})
            for (bool ipat : {false, true})
                for (memtype pat : all_memtypes) {
                    const ept_access a{cd, ept, ipat, pat};
                    const memtype_cell fast = effective_memtype(a);
                    const memtype_explained slow = ept_effective_memtype(a);
                    CHECK(fast.type == slow.type);
                    CHECK(fast.source == slow.source);
                    ++n;
                }
    CHECK(n == 2 * 5 * 2 * 6);
}

TEST_CASE("step list: address value memtype and cycles of each reference") {
    world w;
    w.map_page(GVA, DATA_GPA, DATA_HPA);
    const walk_result r = run(w, GVA, access_kind::read);
    REQUIRE(r.steps.size() == 24);
    const walk_step& s0 = r.steps[0];
    CHECK(s0.stage == walk_stage::ept);
    CHECK(s0.level == 4);
    CHECK(s0.address == w.ep.root + 8 * index_of(w.regs.cr3, 4));
    CHECK(s0.value == w.mem.word(s0.address));
    CHECK(s0.type == memtype::wb);
    CHECK(s0.cost == cycles{10});
    for (std::size_t i = 0; i < r.steps.size(); ++i) {
        CAPTURE(i);
        CHECK(r.steps[i].address == w.mem.log[i].pa);
        CHECK(r.steps[i].value == w.mem.log[i].value);
    }
    walker_config quiet;
    quiet.record_steps = false;
    CHECK(run(w, GVA, access_kind::read, false, quiet).steps.empty());
}

TEST_CASE("4-level EPT refuses a guest-physical address above 2^48") {
    world w;
    w.guest_map(GVA, 1ULL << 48);
    walker_config cfg;
    cfg.guest.maxphyaddr = 52;
    CHECK_THROWS_AS(run(w, GVA, access_kind::read, false, cfg), std::domain_error);
    // With the guest's default 46-bit width the same entry is a reserved-bit #PF instead.
    CHECK(run(w, GVA, access_kind::read).error_code == 0x9);
}

TEST_CASE("a non-canonical linear address is refused") {
    world w;
    w.map_page(GVA, DATA_GPA, DATA_HPA);
    CHECK_THROWS_AS(run(w, GVA | (1ULL << 50), access_kind::read), not_modelled);
    CHECK_NOTHROW(run(w, 0xffff800000000000ULL, access_kind::read));
}

TEST_CASE("EPT A/D with guest tables as reads: a guest A update re-walks EPT as a write") {
    world w(4, true);
    w.guest_map(GVA, DATA_GPA, 1, G_P | G_RW | G_US); // leaf A = 0: the walk must write it
    w.ept_map(DATA_GPA, DATA_HPA);
    walker_config cfg;
    cfg.ad_guest_tables_are_writes = false;
    const walk_result r = run(w, GVA, access_kind::read, false, cfg);
    REQUIRE(r.outcome == walk_outcome::translated);
    // 24 reads plus a second 4-level EPT walk for the PT page, now as a write.
    CHECK(r.reads == 24 + 4);
    // EPT A flags: 4 + 3 + 4 as in the A/D test; the PT page's EPT leaf D; the guest PTE's A.
    CHECK(r.writes == 11 + 1 + 1);
    CHECK((w.ept_entry(w.guest_entry_gpa(GVA, 1), 1) & E_D) != 0);
    for (unsigned g = 2; g <= 4; ++g) CHECK((w.ept_entry(w.guest_entry_gpa(GVA, g), 1) & E_D) == 0);
    CHECK((w.guest_entry(GVA, 1) & G_A) != 0);
}

// Mode-based execute control (SDM Vol. 3C §29.3.2, exit qualification bits 5 and 6), as
// kvm-unit-tests x86/vmx_tests.c's EPT access tests walk it: every combination of the leaf's
// R, W, X (bit 2) and XU (bit 10), for a supervisor-mode and a user-mode linear address, read,
// write and fetch, with MBEC off and on. The upper EPT levels grant everything (with MBEC,
// bit 10 too), so the leaf decides.
TEST_CASE("MBEC: EPT bit 2 executes supervisor addresses and bit 10 user addresses") {
    constexpr std::uint64_t E_XU = 1ULL << 10;
    for (bool mbec : {false, true})
        for (bool user_address : {false, true})
            for (unsigned bits = 0; bits < 16; ++bits)
                for (access_kind k : kinds) {
                    CAPTURE(mbec);
                    CAPTURE(user_address);
                    CAPTURE(bits);
                    CAPTURE(k);
                    world w;
                    w.guest_map(GVA, DATA_GPA, 1,
                                G_P | G_RW | G_A | G_D | (user_address ? G_US : 0));
                    w.ept_map(DATA_GPA, DATA_HPA);
                    for (unsigned l = 2; l <= 4; ++l) w.ept_entry(DATA_GPA, l) |= E_XU;
                    std::uint64_t& leaf = w.ept_entry(DATA_GPA, 1);
                    leaf = (leaf & ~(7ULL | E_XU)) | (bits & 7) | (bits & 8 ? E_XU : 0);
                    walker_config cfg;
                    cfg.mbec = mbec;
                    const walk_result r = run(w, GVA, k, false, cfg);
                    const bool r_ = bits & 1, w_ = bits & 2, x = bits & 4;
                    const bool xu = mbec && (bits & 8);
                    const bool allowed = k == access_kind::read    ? r_
                                         : k == access_kind::write ? w_
                                         : (mbec && user_address)  ? xu
                                                                   : x;
                    if (!r_ && !w_ && !x && !xu) {
                        REQUIRE(r.outcome == walk_outcome::ept_violation);
                        CHECK(r.qualification == (kind_bit(k) | 0x180));
                    } else if (w_ && !r_) {
                        CHECK(r.outcome == walk_outcome::ept_misconfig);
                    } else if (allowed) {
                        CHECK(r.outcome == walk_outcome::translated);
                        CHECK(((r.ept_rwx & perm_x) != 0) == ((mbec && user_address) ? xu : x));
                    } else {
                        REQUIRE(r.outcome == walk_outcome::ept_violation);
                        const unsigned q =
                            kind_bit(k) | (r_ << 3) | (w_ << 4) | (x << 5) | (xu << 6) | 0x180;
                        CHECK(r.qualification == q);
                    }
                }
}

TEST_CASE("MBEC: bit 10 alone is a present execute-only entry, misconfigured without the "
          "execute-only capability") {
    const std::uint64_t xu_only = 1ULL << 10;
    ept_caps caps;
    CHECK(!check_ept_entry(xu_only, 1, caps, true));
    caps.execute_only = false;
    CHECK(check_ept_entry(xu_only, 1, caps, true) == ept_misconfig::execute_only);
    CHECK(ept_rights(xu_only, false) == 0);
    CHECK(ept_rights(xu_only, true) == perm_xu);
}
