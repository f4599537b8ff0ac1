// Guest page-table construction and the scenario's raw entry edits. Contract: from the
// resolved scenario, builds the guest's registers (IA32_PAT, CR0.CD, CR3) and its 4-level
// tables at the top of guest RAM, written into DRAM before time zero with the shared
// model/page_table_writer.h: every buffer identity-mapped (guest linear = guest physical) with
// 4 KiB pages whose PAT/PCD/PWT bits select the buffer's type in the guest PAT, plus the GPU's
// BAR mapped UC. Then applies `guest.raw_pte` to those tables. `apply_raw_ept` edits KVM's EPT
// through the hypervisor's raw-write interface (it builds no EPT itself). Errors are
// config_errors naming the scenario key; nothing here runs simulation time.
#pragma once

#include "cache/memory_system.h"
#include "cpu/guest_paging.h"
#include "kvm/hypervisor.h"
#include "model/dram.h"
#include "scenarios/scenario.h"

namespace mtsim::scenarios {

// The guest's registers with its page tables built (and `guest.raw_pte` applied) in `mem`.
// `slots` must already hold the guest's RAM memslot.
cpu::guest_regs build_guest_tables(const scenario& s, dram& mem, const kvm::memslot_table& slots);

// Writes `raw_ept`: each set/clear edit reads the entry's current value coherently (0 when a
// table above is missing: write_raw_ept builds it); a level beyond the EPT's is an error.
void apply_raw_ept(const scenario& s, kvm::hypervisor& hv, const memory_system& ms,
                   kvm::host_context& ctx);

} // namespace mtsim::scenarios
