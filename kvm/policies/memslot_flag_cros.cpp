// memslot-flag-cros: the KVM_MEM_NON_COHERENT_DMA memslot flag as ChromeOS carries it downstream
// for crosvm (crosvm's kvm_sys/bindgen.sh defines KVM_MEM_NON_COHERENT_DMA = 8 "until the flag
// is accepted upstream"). The flagged-slot branch is the proposal's (Yan Zhao, "KVM: VMX: Honor
// guest PATs for memslots of flag KVM_MEM_NON_COHERENT_DMA", kvm list, January 2024): WB without
// IPAT, guest MTRRs and CR0.CD ignored. Assumption, stated: the downstream patch sits on a
// 6.6-based ChromeOS kernel, so every unflagged frame is decided as linux-6.6 decides it and EPT
// is not zapped on non-coherent count changes (the zap arrived in 6.7).
#include "kvm/policy.h"
#include "kvm/quirks.h"
#include "model/registry.h"

namespace mtsim::kvm::policies {
namespace {

const ept_policy& base() {
    return *find_policy("linux-6.6");
}

class memslot_flag_cros final : public ept_policy {
public:
    memslot_flag_cros()
        : ept_policy({"memslot-flag-cros",
                      "ChromeOS downstream: guest PAT honored inside memslots flagged "
                      "KVM_MEM_NON_COHERENT_DMA, linux-6.6 elsewhere (no zap)",
                      "crosvm kvm_sys/bindgen.sh (KVM_MEM_NON_COHERENT_DMA = 8, downstream); Yan "
                      "Zhao, kvm list, Jan 2024; 6.6 base assumed",
                      era::upto_6_6, // unflagged slots reproduce linux-6.6
                      606, quirk_absent_before_6_16, true}) {}

    ept_decision choose(const ept_inputs& in) const override {
        if (in.mmio || !in.memslot_noncoherent) return base().choose(in);
        return {memtype::wb,
                false,
                "KVM_MEM_NON_COHERENT_DMA memslot (ChromeOS): WB, guest PAT honored, guest MTRRs "
                "and CR0.CD ignored",
                {}};
    }

    bool zaps_on_noncoherent_transition(const ept_inputs& in) const override {
        return base().zaps_on_noncoherent_transition(in);
    }
};

} // namespace

MTSIM_REGISTER(ept_policy, memslot_flag_cros);

} // namespace mtsim::kvm::policies
