// xen-hvm: Xen's guest WBINVD and INVD intercept (xen/arch/x86/hvm/vmx/vmx.c,
// vmx_vmexit_handler(): `case EXIT_REASON_INVD: case EXIT_REASON_WBINVD:` both call
// vmx_wbinvd_intercept()). Nothing happens unless the domain may flush caches
// (cache_flush_permitted(d): an assigned device) and the IOMMU does not force snooping
// (!iommu_snoop); then, with WBINVD exiting, flush_all(FLUSH_CACHE): WBINVD on every online pCPU.
// Xen keeps no dirty mask; INVD is written back like WBINVD (never a real INVD: dropping dirty
// lines of other domains would corrupt them).
#include "kvm/wbinvd.h"
#include "model/registry.h"

namespace mtsim::kvm::wbinvd_handlings {
namespace {

class xen_hvm_handling final : public wbinvd_handling {
public:
    std::string_view name() const override { return "xen-hvm"; }
    std::string_view description() const override {
        return "Xen HVM: WBINVD and INVD flush every online pCPU when the domain has an assigned "
               "device and the IOMMU does not force snooping";
    }
    std::string_view source() const override {
        return "Xen 4.19 xen/arch/x86/hvm/vmx/vmx.c vmx_wbinvd_intercept(), vmx_vmexit_handler()";
    }
    wbinvd_plan plan(const wbinvd_request& r) const override { return {r.online, 0}; }
    bool emulates(const wbinvd_vm& vm) const override {
        return vm.assigned_device && !vm.iommu_snoop;
    }
    bool invd_as_wbinvd() const override { return true; }
};

} // namespace

MTSIM_REGISTER(wbinvd_handling, xen_hvm_handling);

} // namespace mtsim::kvm::wbinvd_handlings
