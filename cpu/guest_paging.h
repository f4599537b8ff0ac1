// Guest 4-level paging formats and rules: entry layout, reserved bits, page-fault error code.
// Pure functions over raw values. Source: Intel SDM vol. 3, 4.5 (4-level paging), 4.6 (access
// rights), 4.7 (page-fault exceptions); PAT bits per docs/reference/memory-types.md §3.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "cpu/ept.h"
#include "model/enum_names.h"
#include "model/params.h"
#include "model/pat.h"

namespace mtsim::cpu {

enum class guest_field : unsigned {
    p,
    rw,
    us,
    pwt,
    pcd,
    accessed,
    dirty,
    ps,
    global,
    pat_large,
    address,
    xd
};
// SDM vol. 3, Tables 4-15..4-20 (formats of CR3 and paging-structure entries, 4-level paging).
// PAT of a 4 KiB PTE is bit 7, which is PS in the upper levels (guest_pte_pat below).
inline constexpr std::array<bit_field, 12> guest_entry_fields{{
    {"P", 0, 1},
    {"R/W", 1, 1},
    {"U/S", 2, 1},
    {"PWT", 3, 1},
    {"PCD", 4, 1},
    {"A", 5, 1},
    {"D", 6, 1},
    {"PS", 7, 1},
    {"G", 8, 1},
    {"PAT", 12, 1},
    {"address", 12, 40},
    {"XD", 63, 1},
}};
inline constexpr bit_field guest_pte_pat{"PAT", 7, 1};
constexpr const bit_field& field(guest_field f) {
    return guest_entry_fields[static_cast<unsigned>(f)];
}
constexpr bool guest_bit(guest_field f, std::uint64_t e) {
    return field_get(field(f), e) != 0;
}

// A guest entry maps a page at PTE level, or at PDE/PDPTE level with PS = 1.
constexpr bool guest_is_leaf(unsigned level, std::uint64_t e) {
    return level == 1 || ((level == 2 || level == 3) && guest_bit(guest_field::ps, e));
}
constexpr page_size guest_page_size(unsigned level) {
    return level == 1 ? page_size::size_4k : level == 2 ? page_size::size_2m : page_size::size_1g;
}
// Address of the page or table an entry names: a large leaf's frame is above its PAT bit.
constexpr std::uint64_t guest_frame(unsigned level, std::uint64_t e) {
    return e & bits(51, level_shift(guest_is_leaf(level, e) ? level : 1));
}

// The guest CPU's paging features (its CPUID) that decide which bits are reserved.
struct guest_caps {
    std::uint64_t maxphyaddr = 46; // guest physical-address width
    bool pages_1g = true;          // CPUID.80000001H:EDX.Page1GB
    void describe(param_visitor& v) {
        v.uint("maxphyaddr", maxphyaddr, "guest physical-address width", "bits", 36, 52);
        v.flag("pages_1g", pages_1g, "guest PDPTEs may map 1 GiB (CPUID.80000001H:EDX[26])");
    }
};

// The guest registers a walk reads. 4-level paging only: CR0.PG = CR4.PAE = EFER.LME = 1.
struct guest_regs {
    std::uint64_t cr3 = 0; // PML4 address, PWT bit 3, PCD bit 4
    // decoded IA32_PAT of the guest; the reset value WB, WT, UC-, UC, WB, WT, UC-, UC
    pat_entries pat{memtype::wb, memtype::wt, memtype::uc_minus, memtype::uc,
                    memtype::wb, memtype::wt, memtype::uc_minus, memtype::uc};
    bool cr0_cd = false;
    bool cr0_wp = true;   // supervisor writes honour R/W
    bool efer_nxe = true; // XD is a permission bit (else a reserved bit)
    bool cr4_pge = true;  // global pages survive CR3 writes
};

enum class guest_reserved : std::uint8_t {
    none,
    address_above_maxphy,
    ps_in_pml4e,
    ps_1g_unsupported,
    large_leaf_address_bits,
    xd_without_nxe
};

constexpr auto enum_names_of(guest_reserved) {
    return names_table("none", "address bits at or above MAXPHYADDR", "PS set in a PML4E",
                       "PS set in a PDPTE without 1 GiB pages",
                       "non-zero low address bits in a large-page entry",
                       "XD set with EFER.NXE = 0");
}
std::string_view to_string(guest_reserved r);

// The reserved-bit violation of a present entry at `level`, or guest_reserved::none.
guest_reserved check_guest_entry(std::uint64_t e, unsigned level, const guest_caps& caps,
                                 const guest_regs& regs);

// Page-fault error code. SDM vol. 3, 4.7, Figure 4-12.
enum class pf_field : unsigned { p, wr, us, rsvd, id };
inline constexpr std::array<bit_field, 5> pf_error_fields{{
    {"P", 0, 1},    // 0: not present; 1: protection or reserved bit
    {"W/R", 1, 1},  // the access was a write
    {"U/S", 2, 1},  // the access was a user-mode access
    {"RSVD", 3, 1}, // a reserved bit was set
    {"I/D", 4, 1},  // instruction fetch (with EFER.NXE = 1)
}};
constexpr const bit_field& field(pf_field f) {
    return pf_error_fields[static_cast<unsigned>(f)];
}

struct pf_facts {
    bool present = false;
    bool reserved = false;
    access_kind kind = access_kind::read;
    bool user = false;
    bool nxe = true;
};
constexpr std::uint32_t pf_error_code(const pf_facts& f) {
    std::uint64_t c = 0;
    c = field_put(field(pf_field::p), c, f.present || f.reserved);
    c = field_put(field(pf_field::wr), c, f.kind == access_kind::write);
    c = field_put(field(pf_field::us), c, f.user);
    c = field_put(field(pf_field::rsvd), c, f.reserved);
    c = field_put(field(pf_field::id), c, f.kind == access_kind::fetch && f.nxe);
    return static_cast<std::uint32_t>(c);
}

// Cumulative guest access rights over the entries of a walk (SDM 4.6): writable and user
// only when every entry allows it, execute-disable when any entry sets XD.
struct guest_rights {
    bool writable = true;
    bool user = true;
    bool xd = false;
    void add(std::uint64_t e, bool nxe) {
        writable = writable && guest_bit(guest_field::rw, e);
        user = user && guest_bit(guest_field::us, e);
        xd = xd || (nxe && guest_bit(guest_field::xd, e));
    }
    // Whether these rights allow the access (SMEP, SMAP and protection keys not modelled:
    // supervisor accesses to user pages are allowed).
    bool allow(access_kind k, bool user_mode, bool cr0_wp) const {
        if (user_mode && !user) return false;
        if (k == access_kind::write && !writable && (user_mode || cr0_wp)) return false;
        if (k == access_kind::fetch && xd) return false;
        return true;
    }
};

} // namespace mtsim::cpu
