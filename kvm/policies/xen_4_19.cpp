// xen-4.19: Xen's epte_get_entry_emt() (xen/arch/x86/mm/p2m-ept.c, Xen 4.19), a comparison
// hypervisor, evaluated top to bottom on the facts the model has:
//   1. mmio_ro_ranges -> UC, IPAT=1           (no read-only MMIO ranges here: never taken)
//   2. !mfn_valid(mfn) -> UC, IPAT=1           (see "host MMIO" below)
//   3. not p2m_mmio_direct, !is_iommu_enabled(d), !cache_flush_permitted(d) -> WB, IPAT=1
//      (a domain created without an assigned device)
//   4. special pages (shared info, grant table frames) -> WB, IPAT=1  (none in the model)
//   5. p2m_mmio_direct -> UC, IPAT=0; grant and foreign maps -> WB, IPAT=1 (no grants here)
//   6. pinned cache attributes (XEN_DOMCTL_pin_mem_cacheattr) -> that type, IPAT=1 (none here)
//   7. guest MTRR x host MTRR: equal -> it; either UC -> UC; either WB -> the other; WT/WP -> WP;
//      else UC; IPAT=0. The host MTRR of guest RAM is WB (assumption: RAM below any host MTRR
//      range of another type), so the result is the guest MTRR type.
// Host MMIO: the model's host-MMIO frames are a pass-through device's BAR, mapped
// p2m_mmio_direct; Xen reaches branch 5 (UC, IPAT=0: a guest WC mapping stays WC) when the
// BAR's frame is covered by the frame table (mfn_valid) and branch 2 (UC, IPAT=1) otherwise. The
// model takes branch 5, as a BAR inside the PDX groups of RAM is.
// Guest CR0.CD with an assigned device: vmx_handle_cd() (xen/arch/x86/hvm/vmx/vmx.c) loads an
// all-UC guest PAT, so every access is UC whatever the EPT type; the decision says UC, IPAT=1,
// the same effective type. Xen has no non-coherent count and no IGNORE_GUEST_PAT quirk: EPT
// types never change with a device's coherence, so nothing is zapped.
#include "kvm/policy.h"
#include "model/registry.h"

namespace mtsim::kvm::policies {
namespace {

class xen_4_19 final : public ept_policy {
public:
    xen_4_19()
        : ept_policy({"xen-4.19",
                      "Xen 4.19 HVM: WB+IPAT without an assigned device; with one, guest MTRR "
                      "type with guest PAT honored; direct MMIO UC with guest PAT honored",
                      "Xen 4.19, epte_get_entry_emt() in xen/arch/x86/mm/p2m-ept.c and "
                      "vmx_handle_cd() in xen/arch/x86/hvm/vmx/vmx.c",
                      std::nullopt, // not a Linux era
                      919,          // other hypervisors from 900
                      "Xen has no KVM_X86_QUIRK_IGNORE_GUEST_PAT", false}) {}

    ept_decision choose(const ept_inputs& in) const override {
        if (in.mmio)
            return {memtype::uc,
                    false,
                    "xen: p2m_mmio_direct (valid mfn): UC, guest PAT honored (IPAT=0)",
                    {}};
        if (!in.assigned_device)
            return {memtype::wb,
                    true,
                    "xen: no IOMMU and no I/O resources (!cache_flush_permitted): WB, IPAT=1",
                    {}};
        if (in.guest_cd)
            return {memtype::uc,
                    true,
                    "xen: guest CR0.CD with an assigned device: vmx_handle_cd() loads an all-UC "
                    "guest PAT (effective UC)",
                    {}};
        return {in.guest_mtrr,
                false,
                "xen: assigned device: guest MTRR x host MTRR (WB) merge, guest PAT honored "
                "(IPAT=0)",
                {}};
    }

    bool zaps_on_noncoherent_transition(const ept_inputs&) const override { return false; }
};

} // namespace

MTSIM_REGISTER(ept_policy, xen_4_19);

} // namespace mtsim::kvm::policies
