// linux-6.15: vmx_get_mt_mask() in Linux 6.11-6.15. Guest MTRR and CR0.CD emulation are gone
// and the self-snoop change was reverted: WB+IPAT unless the VM has non-coherent DMA, then WB
// with guest PAT honored. EPT zapped when the non-coherent count changes.
#include "kvm/policy.h"
#include "kvm/quirks.h"
#include "model/registry.h"

namespace mtsim::kvm::policies {
namespace {

class linux_6_15 final : public ept_policy {
public:
    linux_6_15()
        : ept_policy(
              {"linux-6.15",
               "Linux 6.11-6.15: WB+IPAT without non-coherent DMA, WB with guest PAT honored "
               "with it; guest MTRRs and CR0.CD not emulated",
               "Linux 6.11-6.15, vmx_get_mt_mask() after Sean Christopherson's guest MTRR "
               "removal and the revert 9d70f3fec144; docs/reference/kvm-policy.md §1",
               era::v6_11_to_6_15, 615, quirk_absent_before_6_16, false}) {}

    ept_decision choose(const ept_inputs& in) const override {
        if (in.mmio) return {memtype::uc, false, "host MMIO: UC, guest PAT honored", {}};
        if (!in.noncoherent)
            return {memtype::wb, true, "no non-coherent DMA: WB, guest PAT ignored (IPAT)", {}};
        return {memtype::wb,
                false,
                "non-coherent DMA: WB, guest PAT honored (guest MTRRs and CR0.CD not emulated)",
                {}};
    }

    // kvm_mmu_may_ignore_guest_pat() is true whenever EPT is on, which the model assumes.
    bool zaps_on_noncoherent_transition(const ept_inputs&) const override { return true; }
};

} // namespace

MTSIM_REGISTER(ept_policy, linux_6_15);

} // namespace mtsim::kvm::policies
