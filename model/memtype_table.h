// Effective memory type of a range type (MTRR, or the EPT leaf type when IPAT = 0) combined
// with a PAT type, valid when CR0.CD = 0. Reference: docs/reference/memory-types.md §2.
#pragma once

#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "model/access_ext.h"
#include "model/memtype.h"

namespace mtsim {

struct memtype_cell {
    memtype type;
    // Which input decided the result: range when the result is the range type unchanged, page
    // when the PAT type changed it. For UC cells this is the SDM's note: (a) range = UC from
    // the range type, the CPU need not snoop its own caches; (b) page = UC from the page
    // tables, it must (an alias may have cached the line).
    type_source source;
};

// Row and column orders of memtype_table.
inline constexpr std::array<memtype, 5> memtype_table_rows{memtype::uc, memtype::wc, memtype::wt,
                                                           memtype::wb, memtype::wp};
inline constexpr std::array<memtype, 6> memtype_table_cols{
    memtype::uc, memtype::uc_minus, memtype::wc, memtype::wt, memtype::wb, memtype::wp};

// Cell values: type and source; _r = decided by the range type, _p = by the page (PAT) type.
// UC_a / UC_b are the SDM's notes (a) and (b).
namespace table_11_7 {
inline constexpr memtype_cell UC_a{memtype::uc, type_source::range};
inline constexpr memtype_cell UC_b{memtype::uc, type_source::page};
inline constexpr memtype_cell WC_r{memtype::wc, type_source::range};
inline constexpr memtype_cell WC_p{memtype::wc, type_source::page};
inline constexpr memtype_cell WT_r{memtype::wt, type_source::range};
inline constexpr memtype_cell WT_p{memtype::wt, type_source::page};
inline constexpr memtype_cell WP_r{memtype::wp, type_source::range};
inline constexpr memtype_cell WP_p{memtype::wp, type_source::page};
inline constexpr memtype_cell WB_r{memtype::wb, type_source::range};
} // namespace table_11_7

// clang-format off
// Intel SDM vol. 3, Table 11-7 (Effective Page-Level Memory Types for Pentium III and More
// Recent Processor Families); identical to Xen's mm_type_tbl (xen/arch/x86/hvm/mtrr.c).
// Rows: range type UC, WC, WT, WB, WP. Columns: PAT type UC, UC-, WC, WT, WB, WP.
inline constexpr std::array<std::array<memtype_cell, 6>, 5> memtype_table = [] {
    using namespace table_11_7;
    return std::array<std::array<memtype_cell, 6>, 5>{{
        //  UC    UC-   WC    WT    WB    WP       PAT type / range type
        {{UC_a, UC_a, WC_p, UC_a, UC_a, UC_a}}, // UC
        {{UC_b, WC_r, WC_r, UC_b, WC_r, UC_b}}, // WC
        {{UC_b, UC_b, WC_p, WT_r, WT_r, WP_p}}, // WT
        {{UC_b, UC_b, WC_p, WT_p, WB_r, WP_p}}, // WB
        {{UC_b, WC_p, WC_p, WT_p, WP_r, WP_r}}, // WP
    }};
}();
// clang-format on

constexpr std::optional<std::size_t> memtype_table_row(memtype range) {
    for (std::size_t i = 0; i < memtype_table_rows.size(); ++i)
        if (memtype_table_rows[i] == range) return i;
    return std::nullopt; // UC- is not a range type
}

constexpr std::size_t memtype_table_col(memtype pat) {
    for (std::size_t i = 0; i < memtype_table_cols.size(); ++i)
        if (memtype_table_cols[i] == pat) return i;
    return memtype_table_cols.size(); // unreachable: every memtype is a PAT type
}

// Table 11-7 lookup. Throws std::invalid_argument for a range type of UC-, which no MTRR or
// EPT leaf can hold.
constexpr memtype_cell combine_range_pat(memtype range, memtype pat) {
    const auto row = memtype_table_row(range);
    if (!row) throw std::invalid_argument("UC- is not a range type (MTRR or EPT leaf)");
    return memtype_table[*row][memtype_table_col(pat)];
}

// A resolved type with the steps that led to it, for explanations.
struct memtype_explained {
    memtype type = memtype::uc;
    type_source source = type_source::fixed;
    std::vector<std::string> steps;
};

// Table 11-7 with its explanation.
memtype_explained explain_range_pat(memtype range, memtype pat);

} // namespace mtsim
