#include "kvm/quirks.h"

#include <stdexcept>
#include <string>

namespace mtsim::kvm {

void check_inputs(const ept_inputs& in) {
    if (in.guest_mtrr == memtype::uc_minus)
        throw std::invalid_argument("guest MTRR type UC- does not exist (UC- is a PAT-only "
                                    "encoding); valid MTRR types: UC, WC, WT, WP, WB");
}

bool ignore_guest_pat_in_effect(const ept_inputs& in) {
    return in.quirk_ignore_guest_pat || !in.self_snoop;
}

void note_ignore_guest_pat_request(const ept_inputs& in, ept_decision& out) {
    if (in.quirk_ignore_guest_pat || in.self_snoop) return;
    out.notes.emplace_back("request to turn IGNORE_GUEST_PAT off refused: the host has no "
                           "self-snoop, so KVM_CAP_DISABLE_QUIRKS2 does not offer the quirk "
                           "(-EINVAL); the quirk stays on");
}

void note_absent_ignore_guest_pat(const ept_inputs& in, std::string_view why_absent,
                                  ept_decision& out) {
    if (in.quirk_ignore_guest_pat) return;
    out.notes.emplace_back("request to turn IGNORE_GUEST_PAT off refused: " +
                           std::string(why_absent) + "; the request changes nothing");
}

void note_absent_memslot_flag(const ept_inputs& in, ept_decision& out) {
    if (!in.memslot_noncoherent) return;
    out.notes.emplace_back(
        "memslot flag KVM_MEM_NON_COHERENT_DMA refused: only the KVM_MEM_NON_COHERENT_DMA proposal "
        "proposal (policy memslot-flag) has it, KVM rejects the memslot "
        "(-EINVAL); decided as an unflagged slot");
}

} // namespace mtsim::kvm
