// linux-6.16: vmx_get_mt_mask() from Linux 6.16. WB+IPAT only while the VM has no
// non-coherent DMA and quirk IGNORE_GUEST_PAT is in effect; otherwise WB with guest PAT
// honored. The quirk is on by default and can be turned off only on self-snoop hosts
// (kvm/quirks.h). EPT is zapped on count changes only while the quirk is in effect.
#include "kvm/policy.h"
#include "kvm/quirks.h"
#include "model/registry.h"

namespace mtsim::kvm::policies {
namespace {

class linux_6_16 final : public ept_policy {
public:
    linux_6_16()
        : ept_policy(
              {"linux-6.16",
               "Linux >= 6.16: as 6.15 while quirk IGNORE_GUEST_PAT is on; with it off "
               "(self-snoop hosts only) guest PAT is always honored",
               "Linux >= 6.16, commit c9c1e20b4c7d 'KVM: x86: Introduce Intel specific quirk "
               "KVM_X86_QUIRK_IGNORE_GUEST_PAT'; docs/reference/kvm-policy.md §1",
               era::from_6_16, 616, "", false}) {}

    ept_decision choose(const ept_inputs& in) const override {
        if (in.mmio) return {memtype::uc, false, "host MMIO: UC, guest PAT honored", {}};
        if (ignore_guest_pat_in_effect(in) && !in.noncoherent)
            return {memtype::wb,
                    true,
                    "IGNORE_GUEST_PAT in effect, no non-coherent DMA: WB, guest PAT ignored "
                    "(IPAT)",
                    {}};
        if (in.noncoherent)
            return {memtype::wb, false, "non-coherent DMA: WB, guest PAT honored", {}};
        return {memtype::wb,
                false,
                "IGNORE_GUEST_PAT turned off (self-snoop host): WB, guest PAT honored",
                {}};
    }

    // kvm_mmu_may_ignore_guest_pat(kvm) is the quirk check.
    bool zaps_on_noncoherent_transition(const ept_inputs& in) const override {
        return ignore_guest_pat_in_effect(in);
    }
};

} // namespace

MTSIM_REGISTER(ept_policy, linux_6_16);

} // namespace mtsim::kvm::policies
