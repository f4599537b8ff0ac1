// linux-6.11-rc: vmx_get_mt_mask() in the 6.11 release candidates, never released. Guest MTRR
// and CR0.CD emulation are gone; on self-snoop hosts guest PAT is honored everywhere (no
// IPAT), otherwise only under non-coherent DMA. Reverted before 6.11 because a guest that
// mapped the bochs framebuffer UC became very slow.
#include "kvm/policy.h"
#include "kvm/quirks.h"
#include "model/registry.h"

namespace mtsim::kvm::policies {
namespace {

class linux_6_11_rc final : public ept_policy {
public:
    linux_6_11_rc()
        : ept_policy(
              {"linux-6.11-rc",
               "Linux 6.11-rc (never released): guest PAT always honored on self-snoop hosts, "
               "guest MTRRs and CR0.CD no longer emulated",
               "Linux 6.11-rc1, commit 377b2f359d1f 'KVM: VMX: Always honor guest PAT on CPUs "
               "that support self-snoop', reverted by 9d70f3fec144; docs/reference/kvm-policy.md "
               "§1",
               era::v6_11_rc, 611, quirk_absent_before_6_16, false}) {}

    ept_decision choose(const ept_inputs& in) const override {
        if (in.mmio) return {memtype::uc, false, "host MMIO: UC, guest PAT honored", {}};
        if (!in.self_snoop && !in.noncoherent)
            return {memtype::wb,
                    true,
                    "no self-snoop, no non-coherent DMA: WB, guest PAT ignored (IPAT)",
                    {}};
        if (in.self_snoop)
            return {memtype::wb, false, "self-snoop host: WB, guest PAT always honored", {}};
        return {memtype::wb,
                false,
                "non-coherent DMA: WB, guest PAT honored (guest MTRRs and CR0.CD not emulated)",
                {}};
    }

    // kvm_mmu_may_ignore_guest_pat() became "!self-snoop && EPT": with self-snoop the type no
    // longer depends on the count, so nothing is zapped.
    bool zaps_on_noncoherent_transition(const ept_inputs& in) const override {
        return !in.self_snoop;
    }
};

} // namespace

MTSIM_REGISTER(ept_policy, linux_6_11_rc);

} // namespace mtsim::kvm::policies
