// linux-6.15: vmx_get_mt_mask() in Linux 6.11-6.15. Guest MTRR and CR0.CD emulation are gone
// and the self-snoop change was reverted: WB+IPAT unless the VM has non-coherent DMA, then WB
// with guest PAT honored. EPT zapped when the non-coherent count changes.
#include "kvm/policy.h"
#include "kvm/quirks.h"

namespace mtsim::kvm::policies {
namespace {

class linux_6_15_policy final : public ept_policy {
public:
    std::string_view name() const override { return "linux-6.15"; }
    std::string_view description() const override {
        return "Linux 6.11-6.15: WB+IPAT without non-coherent DMA, WB with guest PAT honored "
               "with it; guest MTRRs and CR0.CD not emulated";
    }
    std::string_view source() const override {
        return "Linux 6.11-6.15, vmx_get_mt_mask() after Sean Christopherson's guest MTRR "
               "removal and the revert 9d70f3fec144; kvm-policy.md section 1";
    }
    std::vector<era_row> rows() const override {
        return {era_row::mmio,   era_row::coherent_no_ss, era_row::coherent_ss_quirk_on,
                era_row::nc_cd0, era_row::nc_cd1_cdnw_on, era_row::nc_cd1_cdnw_off};
    }

    ept_decision decide(const ept_inputs& in) const override {
        check_inputs(in);
        ept_decision d = branch(in);
        note_absent_ignore_guest_pat(in, quirk_absent_before_6_16, d);
        note_absent_memslot_flag(in, d);
        return d;
    }

    // kvm_mmu_may_ignore_guest_pat() is true whenever EPT is on, which the model assumes.
    bool zaps_on_noncoherent_transition(const ept_inputs&) const override { return true; }

private:
    static ept_decision branch(const ept_inputs& in) {
        if (in.mmio) return {memtype::uc, false, "host MMIO: UC, guest PAT honored", {}};
        if (!in.noncoherent)
            return {memtype::wb, true, "no non-coherent DMA: WB, guest PAT ignored (IPAT)", {}};
        return {memtype::wb,
                false,
                "non-coherent DMA: WB, guest PAT honored (guest MTRRs and CR0.CD not emulated)",
                {}};
    }
};

} // namespace

const ept_policy& linux_6_15() {
    static const linux_6_15_policy p;
    return p;
}

} // namespace mtsim::kvm::policies
