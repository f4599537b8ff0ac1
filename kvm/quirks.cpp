#include "kvm/quirks.h"

#include <cerrno>
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

namespace {
// The openings of the refusal notes below; the refusal probes look for them.
constexpr std::string_view quirk_refused = "request to turn IGNORE_GUEST_PAT off refused";
constexpr std::string_view flag_refused = "memslot flag KVM_MEM_NON_COHERENT_DMA refused";

std::optional<std::string> note_starting(const ept_decision& d, std::string_view opening) {
    for (const auto& n : d.notes)
        if (n.rfind(opening, 0) == 0) return n;
    return std::nullopt;
}
} // namespace

kvm_refusal::kvm_refusal(int err, std::string errno_name, std::string call, std::string key,
                         std::string reason)
    : std::runtime_error("KVM refuses " + call + ": -" + errno_name + " (" + reason + ")"),
      m_err(err), m_errno_name(std::move(errno_name)), m_call(std::move(call)),
      m_key(std::move(key)), m_reason(std::move(reason)) {}

std::optional<kvm_refusal> quirk_request_refusal(const ept_policy& p, bool quirk_ignore_guest_pat,
                                                 bool self_snoop) {
    if (quirk_ignore_guest_pat) return std::nullopt;
    ept_inputs in;
    in.quirk_ignore_guest_pat = false;
    in.self_snoop = self_snoop;
    const auto note = note_starting(p.decide(in), quirk_refused);
    if (!note) return std::nullopt;
    return kvm_refusal(
        EINVAL, "EINVAL", "KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS2)", "kvm.quirk_ignore_guest_pat",
        std::string(p.name()) + ": " +
            note->substr(quirk_refused.size() + 2, note->find(';') - quirk_refused.size() - 2));
}

std::optional<kvm_refusal> memslot_flag_refusal(const ept_policy& p) {
    ept_inputs in;
    in.memslot_noncoherent = true;
    const auto note = note_starting(p.decide(in), flag_refused);
    if (!note) return std::nullopt;
    return kvm_refusal(EINVAL, "EINVAL", "KVM_SET_USER_MEMORY_REGION2", "memslot_noncoherent",
                       std::string(p.name()) +
                           ": check_memory_region_flags() does not know KVM_MEM_NON_COHERENT_DMA "
                           "(no released kernel has the flag)");
}

std::optional<kvm_refusal> vm_type_refusal(const ept_policy& p, bool self_snoop) {
    if (self_snoop || p.info().needs_self_snoop.empty()) return std::nullopt;
    return kvm_refusal(EINVAL, "EINVAL", "KVM_CREATE_VM", "kvm.policy",
                       std::string(p.name()) + ": " + std::string(p.info().needs_self_snoop));
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
