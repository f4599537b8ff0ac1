// KVM facts that several EPT policies share: the IGNORE_GUEST_PAT quirk and how KVM answers a
// VMM that asks to turn it off, the KVM_MEM_NON_COHERENT_DMA memslot flag (a proposal) that
// released kernels lack, and the input domain of the guest MTRR type. Each rule lives here once;
// the policies call it.
#pragma once

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

} // namespace mtsim::kvm
