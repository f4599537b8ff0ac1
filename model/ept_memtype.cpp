#include "model/ept_memtype.h"

#include <fmt/format.h>
#include <stdexcept>

namespace mtsim {

memtype_explained ept_effective_memtype(const ept_access& in) {
    if (ept_leaf_type_misconfigured(encoding(in.ept_type)))
        throw std::invalid_argument(
            fmt::format("EPT leaf memory type {} ({}) is an EPT misconfiguration",
                        to_string(in.ept_type), encoding(in.ept_type)));
    if (in.cr0_cd)
        return {memtype::uc,
                type_source::cd,
                {"CR0.CD = 1: every access is UC, whatever EPT and PAT say (caches are in no-fill "
                 "mode: hits are still served, misses do not allocate)"}};
    memtype_explained e;
    e.steps.push_back("CR0.CD = 0: the type comes from the EPT leaf and the guest PAT");
    if (in.ipat) {
        e.type = in.ept_type;
        e.source = type_source::range;
        e.steps.push_back(fmt::format("IPAT = 1: the guest PAT type {} is ignored; the EPT leaf "
                                      "type {} is the effective type",
                                      to_string(in.guest_pat), to_string(in.ept_type)));
        return e;
    }
    e.steps.push_back(fmt::format("IPAT = 0: the EPT leaf type {} acts as the range type and "
                                  "combines with the guest PAT type {}",
                                  to_string(in.ept_type), to_string(in.guest_pat)));
    memtype_explained t = explain_range_pat(in.ept_type, in.guest_pat);
    e.type = t.type;
    e.source = t.source;
    e.steps.insert(e.steps.end(), t.steps.begin(), t.steps.end());
    return e;
}

} // namespace mtsim
