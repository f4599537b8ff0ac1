// dirty-mask: what KVM does (kvm_emulate_wbinvd_noskip with WBINVD exiting): add the current
// pCPU to the vCPU's wbinvd_dirty_mask, WBINVD on every pCPU in the mask (the local one
// included, on_each_cpu_mask), clear the mask.
#include "kvm/wbinvd.h"
#include "model/registry.h"

namespace mtsim::kvm::wbinvd_handlings {
namespace {

class dirty_mask_handling final : public wbinvd_handling {
public:
    std::string_view name() const override { return "dirty-mask"; }
    std::string_view description() const override {
        return "KVM: WBINVD on every pCPU in the vCPU's dirty mask plus the local one, then "
               "clear the mask";
    }
    std::string_view source() const override {
        return "arch/x86/kvm/x86.c kvm_emulate_wbinvd_noskip(); docs/reference/kvm-policy.md §2";
    }
    wbinvd_plan plan(const wbinvd_request& r) const override {
        return {r.dirty_mask | (pcpu_mask{1} << r.local), 0};
    }
};

} // namespace

MTSIM_REGISTER(wbinvd_handling, dirty_mask_handling);

} // namespace mtsim::kvm::wbinvd_handlings
