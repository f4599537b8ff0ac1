// KVM_PRE_FAULT_MEMORY (Linux 6.10, Documentation/virt/kvm/api.rst 4.143): the VMM asks KVM to
// map a guest-physical range in the EPT before the guest touches it, as KVM selftests
// (pre_fault_memory_test.c) and confidential-VM VMMs do, and as litmus7 gets by touching its
// memory before the timed part of a test. kvm_vcpu_pre_fault_memory() loops over the range,
// calling kvm_arch_vcpu_pre_fault_memory() -> kvm_tdp_map_page() per step: the very fault
// path an EPT violation takes (kvm_mmu_do_page_fault with PFERR_GUEST_FINAL_MASK, a read
// fault), without the exit and the entry. So a pre-faulted leaf is the one the violation
// would have built: the same policy decision, the same table writes through the caches.
#include <fmt/format.h>

#include "kvm/hypervisor.h"

namespace mtsim::kvm {

namespace {
constexpr std::uint64_t page = 4096;
constexpr std::uint64_t huge = 2 * MiB;
} // namespace

std::uint64_t hypervisor::pre_fault_memory(unsigned id, std::uint64_t gpa, std::uint64_t size,
                                           host_context& ctx) {
    // kvm_vcpu_pre_fault_memory(): flags 0, page-aligned, no wrap, else -EINVAL.
    if (gpa % page != 0 || size % page != 0 || size == 0 || gpa + size < gpa)
        throw std::invalid_argument(
            fmt::format("kvm: KVM_PRE_FAULT_MEMORY [{:#x}, +{:#x}): not a page-aligned range "
                        "(EINVAL)",
                        gpa, size));
    vcpu(id);
    std::uint64_t built = 0;
    for (std::uint64_t g = gpa; g < gpa + size;) {
        const memslot* s = m_slots.find(g);
        // kvm_tdp_map_page(): RET_PF_EMULATE (no slot, MMIO) is -ENOENT; a PCI-hole slot gets
        // no leaf either (it is emulated in KVM).
        if (!s || s->kind != memslot_kind::ram)
            throw std::invalid_argument(fmt::format(
                "kvm: KVM_PRE_FAULT_MEMORY at gpa {:#x}: not in a RAM memslot (ENOENT)", g));
        const unsigned level = leaf_level(g, *s);
        const std::uint64_t step = level == 2 ? huge : page;
        if (!m_ept->leaf_for(g >> 12)) {
            // The handler's software path (memslot, pfn, walk) as for a violation; the
            // ioctl's own entry and the loop are assumed free next to it.
            ctx.delay += t(m_cfg.cost.ept_violation);
            vm_exit e;
            e.reason = exit_reason::ept_violation;
            e.vcpu = id;
            e.pcpu = ctx.pcpu;
            e.gpa = g;
            build_leaf(e, *s, ctx.delay);
            ++m_stats->ept_leaves_prefaulted;
            ++built;
        }
        g = (g & ~(step - 1)) + step; // kvm_arch_vcpu_pre_fault_memory returns up to the leaf's end
    }
    return built;
}

} // namespace mtsim::kvm
