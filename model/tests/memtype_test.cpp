#include <doctest/doctest.h>

#include "model/memtype.h"

using namespace mtsim;

TEST_CASE("memtype names round-trip case-insensitively") {
    for (memtype t : all_memtypes) {
        CHECK(parse_memtype(to_string(t)) == t);
        std::string lower(to_string(t));
        for (auto& c : lower) c = static_cast<char>(std::tolower(c));
        CHECK(parse_memtype(lower) == t);
    }
    CHECK_FALSE(parse_memtype("WBX").has_value());
    CHECK_FALSE(parse_memtype("").has_value());
    CHECK_FALSE(parse_memtype("UC--").has_value());
}

TEST_CASE("encodings 2 and 3 are reserved - 0..7 otherwise defined") {
    for (unsigned v = 0; v < 16; ++v) {
        auto t = memtype_from_encoding(v);
        if (v == 2 || v == 3 || v > 7) {
            CHECK_FALSE(t.has_value());
        } else {
            REQUIRE(t.has_value());
            CHECK(encoding(*t) == v);
        }
    }
}
