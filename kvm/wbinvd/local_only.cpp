// local-only (what-if): WBINVD on the pCPU the vCPU exited on and nowhere else; the mask is
// dropped. Shows what is lost when the pCPUs a vCPU left behind keep dirty guest lines.
#include "kvm/wbinvd.h"
#include "model/registry.h"

namespace mtsim::kvm::wbinvd_handlings {
namespace {

class local_only_handling final : public wbinvd_handling {
public:
    std::string_view name() const override { return "local-only"; }
    std::string_view description() const override {
        return "what-if: WBINVD on the local pCPU only, the dirty mask is ignored and cleared";
    }
    std::string_view source() const override {
        return "what-if variant of docs/reference/kvm-policy.md §2 (the old-CPU row without the "
               "flush on migration)";
    }
    wbinvd_plan plan(const wbinvd_request& r) const override {
        return {pcpu_mask{1} << r.local, 0};
    }
};

} // namespace

MTSIM_REGISTER(wbinvd_handling, local_only_handling);

} // namespace mtsim::kvm::wbinvd_handlings
