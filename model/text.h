// Small text helpers shared by the parsers and the messages (memory types, arm64 types,
// parameters, addresses).
#pragma once

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
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

// An address or register value as the messages print it: "0x1f000".
inline std::string hex(std::uint64_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    char buf[18];
    char* p = buf + sizeof buf;
    do {
        *--p = digits[v & 0xf];
        v >>= 4;
    } while (v != 0);
    *--p = 'x';
    *--p = '0';
    return std::string(p, buf + sizeof buf);
}

// Bytes as two lowercase hex digits each, no separator: "00ff10".
inline std::string hex_bytes(const std::uint8_t* p, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        s += digits[p[i] >> 4];
        s += digits[p[i] & 0xf];
    }
    return s;
}

} // namespace mtsim
