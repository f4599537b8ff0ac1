// linux-6.10: vmx_get_mt_mask() in Linux 6.7-6.10. As 6.6, except that CR0.CD=1 with
// CD_NW_CLEARED no longer sets IPAT (guest PAT honored), and every EPT entry is zapped when the
// non-coherent count goes 0->1 or 1->0 so that new entries pick up the new type.
#include "kvm/policy.h"
#include "kvm/quirks.h"
#include "model/registry.h"

namespace mtsim::kvm::policies {
namespace {

class linux_6_10 final : public ept_policy {
public:
    linux_6_10()
        : ept_policy(
              {"linux-6.10",
               "Linux 6.7-6.10: guest MTRRs emulated under non-coherent DMA, CR0.CD=1 with "
               "CD_NW_CLEARED honors guest PAT, EPT zapped on count changes",
               "Linux 6.7-6.10, vmx_get_mt_mask() after Yan Zhao's 'KVM: VMX: drop IPAT in "
               "memtype when CD=1 for KVM_X86_QUIRK_CD_NW_CLEARED' and 'KVM: x86/mmu: Zap KVM "
               "TDP when noncoherent DMA assignment starts/stops'; docs/reference/kvm-policy.md §1",
               era::v6_7_to_6_10, 610, quirk_absent_before_6_16, false}) {}

    ept_decision choose(const ept_inputs& in) const override {
        if (in.mmio) return {memtype::uc, false, "host MMIO: UC, guest PAT honored", {}};
        if (!in.noncoherent)
            return {memtype::wb, true, "no non-coherent DMA: WB, guest PAT ignored (IPAT)", {}};
        if (in.guest_cd) {
            if (in.quirk_cd_nw_cleared)
                return {memtype::wb,
                        false,
                        "non-coherent DMA, CR0.CD=1, CD_NW_CLEARED on: WB, guest PAT honored",
                        {}};
            return {memtype::uc,
                    true,
                    "non-coherent DMA, CR0.CD=1, CD_NW_CLEARED off: UC with IPAT (emulated CD)",
                    {}};
        }
        return {in.guest_mtrr,
                false,
                "non-coherent DMA, CR0.CD=0: guest MTRR type (6.10 emulated guest MTRRs)",
                {}};
    }

    // __kvm_mmu_honors_guest_mtrrs(true) is true whenever EPT is on, which the model assumes.
    bool zaps_on_noncoherent_transition(const ept_inputs&) const override { return true; }
};

} // namespace

MTSIM_REGISTER(ept_policy, linux_6_10);

} // namespace mtsim::kvm::policies
