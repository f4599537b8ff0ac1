// The architectural formats of the EPTP and of EPT entries, as field tables: what KVM writes
// (kvm/ept_builder) and what the walker reads (cpu/ept, cpu/walker) come from this one place.
// Source: Intel SDM vol. 3, 24.6.11 (EPTP) and 28.3.2, Tables 28-1..28-6 (EPT entries);
// docs/reference/ept.md.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace mtsim {

// A named bit range of a register or entry: bits [lsb + width - 1 : lsb].
struct bit_field {
    std::string_view name;
    unsigned lsb;
    unsigned width;
};

constexpr std::uint64_t field_mask(const bit_field& f) {
    return (f.width >= 64 ? ~0ULL : ((1ULL << f.width) - 1)) << f.lsb;
}
constexpr std::uint64_t field_get(const bit_field& f, std::uint64_t v) {
    return (v & field_mask(f)) >> f.lsb;
}
constexpr std::uint64_t field_put(const bit_field& f, std::uint64_t v, std::uint64_t x) {
    return (v & ~field_mask(f)) | ((x << f.lsb) & field_mask(f));
}
// Bits [hi:lo] set.
constexpr std::uint64_t bits(unsigned hi, unsigned lo) {
    return (hi >= 63 ? ~0ULL : ((1ULL << (hi + 1)) - 1)) & ~((1ULL << lo) - 1);
}

enum class eptp_field : unsigned { memtype, walk_length, ad_enable, root };
// SDM vol. 3, 24.6.11 (Extended-Page-Table Pointer); docs/reference/ept.md. Bits 11:7 are
// reserved in this model (bit 7, supervisor shadow-stack control, is not modelled).
inline constexpr std::array<bit_field, 4> eptp_fields{{
    {"memtype", 0, 3},
    {"walk_length_minus_1", 3, 3},
    {"ad_enable", 6, 1},
    {"root", 12, 40},
}};
constexpr const bit_field& field(eptp_field f) {
    return eptp_fields[static_cast<unsigned>(f)];
}

enum class ept_field : unsigned { r, w, x, memtype, ipat, ps, accessed, dirty, address };
// SDM vol. 3, 28.3.2 (EPT Translation Mechanism), Tables 28-1..28-6; docs/reference/ept.md.
// memtype and ipat exist only in leaves, ps only in PDPTEs and PDEs, dirty only in leaves.
inline constexpr std::array<bit_field, 9> ept_entry_fields{{
    {"R", 0, 1},
    {"W", 1, 1},
    {"X", 2, 1},
    {"memtype", 3, 3},
    {"IPAT", 6, 1},
    {"PS", 7, 1},
    {"A", 8, 1},
    {"D", 9, 1},
    {"address", 12, 40},
}};
constexpr const bit_field& field(ept_field f) {
    return ept_entry_fields[static_cast<unsigned>(f)];
}
constexpr bool ept_bit(ept_field f, std::uint64_t e) {
    return field_get(field(f), e) != 0;
}

// Levels count from the bottom: 1 PT, 2 PD, 3 PDPT, 4 PML4, 5 PML5. The same numbering and
// index positions serve guest 4-level paging.
constexpr unsigned level_shift(unsigned level) {
    return 12 + 9 * (level - 1);
}
constexpr unsigned level_index(std::uint64_t addr, unsigned level) {
    return static_cast<unsigned>((addr >> level_shift(level)) & 511);
}
constexpr std::uint64_t address_of(std::uint64_t entry) {
    return entry & bits(51, 12);
}

} // namespace mtsim
