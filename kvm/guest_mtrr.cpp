// KVM's emulation of the guest's MTRR MSRs (arch/x86/kvm/mtrr.c) and its effect on the EPT.
//
// Every era intercepts WRMSR to the MTRRs (exit reason 32) and keeps the values the guest
// writes: kvm_mtrr_set_msr() refuses an invalid one (kvm_mtrr_valid(): #GP) and stores the
// rest, so the guest reads back what it wrote. What the values do differs:
// - Linux <= 6.10 (vmx_get_mt_mask() returns kvm_mtrr_get_guest_memory_type() under
//   non-coherent DMA, docs/reference/kvm-policy.md §1): the guest MTRR type of a frame is the
//   EPT type, and update_mtrr() zaps the written register's range (kvm_zap_gfn_range) when
//   kvm_mmu_honors_guest_mtrrs(), so the next access rebuilds the leaf with the new type.
// - From 6.11 (the "KVM: x86: Stop emulating guest MTRRs" series, docs/reference/kvm-policy.md
//   §1) kvm_mtrr_get_guest_memory_type() and update_mtrr() are gone: the write is stored, the
//   EPT is untouched, and the type never depends on it.
// Whether this host zaps is read from its policy: KVM honors guest MTRRs exactly when the
// policy's type for a RAM frame depends on the frame's guest MTRR type with the VM's present
// inputs (its non-coherent count, the writing vCPU's CR0.CD, the quirks). Under CR0.CD=1 a
// <= 6.10 kernel also zaps, but rebuilds the same entries; that zap's cost is not modelled.
//
// Assumption, stated: one set of MTRRs for the VM. KVM keeps them per vCPU and types a fault
// with the faulting vCPU's; the SDM requires software to program every processor alike
// (SDM Vol. 3A §11.11.8, "MTRR Considerations in MP Systems"), so the model keeps the last
// write of any vCPU.
#include <fmt/format.h>

#include "kvm/guest_mtrr.h"
#include "kvm/hypervisor.h"
#include "model/not_modelled.h"

namespace mtsim::kvm {

mtrr_config guest_mtrr_config() {
    mtrr_config c;
    c.variable_count = 8;  // KVM_NR_VAR_MTRR: IA32_MTRRCAP.VCNT KVM reports (arch/x86/kvm/mtrr.c)
    c.phys_addr_bits = 46; // the guest's MAXPHYADDR (assumption: the host's, a server part)
    c.wc_supported = true; // IA32_MTRRCAP.WC as KVM reports it
    return c;
}

// Before set_guest_mtrr_default the guest's MTRRs say WB everywhere (the constructor).
void hypervisor::set_guest_mtrr_default(memtype type) {
    mtrr_state s(guest_mtrr_config());
    if (auto gp = s.set_def_type(type, false, true))
        throw std::invalid_argument("guest MTRR default type: " + gp->reason);
    m_guest_mtrrs = s;
    m_guest_mtrr = [this](std::uint64_t gfn) { return guest_mtrr_type(gfn); };
}

// Resolved per frame; without fixed ranges in reach and without a valid variable range it is
// the default type (the path every frame of a scenario without MTRR writes takes).
memtype hypervisor::guest_mtrr_type(std::uint64_t gfn) const {
    const std::uint64_t def = *m_guest_mtrrs.rdmsr(ia32_mtrr_def_type_msr);
    if (!(def & mtrr_def_e_bit)) return memtype::uc;
    bool simple = !((def & mtrr_def_fe_bit) && (gfn << 12) < fixed_mtrr_limit);
    for (unsigned n = 0; simple && n < m_guest_mtrrs.config().variable_count; ++n)
        if (*m_guest_mtrrs.rdmsr(ia32_mtrr_physmask0_msr + 2 * n) & mtrr_physmask_valid_bit)
            simple = false;
    if (simple) return *mtrr_type_from_encoding(def & 0xFF);
    const mtrr_resolution r = m_guest_mtrrs.resolve(gfn << 12);
    if (!r.type)
        throw not_modelled("overlapping guest variable MTRRs of types the SDM leaves undefined",
                           fmt::format("kvm, gfn {:#x}: {}", gfn, r.conflict));
    return *r.type;
}

bool hypervisor::honors_guest_mtrrs(unsigned vcpu_id) const {
    ept_inputs in = vm_inputs();
    in.guest_cd = vcpu_id < m_vcpus.size() && m_vcpus[vcpu_id].cd;
    in.guest_mtrr = memtype::uc;
    const ept_decision uc = m_policy->decide(in);
    in.guest_mtrr = memtype::wb;
    const ept_decision wb = m_policy->decide(in);
    return uc.ept_type != wb.ept_type || uc.ipat != wb.ipat;
}

namespace {

// update_mtrr(): the guest-physical range [first, end) whose type the write may have changed;
// empty while MTRRs are disabled (unless the write is IA32_MTRR_DEF_TYPE) and for a fixed
// range while fixed ranges are disabled. A variable range's is its new base | ~mask.
using gpa_range = std::pair<std::uint64_t, std::uint64_t>;
gpa_range mtrr_write_range(const mtrr_state& s, std::uint32_t msr) {
    const std::uint64_t def = *s.rdmsr(ia32_mtrr_def_type_msr);
    if (msr == ia32_mtrr_def_type_msr) return {0, ~std::uint64_t(0)};
    if (!(def & mtrr_def_e_bit)) return {0, 0};
    for (const fixed_mtrr& f : fixed_mtrrs) {
        if (f.msr != msr) continue;
        if (!(def & mtrr_def_fe_bit)) return {0, 0};
        return {f.base, f.base + 8 * std::uint64_t(f.unit)};
    }
    const unsigned n = (msr - ia32_mtrr_physbase0_msr) / 2;
    const std::uint64_t base = *s.rdmsr(ia32_mtrr_physbase0_msr + 2 * n) & ~0xFFFULL;
    const std::uint64_t high = ~0ULL << s.config().phys_addr_bits;
    const std::uint64_t mask = (*s.rdmsr(ia32_mtrr_physmask0_msr + 2 * n) & ~0xFFFULL) | high;
    return {base, ((base | ~mask) & ~high) + 1};
}

} // namespace

exit_outcome hypervisor::wrmsr_exit(const vm_exit& e, sc_core::sc_time& delay) {
    if (!m_guest_mtrrs.rdmsr(e.msr))
        throw not_modelled(fmt::format("KVM's handling of WRMSR to MSR {:#x} (only the MTRRs are "
                                       "modelled)",
                                       e.msr),
                           fmt::format("kvm, vCPU {}", e.vcpu));
    // kvm_mtrr_valid() false: KVM injects #GP, which the model does not (the scenario loader
    // refuses such a write before the run).
    if (auto gp = m_guest_mtrrs.wrmsr(e.msr, e.msr_value))
        throw not_modelled("a #GP injected into the guest by WRMSR", "kvm: " + gp->reason);
    if (!honors_guest_mtrrs(e.vcpu)) return exit_outcome::resume;
    const auto [lo, hi] = mtrr_write_range(m_guest_mtrrs, e.msr);
    if (lo >= hi) return exit_outcome::resume;
    const std::uint64_t end = hi == ~std::uint64_t(0) ? hi : (hi + 0xFFF) >> 12;
    const build_work w = m_ept->zap_range(lo >> 12, end, host_ext(e.pcpu, op_kind::store), delay);
    delay += t(m_cfg.cost.zap_per_entry * w.leaves_zapped);
    m_stats->ept_entry_writes += w.entries_written;
    m_stats->zapped_leaves += w.leaves_zapped;
    ++m_stats->mtrr_zaps;
    // kvm_zap_gfn_range flushes the remote TLBs when it zapped something.
    if (w.leaves_zapped) invept_all(delay);
    return exit_outcome::resume;
}

} // namespace mtsim::kvm
