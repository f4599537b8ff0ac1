// Small text helpers shared by the parsers (memory types, arm64 types, parameters).
#pragma once

#include <cctype>
#include <string_view>

namespace mtsim {

// ASCII case-insensitive equality: names on the command line and in YAML are case-insensitive.
inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

} // namespace mtsim
