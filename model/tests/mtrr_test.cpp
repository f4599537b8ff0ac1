// MTRR resolution (docs/reference/memory-types.md §4): E/FE bits, all 88 fixed-range fields at
// their boundaries, variable-range matching and every pair of overlapping types, #GP on reserved
// types and bits.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include <string>

#include "model/mtrr.h"

using namespace mtsim;

namespace {

constexpr memtype UC = memtype::uc, WC = memtype::wc, WT = memtype::wt, WP = memtype::wp,
                  WB = memtype::wb;
const memtype range_types[5] = {UC, WC, WT, WP, WB};

// Independent layout of the first 1 MiB: 8 x 64K from 0, 16 x 16K from 0x80000, 64 x 4K from
// 0xC0000; returns (register, field) in the order of the SDM's MSR list.
std::pair<unsigned, unsigned> fixed_slot(std::uint64_t a) {
    if (a < 0x80000) return {0, static_cast<unsigned>(a / 0x10000)};
    if (a < 0xC0000) {
        const unsigned k = static_cast<unsigned>((a - 0x80000) / 0x4000);
        return {1 + k / 8, k % 8};
    }
    const unsigned k = static_cast<unsigned>((a - 0xC0000) / 0x1000);
    return {3 + k / 8, k % 8};
}

memtype pattern(unsigned reg, unsigned field) {
    return range_types[(reg * 8 + field) % 5];
}

mtrr_state with_fixed_pattern(bool fe) {
    mtrr_state m;
    for (unsigned r = 0; r < 11; ++r) {
        std::array<memtype, 8> t{};
        for (unsigned f = 0; f < 8; ++f) t[f] = pattern(r, f);
        REQUIRE_FALSE(m.set_fixed(r, t).has_value());
    }
    REQUIRE_FALSE(m.set_def_type(WB, fe, true).has_value());
    return m;
}

} // namespace

TEST_CASE("MTRR: the fixed-range MSR numbers and layout are the SDM's") {
    const std::uint32_t msrs[11] = {0x250, 0x258, 0x259, 0x268, 0x269, 0x26A,
                                    0x26B, 0x26C, 0x26D, 0x26E, 0x26F};
    std::uint64_t next = 0;
    for (unsigned r = 0; r < 11; ++r) {
        CHECK(fixed_mtrrs[r].msr == msrs[r]);
        CHECK(fixed_mtrrs[r].base == next);
        next = fixed_mtrrs[r].base + 8ULL * fixed_mtrrs[r].unit;
    }
    CHECK(next == 0x100000);
}

TEST_CASE("MTRR: E = 0 makes everything UC - whatever the other MTRRs say") {
    mtrr_state m = with_fixed_pattern(true);
    REQUIRE_FALSE(m.set_variable(0, 0, 0, WB).has_value()); // mask 0: matches everything
    REQUIRE_FALSE(m.set_def_type(WB, true, false).has_value());
    for (std::uint64_t a : {0x0ULL, 0x7FFFFULL, 0xFFFFFULL, 0x100000ULL, 0x123456789ULL}) {
        const auto r = m.resolve(a);
        CHECK(r.type == UC);
        CHECK(r.rule == mtrr_rule::disabled);
    }
    mtrr_state reset;
    CHECK(reset.resolve(0x1000).type == UC);
    CHECK(reset.rdmsr(ia32_mtrr_def_type_msr) == 0);
}

TEST_CASE("MTRR: FE = 1 - every fixed-range field at its first and last byte") {
    const mtrr_state m = with_fixed_pattern(true);
    int n = 0;
    for (std::uint64_t page = 0; page < 0x100000; page += 0x1000) {
        for (std::uint64_t a : {page, page + 0xFFF}) {
            const auto [reg, field] = fixed_slot(a);
            CAPTURE(a);
            const auto r = m.resolve(a);
            REQUIRE(r.type.has_value());
            CHECK(*r.type == pattern(reg, field));
            CHECK(r.rule == mtrr_rule::fixed);
            REQUIRE(r.matched.size() == 1);
            CHECK(r.matched[0].index == reg);
            CHECK(r.matched[0].field == field);
            ++n;
        }
    }
    CHECK(n == 512);
    // The first byte above 1 MiB leaves the fixed ranges: default type.
    const auto above = m.resolve(0x100000);
    CHECK(above.type == WB);
    CHECK(above.rule == mtrr_rule::default_type);
}

TEST_CASE("MTRR: FE = 0 sends the first 1 MiB to the variable ranges and the default type") {
    mtrr_state m = with_fixed_pattern(false);
    REQUIRE_FALSE(m.set_variable(0, 0x0, ~0xFFFFFULL & ((1ULL << 46) - 1), WC).has_value());
    CHECK(m.resolve(0x0).type == WC);
    CHECK(m.resolve(0xFFFFF).type == WC);
    CHECK(m.resolve(0xFFFFF).rule == mtrr_rule::variable);
    CHECK(m.resolve(0x100000).type == WB);
}

TEST_CASE("MTRR: a variable range matches exactly its (addr & mask) == (base & mask) set") {
    mtrr_state m;
    REQUIRE_FALSE(m.set_def_type(WB, false, true).has_value());
    const std::uint64_t base = 0x100000000ULL, size = 0x40000000ULL; // 4 GiB, 1 GiB long
    const std::uint64_t mask = ~(size - 1) & ((1ULL << 46) - 1);
    REQUIRE_FALSE(m.set_variable(3, base, mask, UC).has_value());
    CHECK(m.resolve(base - 1).type == WB);
    CHECK(m.resolve(base).type == UC);
    CHECK(m.resolve(base + size - 1).type == UC);
    CHECK(m.resolve(base + size).type == WB);
    REQUIRE(m.resolve(base).matched.size() == 1);
    CHECK(m.resolve(base).matched[0].index == 3);
    // Valid bit clear: the range does not exist.
    REQUIRE_FALSE(m.set_variable(3, base, mask, UC, false).has_value());
    CHECK(m.resolve(base).type == WB);
    CHECK(m.resolve(base).rule == mtrr_rule::default_type);
}

TEST_CASE("MTRR: every pair of overlapping variable-range types") {
    // Expected result of ranges 0 and 1 overlapping, rows = range 0 type, columns = range 1
    // type, order UC WC WT WP WB; "!" = undefined, reported as a conflict.
    const char* const want[5][5] = {
        {"UC", "UC", "UC", "UC", "UC"}, {"UC", "WC", "!", "!", "!"},  {"UC", "!", "WT", "!", "WT"},
        {"UC", "!", "!", "WP", "!"},    {"UC", "!", "WT", "!", "WB"},
    };
    const std::uint64_t big = ~(0x40000000ULL - 1) & ((1ULL << 46) - 1);
    const std::uint64_t small = ~(0x10000000ULL - 1) & ((1ULL << 46) - 1);
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 5; ++j) {
            mtrr_state m;
            REQUIRE_FALSE(m.set_def_type(UC, false, true).has_value());
            REQUIRE_FALSE(m.set_variable(0, 0x80000000ULL, big, range_types[i]).has_value());
            REQUIRE_FALSE(m.set_variable(1, 0x80000000ULL, small, range_types[j]).has_value());
            CAPTURE(i);
            CAPTURE(j);
            const auto r = m.resolve(0x80001000ULL);
            CHECK(r.matched.size() == 2);
            const std::string w = want[i][j];
            if (w == "!") {
                CHECK_FALSE(r.type.has_value());
                const std::string t0 = std::string(to_string(range_types[i]));
                const std::string t1 = std::string(to_string(range_types[j]));
                CHECK(r.conflict.find("variable range 0 (" + t0 + ")") != std::string::npos);
                CHECK(r.conflict.find("variable range 1 (" + t1 + ")") != std::string::npos);
            } else {
                REQUIRE(r.type.has_value());
                CHECK(to_string(*r.type) == w);
                CHECK(r.conflict.empty());
            }
            // Outside the small range only range 0 matches.
            CHECK(m.resolve(0x90000000ULL).type == range_types[i]);
            // Outside both: the default type.
            CHECK(m.resolve(0xC0000000ULL).type == UC);
            CHECK(m.resolve(0xC0000000ULL).rule == mtrr_rule::default_type);
        }
}

TEST_CASE("MTRR: three-way overlaps") {
    const std::uint64_t mask = ~(0x1000ULL - 1) & ((1ULL << 46) - 1);
    auto three = [&](memtype a, memtype b, memtype c) {
        mtrr_state m;
        REQUIRE_FALSE(m.set_def_type(WB, false, true).has_value());
        REQUIRE_FALSE(m.set_variable(0, 0x200000, mask, a).has_value());
        REQUIRE_FALSE(m.set_variable(5, 0x200000, mask, b).has_value());
        REQUIRE_FALSE(m.set_variable(9, 0x200000, mask, c).has_value());
        return m.resolve(0x200800);
    };
    CHECK(three(WT, WB, WB).type == WT);
    CHECK(three(WB, WT, UC).type == UC);
    CHECK(three(WB, WB, WB).type == WB);
    const auto bad = three(WB, WC, WB);
    CHECK_FALSE(bad.type.has_value());
    CHECK(bad.conflict.find("variable range 5 (WC)") != std::string::npos);
    CHECK(bad.conflict.find("variable range 9 (WB)") != std::string::npos);
}

TEST_CASE("MTRR: reserved types 2 - 3 - 7 and above raise #GP and leave the state unchanged") {
    for (unsigned v = 0; v < 256; ++v) {
        CAPTURE(v);
        const bool valid = v == 0 || v == 1 || v == 4 || v == 5 || v == 6;
        mtrr_state m;
        REQUIRE_FALSE(m.set_def_type(WB, true, true).has_value());
        const std::uint64_t def = *m.rdmsr(ia32_mtrr_def_type_msr);
        CHECK(m.wrmsr(ia32_mtrr_def_type_msr, mtrr_def_e_bit | v).has_value() == !valid);
        if (!valid) CHECK(*m.rdmsr(ia32_mtrr_def_type_msr) == def);
        CHECK(m.wrmsr(0x200, 0x80000000ULL | v).has_value() == !valid);
        CHECK(m.wrmsr(0x26F, std::uint64_t{v} << 56).has_value() == !valid);
        if (!valid) CHECK(*m.rdmsr(0x26F) == 0);
    }
}

TEST_CASE("MTRR: reserved bits - missing registers and WC without support raise #GP") {
    mtrr_state m;
    CHECK(m.wrmsr(ia32_mtrr_def_type_msr, 1ULL << 8).has_value());
    CHECK(m.wrmsr(ia32_mtrr_def_type_msr, 1ULL << 9).has_value());
    CHECK(m.wrmsr(ia32_mtrr_def_type_msr, 1ULL << 12).has_value());
    CHECK_FALSE(m.wrmsr(ia32_mtrr_def_type_msr, mtrr_def_e_bit | mtrr_def_fe_bit | 6).has_value());
    CHECK(m.wrmsr(0x200, 1ULL << 46).has_value()); // base above MAXPHYADDR
    CHECK(m.wrmsr(0x200, 1ULL << 8).has_value());  // PHYSBASE bits 11:8
    CHECK(m.wrmsr(0x201, 1ULL << 5).has_value());  // PHYSMASK bits 10:0
    CHECK(m.wrmsr(0x201, 1ULL << 46).has_value()); // mask above MAXPHYADDR
    CHECK_FALSE(m.wrmsr(0x201, mtrr_physmask_valid_bit | (1ULL << 45)).has_value());
    CHECK(m.wrmsr(0x200 + 2 * 10, 6).has_value()); // VCNT = 10: range 10 does not exist
    CHECK(m.set_variable(10, 0, 0, WB).has_value());
    CHECK(m.wrmsr(0x2FE, 0).has_value());
    CHECK(m.set_variable(0, 0x1008, 0, WB).has_value()); // unaligned base would hit the type
    CHECK(m.set_variable(0, 0x1000, 0x800, WB).has_value());
    CHECK(m.set_fixed(11, {}).has_value());
    const auto gp = m.wrmsr(0x26A, 2ULL << 16);
    REQUIRE(gp.has_value());
    CHECK(gp->reason.find("IA32_MTRR_FIX4K_D0000 field 2") != std::string::npos);

    // A refused PHYSMASK leaves the PHYSBASE of the pair unchanged too.
    REQUIRE_FALSE(m.set_variable(2, 0x1000, 0, WT, false).has_value());
    CHECK(m.set_variable(2, 0x2000, 1ULL << 50, WB).has_value());
    CHECK(*m.rdmsr(0x204) == (0x1000 | 4));

    mtrr_state no_wc(mtrr_config{46, 8, false});
    CHECK(no_wc.set_def_type(WC, false, true).has_value());
    CHECK_FALSE(no_wc.set_def_type(WT, false, true).has_value());
    CHECK(no_wc.set_variable(7, 0, 0, WC).has_value());
    CHECK(no_wc.set_variable(8, 0, 0, WB).has_value());
}

TEST_CASE("MTRR: addresses beyond MAXPHYADDR are refused") {
    mtrr_state m(mtrr_config{39, 8, true});
    CHECK_NOTHROW(m.resolve((1ULL << 39) - 1));
    CHECK_THROWS_AS(m.resolve(1ULL << 39), std::out_of_range);
    CHECK_THROWS_AS(mtrr_state(mtrr_config{60, 8, true}), std::invalid_argument);
}
