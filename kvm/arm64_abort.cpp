// KVM/arm64's stage-2 abort handling on the hypervisor component (kvm/hypervisor.h): the
// arm64 branch of an exit, as Linux arch/arm64/kvm/mmu.c kvm_handle_guest_abort() takes it.
#include "kvm/hypervisor.h"

#include <fmt/format.h>

#include "model/not_modelled.h"

namespace mtsim::kvm {

// A RAM slot backed by host memory is in the linear map (pfn_is_map_memory); a slot backed by
// host MMIO is a vfio-pci mmap: VM_PFNMAP, VM_ALLOW_ANY_UNCACHED (vfio-pci sets it from Linux
// 6.9; an older policy does not read it), cacheable only where the slot says so.
arm64_s2_inputs hypervisor::arm64_inputs(const memslot& s) const {
    arm64_s2_inputs in;
    in.caps = m_arm64_cfg.caps;
    if (!s.host_mmio) return in;
    in.map_memory = false;
    in.pfnmap = true;
    in.allow_any_uncached = true;
    in.vma_cacheable = s.vma_cacheable;
    return in;
}

// kvm_handle_guest_abort(): no memslot (or a write to a read-only one) is MMIO, io_mem_abort()
// hands it to the VMM (KVM_EXIT_MMIO); otherwise user_mem_abort() maps the page with the
// policy's stage-2 attribute. A permission fault on a page already mapped adds the missing
// permission (an instruction fault: exec, kvm_pgtable_stage2_relax_perms()).
exit_outcome hypervisor::stage2_abort(vm_exit& e, sc_core::sc_time& delay) {
    ++m_stats->exits_stage2_abort;
    // Assumption: the abort path (memslot lookup, pfn, map) costs what x86's fault path does.
    delay += t(m_cfg.cost.ept_violation);
    const memslot* s = m_slots.find(e.gpa);
    const std::uint32_t ec = e.esr >> 26;
    if (!s || s->kind == memslot_kind::mmio) {
        if (!s)
            throw std::runtime_error(
                fmt::format("kvm: stage-2 abort on vCPU {} at IPA {:#x} (ESR_EL2 {:#x}), which "
                            "lies in no memslot or MMIO region",
                            e.vcpu, e.gpa, e.esr));
        return to_userspace(e, s, delay);
    }
    if (s->kind == memslot_kind::pci_hole)
        throw not_modelled("KVM_MEM_PCI_HOLE on arm64",
                           fmt::format("kvm, IPA {:#x} in slot '{}'", e.gpa, s->name));
    if (e.is_write && s->read_only) return to_userspace(e, s, delay);
    s2_leaf_request r;
    r.ipa = e.gpa;
    r.pa = s->hpa_of(e.gpa & ~std::uint64_t{4095});
    r.writable = !s->read_only;
    const s2_leaf_record* old = m_s2->leaf_for(e.gpa >> 12);
    r.exec = ec == 0x20 || (old && !((old->value >> 54) & 1u));
    r.decision = m_arm64_policy->choose(arm64_inputs(*s));
    r.policy = std::string(m_arm64_policy->name());
    r.slot = s->name;
    access_ext ext = host_ext(e.pcpu, op_kind::store);
    const build_work w = m_s2->map(r, ext, delay);
    delay += t(m_cfg.cost.ept_entry_write * w.entries_written);
    m_stats->ept_entry_writes += w.entries_written;
    m_stats->ept_tables += w.tables_allocated;
    ++m_stats->s2_leaves_built;
    // A changed leaf (permissions added) needs the old translation gone: TLBI by IPA.
    if (old) invept_all(delay);
    return exit_outcome::retry;
}

} // namespace mtsim::kvm
