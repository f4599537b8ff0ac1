// The arm64 stage-1 x stage-2 walker against tables laid out by the test fixture with raw
// descriptor bits (Arm ARM D8.3, written independently of the walker's code): reference counts
// and types, the stage-2 permission/fault matrix (S2AP x AF x invalid x access x level, for the
// final IPA and for a stage-1 table's IPA) with fault kind, DFSC, WnR, CM and S1PTW, stage-1
// faults, and the stage-1 x stage-2 attribute table cell by cell, with and without FWB, as the
// walker computes it from MAIR_EL1 and the stage-2 MemAttr it reads.
#include <doctest/doctest.h>

#include <string>

#include "cpu/arm64_walker.h"
#include "cpu/tests/test_world.h"
#include "model/arm64_attr.h"

using namespace mtsim;
using namespace mtsim::cpu;

namespace {

constexpr std::uint64_t VA = 0x7f1234567abcULL;
constexpr std::uint64_t DATA_IPA = 0x8000000000ULL; // stage-2 level-0 index 1: apart from tables
constexpr std::uint64_t DATA_PA = 0x4000000000ULL;
constexpr std::uint64_t S1_TABLES_IPA = 0x200000; // the guest's tables, IPA
constexpr std::uint64_t IPA_TO_PA = 0x40000000;   // where stage 2 puts them
constexpr std::uint64_t S2_ROOT = 0x1000000;

// Raw descriptor bits.
constexpr std::uint64_t D_VALID = 1, D_TABLE = 3, D_AF = 1ULL << 10, D_XN = 1ULL << 54;

constexpr unsigned shift(unsigned level) {
    return 12 + 9 * (3 - level);
}
constexpr std::uint64_t idx(std::uint64_t a, unsigned level) {
    return (a >> shift(level)) & 511;
}

std::uint64_t s2_leaf(std::uint64_t pa, unsigned level, std::uint8_t memattr, unsigned s2ap,
                      bool af = true, bool xn = false) {
    return (level == 3 ? 3 : 1) | (std::uint64_t{memattr} << 2) | (std::uint64_t{s2ap} << 6) |
           (3ULL << 8) | (af ? D_AF : 0) | (xn ? D_XN : 0) | pa;
}

struct arm64_world {
    mtsim::clock clk{1000.0};
    test::map_memory mem{clk, cycles{10}};
    arm64_regs regs;
    std::uint64_t next_s2_table = S2_ROOT + 0x1000;
    std::uint64_t next_s1_table = S1_TABLES_IPA + 0x1000;
    std::uint8_t ram_attr;

    explicit arm64_world(bool fwb = false) : ram_attr(fwb ? 0x6 : 0xf) {
        regs.fwb = fwb;
        regs.vttbr = S2_ROOT | (1ULL << 48);
        regs.mair = arm64_linux_mair();
        regs.ttbr0 = S1_TABLES_IPA;
        for (std::uint64_t t = S1_TABLES_IPA; t < S1_TABLES_IPA + 0x10000; t += 0x1000)
            s2_map(t, t + IPA_TO_PA, s2_leaf(t + IPA_TO_PA, 3, ram_attr, 3));
    }
    // The stage-2 entry at `level` for ipa becomes `desc` (tables above are built).
    void s2_map(std::uint64_t ipa, std::uint64_t, std::uint64_t desc, unsigned level = 3) {
        std::uint64_t table = S2_ROOT;
        for (unsigned l = 0; l < level; ++l) {
            std::uint64_t& e = mem.at(table + 8 * idx(ipa, l));
            if ((e & 3) != 3) {
                e = next_s2_table | D_TABLE;
                next_s2_table += 0x1000;
            }
            table = e & 0x0000fffffffff000ULL;
        }
        mem.at(table + 8 * idx(ipa, level)) = desc;
    }
    // The stage-1 page for va (tables in guest memory, reached through stage 2).
    void s1_map(std::uint64_t va, std::uint64_t ipa, unsigned attr_index, bool read_only = false,
                bool af = true) {
        std::uint64_t table = S1_TABLES_IPA;
        for (unsigned l = 0; l < 3; ++l) {
            std::uint64_t& e = mem.at(table + IPA_TO_PA + 8 * idx(va, l));
            if ((e & 3) != 3) {
                e = next_s1_table | D_TABLE;
                next_s1_table += 0x1000;
            }
            table = e & 0x0000fffffffff000ULL;
        }
        mem.at(table + IPA_TO_PA + 8 * idx(va, 3)) = 3 | (std::uint64_t{attr_index} << 2) |
                                                     (read_only ? 1ULL << 7 : 0) | (3ULL << 8) |
                                                     (af ? D_AF : 0) | ipa;
    }
    // The IPA of the level-`level` stage-1 table on va's path.
    std::uint64_t s1_table_ipa(std::uint64_t va, unsigned level) {
        std::uint64_t table = S1_TABLES_IPA;
        for (unsigned l = 0; l < level; ++l)
            table = mem.word(table + IPA_TO_PA + 8 * idx(va, l)) & 0x0000fffffffff000ULL;
        return table;
    }
    arm64_walk_result walk(std::uint64_t va, cpu::arm64_access a) {
        arm64_walker wk(mem, clk, true);
        arm64_walk_result r;
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        wk.walk(regs, va, a, {}, r, d);
        CHECK(clk.to_cycles(d) == r.cost);
        return r;
    }
};

constexpr cpu::arm64_access accesses[] = {cpu::arm64_access::read,     cpu::arm64_access::write,
                                          cpu::arm64_access::fetch,    cpu::arm64_access::dc_cvac,
                                          cpu::arm64_access::dc_civac, cpu::arm64_access::dc_ivac};

// The permission an access needs at stage 2 (Arm ARM D8.4; DC IVAC is a write, DC CVAC and
// CIVAC reads; a stage-1 walk reads).
bool allowed(cpu::arm64_access a, unsigned s2ap, bool xn) {
    switch (a) {
    case cpu::arm64_access::write:
    case cpu::arm64_access::dc_ivac:
        return s2ap & 2;
    case cpu::arm64_access::fetch:
        return !xn;
    default:
        return s2ap & 1;
    }
}

} // namespace

TEST_CASE("arm64 walk: 24 references for a 4 KiB page, all page-walk reads typed Write-Back") {
    arm64_world w;
    w.s2_map(DATA_IPA, DATA_PA, s2_leaf(DATA_PA, 3, w.ram_attr, 3));
    w.s1_map(VA & ~0xfffULL, DATA_IPA, 0);
    w.mem.log.clear();
    const arm64_walk_result r = w.walk(VA, cpu::arm64_access::read);
    REQUIRE(r.outcome == arm64_walk_outcome::translated);
    CHECK(r.ipa == (DATA_IPA | (VA & 0xfff)));
    CHECK(r.pa == (DATA_PA | (VA & 0xfff)));
    CHECK(r.reads == 24);
    CHECK(w.mem.log.size() == 24);
    CHECK(r.cost == cycles{240});
    for (const auto& l : w.mem.log) {
        CHECK(l.page_walk);
        CHECK(!l.write);
        CHECK(l.type == memtype::wb);
    }
    REQUIRE(r.steps.size() == 24);
    for (unsigned s1 = 0; s1 < 4; ++s1) {
        for (unsigned s2 = 0; s2 < 4; ++s2) {
            CHECK(r.steps[5 * s1 + s2].stage2);
            CHECK(r.steps[5 * s1 + s2].level == s2);
            CHECK(r.steps[5 * s1 + s2].for_s1_level == s1);
        }
        CHECK(!r.steps[5 * s1 + 4].stage2);
        CHECK(r.steps[5 * s1 + 4].level == s1);
    }
    CHECK(r.steps[20].for_s1_level == 4);
    CHECK(r.type == memtype::wb);
    CHECK(r.device == arm_device::none);
}

TEST_CASE("arm64 walk: stage-2 blocks at levels 1 and 2 translate with their offset") {
    for (unsigned level : {1u, 2u}) {
        CAPTURE(level);
        arm64_world w;
        w.s2_map(DATA_IPA, DATA_PA, s2_leaf(DATA_PA, level, w.ram_attr, 3), level);
        const std::uint64_t ipa = DATA_IPA + 0x1f5000; // inside a 2 MiB block
        w.s1_map(VA & ~0xfffULL, ipa, 0);
        const arm64_walk_result r = w.walk(VA, cpu::arm64_access::read);
        REQUIRE(r.outcome == arm64_walk_outcome::translated);
        const std::uint64_t mask = (1ULL << shift(level)) - 1;
        CHECK(r.pa == (DATA_PA | ((ipa | (VA & 0xfff)) & mask)));
        CHECK(r.s2_level == level);
        CHECK(r.reads == 20 + level + 1);
    }
}

// The matrix: the stage-2 entry of the final IPA (where = final) or of a stage-1 table's IPA
// (where = table, the access is then the walk's read: S1PTW) at level 0..3 is invalid, or a
// leaf (block at 1-2, page at 3) with every S2AP, AF and XN; each access of the data.
TEST_CASE("arm64 walk: stage-2 permission and fault matrix with DFSC WnR CM and S1PTW") {
    unsigned cells = 0;
    for (const bool table_side : {false, true})
        for (unsigned level = 0; level <= 3; ++level)
            for (int kind = 0; kind < 2 * 4 * 2 * 2 + 1; ++kind) {
                const bool invalid = kind == 16;
                const unsigned s2ap = kind & 3;
                const bool af = kind & 4, xn = kind & 8;
                if (!invalid && level == 0) continue; // no level-0 leaf with a 4 KiB granule
                for (cpu::arm64_access a : accesses) {
                    CAPTURE(table_side);
                    CAPTURE(level);
                    CAPTURE(kind);
                    CAPTURE(to_string(a));
                    arm64_world w;
                    // The data page is mapped RW at stage 2 except in the final-side case.
                    if (table_side) w.s2_map(DATA_IPA, DATA_PA, s2_leaf(DATA_PA, 3, w.ram_attr, 3));
                    w.s1_map(VA & ~0xfffULL, DATA_IPA, 0);
                    // The IPA under test: the data's, or the level-2 stage-1 table's (a fresh
                    // IPA region so that its stage-2 path is its own).
                    std::uint64_t ipa = DATA_IPA;
                    if (table_side) {
                        ipa = 0x9000000000ULL;
                        const std::uint64_t old = w.s1_table_ipa(VA, 2);
                        // Move the level-2 table to `ipa`: copy its entries, relink level 1.
                        const std::uint64_t l1 = w.s1_table_ipa(VA, 1);
                        for (unsigned i = 0; i < 512; ++i)
                            if (const std::uint64_t v = w.mem.word(old + IPA_TO_PA + 8 * i))
                                w.mem.at(0x7000000000ULL + 8 * i) = v;
                        w.mem.at(l1 + IPA_TO_PA + 8 * idx(VA, 1)) = ipa | D_TABLE;
                    }
                    const std::uint64_t target_pa = table_side ? 0x7000000000ULL : DATA_PA;
                    const std::uint64_t block = (1ULL << shift(level)) - 1;
                    w.s2_map(ipa, 0,
                             invalid ? 0
                                     : s2_leaf(target_pa & ~block, level, w.ram_attr, s2ap, af, xn),
                             level);
                    const cpu::arm64_access need = table_side ? cpu::arm64_access::walk : a;
                    const arm64_walk_result r = w.walk(VA, a);
                    arm64_fault_kind want = arm64_fault_kind::none;
                    if (invalid)
                        want = arm64_fault_kind::translation;
                    else if (!af)
                        want = arm64_fault_kind::access_flag;
                    else if (!allowed(need, s2ap, xn))
                        want = arm64_fault_kind::permission;
                    ++cells;
                    if (want == arm64_fault_kind::none) {
                        CHECK(r.outcome == arm64_walk_outcome::translated);
                        continue;
                    }
                    REQUIRE(r.outcome == arm64_walk_outcome::stage2_fault);
                    CHECK(r.fault.kind == want);
                    CHECK(r.fault.level == level);
                    CHECK(r.fault_ipa == (table_side ? ipa + 8 * idx(VA, 2) : r.fault_ipa));
                    if (!table_side) CHECK((r.fault_ipa & ~0xfffULL) == DATA_IPA);
                    const unsigned base = want == arm64_fault_kind::translation   ? 0b000100
                                          : want == arm64_fault_kind::access_flag ? 0b001000
                                                                                  : 0b001100;
                    CHECK((r.esr & 0x3f) == base + level);
                    const bool fetch = a == cpu::arm64_access::fetch; // the walk of a fetch too
                    CHECK((r.esr >> 26) == (fetch ? 0x20u : 0x24u));
                    const bool cm = !table_side && (a == cpu::arm64_access::dc_cvac ||
                                                    a == cpu::arm64_access::dc_civac ||
                                                    a == cpu::arm64_access::dc_ivac);
                    const bool wnr = !table_side && (a == cpu::arm64_access::write || cm);
                    CHECK(((r.esr >> 6) & 1) == unsigned(wnr));
                    CHECK(((r.esr >> 7) & 1) == unsigned(table_side)); // S1PTW
                    CHECK(((r.esr >> 8) & 1) == unsigned(cm));
                    CHECK(r.s1ptw == table_side);
                    CHECK(r.hpfar == ((r.fault_ipa >> 12) << 4));
                }
            }
    CHECK(cells > 700);
}

TEST_CASE("arm64 walk: stage-1 faults (invalid, access flag, read-only write) are guest faults") {
    arm64_world w;
    w.s2_map(DATA_IPA, DATA_PA, s2_leaf(DATA_PA, 3, w.ram_attr, 3));
    w.s1_map(VA & ~0xfffULL, DATA_IPA, 0, /*read_only=*/true);
    CHECK(w.walk(VA, cpu::arm64_access::read).outcome == arm64_walk_outcome::translated);
    arm64_walk_result r = w.walk(VA, cpu::arm64_access::write);
    CHECK(r.outcome == arm64_walk_outcome::stage1_fault);
    CHECK(r.fault.kind == arm64_fault_kind::permission);
    CHECK(r.fault.level == 3);
    w.s1_map(VA & ~0xfffULL, DATA_IPA, 0, false, /*af=*/false);
    r = w.walk(VA, cpu::arm64_access::read);
    CHECK(r.fault.kind == arm64_fault_kind::access_flag);
    r = w.walk(VA + 0x200000, cpu::arm64_access::read); // its level-2 entry is empty
    CHECK(r.outcome == arm64_walk_outcome::stage1_fault);
    CHECK(r.fault.kind == arm64_fault_kind::translation);
    CHECK(r.fault.level == 2);
}

TEST_CASE("arm64 walk: a stage-1 table page Device at stage 2 is read uncached") {
    arm64_world w;
    w.s2_map(DATA_IPA, DATA_PA, s2_leaf(DATA_PA, 3, w.ram_attr, 3));
    w.s1_map(VA & ~0xfffULL, DATA_IPA, 0);
    const std::uint64_t l3 = w.s1_table_ipa(VA, 3);
    w.s2_map(l3, 0, s2_leaf(l3 + IPA_TO_PA, 3, 0x1 /* Device-nGnRE */, 3));
    w.mem.log.clear();
    const arm64_walk_result r = w.walk(VA, cpu::arm64_access::read);
    REQUIRE(r.outcome == arm64_walk_outcome::translated);
    REQUIRE(w.mem.log.size() == 24);
    CHECK(w.mem.log[19].type == memtype::uc); // the level-3 stage-1 descriptor
    CHECK(w.mem.log[14].type == memtype::wb); // the level-2 one
}

// Every stage-1 type (MAIR_EL1 attribute by AttrIndx) under every stage-2 attribute KVM can
// encode (MemAttr), without and with FWB: the walker's combined type agrees with the table of
// model/arm64_memtype.h, its memory-system type and Device properties follow the mapping.
TEST_CASE("arm64 walk: stage 1 x stage 2 attribute table cell by cell with and without FWB") {
    unsigned cells = 0;
    for (const bool fwb : {false, true}) {
        std::vector<arm64_s2> s2s;
        for (arm64_memtype t : all_arm64_memtypes)
            if (!(fwb && t == arm64_memtype::normal_wt)) s2s.push_back({false, t});
        if (fwb) s2s.push_back({true, arm64_memtype::normal_wb});
        for (const arm64_s2& s2 : s2s)
            for (arm64_memtype s1 : all_arm64_memtypes) {
                CAPTURE(fwb);
                CAPTURE(to_string(s2));
                CAPTURE(to_string(s1));
                arm64_world w(fwb);
                const std::uint8_t memattr = encode_s2_memattr(fwb, s2);
                w.s2_map(DATA_IPA, DATA_PA, s2_leaf(DATA_PA, 3, memattr, 3));
                w.s1_map(VA & ~0xfffULL, DATA_IPA, arm64_linux_attr_index(s1));
                const arm64_walk_result r = w.walk(VA, cpu::arm64_access::read);
                REQUIRE(r.outcome == arm64_walk_outcome::translated);
                const arm64_memtype want = arm64_effective_memtype({fwb, s1, s2}).type;
                CHECK(r.combined.type == want);
                CHECK(r.mair_attr == encode_mair_attr(s1));
                CHECK(r.s2_memattr == memattr);
                CHECK(r.type == (is_device(want)                    ? memtype::uc
                                 : want == arm64_memtype::normal_nc ? memtype::wc
                                 : want == arm64_memtype::normal_wt ? memtype::wt
                                                                    : memtype::wb));
                CHECK((r.device != arm_device::none) == is_device(want));
                ++cells;
            }
    }
    CHECK(cells == 7 * 7 + 7 * 7);
    // Spot cells, literally: the seed's "loss of WC" and "loss of cachable", and FWB forcing WB.
    auto cell = [](bool fwb, arm64_s2 s2, arm64_memtype s1) {
        arm64_world w(fwb);
        w.s2_map(DATA_IPA, DATA_PA, s2_leaf(DATA_PA, 3, encode_s2_memattr(fwb, s2), 3));
        w.s1_map(VA & ~0xfffULL, DATA_IPA, arm64_linux_attr_index(s1));
        return w.walk(VA, cpu::arm64_access::read);
    };
    const auto nc_over_device =
        cell(true, {false, arm64_memtype::device_ngnre}, arm64_memtype::normal_nc);
    CHECK(nc_over_device.combined.type == arm64_memtype::device_ngnre);
    CHECK(nc_over_device.device == arm_device::ngnre);
    CHECK(cell(false, {false, arm64_memtype::normal_nc}, arm64_memtype::normal_wb).type ==
          memtype::wc);
    CHECK(cell(true, {false, arm64_memtype::normal_wb}, arm64_memtype::device_ngnrne).type ==
          memtype::wb);
    CHECK(cell(true, {true, arm64_memtype::normal_wb}, arm64_memtype::normal_nc).type ==
          memtype::wc);
}

TEST_CASE("arm64 walk: Linux's MAIR_EL1 has its MT_* indices") {
    const std::uint64_t mair = arm64_linux_mair();
    CHECK(mair_attr_at(mair, 0) == 0xff); // MT_NORMAL
    CHECK(mair_attr_at(mair, 1) == 0xff); // MT_NORMAL_TAGGED without MTE
    CHECK(mair_attr_at(mair, 2) == 0x44); // MT_NORMAL_NC
    CHECK(mair_attr_at(mair, 3) == 0x00); // MT_DEVICE_nGnRnE
    CHECK(mair_attr_at(mair, 4) == 0x04); // MT_DEVICE_nGnRE
    for (arm64_memtype t : all_arm64_memtypes)
        CHECK(decode_mair_attr(mair_attr_at(mair, arm64_linux_attr_index(t))) == t);
}
