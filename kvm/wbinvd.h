// How the hypervisor handles a guest WBINVD/WBNOINVD exit while the VM has non-coherent DMA
// (docs/reference/kvm-policy.md §2). With a count of 0 every variant does nothing: the
// hypervisor skips the instruction before asking. A variant is pure: from the vCPU's
// wbinvd_dirty_mask and the pCPU it exited on, it names the pCPUs that get a real WBINVD and
// the mask left behind; the hypervisor sends the flushes and pays for them. pCPUs join the
// mask on vcpu_load while the count is > 0 (common to all variants). One file per variant in
// kvm/wbinvd/, registered by name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mtsim::kvm {

using pcpu_mask = std::uint64_t; // bit p: physical CPU p

struct wbinvd_request {
    pcpu_mask dirty_mask = 0; // before the local pCPU is added
    unsigned local = 0;       // the pCPU the vCPU exited on
    pcpu_mask online = 0;     // every pCPU of the host
};

// What a handling looks at to decide whether a guest WBINVD needs emulating at all.
struct wbinvd_vm {
    bool noncoherent = false;     // KVM's non-coherent DMA count is > 0
    bool assigned_device = false; // the VM was created with a pass-through device
    bool iommu_snoop = false;     // the IOMMU forces snooping (VT-d ECAP.SC in use)
};

struct wbinvd_plan {
    pcpu_mask flush = 0;      // pCPUs that run a real WBINVD
    pcpu_mask mask_after = 0; // the vCPU's dirty mask afterwards
};

class wbinvd_handling {
public:
    virtual ~wbinvd_handling() = default;
    virtual std::string_view name() const = 0;
    virtual std::string_view description() const = 0; // one line
    virtual std::string_view source() const = 0;
    virtual wbinvd_plan plan(const wbinvd_request& r) const = 0;
    // Does a guest WBINVD/WBNOINVD do anything? KVM: only while the VM has non-coherent DMA
    // (kvm_emulate_wbinvd_noskip(): need_emulate_wbinvd()); otherwise it is skipped.
    virtual bool emulates(const wbinvd_vm& vm) const { return vm.noncoherent; }
    // A guest INVD (it exits unconditionally, basic exit reason 13): KVM skips it as a NOP
    // (kvm_emulate_invd() -> kvm_emulate_as_nop(), arch/x86/kvm/x86.c); a handling that treats
    // it as WBINVD answers true.
    virtual bool invd_as_wbinvd() const { return false; }
};

// All registered variants, sorted by name; lookup by name (nullptr when unknown).
const std::vector<const wbinvd_handling*>& all_wbinvd_handlings();
const wbinvd_handling* find_wbinvd_handling(std::string_view name);
std::string wbinvd_handling_names();

} // namespace mtsim::kvm
