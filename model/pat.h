// IA32_PAT (MSR 0x277): decode of the eight 3-bit entries and the PAT index a paging entry
// selects. Reference: docs/reference/memory-types.md §3.
#pragma once

#include <array>
#include <cstdint>

#include "model/gp_fault.h"
#include "model/memtype.h"

namespace mtsim {

inline constexpr std::uint32_t ia32_pat_msr = 0x277;

// SDM vol. 3 11.12.4 (Programming the PAT): value after power-up or reset:
// PA0..PA7 = WB, WT, UC-, UC, WB, WT, UC-, UC.
inline constexpr std::uint64_t pat_reset_value = 0x0007040600070406ULL;
// Linux arch/x86/mm/pat/memtype.c (pat_bp_init): PA0..PA7 = WB, WC, UC-, UC, WB, WP, UC-, WT.
inline constexpr std::uint64_t pat_linux_value = 0x0407050600070106ULL;
// Only bits [8i+2:8i] hold entries; a WRMSR that sets any other bit raises #GP.
inline constexpr std::uint64_t pat_reserved_mask = ~0x0707070707070707ULL;

using pat_entries = std::array<memtype, 8>;

// The raw 3-bit field PAi of an IA32_PAT value.
constexpr unsigned pat_field(std::uint64_t msr, unsigned i) {
    return static_cast<unsigned>((msr >> (8 * i)) & 7);
}

// Decodes an IA32_PAT value as WRMSR would accept it: reserved bits, or a field holding a
// reserved encoding (2 or 3), raise #GP.
or_gp<pat_entries> decode_pat(std::uint64_t msr);

// The IA32_PAT value that holds these entries.
std::uint64_t encode_pat(const pat_entries& e);

// Size of the page a paging-structure entry maps; it decides where the PAT bit lives.
enum class page_size : std::uint8_t { size_4k, size_2m, size_1g };
inline constexpr std::array<page_size, 3> all_page_sizes{page_size::size_4k, page_size::size_2m,
                                                         page_size::size_1g};

struct pat_bit_positions {
    unsigned pwt;
    unsigned pcd;
    unsigned pat;
};

// SDM vol. 3 ch. 4 (formats of a PDPTE mapping 1 GiB, a PDE mapping 2 MiB and a PTE): PWT bit 3,
// PCD bit 4; PAT is bit 7 in a 4 KiB PTE and bit 12 in a large-page entry (bit 7 is PS there).
// Indexed by page_size.
inline constexpr std::array<pat_bit_positions, 3> pat_bits{{
    {3, 4, 7},  // 4 KiB PTE
    {3, 4, 12}, // 2 MiB PDE
    {3, 4, 12}, // 1 GiB PDPTE
}};

// PAT index = 4*PAT + 2*PCD + PWT of the entry that maps the page.
constexpr unsigned pat_index(std::uint64_t entry, page_size sz) {
    const pat_bit_positions& b = pat_bits[static_cast<unsigned>(sz)];
    const auto bit = [entry](unsigned n) { return static_cast<unsigned>((entry >> n) & 1); };
    return 4 * bit(b.pat) + 2 * bit(b.pcd) + bit(b.pwt);
}

// The memory type the PAT assigns to the page mapped by this entry.
constexpr memtype pat_type(const pat_entries& pat, std::uint64_t entry, page_size sz) {
    return pat[pat_index(entry, sz)];
}

// The PWT/PCD/PAT bits that select PAT index idx (0..7) in an entry of this size.
constexpr std::uint64_t pat_index_bits(unsigned idx, page_size sz) {
    const pat_bit_positions& b = pat_bits[static_cast<unsigned>(sz)];
    return (std::uint64_t{(idx >> 2) & 1} << b.pat) | (std::uint64_t{(idx >> 1) & 1} << b.pcd) |
           (std::uint64_t{idx & 1} << b.pwt);
}

} // namespace mtsim
