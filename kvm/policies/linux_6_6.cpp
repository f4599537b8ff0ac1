// linux-6.6: vmx_get_mt_mask() up to Linux 6.6. Under non-coherent DMA KVM emulates the guest's
// MTRRs and CR0.CD in the EPT type; with CR0.CD=1 and CD_NW_CLEARED it keeps IPAT, so guest PAT
// is ignored. No EPT zap when the non-coherent count changes: entries built before a device
// was hot-plugged keep WB+IPAT.
#include "kvm/policy.h"
#include "kvm/quirks.h"
#include "model/registry.h"

namespace mtsim::kvm::policies {
namespace {

class linux_6_6 final : public ept_policy {
public:
    linux_6_6()
        : ept_policy({"linux-6.6",
                      "Linux <= 6.6: guest MTRRs and CR0.CD emulated under non-coherent DMA, IPAT "
                      "kept when CR0.CD=1 with CD_NW_CLEARED, no EPT zap on count changes",
                      "Linux <= 6.6, arch/x86/kvm/vmx/vmx.c vmx_get_mt_mask(); "
                      "docs/reference/kvm-policy.md §1",
                      era::upto_6_6, 606, quirk_absent_before_6_16, false}) {}

    ept_decision choose(const ept_inputs& in) const override {
        if (in.mmio) return {memtype::uc, false, "host MMIO: UC, guest PAT honored", {}};
        if (!in.noncoherent)
            return {memtype::wb, true, "no non-coherent DMA: WB, guest PAT ignored (IPAT)", {}};
        if (in.guest_cd) {
            if (in.quirk_cd_nw_cleared)
                return {memtype::wb,
                        true,
                        "non-coherent DMA, CR0.CD=1, CD_NW_CLEARED on: WB with IPAT",
                        {}};
            return {memtype::uc,
                    true,
                    "non-coherent DMA, CR0.CD=1, CD_NW_CLEARED off: UC with IPAT (emulated CD)",
                    {}};
        }
        return {in.guest_mtrr,
                false,
                "non-coherent DMA, CR0.CD=0: guest MTRR type (6.6 emulated guest MTRRs)",
                {}};
    }

    bool zaps_on_noncoherent_transition(const ept_inputs&) const override { return false; }
};

} // namespace

MTSIM_REGISTER(ept_policy, linux_6_6);

} // namespace mtsim::kvm::policies
