// The EPT (type, IPAT) that KVM's vmx_get_mt_mask() chooses, by kernel era: the independent
// expectation the policies in kvm/policies/ are tested against. No policy reads this table.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "kvm/policy.h"
#include "model/memtype.h"

namespace mtsim::kvm::era_table {

using kvm::era; // the columns (kvm/policy.h: a policy declares the column it reproduces)
using kvm::era_count;
inline constexpr std::array<std::string_view, era_count> era_labels{
    "<= 6.6", "6.7 - 6.10", "6.11-rc (never released)", "6.11 - 6.15", ">= 6.16"};

// A row's condition on one input.
enum class cond : std::uint8_t { no, yes, any };

constexpr bool satisfies(cond c, bool v) {
    return c == cond::any || (c == cond::yes) == v;
}

// The quirk conditions name what the VMM requested; "–" cells are the eras where a request
// for IGNORE_GUEST_PAT off cannot take effect.
struct row_when {
    cond mmio, noncoherent, guest_cd, quirk_cd_nw_cleared, quirk_ignore_guest_pat, self_snoop;
};

enum class cell_kind : std::uint8_t {
    fixed,         // the (type, ipat) of the cell
    guest_mtrr,    // "guest MTRR type, 0": the type is the guest MTRR type of the frame
    not_applicable // "–": the row cannot arise in that era
};

struct cell {
    cell_kind kind;
    memtype type;
    bool ipat;
};

struct row {
    era_row id;
    row_when when;
    std::array<cell, era_count> by_era;
};

// Source: docs/reference/kvm-policy.md §1, "EPT memory type chosen by KVM
// (vmx_get_mt_mask), by kernel era", transcribed row by row, columns in era order.
constexpr std::array<row, era_row_count> make_rows() {
    constexpr cond Y = cond::yes, N = cond::no, A = cond::any;
    constexpr memtype UC = memtype::uc, WB = memtype::wb;
    constexpr cell mtrr0{cell_kind::guest_mtrr, WB, false};
    constexpr cell na{cell_kind::not_applicable, WB, false};
    auto c = [](memtype t, int ipat) { return cell{cell_kind::fixed, t, ipat != 0}; };
    // clang-format off
    return {{
        //                            mmio nc CD CDNW IGP SS    <= 6.6     6.7-6.10   6.11-rc    6.11-6.15  >= 6.16
        {era_row::mmio,                  {Y, A, A, A, A, A}, {c(UC, 0), c(UC, 0), c(UC, 0), c(UC, 0), c(UC, 0)}},
        {era_row::coherent_no_ss,        {N, N, A, A, A, N}, {c(WB, 1), c(WB, 1), c(WB, 1), c(WB, 1), c(WB, 1)}},
        {era_row::coherent_ss_quirk_on,  {N, N, A, A, Y, Y}, {c(WB, 1), c(WB, 1), c(WB, 0), c(WB, 1), c(WB, 1)}},
        {era_row::coherent_ss_quirk_off, {N, N, A, A, N, Y}, {na,       na,       c(WB, 0), na,       c(WB, 0)}},
        {era_row::nc_cd0,                {N, Y, N, A, A, A}, {mtrr0,    mtrr0,    c(WB, 0), c(WB, 0), c(WB, 0)}},
        {era_row::nc_cd1_cdnw_on,        {N, Y, Y, Y, A, A}, {c(WB, 1), c(WB, 0), c(WB, 0), c(WB, 0), c(WB, 0)}},
        {era_row::nc_cd1_cdnw_off,       {N, Y, Y, N, A, A}, {c(UC, 1), c(UC, 1), c(WB, 0), c(WB, 0), c(WB, 0)}},
    }};
    // clang-format on
}
inline constexpr std::array<row, era_row_count> rows = make_rows();

} // namespace mtsim::kvm::era_table
