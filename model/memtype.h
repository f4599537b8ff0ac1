// x86 memory types: the encodings shared by PAT, MTRRs and EPT leaves.
// Source: Intel SDM vol. 3, Table 11-10 (PAT encodings) and 11.11 (MTRR types); see
// docs/reference/memory-types.md §1.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mtsim {

// Values are the architectural encodings. 2 and 3 are reserved everywhere; 7 (UC-) exists
// only in PAT entries.
enum class memtype : std::uint8_t { uc = 0, wc = 1, wt = 4, wp = 5, wb = 6, uc_minus = 7 };

inline constexpr std::array<memtype, 6> all_memtypes{memtype::uc, memtype::wc, memtype::wt,
                                                     memtype::wp, memtype::wb, memtype::uc_minus};

// "UC", "WC", "WT", "WP", "WB", "UC-".
constexpr std::string_view to_string(memtype t) {
    switch (t) {
    case memtype::uc:
        return "UC";
    case memtype::wc:
        return "WC";
    case memtype::wt:
        return "WT";
    case memtype::wp:
        return "WP";
    case memtype::wb:
        return "WB";
    case memtype::uc_minus:
        return "UC-";
    }
    return "?";
}

// Case-insensitive parse of the names above; nullopt for anything else.
std::optional<memtype> parse_memtype(std::string_view s);

// "UC, WC, WT, WP, WB, UC-": for error messages that list the valid values.
std::string memtype_names();

// Encoding -> type where the encoding is defined at all (0,1,4,5,6,7); nullopt for 2, 3 and
// anything above 7. Callers decide what a reserved value means in their context
// (#GP for PAT/MTRR, EPT misconfiguration for a leaf).
constexpr std::optional<memtype> memtype_from_encoding(unsigned v) {
    switch (v) {
    case 0:
        return memtype::uc;
    case 1:
        return memtype::wc;
    case 4:
        return memtype::wt;
    case 5:
        return memtype::wp;
    case 6:
        return memtype::wb;
    case 7:
        return memtype::uc_minus;
    default:
        return std::nullopt;
    }
}

constexpr unsigned encoding(memtype t) {
    return static_cast<unsigned>(t);
}

// Cached types allocate lines in the CPU caches (at least on reads).
constexpr bool is_cacheable(memtype t) {
    return t == memtype::wb || t == memtype::wt || t == memtype::wp;
}

} // namespace mtsim
