// The KVM/arm64 stage-2 policy family (model/registry.h) and what its members share.
#include "kvm/arm64_policy.h"

#include "model/registry.h"

namespace mtsim::kvm {

void arm64_kvm_config::describe(param_visitor& v) {
    std::vector<std::string_view> names{"none"};
    for (const arm64_s2_policy* p : all_arm64_policies()) names.push_back(p->name());
    v.choice("policy", policy,
             "KVM/arm64 stage-2 policy by kernel release (kvm/arm64_policies/); none: an x86 host",
             names);
    v.flag("fwb", caps.fwb,
           "the CPU implements FEAT_S2FWB (ID_AA64MMFR2_EL1.FWB) and KVM sets HCR_EL2.FWB");
    v.flag("dic", caps.dic, "CTR_EL0.DIC: no instruction-cache invalidation needed for coherence");
}

const std::vector<const arm64_s2_policy*>& all_arm64_policies() {
    return registry<arm64_s2_policy>::instance().all();
}

const arm64_s2_policy* find_arm64_policy(std::string_view name) {
    return registry<arm64_s2_policy>::instance().find(name);
}

std::string arm64_policy_names() {
    return registry<arm64_s2_policy>::instance().joined_names();
}

} // namespace mtsim::kvm
