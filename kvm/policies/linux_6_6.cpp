// linux-6.6: vmx_get_mt_mask() up to Linux 6.6. Under non-coherent DMA KVM emulates the guest's
// MTRRs and CR0.CD in the EPT type; with CR0.CD=1 and CD_NW_CLEARED it keeps IPAT, so guest PAT
// is ignored. No EPT zap when the non-coherent count changes: entries built before a device
// was hot-plugged keep WB+IPAT.
#include "kvm/policy.h"
#include "kvm/quirks.h"

namespace mtsim::kvm::policies {
namespace {

class linux_6_6_policy final : public ept_policy {
public:
    std::string_view name() const override { return "linux-6.6"; }
    std::string_view description() const override {
        return "Linux <= 6.6: guest MTRRs and CR0.CD emulated under non-coherent DMA, IPAT "
               "kept when CR0.CD=1 with CD_NW_CLEARED, no EPT zap on count changes";
    }
    std::string_view source() const override {
        return "Linux <= 6.6, arch/x86/kvm/vmx/vmx.c vmx_get_mt_mask(); kvm-policy.md section 1";
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

    bool zaps_on_noncoherent_transition(const ept_inputs&) const override { return false; }

private:
    static ept_decision branch(const ept_inputs& in) {
        if (in.mmio) return {memtype::uc, false, "host MMIO: UC, guest PAT honored", {}};
        if (!in.noncoherent)
            return {memtype::wb, true, "no non-coherent DMA: WB, guest PAT ignored (IPAT)", {}};
        if (in.guest_cd) {
            if (in.quirk_cd_nw_cleared)
                return {memtype::wb,
                        true,
                        "non-coherent DMA, CR0.CD=1, CD_NW_CLEARED on: WB with IPAT",
                        {}};
            return {memtype::uc,
                    true,
                    "non-coherent DMA, CR0.CD=1, CD_NW_CLEARED off: UC with IPAT (emulated CD)",
                    {}};
        }
        return {in.guest_mtrr,
                false,
                "non-coherent DMA, CR0.CD=0: guest MTRR type (6.6 emulated guest MTRRs)",
                {}};
    }
};

} // namespace

const ept_policy& linux_6_6() {
    static const linux_6_6_policy p;
    return p;
}

} // namespace mtsim::kvm::policies
