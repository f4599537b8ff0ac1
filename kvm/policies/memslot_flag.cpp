// memslot-flag: the KVM_MEM_NON_COHERENT_DMA proposal (Yan Zhao, "KVM: VMX: Honor guest PATs
// for memslots of flag KVM_MEM_NON_COHERENT_DMA", kvm mailing list, January 2024; not merged).
// vmx_get_mt_mask() checks the frame's memslot right after the MMIO test: a flagged slot gets WB
// without IPAT whatever the non-coherent count, so guest PAT is honored there and guest MTRRs
// and CR0.CD are not. Host MMIO stays UC; every other frame is decided exactly as linux-6.10
// decides it.
#include "kvm/policy.h"
#include "kvm/quirks.h"
#include "model/registry.h"

namespace mtsim::kvm::policies {
namespace {

const ept_policy& base() {
    return *find_policy("linux-6.10");
}

class memslot_flag final : public ept_policy {
public:
    memslot_flag()
        : ept_policy({"memslot-flag",
                      "proposal: guest PAT honored inside memslots flagged "
                      "KVM_MEM_NON_COHERENT_DMA (guest MTRRs ignored), linux-6.10 elsewhere",
                      "Yan Zhao, 'KVM: VMX: Honor guest PATs for memslots of flag "
                      "KVM_MEM_NON_COHERENT_DMA', kvm list, Jan 2024 (not merged; 6.7-6.10 base)",
                      era::v6_7_to_6_10, // unflagged slots reproduce linux-6.10
                      610, quirk_absent_before_6_16, true}) {}

    ept_decision choose(const ept_inputs& in) const override {
        if (in.mmio || !in.memslot_noncoherent) return base().choose(in);
        return {memtype::wb,
                false,
                "KVM_MEM_NON_COHERENT_DMA memslot: WB, guest PAT honored, guest MTRRs and CR0.CD "
                "ignored",
                {}};
    }

    bool zaps_on_noncoherent_transition(const ept_inputs& in) const override {
        return base().zaps_on_noncoherent_transition(in);
    }
};

} // namespace

MTSIM_REGISTER(ept_policy, memslot_flag);

} // namespace mtsim::kvm::policies
