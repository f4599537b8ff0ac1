// Memory type range registers: the range type of a physical address as the CPU resolves it
// from IA32_MTRR_DEF_TYPE, the fixed-range and the variable-range MTRRs. Used for a host
// without EPT and for the guest's own view. Reference: docs/reference/memory-types.md §4.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/gp_fault.h"
#include "model/memtype.h"

namespace mtsim {

inline constexpr std::uint32_t ia32_mtrr_def_type_msr = 0x2FF;
inline constexpr std::uint32_t ia32_mtrr_physbase0_msr = 0x200; // PHYSBASEn = 0x200 + 2n
inline constexpr std::uint32_t ia32_mtrr_physmask0_msr = 0x201; // PHYSMASKn = 0x201 + 2n

// IA32_MTRR_DEF_TYPE: type [7:0], FE bit 10, E bit 11; bits 9:8 and 63:12 reserved.
inline constexpr std::uint64_t mtrr_def_fe_bit = 1ULL << 10;
inline constexpr std::uint64_t mtrr_def_e_bit = 1ULL << 11;
inline constexpr std::uint64_t mtrr_def_reserved_mask =
    ~(0xFFULL | mtrr_def_fe_bit | mtrr_def_e_bit);
// IA32_MTRR_PHYSMASKn: valid bit 11.
inline constexpr std::uint64_t mtrr_physmask_valid_bit = 1ULL << 11;

struct fixed_mtrr {
    std::uint32_t msr;
    std::uint32_t base; // physical address of the first of the register's eight sub-ranges
    std::uint32_t unit; // size of each sub-range (one byte field of the MSR)
    std::string_view name;
};

// SDM vol. 3 11.11.2.2 (Fixed Range MTRRs), Table 11-9 (address mapping of the fixed-range
// MTRRs): 11 registers of eight 8-bit type fields covering the first 1 MiB.
inline constexpr std::array<fixed_mtrr, 11> fixed_mtrrs{{
    {0x250, 0x00000, 0x10000, "IA32_MTRR_FIX64K_00000"},
    {0x258, 0x80000, 0x4000, "IA32_MTRR_FIX16K_80000"},
    {0x259, 0xA0000, 0x4000, "IA32_MTRR_FIX16K_A0000"},
    {0x268, 0xC0000, 0x1000, "IA32_MTRR_FIX4K_C0000"},
    {0x269, 0xC8000, 0x1000, "IA32_MTRR_FIX4K_C8000"},
    {0x26A, 0xD0000, 0x1000, "IA32_MTRR_FIX4K_D0000"},
    {0x26B, 0xD8000, 0x1000, "IA32_MTRR_FIX4K_D8000"},
    {0x26C, 0xE0000, 0x1000, "IA32_MTRR_FIX4K_E0000"},
    {0x26D, 0xE8000, 0x1000, "IA32_MTRR_FIX4K_E8000"},
    {0x26E, 0xF0000, 0x1000, "IA32_MTRR_FIX4K_F0000"},
    {0x26F, 0xF8000, 0x1000, "IA32_MTRR_FIX4K_F8000"},
}};
inline constexpr std::uint64_t fixed_mtrr_limit = 0x100000; // fixed ranges cover [0, 1 MiB)

// An MTRR type field: UC, WC, WT, WP, WB are valid; 2, 3, 7 (UC- exists only in the PAT) and
// anything above are reserved and raise #GP.
constexpr std::optional<memtype> mtrr_type_from_encoding(std::uint64_t v) {
    if (v == encoding(memtype::uc_minus) || v > 0xFF) return std::nullopt;
    return memtype_from_encoding(static_cast<unsigned>(v));
}

// What the CPU reports in IA32_MTRRCAP and its physical-address width.
struct mtrr_config {
    unsigned phys_addr_bits = 46; // MAXPHYADDR: base/mask bits above it are reserved
    unsigned variable_count = 10; // IA32_MTRRCAP.VCNT
    bool wc_supported = true;     // IA32_MTRRCAP.WC: without it a WC type raises #GP
};

// One MTRR that matched an address: a fixed-range field or a variable range.
struct mtrr_match {
    bool fixed = false;
    unsigned index = 0; // fixed: index into fixed_mtrrs; variable: n of PHYSBASEn/PHYSMASKn
    unsigned field = 0; // fixed only: byte field 0..7 of the register
    memtype type = memtype::uc;
};

enum class mtrr_rule : std::uint8_t {
    disabled,     // E = 0: everything is UC
    fixed,        // FE = 1 and the address is below 1 MiB
    variable,     // one or more variable ranges matched
    default_type, // E = 1 and nothing matched
};

struct mtrr_resolution {
    std::optional<memtype> type; // empty when matching variable ranges overlap undefinedly
    mtrr_rule rule = mtrr_rule::disabled;
    std::vector<mtrr_match> matched;
    std::string conflict;           // set when type is empty: names the ranges and their types
    std::vector<std::string> steps; // how the type was found, for `mtsim memtype`-style output
};

// The MTRR MSRs of one logical processor. Reset state: DEF_TYPE = 0 (E = 0, all UC), every
// other MTRR zero. A write that would raise #GP leaves the state unchanged.
class mtrr_state {
public:
    explicit mtrr_state(const mtrr_config& cfg = {});

    const mtrr_config& config() const { return m_cfg; }

    // Any MTRR MSR by number; another number raises #GP (it is not an MTRR).
    wrmsr_result wrmsr(std::uint32_t msr, std::uint64_t value);
    // nullopt when msr is not an MTRR of this CPU (RDMSR would raise #GP).
    std::optional<std::uint64_t> rdmsr(std::uint32_t msr) const;

    wrmsr_result set_def_type(memtype type, bool fe, bool e);
    // Variable range n; base and mask are physical addresses (low 12 bits must be 0).
    wrmsr_result set_variable(unsigned n, std::uint64_t base, std::uint64_t mask, memtype type,
                              bool valid = true);
    // All eight fields of fixed_mtrrs[reg].
    wrmsr_result set_fixed(unsigned reg, const std::array<memtype, 8>& types);

    // The range type of physical address addr; throws std::out_of_range when addr is not
    // below 2^phys_addr_bits.
    mtrr_resolution resolve(std::uint64_t addr) const;

private:
    std::uint64_t phys_mask() const; // bits MAXPHYADDR-1:12
    wrmsr_result check_type(std::string_view reg, std::uint64_t enc) const;

    mtrr_config m_cfg;
    std::uint64_t m_def_type = 0;
    std::array<std::uint64_t, fixed_mtrrs.size()> m_fixed{};
    std::vector<std::uint64_t> m_physbase;
    std::vector<std::uint64_t> m_physmask;
};

} // namespace mtsim
