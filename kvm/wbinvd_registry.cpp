#include <algorithm>
#include <stdexcept>

#include "kvm/wbinvd.h"

namespace mtsim::kvm {

std::vector<const wbinvd_handling*> registered_wbinvd_handlings(); // generated: wbinvd_list.cpp

const std::vector<const wbinvd_handling*>& all_wbinvd_handlings() {
    static const std::vector<const wbinvd_handling*> sorted = [] {
        auto v = registered_wbinvd_handlings();
        std::sort(v.begin(), v.end(), [](const wbinvd_handling* a, const wbinvd_handling* b) {
            return a->name() < b->name();
        });
        for (std::size_t i = 1; i < v.size(); ++i)
            if (v[i - 1]->name() == v[i]->name())
                throw std::logic_error("two WBINVD handlings are named " +
                                       std::string(v[i]->name()));
        return v;
    }();
    return sorted;
}

const wbinvd_handling* find_wbinvd_handling(std::string_view name) {
    for (const wbinvd_handling* h : all_wbinvd_handlings())
        if (h->name() == name) return h;
    return nullptr;
}

std::string wbinvd_handling_names() {
    std::string out;
    for (const wbinvd_handling* h : all_wbinvd_handlings()) {
        if (!out.empty()) out += ", ";
        out += h->name();
    }
    return out;
}

} // namespace mtsim::kvm
