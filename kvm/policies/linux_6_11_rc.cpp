// linux-6.11-rc: vmx_get_mt_mask() in the 6.11 release candidates, never released. Guest MTRR
// and CR0.CD emulation are gone; on self-snoop hosts guest PAT is honored everywhere (no
// IPAT), otherwise only under non-coherent DMA. Reverted before 6.11 because a guest that
// mapped the bochs framebuffer UC became very slow.
#include "kvm/policy.h"
#include "kvm/quirks.h"

namespace mtsim::kvm::policies {
namespace {

class linux_6_11_rc_policy final : public ept_policy {
public:
    std::string_view name() const override { return "linux-6.11-rc"; }
    std::string_view description() const override {
        return "Linux 6.11-rc (never released): guest PAT always honored on self-snoop hosts, "
               "guest MTRRs and CR0.CD no longer emulated";
    }
    std::string_view source() const override {
        return "Linux 6.11-rc1, commit 377b2f359d1f 'KVM: VMX: Always honor guest PAT on CPUs "
               "that support self-snoop', reverted by 9d70f3fec144; kvm-policy.md section 1";
    }
    std::vector<era_row> rows() const override {
        return {era_row::mmio,
                era_row::coherent_no_ss,
                era_row::coherent_ss_quirk_on,
                era_row::coherent_ss_quirk_off,
                era_row::nc_cd0,
                era_row::nc_cd1_cdnw_on,
                era_row::nc_cd1_cdnw_off};
    }

    ept_decision decide(const ept_inputs& in) const override {
        check_inputs(in);
        ept_decision d = branch(in);
        note_absent_ignore_guest_pat(in, quirk_absent_before_6_16, d);
        note_absent_memslot_flag(in, d);
        return d;
    }

    // kvm_mmu_may_ignore_guest_pat() became "!self-snoop && EPT": with self-snoop the type no
    // longer depends on the count, so nothing is zapped.
    bool zaps_on_noncoherent_transition(const ept_inputs& in) const override {
        return !in.self_snoop;
    }

private:
    static ept_decision branch(const ept_inputs& in) {
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
};

} // namespace

const ept_policy& linux_6_11_rc() {
    static const linux_6_11_rc_policy p;
    return p;
}

} // namespace mtsim::kvm::policies
