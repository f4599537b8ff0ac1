// The whole input space of an EPT policy, for tests that loop over every combination.
#pragma once

#include <array>
#include <functional>
#include <string>

#include "kvm/policy.h"

namespace mtsim::kvm::test {

// The types a guest MTRR can hold (UC- is PAT-only).
inline constexpr std::array<memtype, 5> mtrr_types{memtype::uc, memtype::wc, memtype::wt,
                                                   memtype::wp, memtype::wb};

// Calls fn for each of the 2^6 boolean inputs x 5 guest MTRR types, memslot flag as given.
inline void for_each_input(bool memslot_flag, const std::function<void(const ept_inputs&)>& fn) {
    for (unsigned bits = 0; bits < 64; ++bits)
        for (memtype mtrr : mtrr_types) {
            ept_inputs in;
            in.mmio = bits & 1;
            in.noncoherent = bits & 2;
            in.guest_cd = bits & 4;
            in.quirk_cd_nw_cleared = bits & 8;
            in.quirk_ignore_guest_pat = bits & 16;
            in.self_snoop = bits & 32;
            in.guest_mtrr = mtrr;
            in.memslot_noncoherent = memslot_flag;
            fn(in);
        }
}

inline std::string describe(const ept_inputs& in) {
    auto b = [](bool v) { return v ? "1" : "0"; };
    return std::string("mmio=") + b(in.mmio) + " nc=" + b(in.noncoherent) +
           " cd=" + b(in.guest_cd) + " cdnw=" + b(in.quirk_cd_nw_cleared) +
           " igp=" + b(in.quirk_ignore_guest_pat) + " ss=" + b(in.self_snoop) +
           " mtrr=" + std::string(to_string(in.guest_mtrr)) + " slot=" + b(in.memslot_noncoherent);
}

} // namespace mtsim::kvm::test
