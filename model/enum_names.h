// One enum-name facility: an enum whose enumerators run 0, 1, ... declares its names once, as a
// constexpr table in declaration order, and gets to_string() and a from_string() parser from
// it (no switch to keep in step with the enum):
//
//   enum class colour : std::uint8_t { red, dark_blue };
//   constexpr auto enum_names_of(colour) { return names_table("red", "dark-blue"); }
//   constexpr std::string_view to_string(colour c) { return enum_name(c); }
//
// `enum_names_of` is found by argument-dependent lookup, so it sits beside the enum in the
// enum's own namespace (mtsim::cpu, mtsim::iommu, ...).
//
// A test checks each table's length against the enum (the last enumerator's value + 1).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <type_traits>

namespace mtsim {

template <class... S>
constexpr std::array<std::string_view, sizeof...(S)> names_table(S... s) {
    return {std::string_view(s)...};
}

// The table of E: std::array<std::string_view, N>, index = underlying value.
template <class E>
inline constexpr auto enum_names = enum_names_of(E{});

// The enumerator's name, or "?" for a value outside the table.
template <class E>
constexpr std::string_view enum_name(E e) {
    static_assert(std::is_enum_v<E>);
    const auto i = static_cast<std::size_t>(e);
    return i < enum_names<E>.size() ? enum_names<E>[i] : std::string_view("?");
}

// The enumerator named `s` (exact match), or nullopt.
template <class E>
constexpr std::optional<E> enum_from_string(std::string_view s) {
    for (std::size_t i = 0; i < enum_names<E>.size(); ++i)
        if (enum_names<E>[i] == s) return static_cast<E>(i);
    return std::nullopt;
}

} // namespace mtsim
