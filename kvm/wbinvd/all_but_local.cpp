// all-but-local: the older KVM bug (docs/reference/kvm-policy.md §2): the flush IPI went to every
// pCPU in the dirty mask except the one running the handler (smp_call_function_many skips the
// calling CPU), so the local caches were never written back. The mask is cleared as in KVM.
#include "kvm/wbinvd.h"
#include "model/registry.h"

namespace mtsim::kvm::wbinvd_handlings {
namespace {

class all_but_local_handling final : public wbinvd_handling {
public:
    std::string_view name() const override { return "all-but-local"; }
    std::string_view description() const override {
        return "the old KVM bug: WBINVD on every pCPU in the dirty mask except the local one";
    }
    std::string_view source() const override {
        return "docs/reference/kvm-policy.md §2 ('an older bug flushed every CPU in the mask "
               "except "
               "the local one')";
    }
    wbinvd_plan plan(const wbinvd_request& r) const override {
        const pcpu_mask local = pcpu_mask{1} << r.local;
        return {(r.dirty_mask | local) & ~local, 0};
    }
};

} // namespace

MTSIM_REGISTER(wbinvd_handling, all_but_local_handling);

} // namespace mtsim::kvm::wbinvd_handlings
