// The arm64 two-stage walker (VMSAv8-64, 4 KiB granule, 48-bit VA and IPA, four levels 0-3):
// the guest's stage-1 walk from TTBR0_EL1 whose every descriptor address is an IPA translated
// by stage 2 (the nested walk, as cpu/walker.h does for guest paging x EPT), then the stage-2
// translation of the final IPA. Every descriptor read is one reference through table_memory
// (a real access through the caches, access_ext::page_walk), typed as the hardware types it:
// - stage-2 descriptors: VTCR_EL2.IRGN0/ORGN0 = Write-Back (KVM's VTCR_EL2_FLAGS,
//   arch/arm64/include/asm/kvm_arm.h): Normal-WB, type wb;
// - stage-1 descriptors: TCR_EL1.IRGN0/ORGN0 = Write-Back (Linux TCR_IRGN_WBWA |
//   TCR_ORGN_WBWA, arch/arm64/mm/proc.S __cpu_setup) combined with the stage-2 attribute of
//   the table's page (model/arm64_attr.h arm64_combine_encoded).
// The data access's attribute is stage 1's MAIR_EL1 Attr<AttrIndx> combined with the stage-2
// leaf's MemAttr, with or without FEAT_S2FWB; memtype from it: Normal-WB -> wb, Normal-WT ->
// wt, Normal-NC -> wc, Device-* -> uc with access_ext::device naming the Device type.
//
// Order of checks (Arm ARM (DDI 0487) D8.15 "The fault prioritization"): at each stage-1 level
// the descriptor's IPA is translated (a stage-2 fault there has S1PTW = 1), then the stage-1
// descriptor is checked (invalid: translation fault, AF 0: access flag fault); at the leaf the
// stage-1 permissions (AP[2] read-only, PXN for an EL1 fetch), then stage 2 of the output IPA.
// Stage-2 faults carry ESR_EL2 and HPFAR_EL2 (cpu/arm64_stage2.h); stage-1 faults are guest
// faults (the vCPU refuses them, as it does x86 #PFs).
// Not modelled: TTBR1_EL1 (the upper VA range), hardware AF/DBM updates (FEAT_HAFDBS), the
// contiguous hint, FEAT_LPA2, hierarchical permission controls (APTable, PXNTable), EL0
// accesses (every access is made at EL1), walk caches (every TLB miss walks from the roots).
#pragma once

#include <cstdint>
#include <string>
#include <systemc>
#include <vector>

#include "cpu/arm64_stage2.h"
#include "model/access_ext.h"
#include "model/arm64_attr.h"
#include "model/cycles.h"
#include "model/enum_names.h"
#include "model/memtype.h"
#include "model/table_memory.h"

namespace mtsim::cpu {

// The guest's EL1 translation registers and the stage-2 state the vCPU runs with.
struct arm64_regs {
    std::uint64_t ttbr0 = 0; // TTBR0_EL1: BADDR (IPA of the level-0 table) in bits [47:1]
    std::uint64_t mair = 0;  // MAIR_EL1
    std::uint64_t vttbr = 0; // VTTBR_EL2: BADDR (PA of the stage-2 level-0 table), VMID [63:48]
    bool fwb = false;        // HCR_EL2.FWB
};

// Linux's MAIR_EL1 (arch/arm64/include/asm/memory.h MT_* indices, arch/arm64/mm/proc.S
// MAIR_EL1_SET): index 0 Normal-WB (MT_NORMAL), 1 Normal-WB (MT_NORMAL_TAGGED, without MTE),
// 2 Normal-NC (MT_NORMAL_NC), 3 Device-nGnRnE, 4 Device-nGnRE; 5 Normal-WT and 6 Device-GRE
// and 7 Device-nGRE are this model's additions (Linux leaves them 0) so that every type has
// an index.
std::uint64_t arm64_linux_mair();
// The AttrIndx of `t` in arm64_linux_mair().
unsigned arm64_linux_attr_index(arm64_memtype t);

// One stage-1 descriptor of a 4 KiB granule (Arm ARM D8.3): a table, a block (levels 1-2) or a
// page (level 3), with AttrIndx [4:2], AP[2:1] [7:6], SH [9:8], AF [10], PXN [53], UXN [54].
std::uint64_t encode_s1_table(std::uint64_t next_table_ipa);
std::uint64_t encode_s1_page(std::uint64_t oa, unsigned attr_index, bool read_only);

enum class arm64_walk_outcome : std::uint8_t { translated, stage2_fault, stage1_fault };

constexpr auto enum_names_of(arm64_walk_outcome) {
    return names_table("translated", "stage-2 abort", "stage-1 fault");
}

// One reference of a walk.
struct arm64_walk_step {
    bool stage2 = false;
    unsigned level = 0;         // 0..3
    unsigned for_s1_level = 4;  // stage-2 steps: the stage-1 level whose table is reached, 4:
                                // the final IPA; stage-1 steps: = level
    std::uint64_t address = 0;  // physical address of the descriptor
    std::uint64_t input = 0;    // the VA (stage 1) or IPA (stage 2) being translated
    std::uint64_t value = 0;    // raw descriptor read
    memtype type = memtype::wb; // the reference's memory type
    cycles cost{};
};

struct arm64_walk_result {
    arm64_walk_outcome outcome = arm64_walk_outcome::translated;
    std::uint64_t va = 0;
    arm64_access access = arm64_access::read;

    // translated
    std::uint64_t ipa = 0;
    std::uint64_t pa = 0;
    unsigned s1_level = 0; // the stage-1 leaf's level (3: page, 2: 2 MiB, 1: 1 GiB)
    unsigned s2_level = 0;
    unsigned attr_index = 0;    // stage-1 AttrIndx
    std::uint8_t mair_attr = 0; // MAIR_EL1.Attr<AttrIndx>
    std::uint8_t s2_memattr = 0;
    bool s1_read_only = false;
    std::uint8_t s2ap = 0;
    arm64_explained combined{};
    memtype type = memtype::wb;
    arm_device device = arm_device::none;

    // faults (stage 2: ESR_EL2, HPFAR_EL2, the faulting IPA; stage 1: the fault and its level)
    arm64_fault fault{};
    bool s1ptw = false;
    std::uint64_t fault_ipa = 0;
    std::uint32_t esr = 0;
    std::uint64_t hpfar = 0;

    unsigned reads = 0;
    cycles cost{};
    std::vector<arm64_walk_step> steps;
};

// The memory system's view of an arm64 attribute: Normal-WB wb, Normal-WT wt, Normal-NC wc
// (uncached, gathering allowed), Device-* uc with its G/R/E properties in `device`.
memtype arm64_path_type(arm64_memtype t);
arm_device arm64_path_device(arm64_memtype t);

// One line naming the outcome: addresses and attribute, or the fault with its syndrome.
std::string describe(const arm64_walk_result& r);

class arm64_walker {
public:
    arm64_walker(table_memory& mem, const clock& clk, bool record_steps)
        : m_mem(mem), m_clock(clk), m_record(record_steps) {}

    // Translates one access at `va`. `out` is reset first; the references' latencies are
    // added to delay.
    void walk(const arm64_regs& regs, std::uint64_t va, arm64_access a, requester who,
              arm64_walk_result& out, sc_core::sc_time& delay);

private:
    struct s2_xlate {
        std::uint64_t pa = 0;
        std::uint8_t memattr = 0;
        std::uint8_t s2ap = 0;
        unsigned level = 0;
    };
    bool stage2(const arm64_regs& regs, std::uint64_t ipa, arm64_access a, unsigned for_level,
                s2_xlate& x, arm64_walk_result& out, sc_core::sc_time& delay);
    std::uint64_t reference(const arm64_walk_step& st, arm64_walk_result& out,
                            sc_core::sc_time& delay);

    table_memory& m_mem;
    const clock& m_clock;
    bool m_record;
    access_ext m_ext;
};

} // namespace mtsim::cpu
