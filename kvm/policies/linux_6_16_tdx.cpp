// linux-6.16-tdx: the shared (KVM-managed) EPT of a TDX guest on Linux >= 6.16. Commit
// 90fe64a94d54 "KVM: TDX: Always honor guest PAT on TDX enabled guests" (Yan Zhao, 6.16) makes
// KVM_X86_QUIRK_IGNORE_GUEST_PAT invalid once TDX is enabled and self-snoop a hard dependency
// of TDX, so every RAM frame gets WB with IPAT=0 (guest PAT honored, guest MTRRs and CR0.CD
// not emulated) whatever the non-coherent count; host MMIO stays UC. Without self-snoop
// KVM_CREATE_VM(KVM_X86_TDX_VM) fails: the host is refused (kvm/quirks.h vm_type_refusal).
// No zap on count changes: kvm_mmu_may_ignore_guest_pat() is false without the quirk.
// docs/reference/kvm-policy.md §1 (last line of the 6.16 entry).
#include "kvm/policy.h"
#include "model/registry.h"

namespace mtsim::kvm::policies {
namespace {

class linux_6_16_tdx final : public ept_policy {
public:
    linux_6_16_tdx()
        : ept_policy({"linux-6.16-tdx",
                      "Linux >= 6.16, TDX guest: guest PAT always honored (WB, IPAT=0); needs a "
                      "self-snoop host",
                      "Linux 6.16, commit 90fe64a94d54 'KVM: TDX: Always honor guest PAT on TDX "
                      "enabled guests' (Yan Zhao); docs/reference/kvm-policy.md §1",
                      std::nullopt, // no column of vmx_get_mt_mask(): the TDX branch
                      616, "TDX makes KVM_X86_QUIRK_IGNORE_GUEST_PAT an invalid quirk", false,
                      "TDX needs self-snoop (CPUID.1:EDX.SS): without it tdx_bringup() leaves "
                      "TDX off and the KVM_X86_TDX_VM type is unsupported"}) {}

    ept_decision choose(const ept_inputs& in) const override {
        if (in.mmio) return {memtype::uc, false, "host MMIO: UC, guest PAT honored", {}};
        return {memtype::wb, false, "TDX guest: WB, guest PAT always honored (no quirk)", {}};
    }

    bool zaps_on_noncoherent_transition(const ept_inputs&) const override { return false; }
};

} // namespace

MTSIM_REGISTER(ept_policy, linux_6_16_tdx);

} // namespace mtsim::kvm::policies
