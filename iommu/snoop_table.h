// Whether a remapped device request snoops the CPU caches: a function of the unit's snoop
// control (ECAP.SC), the leaf's SNP bit and the request's PCIe No-Snoop attribute.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "model/enum_names.h"

namespace mtsim::iommu {

enum class snoop_outcome : std::uint8_t {
    snooped,     // the memory system keeps the access coherent with the CPU caches
    not_snooped, // straight to memory, caches not consulted
    reserved,    // SNP set without snoop control: a reserved-bit fault, no access at all
};

constexpr auto enum_names_of(snoop_outcome) {
    return names_table("snooped", "not-snooped", "reserved-bit fault");
}

constexpr std::string_view to_string(snoop_outcome o) {
    return enum_name(o);
}

// clang-format off
// VT-d specification §9.8 (SNP field) and the ECAP register (SC, bit 7), as summarised in
// docs/reference/vtd-pcie.md:
// SNP=1 (legal only with SC) snoops whatever the request's No-Snoop says; SNP=0 snoops unless
// the request has No-Snoop. Index: [ECAP.SC][SNP][No-Snoop].
inline constexpr std::array<std::array<std::array<snoop_outcome, 2>, 2>, 2> snoop_table{{
    //      NS=0                     NS=1
    {{ {{snoop_outcome::snooped,  snoop_outcome::not_snooped}},    // SC=0 SNP=0
       {{snoop_outcome::reserved, snoop_outcome::reserved}} }},    // SC=0 SNP=1
    {{ {{snoop_outcome::snooped,  snoop_outcome::not_snooped}},    // SC=1 SNP=0
       {{snoop_outcome::snooped,  snoop_outcome::snooped}} }},     // SC=1 SNP=1
}};
// clang-format on

constexpr snoop_outcome snoop_decision(bool sc, bool snp, bool no_snoop) {
    return snoop_table[sc][snp][no_snoop];
}

// A leaf may carry SNP exactly when the table has no reserved cell for it.
constexpr bool snp_legal(bool sc) {
    return snoop_decision(sc, true, false) != snoop_outcome::reserved &&
           snoop_decision(sc, true, true) != snoop_outcome::reserved;
}

} // namespace mtsim::iommu
