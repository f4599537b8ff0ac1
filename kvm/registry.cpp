// The EPT-policy and WBINVD-handling families (model/registry.h) and the part of a decision
// every policy shares.
#include "model/registry.h"

#include "kvm/policy.h"
#include "kvm/quirks.h"
#include "kvm/wbinvd.h"

namespace mtsim::kvm {

ept_decision ept_policy::decide(const ept_inputs& in) const {
    check_inputs(in);
    ept_decision d = choose(in);
    if (m_info.ignore_guest_pat_absent.empty())
        note_ignore_guest_pat_request(in, d);
    else
        note_absent_ignore_guest_pat(in, m_info.ignore_guest_pat_absent, d);
    if (!m_info.memslot_flag) note_absent_memslot_flag(in, d);
    return d;
}

const std::vector<const ept_policy*>& all_policies() {
    return registry<ept_policy>::instance().all();
}

const ept_policy* find_policy(std::string_view name) {
    return registry<ept_policy>::instance().find(name);
}

std::string policy_names() {
    return registry<ept_policy>::instance().joined_names();
}

const std::vector<const wbinvd_handling*>& all_wbinvd_handlings() {
    return registry<wbinvd_handling>::instance().all();
}

const wbinvd_handling* find_wbinvd_handling(std::string_view name) {
    return registry<wbinvd_handling>::instance().find(name);
}

std::string wbinvd_handling_names() {
    return registry<wbinvd_handling>::instance().joined_names();
}

} // namespace mtsim::kvm
