// The check every enum-name table gets (model/enum_names.h): one name per enumerator up to
// `last`, each unique and parsed back to itself. Used by the block test suites.
#pragma once

#include <doctest/doctest.h>

#include "model/enum_names.h"

namespace mtsim {

template <class E>
void check_enum_table(E last) {
    const auto n = static_cast<std::size_t>(last) + 1;
    CHECK(enum_names<E>.size() == n);
    for (std::size_t i = 0; i < n; ++i) {
        const E e = static_cast<E>(i);
        INFO(enum_name(e));
        CHECK(enum_name(e) != "?");
        CHECK(enum_from_string<E>(enum_name(e)) == e);
    }
    CHECK(enum_name(static_cast<E>(n)) == "?");
    CHECK_FALSE(enum_from_string<E>("no such name").has_value());
}

} // namespace mtsim
