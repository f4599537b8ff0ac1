// Formats of the VT-d legacy-mode translation structures, as data: the bit fields of root,
// context and second-level paging entries, the address widths a context entry may select, the
// page size of each level, and the one rule set that classifies a second-level entry (not
// present, reserved, table pointer, leaf). Pure functions; no SystemC kernel needed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "model/enum_names.h"

namespace mtsim::iommu {

// The 128-bit root and context entries are read as two 8-byte halves; only the halves that
// hold fields are listed (the root entry's upper half is entirely reserved and never read).
enum class entry_kind : std::uint8_t { root_lo, context_lo, context_hi, second_level };

struct entry_field {
    entry_kind kind;
    std::string_view name;
    unsigned lo;
    unsigned hi; // inclusive

    constexpr std::uint64_t mask() const {
        const unsigned width = hi - lo + 1;
        return (width == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << width) - 1)) << lo;
    }
    constexpr std::uint64_t get(std::uint64_t e) const { return (e & mask()) >> lo; }
    constexpr std::uint64_t with(std::uint64_t e, std::uint64_t v) const {
        return (e & ~mask()) | ((v << lo) & mask());
    }
    // Address fields keep their bits in place: a 4 KiB aligned physical address.
    constexpr std::uint64_t address(std::uint64_t e) const { return e & mask(); }
    constexpr std::uint64_t with_address(std::uint64_t e, std::uint64_t pa) const {
        return (e & ~mask()) | (pa & mask());
    }
};

// clang-format off
// Intel Virtualization Technology for Directed I/O Architecture Specification (rev. 3.x/4.x):
// §9.1 Root Entry, §9.3 Context Entry, §9.8 Second-Level (second-stage) Paging Entries, legacy
// (non-scalable) translation; the second-level bits as in docs/reference/vtd-pcie.md.
// In root and context entries every bit no field names is reserved (must be 0); in
// second-level entries unnamed bits are ignored and reserved bits are the rules of
// classify_second_level (as QEMU's hw/i386/intel_iommu VTD_SPTE_*_RSVD_MASK also encode them).
inline constexpr std::array<entry_field, 16> entry_fields{{
    {entry_kind::root_lo,      "P",       0,  0},   // context table present
    {entry_kind::root_lo,      "CTP",     12, 63},  // context-table pointer
    {entry_kind::context_lo,   "P",       0,  0},   // present
    {entry_kind::context_lo,   "FPD",     1,  1},   // fault processing disable
    {entry_kind::context_lo,   "TT",      2,  3},   // translation type
    {entry_kind::context_lo,   "SLPTPTR", 12, 63},  // second-level page-table pointer
    {entry_kind::context_hi,   "AW",      0,  2},   // address width (levels), address_widths
    {entry_kind::context_hi,   "IGN",     3,  6},   // ignored by hardware
    {entry_kind::context_hi,   "DID",     8,  23},  // domain identifier
    {entry_kind::second_level, "R",       0,  0},
    {entry_kind::second_level, "W",       1,  1},
    {entry_kind::second_level, "PS",      7,  7},   // page size: leaf above level 1
    {entry_kind::second_level, "A",       8,  8},   // accessed (scalable mode SLADE only)
    {entry_kind::second_level, "D",       9,  9},   // dirty (scalable mode SLADE only)
    {entry_kind::second_level, "SNP",     11, 11},  // snoop: force snooping (needs ECAP.SC)
    {entry_kind::second_level, "ADDR",    12, 51},  // next table or page frame
}};
// clang-format on

// The field of `kind` called `name`; a typo fails compilation when used in a constant.
constexpr const entry_field& field(entry_kind kind, std::string_view name) {
    for (const auto& f : entry_fields)
        if (f.kind == kind && f.name == name) return f;
    throw std::logic_error("no such VT-d entry field");
}

// Bits of a root or context half that no field names: reserved.
constexpr std::uint64_t reserved_mask(entry_kind kind) {
    std::uint64_t used = 0;
    for (const auto& f : entry_fields)
        if (f.kind == kind) used |= f.mask();
    return ~used;
}

namespace fields {
inline constexpr entry_field root_p = field(entry_kind::root_lo, "P");
inline constexpr entry_field root_ctp = field(entry_kind::root_lo, "CTP");
inline constexpr entry_field ctx_p = field(entry_kind::context_lo, "P");
inline constexpr entry_field ctx_fpd = field(entry_kind::context_lo, "FPD");
inline constexpr entry_field ctx_tt = field(entry_kind::context_lo, "TT");
inline constexpr entry_field ctx_slptptr = field(entry_kind::context_lo, "SLPTPTR");
inline constexpr entry_field ctx_aw = field(entry_kind::context_hi, "AW");
inline constexpr entry_field ctx_did = field(entry_kind::context_hi, "DID");
inline constexpr entry_field sl_r = field(entry_kind::second_level, "R");
inline constexpr entry_field sl_w = field(entry_kind::second_level, "W");
inline constexpr entry_field sl_ps = field(entry_kind::second_level, "PS");
inline constexpr entry_field sl_a = field(entry_kind::second_level, "A");
inline constexpr entry_field sl_d = field(entry_kind::second_level, "D");
inline constexpr entry_field sl_snp = field(entry_kind::second_level, "SNP");
inline constexpr entry_field sl_addr = field(entry_kind::second_level, "ADDR");
} // namespace fields

// Root and context entries are 16 bytes; 256 of each fill one 4 KiB table.
inline constexpr std::uint64_t root_entry_bytes = 16;
inline constexpr std::uint64_t context_entry_bytes = 16;
inline constexpr std::uint64_t table_bytes = 4096;
inline constexpr unsigned entries_per_table = 512; // second-level tables, 8-byte entries

// Context-entry TT values (§9.3). The model translates untranslated requests through the
// second-level tables (TT 00b; TT 01b additionally allows device-TLB translated requests,
// which no modelled device sends, so both translate alike). Pass-through (10b) needs
// ECAP.PT, which the model does not advertise; it and 11b are invalid context entries.
inline constexpr std::uint64_t tt_untranslated = 0;
inline constexpr std::uint64_t tt_device_tlb = 1;

struct address_width_row {
    unsigned aw;     // context-entry AW encoding
    unsigned bits;   // guest (input) address width
    unsigned levels; // second-level paging levels walked
};

// VT-d §9.3 (context entry AW) and §10.4.2 CAP.SAGAW: 001b 39-bit 3-level, 010b 48-bit
// 4-level, 011b 57-bit 5-level; other encodings are reserved.
inline constexpr std::array<address_width_row, 3> address_widths{{
    {1, 39, 3},
    {2, 48, 4},
    {3, 57, 5},
}};

constexpr std::optional<address_width_row> address_width_by_aw(unsigned aw) {
    for (const auto& r : address_widths)
        if (r.aw == aw) return r;
    return std::nullopt;
}
constexpr std::optional<address_width_row> address_width_by_bits(unsigned bits) {
    for (const auto& r : address_widths)
        if (r.bits == bits) return r;
    return std::nullopt;
}

// Bytes one entry at `level` (1 = page table) covers: 4 KiB, 2 MiB, 1 GiB, 512 GiB, 256 TiB.
constexpr unsigned level_shift(unsigned level) {
    return 12 + 9 * (level - 1);
}
constexpr unsigned level_index(std::uint64_t iova, unsigned level) {
    return static_cast<unsigned>((iova >> level_shift(level)) & (entries_per_table - 1));
}

// What the remapping unit supports, as far as entry checks depend on it.
struct entry_caps {
    bool snoop_control = false;       // ECAP.SC
    unsigned host_address_width = 46; // CAP.MGAW's host counterpart: physical address bits
    bool large_2m = false;            // CAP.SLLPS bit 0
    bool large_1g = false;            // CAP.SLLPS bit 1
};

enum class sl_class : std::uint8_t { not_present, reserved, table, leaf };

// Which reserved-bit rule an entry broke (none unless the class is reserved).
enum class reserved_rule : std::uint8_t {
    none,
    snp_in_table,        // bit 11 in an entry that points to a table: always reserved
    snp_without_sc,      // SNP in a leaf when the unit has no snoop control
    address_above_haw,   // ADDR bits at or above the host address width
    ps_unsupported,      // PS=1 at a level with no large-page support (levels 4, 5 never)
    large_page_low_bits, // a 2 MiB / 1 GiB leaf's ADDR bits below its page size
};

constexpr auto enum_names_of(reserved_rule) {
    return names_table("none", "SNP (bit 11) in a non-leaf entry", "SNP in a leaf without ECAP.SC",
                       "address bits above the host address width",
                       "PS at a level without large-page support",
                       "large-page address bits below its size");
}
std::string_view to_string(reserved_rule r);

struct sl_check {
    sl_class cls = sl_class::not_present;
    reserved_rule rule = reserved_rule::none;
};

// Classifies an 8-byte second-level entry read at `level` (1..5). Present means R or W.
// Level 1 entries are always leaves (bit 7 is ignored there); above, PS selects a leaf.
sl_check classify_second_level(std::uint64_t e, unsigned level, const entry_caps& caps);

// Whether a leaf may sit at `level` given the large-page support.
constexpr bool leaf_allowed(unsigned level, const entry_caps& caps) {
    return level == 1 || (level == 2 && caps.large_2m) || (level == 3 && caps.large_1g);
}

// Address bits [haw, 63] of a physical address: nonzero means beyond the host address width.
constexpr std::uint64_t above_haw_mask(unsigned haw) {
    return haw >= 64 ? 0 : ~((std::uint64_t{1} << haw) - 1);
}

} // namespace mtsim::iommu
