// Effective memory type of a guest-physical access under EPT (SDM vol. 3 28.3.7 "Memory Type
// Used for Translated Guest-Physical Addresses"): CR0.CD, then IPAT, then Table 11-7 with the
// EPT leaf type as the range type. Reference: docs/reference/ept.md.
#pragma once

#include <optional>

#include "model/memtype.h"
#include "model/memtype_table.h"

namespace mtsim {

// EPT leaf memory-type field (bits 5:3): 2, 3 and 7 cause an EPT misconfiguration
// (exit reason 49); UC, WC, WT, WP, WB are valid.
constexpr bool ept_leaf_type_misconfigured(unsigned enc) {
    return enc > 7 || enc == 2 || enc == 3 || enc == 7;
}

// The type a valid EPT leaf field encodes; nullopt when the field is a misconfiguration.
constexpr std::optional<memtype> ept_leaf_memtype(unsigned enc) {
    if (ept_leaf_type_misconfigured(enc)) return std::nullopt;
    return memtype_from_encoding(enc);
}

struct ept_access {
    bool cr0_cd = false;             // CR0.CD as the hardware sees it while the guest runs
    memtype ept_type = memtype::wb;  // EPT leaf memory type
    bool ipat = false;               // EPT leaf "ignore PAT"
    memtype guest_pat = memtype::wb; // type the guest's PAT gives the page
};

// Throws std::invalid_argument when ept_type is UC- (an EPT misconfiguration, no access
// happens).
memtype_explained ept_effective_memtype(const ept_access& in);

} // namespace mtsim
