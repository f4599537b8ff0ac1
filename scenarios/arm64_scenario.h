// The arm64 platform's part of the scenario layer (platform.arch: arm64). Contract:
// - validate_arch(): a buffer's `pat` names a type of the scenario's architecture (x86 PAT types
//   on x86, arm64 stage-1 types Normal-WB ... Device-nGnRnE on arm64), and x86-only keys
//   (guest.raw_pte, raw_ept) are refused on arm64; config_errors naming FILE:LINE and key.
// - require_arm64_runnable(): what an arm64 run does not model yet is refused with
//   not_modelled naming it (ops other than the vCPU's loads, stores, fills, polls and
//   synchronization; VMM and GPU programs; VFIO pass-through; CR0.CD; EL0 accesses).
// - build_arm64_guest_tables(): the guest's stage-1 tables (VMSAv8-64, 4 KiB granule, four
//   levels from TTBR0_EL1) at the top of guest RAM, written into DRAM before time zero with
//   model/page_table_writer.h: every buffer identity-mapped (VA = IPA) with 4 KiB pages whose
//   AttrIndx selects the buffer's stage-1 type in Linux's MAIR_EL1; the GPU's BAR mapped as
//   the guest driver maps it (devices.gpu.bar_pat uc: ioremap(), Device-nGnRE; wc:
//   ioremap_wc(), Normal-NC; arch/arm64/include/asm/io.h).
#pragma once

#include "cpu/arm64_walker.h"
#include "kvm/memslot.h"
#include "model/dram.h"
#include "scenarios/scenario.h"

namespace mtsim::scenarios {

void validate_arch(const scenario& s);
void require_arm64_runnable(const scenario& s);
// The guest's EL1 registers (TTBR0_EL1, MAIR_EL1) and HCR_EL2.FWB from the host; VTTBR_EL2 is
// KVM's (the hypervisor hands it to the vCPU when it attaches it).
cpu::arm64_regs build_arm64_guest_tables(const scenario& s, dram& mem,
                                         const kvm::memslot_table& slots);
// The stage-1 type of the guest's mapping of the GPU's BAR.
arm64_memtype arm64_bar_type(const scenario& s);

} // namespace mtsim::scenarios
