// amd-npt: KVM on AMD with nested paging. SVM has no get_mt_mask hook: an NPT leaf carries the
// host PAT type (WB), and the hardware combines guest PAT, host NPT type and host MTRRs, so
// guest PAT is always honored; the non-coherent count only changes WBINVD handling.
// NPT has no IPAT bit. (WB, IPAT=0) for RAM and (UC, IPAT=0) for host MMIO are the EPT
// encodings with the same effect: for RAM the guest PAT type results, for MMIO (which host
// MTRRs mark UC, as platform firmware does) a guest WC stays WC and everything else is UC.
#include "kvm/policy.h"
#include "model/registry.h"

namespace mtsim::kvm::policies {
namespace {

class amd_npt final : public ept_policy {
public:
    amd_npt()
        : ept_policy({"amd-npt",
                      "AMD NPT: guest PAT always honored, hardware combines it with the host type "
                      "(shown as the equivalent EPT type with IPAT=0)",
                      "KVM SVM with NPT (no get_mt_mask hook); Documentation/virt/kvm/api.rst: "
                      "'KVM always honors guest PAT on AMD CPUs when TDP (NPT) is enabled'",
                      std::nullopt, // the era table describes vmx_get_mt_mask(); NPT is none
                      900, "the quirk does not apply to NPT, KVM always honors guest PAT on AMD",
                      false}) {}

    ept_decision choose(const ept_inputs& in) const override {
        ept_decision d =
            in.mmio ? ept_decision{memtype::uc,
                                   false,
                                   "host MMIO: host MTRR UC combined with guest PAT (NPT has "
                                   "no IPAT; equivalent to EPT UC, IPAT=0)",
                                   {}}
                    : ept_decision{memtype::wb,
                                   false,
                                   "RAM: NPT leaf WB combined with guest PAT, always honored "
                                   "(NPT has no IPAT; equivalent to EPT WB, IPAT=0)",
                                   {}};
        // svm_set_cr0(): under CD_NW_CLEARED KVM clears CD and NW in the hardware CR0.
        d.hardware_cd = in.guest_cd && !in.quirk_cd_nw_cleared;
        if (in.guest_cd)
            d.notes.emplace_back(in.quirk_cd_nw_cleared
                                     ? "guest CR0.CD=1 has no effect: under CD_NW_CLEARED SVM "
                                       "clears CD/NW in the hardware CR0"
                                     : "guest CR0.CD=1 reaches the hardware CR0 (CD_NW_CLEARED "
                                       "off): the CPU disables caching itself");
        return d;
    }

    bool zaps_on_noncoherent_transition(const ept_inputs&) const override { return false; }
};

} // namespace

MTSIM_REGISTER(ept_policy, amd_npt);

} // namespace mtsim::kvm::policies
