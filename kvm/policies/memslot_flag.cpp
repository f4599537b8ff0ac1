// memslot-flag: seed 003 (KVM_MEM_NON_COHERENT_DMA, not merged). vmx_get_mt_mask() checks the
// frame's memslot right after the MMIO test: a flagged slot gets WB without IPAT whatever the
// non-coherent count, so guest PAT is honored there and guest MTRRs and CR0.CD are not. Host
// MMIO stays UC; every other frame is decided exactly as linux-6.10 decides it.
#include "kvm/policy.h"
#include "kvm/quirks.h"

namespace mtsim::kvm::policies {

const ept_policy& linux_6_10(); // kvm/policies/linux_6_10.cpp

namespace {

class memslot_flag_policy final : public ept_policy {
public:
    std::string_view name() const override { return "memslot-flag"; }
    std::string_view description() const override {
        return "seed 003: guest PAT honored inside memslots flagged KVM_MEM_NON_COHERENT_DMA "
               "(guest MTRRs ignored), linux-6.10 elsewhere";
    }
    std::string_view source() const override {
        return "seed 003_2f315e5cba713b69.txt (Yan Zhao, Jan 2024, 'KVM: VMX: Honor guest PATs "
               "for memslots of flag KVM_MEM_NON_COHERENT_DMA', not merged; 6.7-6.10 base)";
    }
    // Unflagged slots reproduce linux-6.10's rows.
    std::vector<era_row> rows() const override { return linux_6_10().rows(); }

    ept_decision decide(const ept_inputs& in) const override {
        check_inputs(in);
        if (in.mmio || !in.memslot_noncoherent) {
            ept_inputs base = in;
            base.memslot_noncoherent = false; // linux-6.10 would refuse the flag it lacks
            return linux_6_10().decide(base);
        }
        ept_decision d{memtype::wb,
                       false,
                       "KVM_MEM_NON_COHERENT_DMA memslot: WB, guest PAT honored, guest MTRRs "
                       "and CR0.CD ignored",
                       {}};
        note_absent_ignore_guest_pat(in, quirk_absent_before_6_16, d);
        return d;
    }

    bool zaps_on_noncoherent_transition(const ept_inputs& in) const override {
        return linux_6_10().zaps_on_noncoherent_transition(in);
    }
};

} // namespace

const ept_policy& memslot_flag() {
    static const memslot_flag_policy p;
    return p;
}

} // namespace mtsim::kvm::policies
