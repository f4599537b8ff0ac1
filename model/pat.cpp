#include "model/pat.h"

#include <fmt/format.h>

namespace mtsim {

or_gp<pat_entries> decode_pat(std::uint64_t msr) {
    if (msr & pat_reserved_mask)
        return gp_fault{fmt::format("IA32_PAT value {:#018x} sets reserved bits {:#018x}", msr,
                                    msr & pat_reserved_mask)};
    pat_entries e{};
    for (unsigned i = 0; i < 8; ++i) {
        const unsigned v = pat_field(msr, i);
        const auto t = memtype_from_encoding(v);
        if (!t)
            return gp_fault{fmt::format("IA32_PAT.PA{} (bits {}:{}) = {} is a reserved encoding", i,
                                        8 * i + 2, 8 * i, v)};
        e[i] = *t;
    }
    return e;
}

std::uint64_t encode_pat(const pat_entries& e) {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < 8; ++i) v |= std::uint64_t{encoding(e[i])} << (8 * i);
    return v;
}

} // namespace mtsim
