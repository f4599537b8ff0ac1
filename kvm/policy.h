// The EPT memory-type policy of a hypervisor: decides (EPT leaf type, IPAT) for one guest
// frame from the facts KVM's vmx_get_mt_mask() looks at. A policy is pure: it must not touch
// EPT state, caches or counters; the hypervisor model calls it when it builds an EPT entry.
// One policy per file in kvm/policies/, registered by name (docs/reference/kvm-policy.md).
#pragma once

#include <memory>
#include <optional>
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
    bool memslot_noncoherent =
        false; // KVM_MEM_NON_COHERENT_DMA on the frame's memslot (a proposal, not merged)
    // The VM was created with an assigned (pass-through) device: Xen's is_iommu_enabled(d) /
    // cache_flush_permitted(d), fixed at domain creation. KVM's policies do not look at it.
    bool assigned_device = false;
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

// Rows of the era table (docs/reference/kvm-policy.md, section 1), top to bottom.
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

// Columns of the era table: the kernel releases whose vmx_get_mt_mask() differ.
enum class era : unsigned { upto_6_6 = 0, v6_7_to_6_10, v6_11_rc, v6_11_to_6_15, from_6_16 };
inline constexpr unsigned era_count = 5;

// What a policy declares besides its decision.
struct policy_info {
    std::string_view name;
    std::string_view description; // one line
    std::string_view source;      // kernel release and commit, or the proposal's mail thread
    // The era-table column the policy must reproduce (for frames it decides as a released
    // kernel does); empty for a policy that is no column of vmx_get_mt_mask() (AMD NPT). A
    // test enumerates the registry and checks every declared column.
    std::optional<era> era_column;
    // Where the policy's hosts stand among the matrix columns: the Linux release it models or
    // builds on, as major * 100 + minor (6.10 -> 610); other hypervisors from 900.
    unsigned order = 0;
    // KVM_X86_QUIRK_IGNORE_GUEST_PAT: empty when the kernel has it (>= 6.16), else why a VMM
    // request to turn it off is refused.
    std::string_view ignore_guest_pat_absent;
    // The kernel accepts KVM_MEM_NON_COHERENT_DMA on a memslot (a proposal; every released
    // kernel rejects the flag).
    bool memslot_flag = false;
    // Why the hypervisor refuses to create this VM on a host without self-snoop (CPUID.1:EDX.SS);
    // empty when it does not (TDX makes self-snoop a hard dependency).
    std::string_view needs_self_snoop = {};
};

// A policy is one file in kvm/policies/: a class derived from ept_policy that passes its
// policy_info and implements choose() and zaps_on_noncoherent_transition(), registered with
// MTSIM_REGISTER(ept_policy, class) (model/registry.h).
class ept_policy {
public:
    explicit ept_policy(const policy_info& info) : m_info(info) {}
    virtual ~ept_policy() = default;
    ept_policy(const ept_policy&) = delete;
    ept_policy& operator=(const ept_policy&) = delete;

    const policy_info& info() const { return m_info; }
    std::string_view name() const { return m_info.name; }
    std::string_view description() const { return m_info.description; }
    std::string_view source() const { return m_info.source; }
    unsigned order_key() const { return m_info.order; } // the registry's order, then name

    // The decision KVM takes: checks the inputs (std::invalid_argument for one that cannot
    // occur), asks choose(), then adds the notes for what this kernel refuses (an
    // IGNORE_GUEST_PAT-off request, a flagged memslot), common to every policy.
    ept_decision decide(const ept_inputs& in) const;
    // The policy's own branch: type, IPAT, why, hardware CR0.CD and notes of its own.
    virtual ept_decision choose(const ept_inputs& in) const = 0;
    // Does this policy zap every EPT entry when the non-coherent count goes 0->1 or 1->0?
    // (Linux >= 6.7; >= 6.16 only while IGNORE_GUEST_PAT is in effect; never before 6.7.)
    virtual bool zaps_on_noncoherent_transition(const ept_inputs& in) const = 0;

private:
    policy_info m_info;
};

// All registered policies, in a stable order (order_key, then name).
const std::vector<const ept_policy*>& all_policies();
// nullptr when no policy has that name.
const ept_policy* find_policy(std::string_view name);
// "linux-6.6, linux-6.10, ...": for error messages.
std::string policy_names();

} // namespace mtsim::kvm
