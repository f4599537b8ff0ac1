// The EPT memory-type policy of a hypervisor: decides (EPT leaf type, IPAT) for one guest
// frame from the facts KVM's vmx_get_mt_mask() looks at. A policy is pure: it must not touch
// EPT state, caches or counters; the hypervisor model calls it when it builds an EPT entry.
// One policy per file in kvm/policies/, registered by name (shared/reference/kvm-policy.md §1).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/memtype.h"

namespace mtsim::kvm {

struct ept_inputs {
    bool mmio = false;        // the frame is host MMIO (kvm_is_mmio_pfn)
    bool noncoherent = false; // the VM's non-coherent DMA count is > 0
    bool guest_cd = false;    // guest CR0.CD
    bool quirk_cd_nw_cleared = true;
    bool quirk_ignore_guest_pat = true; // as requested by the VMM; see kvm/quirks.h
    bool self_snoop = true;             // host CPUID.1:EDX.SS
    memtype guest_mtrr = memtype::wb;   // the guest MTRR type of the frame
    bool memslot_noncoherent = false; // KVM_MEM_NON_COHERENT_DMA on the frame's memslot (seed 003)
};

struct ept_decision {
    memtype ept_type = memtype::wb;
    bool ipat = false;
    std::string why;                // one line: the branch of the policy that decided
    std::vector<std::string> notes; // refused quirk requests and other remarks for the user
    // CR0.CD as the hardware sees it while the guest runs. VMX keeps CD clear in the hardware
    // CR0 (KVM_VM_CR0_ALWAYS_OFF) and emulates the guest's CD through the EPT type; SVM lets
    // the guest's CD through unless CD_NW_CLEARED is on.
    bool hardware_cd = false;
};

// Rows of the era table in kvm-policy.md §1, top to bottom.
enum class era_row : unsigned {
    mmio = 0,
    coherent_no_ss,
    coherent_ss_quirk_on,
    coherent_ss_quirk_off,
    nc_cd0,
    nc_cd1_cdnw_on,
    nc_cd1_cdnw_off,
};
inline constexpr unsigned era_row_count = 7;

class ept_policy {
public:
    virtual ~ept_policy() = default;
    virtual std::string_view name() const = 0;
    virtual std::string_view description() const = 0; // one line
    virtual std::string_view source() const = 0;      // kernel commit era, seed file, ...
    // The era-table rows this policy reproduces (a test checks each of them).
    virtual std::vector<era_row> rows() const = 0;
    virtual ept_decision decide(const ept_inputs& in) const = 0;
    // Does this policy zap every EPT entry when the non-coherent count goes 0->1 or 1->0?
    // (Linux >= 6.7; >= 6.16 only while IGNORE_GUEST_PAT is in effect; never before 6.7.)
    virtual bool zaps_on_noncoherent_transition(const ept_inputs& in) const = 0;
};

// All registered policies, in a stable order (by name).
const std::vector<const ept_policy*>& all_policies();
// nullptr when no policy has that name.
const ept_policy* find_policy(std::string_view name);
// "amd-npt, linux-6.10, ...": for error messages.
std::string policy_names();

} // namespace mtsim::kvm
