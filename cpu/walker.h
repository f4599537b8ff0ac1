// The two-dimensional page walker: guest 4-level paging whose every paging-structure reference
// is a guest-physical access translated through EPT (4 or 5 levels), then the EPT translation
// of the final guest-physical address. Each entry read or A/D write is one reference through
// table_memory, typed as the hardware types it:
// - EPT entries: the EPTP walk memory type (UC or WB);
// - guest entries: the effective type of a guest-physical access (EPT leaf type, IPAT, the
//   guest PAT entry chosen by the PWT/PCD of the entry pointing to the table with PAT = 0,
//   CR0.CD; docs/reference/memory-types.md §3 and docs/reference/ept.md).
// Guest MTRRs play no part: under EPT they do not affect guest accesses
// (docs/reference/memory-types.md §4).
//
// Order of checks at each EPT entry: not present ends the walk (violation); a present entry is
// checked for misconfiguration; permissions (the AND over the path) are checked when the leaf
// is reached. Guest #PF: not present or reserved bit at the entry where it occurs, access
// rights after the leaf. Guest A/D flags are set only after the walk succeeded, as writes to
// guest memory that need EPT write permission; EPT A/D flags (EPTP bit 6) likewise.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <systemc>
#include <vector>

#include "cpu/ept.h"
#include "cpu/guest_paging.h"
#include "cpu/tlb.h"
#include "model/access_ext.h"
#include "model/cycles.h"
#include "model/enum_names.h"
#include "model/ept_memtype.h"
#include "model/memtype_table.h"
#include "model/params.h"
#include "model/table_memory.h"

namespace mtsim::cpu {

struct walker_config {
    ept_caps ept;
    guest_caps guest;
    // With EPT A/D flags enabled, guest paging-structure accesses are writes for EPT: they need
    // W, set the EPT leaf's D flag and report qualification bits 0 and 1 (SDM vol. 3,
    // 28.3.3.2; emulated the same way by Linux arch/x86/kvm/mmu/paging_tmpl.h,
    // walk_addr_generic: nested_access = have_ad ? WRITE : 0 | USER). Not in the reference
    // markdown, hence a parameter.
    bool ad_guest_tables_are_writes = true;
    // Mode-based execute control for EPT (MBEC), the secondary processor-based VM-execution
    // control bit 22 the hypervisor sets: see perm_xu in cpu/ept.h.
    bool mbec = false;
    // Keep the step list (the `mtsim walk` view). The vCPU's runtime default is off
    // (vcpu_config); exits and timing do not depend on it.
    bool record_steps = true;
    void describe(param_visitor& v);
};

enum class walk_stage : std::uint8_t { guest, ept };
std::string_view to_string(walk_stage s);

// One reference of a walk.
struct walk_step {
    walk_stage stage = walk_stage::guest;
    unsigned level = 0;              // 1 PT .. 5 PML5
    unsigned for_guest_level = 0;    // EPT steps: the guest level whose table is being reached,
                                     // 0 for the final translation; guest steps: = level
    bool write = false;              // an A/D flag update
    std::uint64_t address = 0;       // host-physical address of the entry
    std::uint64_t guest_address = 0; // guest steps: the entry's guest-physical address;
                                     // EPT steps: the guest-physical address being translated
    std::uint64_t value = 0;         // raw entry read, or written
    memtype type = memtype::wb;
    type_source source = type_source::fixed;
    cycles cost{};
};

enum class walk_outcome : std::uint8_t { translated, ept_violation, ept_misconfig, page_fault };

constexpr auto enum_names_of(walk_outcome) {
    return names_table("translated", "EPT violation", "EPT misconfiguration", "guest #PF");
}
std::string_view to_string(walk_outcome o);

struct walk_result {
    walk_outcome outcome = walk_outcome::translated;
    std::uint64_t gva = 0;
    access_kind kind = access_kind::read;
    bool user = false;

    // translated
    std::uint64_t gpa = 0;
    std::uint64_t hpa = 0;
    unsigned guest_leaf_level = 0; // 1 4 KiB, 2 2 MiB, 3 1 GiB
    unsigned ept_leaf_level = 0;
    guest_rights rights{};
    unsigned ept_rwx = 0;
    bool dirty = false;  // a write may use the mapping (guest D and, with EPT A/D, EPT D set)
    bool global = false; // guest G with CR4.PGE

    // effective memory type and its derivation
    bool cr0_cd = false;
    unsigned guest_pat_index = 0;
    memtype guest_pat_type = memtype::wb;
    memtype ept_type = memtype::wb;
    bool ipat = false;
    memtype type = memtype::wb;
    type_source source = type_source::fixed;

    // exits
    std::uint64_t exit_gpa = 0;      // EPT exits: the guest-physical address being translated
    bool exit_final = false;         // EPT exits: in the final translation (not a guest table's)
    std::uint64_t qualification = 0; // EPT violation
    ept_misconfig misconfig = ept_misconfig::write_without_read;
    std::uint32_t error_code = 0; // guest #PF (CR2 = gva)
    guest_reserved pf_reserved = guest_reserved::none;
    walk_stage exit_stage = walk_stage::guest;
    unsigned exit_level = 0;      // level of the entry that caused the exit (0: permissions)
    std::uint64_t exit_entry = 0; // its raw value

    unsigned reads = 0;
    unsigned writes = 0;
    cycles cost{};
    std::vector<walk_step> steps;

    unsigned references() const { return reads + writes; }
    // The combined page: the smaller of the guest and EPT leaves.
    page_size combined_size() const {
        return guest_page_size(guest_leaf_level < ept_leaf_level ? guest_leaf_level
                                                                 : ept_leaf_level);
    }
};

// Effective type of a guest-physical access from its parts, without building the explanation
// (the walker's hot path). Agrees with ept_effective_memtype (a test checks every input).
constexpr memtype_cell effective_memtype(const ept_access& a) {
    if (a.cr0_cd) return {memtype::uc, type_source::cd};
    if (a.ipat) return {a.ept_type, type_source::range};
    return combine_range_pat(a.ept_type, a.guest_pat);
}

// The derivation of a translated walk's type: guest PAT index -> guest PAT type, EPT type and
// IPAT, Table 11-7 (or CR0.CD).
memtype_explained explain_memtype(const walk_result& r);
// One line naming the exit: reason, addresses, qualification or error code.
std::string describe_exit(const walk_result& r);

class walker {
public:
    // psc may be null: every walk starts cold.
    walker(const walker_config& cfg, table_memory& mem, const clock& clk,
           paging_structure_caches* psc = nullptr);

    // Translates one guest-linear access. `out` is reset first (its step vector keeps its
    // capacity, so a caller reusing one result does not allocate per walk). The references'
    // latencies and the PSC hit latencies are added to delay.
    void walk(const guest_regs& regs, const eptp& ep, std::uint64_t gva, access_kind kind,
              bool user, requester who, walk_result& out, sc_core::sc_time& delay);

    const walker_config& config() const { return m_cfg; }

private:
    struct ept_xlate {
        std::uint64_t hpa = 0;
        memtype type = memtype::wb;
        bool ipat = false;
        unsigned rwx = 0;
        unsigned leaf_level = 0;
        unsigned access = 0; // the permissions this translation was checked for
        bool dirty = false;  // the EPT leaf's D flag is set (or EPT A/D flags are off)
    };
    struct guest_visit {
        std::uint64_t gpa = 0;
        std::uint64_t value = 0;
        memtype_cell type{};
        guest_rights rights{}; // accumulated from the top down to this entry
        ept_xlate x{};
    };

    bool ept_translate(const eptp& ep, std::uint64_t gpa, unsigned access, unsigned for_level,
                       ept_xlate& x, walk_result& out, sc_core::sc_time& delay);
    std::uint64_t reference(const walk_step& st, bool write, std::uint64_t value, walk_result& out,
                            sc_core::sc_time& delay);
    // Cycles of one reference's delay (whole cycles, rounded up), remembering the last answer:
    // most references of a walk cost the same.
    cycles reference_cycles(const sc_core::sc_time& d) {
        if (d != m_last_ref_time) {
            m_last_ref_time = d;
            m_last_ref_cycles = m_clock.to_cycles(d);
        }
        return m_last_ref_cycles;
    }
    // True when a present entry (bits 2:0 != 0) at `level` certainly has no misconfiguration:
    // readable, no bit of its format's reserved mask (precomputed from ept_reserved_rules and
    // the caps), a valid leaf memory type. Anything else goes to check_ept_entry, which decides.
    bool ept_entry_surely_ok(std::uint64_t e, unsigned level) const {
        if (!(e & perm_r)) return false;
        const ept_entry_kind k = ept_kind(level, e);
        if (e & m_ept_reserved[static_cast<unsigned>(k)]) return false;
        return !is_leaf(k) || !((m_bad_leaf_types >> field_get(field(ept_field::memtype), e)) & 1);
    }
    void ept_violation(std::uint64_t gpa, unsigned access, unsigned rwx_and, bool final,
                       walk_result& out);
    bool update_guest_flags(const eptp& ep, std::array<guest_visit, 5>& visit, unsigned first,
                            unsigned leaf_level, access_kind kind, walk_result& out,
                            sc_core::sc_time& delay);
    void page_fault(bool present, guest_reserved rsvd, const guest_regs& regs, unsigned level,
                    std::uint64_t entry, walk_result& out);

    walker_config m_cfg;
    table_memory& m_mem;
    const clock& m_clock;
    paging_structure_caches* m_psc;
    bool m_guest_psc = false; // m_psc caches guest entries (it has any)
    bool m_ept_psc = false;   // m_psc caches EPT entries
    sc_core::sc_time m_psc_hit_time;
    std::array<std::uint64_t, 6> m_ept_reserved{}; // per ept_entry_kind
    unsigned m_bad_leaf_types = 0;                 // bit n: leaf memory type n misconfigured
    sc_core::sc_time m_last_ref_time;
    cycles m_last_ref_cycles{};
    access_ext m_ext; // the references' extension, reused
};

} // namespace mtsim::cpu
