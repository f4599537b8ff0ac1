#include <algorithm>
#include <stdexcept>

#include "kvm/policy.h"

namespace mtsim::kvm {

std::vector<const ept_policy*> registered_policies(); // generated: policy_list.cpp

const std::vector<const ept_policy*>& all_policies() {
    static const std::vector<const ept_policy*> sorted = [] {
        auto v = registered_policies();
        std::sort(v.begin(), v.end(),
                  [](const ept_policy* a, const ept_policy* b) { return a->name() < b->name(); });
        for (std::size_t i = 1; i < v.size(); ++i)
            if (v[i - 1]->name() == v[i]->name())
                throw std::logic_error("two EPT policies are named " + std::string(v[i]->name()));
        return v;
    }();
    return sorted;
}

const ept_policy* find_policy(std::string_view name) {
    for (const ept_policy* p : all_policies())
        if (p->name() == name) return p;
    return nullptr;
}

std::string policy_names() {
    std::string out;
    for (const ept_policy* p : all_policies()) {
        if (!out.empty()) out += ", ";
        out += p->name();
    }
    return out;
}

} // namespace mtsim::kvm
