// The data tables of iommu/ without the SystemC kernel: entry field layout against the
// reference, the second-level entry classification over every combination of the bits it
// looks at, the snoop decision over all 8 cells, and the fault-reason codes.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "iommu/entries.h"
#include "iommu/fault.h"
#include "iommu/snoop_table.h"

using namespace mtsim::iommu;

namespace {

// docs/reference/vtd-pcie.md, "second-level leaf entry": bit 0 R, bit 1 W, bit 7 PS,
// bit 8 A, bit 9 D, bit 11 SNP, bits 51:12 address.
struct ref_bit {
    const char* name;
    unsigned lo, hi;
};
constexpr ref_bit reference_second_level[] = {
    {"R", 0, 0}, {"W", 1, 1},     {"PS", 7, 7},     {"A", 8, 8},
    {"D", 9, 9}, {"SNP", 11, 11}, {"ADDR", 12, 51},
};

} // namespace

TEST_CASE("second-level entry fields match the reference") {
    unsigned seen = 0;
    for (const auto& r : reference_second_level) {
        const entry_field& f = field(entry_kind::second_level, r.name);
        CHECK(f.lo == r.lo);
        CHECK(f.hi == r.hi);
        ++seen;
    }
    unsigned in_table = 0;
    for (const auto& f : entry_fields) in_table += f.kind == entry_kind::second_level;
    CHECK(seen == in_table);
}

TEST_CASE("entry fields of one kind never overlap and fit 64 bits") {
    for (const auto& a : entry_fields) {
        CHECK(a.lo <= a.hi);
        CHECK(a.hi < 64);
        for (const auto& b : entry_fields) {
            if (&a == &b || a.kind != b.kind) continue;
            CHECK_MESSAGE((a.mask() & b.mask()) == 0, a.name, " overlaps ", b.name);
        }
    }
}

TEST_CASE("root and context reserved masks are the unnamed bits") {
    // VT-d §9.1: root bits 11:1 reserved; §9.3: context low bits 11:4, high bit 7 and 63:24.
    CHECK(reserved_mask(entry_kind::root_lo) == 0xffeull);
    CHECK(reserved_mask(entry_kind::context_lo) == 0xff0ull);
    CHECK(reserved_mask(entry_kind::context_hi) == (0x80ull | 0xffffffffff000000ull));
}

TEST_CASE("field get and with round trip") {
    for (const auto& f : entry_fields) {
        const std::uint64_t all = f.mask() >> f.lo;
        CHECK(f.get(f.with(0, all)) == all);
        CHECK(f.with(~std::uint64_t{0}, 0) == ~f.mask());
        CHECK(f.get(f.with(0, 1)) == 1);
    }
}

TEST_CASE("address widths select 3 4 and 5 levels") {
    CHECK(address_width_by_aw(1)->levels == 3);
    CHECK(address_width_by_aw(1)->bits == 39);
    CHECK(address_width_by_aw(2)->levels == 4);
    CHECK(address_width_by_aw(2)->bits == 48);
    CHECK(address_width_by_aw(3)->levels == 5);
    CHECK(address_width_by_aw(3)->bits == 57);
    CHECK_FALSE(address_width_by_aw(0));
    CHECK_FALSE(address_width_by_aw(4));
    for (const auto& r : address_widths) CHECK(r.bits == 12 + 9 * r.levels);
    CHECK(level_shift(1) == 12);
    CHECK(level_shift(2) == 21);
    CHECK(level_shift(3) == 30);
}

// Every level x capability set x combination of R, W, PS, SNP, an address bit at the host
// address width, and a bit inside a large page's offset, against rules written out here from
// the issue text and the VT-d specification.
TEST_CASE("second-level classification over every relevant bit combination") {
    const unsigned haw = 40;
    unsigned cells = 0;
    for (unsigned level = 1; level <= 5; ++level)
        for (unsigned caps_bits = 0; caps_bits < 8; ++caps_bits)
            for (unsigned bits = 0; bits < 64; ++bits) {
                entry_caps caps;
                caps.snoop_control = caps_bits & 1;
                caps.large_2m = caps_bits & 2;
                caps.large_1g = caps_bits & 4;
                caps.host_address_width = haw;
                const bool r = bits & 1, w = bits & 2, ps = bits & 4, snp = bits & 8,
                           high = bits & 16, low = bits & 32;
                std::uint64_t e = 0x5ull << 30; // a frame aligned for every page size
                e |= (r ? 1ull : 0) | (w ? 2ull : 0) | (ps ? 0x80ull : 0) | (snp ? 0x800ull : 0);
                if (high) e |= 1ull << haw;
                if (low) e |= 1ull << 12;

                sl_check want;
                const bool is_leaf = level == 1 || ps;
                if (!r && !w) {
                    want = {sl_class::not_present, reserved_rule::none};
                } else if (high) {
                    want = {sl_class::reserved, reserved_rule::address_above_haw};
                } else if (!is_leaf) {
                    want = snp ? sl_check{sl_class::reserved, reserved_rule::snp_in_table}
                               : sl_check{sl_class::table, reserved_rule::none};
                } else if (level >= 4 || (level == 2 && !caps.large_2m) ||
                           (level == 3 && !caps.large_1g)) {
                    want = {sl_class::reserved, reserved_rule::ps_unsupported};
                } else if (snp && !caps.snoop_control) {
                    want = {sl_class::reserved, reserved_rule::snp_without_sc};
                } else if (low && level > 1) {
                    want = {sl_class::reserved, reserved_rule::large_page_low_bits};
                } else {
                    want = {sl_class::leaf, reserved_rule::none};
                }
                const sl_check got = classify_second_level(e, level, caps);
                INFO("level ", level, " caps ", caps_bits, " bits ", bits);
                CHECK(got.cls == want.cls);
                CHECK(got.rule == want.rule);
                ++cells;
            }
    CHECK(cells == 5 * 8 * 64);
}

TEST_CASE("a few classification rows written out by hand") {
    entry_caps sc;
    sc.snoop_control = true;
    sc.large_2m = true;
    sc.large_1g = false;
    entry_caps nosc = sc;
    nosc.snoop_control = false;
    CHECK(classify_second_level(0x0000000000200803ull, 1, sc).cls == sl_class::leaf);
    CHECK(classify_second_level(0x0000000000200803ull, 1, nosc).rule ==
          reserved_rule::snp_without_sc);
    CHECK(classify_second_level(0x0000000000200803ull, 2, sc).rule == reserved_rule::snp_in_table);
    CHECK(classify_second_level(0x0000000000200883ull, 2, sc).cls == sl_class::leaf);
    CHECK(classify_second_level(0x0000000040000083ull, 3, sc).rule ==
          reserved_rule::ps_unsupported);
    CHECK(classify_second_level(0x0000000000201083ull, 2, sc).rule ==
          reserved_rule::large_page_low_bits);
    CHECK(classify_second_level(0x0000000000000080ull, 4, sc).cls == sl_class::not_present);
    CHECK(classify_second_level(0x0000000000001081ull, 1, sc).cls ==
          sl_class::leaf); // bit 7 ignored
}

// Transcribed from docs/reference/vtd-pcie.md: "SNP = 1 (only legal with SC): the
// DMA is snooped whatever its No-Snoop attribute says; SNP = 0: snooping follows the
// request's No-Snoop attribute."
TEST_CASE("snoop decision table all 8 cells") {
    struct row {
        bool sc, snp, ns;
        snoop_outcome want;
    };
    const row rows[] = {
        {false, false, false, snoop_outcome::snooped},
        {false, false, true, snoop_outcome::not_snooped},
        {false, true, false, snoop_outcome::reserved},
        {false, true, true, snoop_outcome::reserved},
        {true, false, false, snoop_outcome::snooped},
        {true, false, true, snoop_outcome::not_snooped},
        {true, true, false, snoop_outcome::snooped},
        {true, true, true, snoop_outcome::snooped},
    };
    std::set<int> seen;
    for (const auto& r : rows) {
        INFO("sc ", r.sc, " snp ", r.snp, " ns ", r.ns);
        CHECK(snoop_decision(r.sc, r.snp, r.ns) == r.want);
        seen.insert(r.sc * 4 + r.snp * 2 + r.ns);
    }
    CHECK(seen.size() == 8);
    CHECK(snp_legal(true));
    CHECK_FALSE(snp_legal(false));
}

TEST_CASE("fault reasons have their VT-d codes") {
    // VT-d non-recoverable fault reasons: 1h root P clear, 2h context P clear, 3h invalid
    // context, 4h beyond (M)GAW, 5h write not permitted, 6h read not permitted, Ah/Bh/Ch
    // reserved fields in root / context / paging entry.
    CHECK(vtd_code(fault_reason::root_not_present, false) == 0x1);
    CHECK(vtd_code(fault_reason::context_not_present, true) == 0x2);
    CHECK(vtd_code(fault_reason::invalid_context, false) == 0x3);
    CHECK(vtd_code(fault_reason::beyond_gaw, true) == 0x4);
    CHECK(vtd_code(fault_reason::no_write, true) == 0x5);
    CHECK(vtd_code(fault_reason::no_read, false) == 0x6);
    CHECK(vtd_code(fault_reason::not_present, false) == 0x6);
    CHECK(vtd_code(fault_reason::not_present, true) == 0x5);
    CHECK(vtd_code(fault_reason::reserved_root, false) == 0xA);
    CHECK(vtd_code(fault_reason::reserved_context, false) == 0xB);
    CHECK(vtd_code(fault_reason::reserved_entry, true) == 0xC);
    std::set<std::string> names;
    for (std::size_t i = 0; i < fault_reasons.size(); ++i) {
        CHECK(static_cast<std::size_t>(fault_reasons[i].reason) == i); // every enumerator once
        names.insert(std::string(fault_reasons[i].name));
    }
    CHECK(names.size() == fault_reasons.size());
}

TEST_CASE("fault log keeps its capacity and counts overflow") {
    fault_log log(2);
    CHECK(log.record({1, 0x1000, false, fault_reason::no_read}));
    CHECK(log.record({2, 0x2000, true, fault_reason::no_write}));
    CHECK_FALSE(log.record({3, 0x3000, true, fault_reason::no_write}));
    CHECK(log.records().size() == 2);
    CHECK(log.overflows() == 1);
    CHECK(log.records()[1].code() == 0x5);
    log.clear();
    CHECK(log.records().empty());
    CHECK(log.overflows() == 0);
}
