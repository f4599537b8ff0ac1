// The narrow interfaces between a vCPU (cpu/) and the hypervisor (kvm/), declared here so that
// neither block includes the other. The platform builder (scenarios/) wires them.
//
// A vCPU runs guest code until something needs the hypervisor: an EPT violation or
// misconfiguration (KVM builds the entry lazily, or the gpa is MMIO / a PCI hole), a guest
// WBINVD (WBINVD exiting is on), or an explicit exit. It hands the exit to its vm_exit_handler
// and acts on the outcome. The handler adds the exit/entry cost and its own work to `delay`
// and never waits.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <systemc>

#include "model/enum_names.h"

namespace mtsim {

// An arm64 vCPU's stage-2 Data or Instruction Abort (ESR_EL2 EC 0x24 / 0x20) exits as
// ept_violation, the reason of the same event (the second stage could not translate): `gpa`
// holds the faulting IPA, `esr` the syndrome, `final_translation` is !S1PTW.
enum class exit_reason : std::uint8_t {
    ept_violation, // SDM basic exit reason 48
    ept_misconfig, // 49
    wbinvd,        // 54 (WBINVD and WBNOINVD)
    hlt,           // 12: the guest program ended or paused
    invd,          // 13: INVD exits unconditionally (SDM Vol. 3C, 26.1.2)
    wrmsr,         // 32: WRMSR to an MSR the MSR bitmap intercepts (the guest's MTRRs)
};

constexpr auto enum_names_of(exit_reason) {
    return names_table("ept-violation", "ept-misconfig", "wbinvd", "hlt", "invd", "wrmsr");
}

constexpr std::string_view to_string(exit_reason r) {
    return enum_name(r);
}

struct vm_exit {
    exit_reason reason = exit_reason::hlt;
    unsigned vcpu = 0;
    unsigned pcpu = 0;     // the physical CPU the vCPU runs on
    std::uint64_t gva = 0; // guest-linear address, when the exit has one
    std::uint64_t gpa = 0; // guest-physical address (EPT exits)
    std::uint64_t qualification = 0;
    std::uint32_t esr = 0; // arm64 stage-2 aborts: ESR_EL2 (0 on x86)
    // The guest's data access that exited (EPT exits on a final translation): what an
    // emulating handler (MMIO, PCI hole) completes. `data` points at `size` bytes: the store's
    // bytes, or the buffer a load's bytes go to.
    bool is_write = false;
    bool final_translation = true; // false: the exit hit a guest paging-structure access
    unsigned size = 0;
    std::uint8_t* data = nullptr;
    bool noinvd = false; // WBNOINVD rather than WBINVD
    // WRMSR: ECX and EDX:EAX.
    std::uint32_t msr = 0;
    std::uint64_t msr_value = 0;
    // Filled by the handler, for the vCPU's accounting (model/accounting.h): the part of the
    // delay it added that was the exit and the VM entry back, and the part that was cache
    // flushing done for the guest (WBINVD on the pCPUs, IPIs included). The rest of the delay
    // is the hypervisor's handling.
    sc_core::sc_time exit_entry_time;
    sc_core::sc_time flush_time;
};

enum class exit_outcome : std::uint8_t {
    retry,    // the cause was fixed (an EPT entry was built): re-execute the access
    emulated, // the handler completed the access (MMIO, PCI hole): move to the next op
    resume,   // handled (WBINVD): move to the next op
};

// Implemented by the hypervisor. Errors the model does not implement are thrown as
// std::runtime_error naming the case (never a silent outcome).
class vm_exit_handler {
public:
    virtual ~vm_exit_handler() = default;
    virtual exit_outcome handle_exit(vm_exit& e, sc_core::sc_time& delay) = 0;
    // The vCPU is loaded on pCPU `pcpu` (first run or migration): KVM's vcpu_load work,
    // e.g. joining the WBINVD dirty mask while the VM has non-coherent DMA.
    virtual void vcpu_load(unsigned vcpu, unsigned pcpu, sc_core::sc_time& delay) = 0;
};

// Implemented by the vCPU, used by the hypervisor: what KVM does to a vCPU from outside.
class vcpu_control {
public:
    virtual ~vcpu_control() = default;
    virtual unsigned vcpu_id() const = 0;
    virtual unsigned current_pcpu() const = 0;
    // INVEPT after EPT entries were zapped or changed: drop TLBs and EPT paging-structure caches.
    virtual void invept() = 0;
    // The EPTP (root address, walk length, memory type, A/D) the vCPU's MMU walks with.
    virtual void load_eptp(std::uint64_t raw) = 0;
    // arm64: VTTBR_EL2 (the stage-2 root and VMID) the vCPU's MMU walks with. A vCPU without
    // an arm64 MMU refuses it.
    virtual void load_vttbr(std::uint64_t raw) {
        (void)raw;
        throw std::logic_error("load_vttbr: this vCPU has no arm64 MMU");
    }
};

} // namespace mtsim
