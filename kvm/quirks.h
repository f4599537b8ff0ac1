// KVM facts that several EPT policies share: the IGNORE_GUEST_PAT quirk and how KVM answers a
// VMM that asks to turn it off, the KVM_MEM_NON_COHERENT_DMA memslot flag (a proposal) that
// released kernels lack, and the input domain of the guest MTRR type. Each rule lives here once;
// the policies call it.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "kvm/policy.h"

namespace mtsim::kvm {

// Throws std::invalid_argument when an input cannot occur on real hardware: UC- is a PAT-only
// encoding, a guest MTRR never holds it.
void check_inputs(const ept_inputs& in);

// Linux >= 6.16: is KVM_X86_QUIRK_IGNORE_GUEST_PAT in effect? It is on by default, and
// vmx_hardware_setup() removes it from the quirks KVM_CAP_DISABLE_QUIRKS2 may clear when the
// host lacks self-snoop, so a request to turn it off only takes effect on self-snoop hosts.
bool ignore_guest_pat_in_effect(const ept_inputs& in);

// Linux >= 6.16: adds a note to `out` when the VMM asked to turn IGNORE_GUEST_PAT off and KVM
// refused (no self-snoop); the quirk stays on.
void note_ignore_guest_pat_request(const ept_inputs& in, ept_decision& out);

// Kernels and hypervisors without the quirk: a request to turn it off is refused with a note
// naming `why_absent` (e.g. "kernels before 6.16 have no such quirk"); nothing else changes.
void note_absent_ignore_guest_pat(const ept_inputs& in, std::string_view why_absent,
                                  ept_decision& out);
inline constexpr std::string_view quirk_absent_before_6_16 =
    "kernels before 6.16 have no such quirk";

// Policies without KVM_MEM_NON_COHERENT_DMA (every released kernel): KVM rejects a memslot
// with an unknown flag (-EINVAL), so a flagged frame is noted and decided as unflagged.
void note_absent_memslot_flag(const ept_inputs& in, ept_decision& out);

// What real KVM refuses at an ioctl, with the errno it returns. `key` names the hypervisor
// or VMM setting that asked for it (as in the host file, without the "host." prefix).
class kvm_refusal : public std::runtime_error {
public:
    kvm_refusal(int err, std::string errno_name, std::string call, std::string key,
                std::string reason);
    int err() const { return m_err; }
    const std::string& errno_name() const { return m_errno_name; } // "EINVAL"
    const std::string& call() const { return m_call; }             // the ioctl
    const std::string& key() const { return m_key; }
    const std::string& reason() const { return m_reason; }

private:
    int m_err;
    std::string m_errno_name, m_call, m_key, m_reason;
};

// The VMM asks KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS2) to clear IGNORE_GUEST_PAT (the request
// is `!quirk_ignore_guest_pat`). kvm_vm_ioctl_enable_cap() returns -EINVAL for a quirk outside
// kvm_caps.supported_quirks: every kernel before 6.16 (no such quirk), and 6.16+ on a host
// without self-snoop (vmx_hardware_setup() drops the quirk from the supported ones). Which
// policies offer it is the policy's own answer (the refusal note it gives the request).
std::optional<kvm_refusal> quirk_request_refusal(const ept_policy& p, bool quirk_ignore_guest_pat,
                                                 bool self_snoop);

// The VMM registers a memslot with KVM_MEM_NON_COHERENT_DMA (a proposed flag, not merged).
// check_memory_region_flags() returns -EINVAL for a flag the kernel does not know: every
// released kernel; only the proposal's policy accepts it.
std::optional<kvm_refusal> memslot_flag_refusal(const ept_policy& p);

// A policy whose VM type needs self-snoop (policy_info::needs_self_snoop, e.g. TDX: tdx_bringup()
// leaves TDX disabled without X86_FEATURE_SELFSNOOP) on a host without it: KVM_CREATE_VM with
// that type returns -EINVAL (the type is not in kvm_caps.supported_vm_types).
std::optional<kvm_refusal> vm_type_refusal(const ept_policy& p, bool self_snoop);

} // namespace mtsim::kvm
