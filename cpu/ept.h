// EPT formats and rules: the EPTP, the entry layout, misconfiguration and violation
// (exit reasons 49 and 48) with the exit qualification. Pure functions over raw values, so
// the rules are tested without a walker or the SystemC kernel.
// Reference: docs/reference/ept.md (Intel SDM vol. 3, 28.2 and 28.3).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "model/enum_names.h"
#include "model/ept_format.h"
#include "model/memtype.h"
#include "model/params.h"

namespace mtsim::cpu {

// What an access does to the memory it names; EPT permissions R, W, X are checked against it.
enum class access_kind : std::uint8_t { read, write, fetch };

constexpr auto enum_names_of(access_kind) {
    return names_table("read", "write", "fetch");
}
std::string_view to_string(access_kind k);

// The entry formats are shared vocabulary (the hypervisor writes what the walker reads).
using mtsim::address_of;
using mtsim::bit_field;
using mtsim::bits;
using mtsim::ept_bit;
using mtsim::ept_entry_fields;
using mtsim::ept_field;
using mtsim::eptp_field;
using mtsim::eptp_fields;
using mtsim::field;
using mtsim::field_get;
using mtsim::field_mask;
using mtsim::field_put;
using mtsim::level_index;
using mtsim::level_shift;

// R/W/X as a 3-bit mask: bit 0 read, bit 1 write, bit 2 execute (the entry's bits 2:0).
// perm_xu is EPT bit 10, user-mode execute, which counts only under mode-based execute control
// (MBEC, secondary processor-based VM-execution control bit 22; SDM Vol. 3C §29.3.2): then
// bit 2 allows fetches from supervisor-mode linear addresses and bit 10 from user-mode ones
// (U/S = 1 in every guest paging-structure entry of the translation).
inline constexpr unsigned perm_r = 1, perm_w = 2, perm_x = 4, perm_xu = 8;
constexpr unsigned ept_rwx(std::uint64_t e) {
    return static_cast<unsigned>(e & 7);
}
// The rights an entry grants: bits 2:0, and bit 10 as perm_xu under MBEC. An entry is present
// when this is not 0 (with MBEC, bit 10 alone makes it present).
constexpr unsigned ept_rights(std::uint64_t e, bool mbec) {
    return ept_rwx(e) | (mbec && ((e >> 10) & 1) ? perm_xu : 0);
}
// The permission a fetch needs: perm_xu for a user-mode linear address under MBEC.
constexpr unsigned fetch_perm(bool user_address, bool mbec) {
    return mbec && user_address ? perm_xu : perm_x;
}
constexpr unsigned required_perm(access_kind k) {
    return k == access_kind::read ? perm_r : k == access_kind::write ? perm_w : perm_x;
}

// The CPU's EPT capabilities (IA32_VMX_EPT_VPID_CAP) and physical-address width.
struct ept_caps {
    std::uint64_t maxphyaddr = 46;
    bool execute_only = true; // bit 0: an entry with bits 2:0 = 100 is legal
    bool pages_1g = true;     // bit 17: a PDPTE may map 1 GiB
    bool walk_5level = true;  // bit 7: EPTP may select a 5-level walk
    void describe(param_visitor& v) {
        v.uint("maxphyaddr", maxphyaddr, "host physical-address width (CPUID.80000008H:EAX[7:0])",
               "bits", 36, 52);
        v.flag("execute_only", execute_only,
               "EPT entries may be execute-only (IA32_VMX_EPT_VPID_CAP bit 0)");
        v.flag("pages_1g", pages_1g, "EPT PDPTEs may map 1 GiB (IA32_VMX_EPT_VPID_CAP bit 17)");
        v.flag("walk_5level", walk_5level,
               "EPTP may select a 5-level walk (IA32_VMX_EPT_VPID_CAP bit 7)");
    }
};

struct eptp {
    memtype walk_type = memtype::wb; // memory type of the EPT walk's own references
    unsigned levels = 4;             // 4 or 5
    bool ad = false;                 // accessed and dirty flags enabled
    std::uint64_t root = 0;          // host-physical address of the PML4 (PML5)
};

// Decodes an EPTP value. A value VM entry would refuse (memory type other than UC or WB, walk
// length other than 4 or 5 or 5 without the capability, reserved bits 11:7, root address bits
// >= MAXPHYADDR) throws std::invalid_argument naming the field.
eptp decode_eptp(std::uint64_t value, const ept_caps& caps);
std::uint64_t encode_eptp(const eptp& p);

enum class ept_misconfig : std::uint8_t {
    write_without_read,      // bits 2:0 = 010 or 110
    execute_only,            // bits 2:0 = 100 without the execute-only capability
    address_above_maxphy,    // address bits 51:MAXPHYADDR not zero
    ps_in_top_level,         // PS in a PML4E or PML5E
    ps_1g_unsupported,       // PS in a PDPTE without 1 GiB support
    large_leaf_address_bits, // bits 29:12 (1 GiB) or 20:12 (2 MiB) not zero
    non_leaf_reserved,       // bits 7:3 of a non-leaf entry not zero
    leaf_memtype,            // memory type 2, 3 or 7 in a leaf
};

constexpr auto enum_names_of(ept_misconfig) {
    return names_table("write without read (bits 2:0 = x10)",
                       "execute-only entry (bits 2:0 = 100) without the execute-only capability",
                       "address bits at or above MAXPHYADDR", "PS set in a PML4E/PML5E",
                       "PS set in a PDPTE without 1 GiB page support",
                       "non-zero low address bits in a large-page leaf",
                       "reserved bits 7:3 set in a non-leaf entry", "leaf memory type 2, 3 or 7");
}
std::string_view to_string(ept_misconfig m);

// Which format an entry has, decided by its level and (at PDPT and PD) its PS bit.
enum class ept_entry_kind : std::uint8_t { top, pdpte_table, pdpte_1g, pde_table, pde_2m, pte };
constexpr ept_entry_kind ept_kind(unsigned level, std::uint64_t e) {
    const bool ps = ept_bit(ept_field::ps, e);
    switch (level) {
    case 1:
        return ept_entry_kind::pte;
    case 2:
        return ps ? ept_entry_kind::pde_2m : ept_entry_kind::pde_table;
    case 3:
        return ps ? ept_entry_kind::pdpte_1g : ept_entry_kind::pdpte_table;
    default:
        return ept_entry_kind::top;
    }
}
constexpr bool is_leaf(ept_entry_kind k) {
    return k == ept_entry_kind::pte || k == ept_entry_kind::pde_2m || k == ept_entry_kind::pdpte_1g;
}

struct ept_reserved_rule {
    ept_entry_kind kind;
    std::uint64_t mask; // bits that must be zero below bit 12 / inside the address field
    ept_misconfig reason;
};
// SDM vol. 3, 28.3.3.1 (EPT Misconfigurations) and Tables 28-1..28-6; docs/reference/ept.md.
// The fixed reserved bits of each entry format (the bits >= MAXPHYADDR come from ept_caps).
// A PML4E/PML5E reserves bits 7:3 and bit 7 is reported as its own reason (PS).
inline constexpr std::array<ept_reserved_rule, 6> ept_reserved_rules{{
    {ept_entry_kind::top, bits(7, 7), ept_misconfig::ps_in_top_level},
    {ept_entry_kind::top, bits(6, 3), ept_misconfig::non_leaf_reserved},
    {ept_entry_kind::pdpte_table, bits(6, 3), ept_misconfig::non_leaf_reserved},
    {ept_entry_kind::pde_table, bits(6, 3), ept_misconfig::non_leaf_reserved},
    {ept_entry_kind::pdpte_1g, bits(29, 12), ept_misconfig::large_leaf_address_bits},
    {ept_entry_kind::pde_2m, bits(20, 12), ept_misconfig::large_leaf_address_bits},
}};

// The misconfiguration a present entry (ept_rights != 0) at `level` has, if any. Checks run in
// the order of ept_misconfig; the first one that applies is reported. Under MBEC an entry with
// bit 0 clear and bit 10 set is execute-only too (SDM Vol. 3C §29.3.3.1).
std::optional<ept_misconfig> check_ept_entry(std::uint64_t e, unsigned level, const ept_caps& caps,
                                             bool mbec = false);

// Exit qualification of an EPT violation. SDM vol. 3, 27.2.1, Table 27-7; docs/reference/ept.md.
enum class qual_field : unsigned {
    read,
    write,
    fetch,
    readable,
    writable,
    executable,
    user_executable,
    gla_valid,
    final_translation
};
inline constexpr std::array<bit_field, 9> qualification_fields{{
    {"data_read", 0, 1},
    {"data_write", 1, 1},
    {"instruction_fetch", 2, 1},
    {"readable", 3, 1},        // AND of bit 0 over the EPT entries used
    {"writable", 4, 1},        // AND of bit 1
    {"executable", 5, 1},      // AND of bit 2 (supervisor-mode execute under MBEC)
    {"user_executable", 6, 1}, // AND of bit 10 under MBEC; undefined without (reported 0)
    {"gla_valid", 7, 1},
    {"final_translation", 8, 1}, // 1: the linear address's translation; 0: a guest table access
}};
constexpr const bit_field& field(qual_field f) {
    return qualification_fields[static_cast<unsigned>(f)];
}

struct violation_facts {
    unsigned access = 0;  // perm_r | perm_w | perm_x | perm_xu: what the access was (R and W
                          // both for guest table accesses treated as writes)
    unsigned rwx_and = 0; // AND of ept_rights over the entries used (0 when one is not present)
    bool gla_valid = true;
    bool final_translation = true;
};
constexpr std::uint64_t ept_qualification(const violation_facts& f) {
    std::uint64_t q = 0;
    q = field_put(field(qual_field::read), q, (f.access & perm_r) != 0);
    q = field_put(field(qual_field::write), q, (f.access & perm_w) != 0);
    q = field_put(field(qual_field::fetch), q, (f.access & (perm_x | perm_xu)) != 0);
    q = field_put(field(qual_field::readable), q, (f.rwx_and & perm_r) != 0);
    q = field_put(field(qual_field::writable), q, (f.rwx_and & perm_w) != 0);
    q = field_put(field(qual_field::executable), q, (f.rwx_and & perm_x) != 0);
    q = field_put(field(qual_field::user_executable), q, (f.rwx_and & perm_xu) != 0);
    q = field_put(field(qual_field::gla_valid), q, f.gla_valid);
    q = field_put(field(qual_field::final_translation), q, f.gla_valid && f.final_translation);
    return q;
}

} // namespace mtsim::cpu
