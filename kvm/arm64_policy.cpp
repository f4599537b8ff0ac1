// The KVM/arm64 stage-2 policy family (model/registry.h) and what its members share.
#include "kvm/arm64_policy.h"

#include "model/registry.h"

namespace mtsim::kvm {

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
