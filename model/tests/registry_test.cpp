// registry<T> (model/registry.h): stable order, lookup, and duplicates reported at lookup.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "model/registry.h"

using namespace mtsim;

namespace {

struct named {
    std::string_view n;
    std::string_view name() const { return n; }
};

struct ranked {
    std::string_view n;
    unsigned key;
    std::string_view name() const { return n; }
    unsigned order_key() const { return key; }
};

struct static_family {
    virtual ~static_family() = default;
    virtual std::string_view name() const = 0;
};
struct first_plugin final : static_family {
    std::string_view name() const override { return "first"; }
};
struct second_plugin final : static_family {
    std::string_view name() const override { return "second"; }
};

} // namespace

MTSIM_REGISTER(static_family, second_plugin);
MTSIM_REGISTER(static_family, first_plugin);

TEST_CASE("registry: by name when the family has no order key - whatever the add order") {
    registry<named> r;
    const named c{"c"}, a{"a"}, b{"b"};
    r.add(c);
    r.add(a);
    r.add(b);
    REQUIRE(r.all().size() == 3);
    CHECK(r.all()[0] == &a);
    CHECK(r.all()[1] == &b);
    CHECK(r.all()[2] == &c);
    CHECK(r.find("b") == &b);
    CHECK(r.find("B") == nullptr);
    CHECK(r.find("") == nullptr);
    CHECK(r.joined_names() == "a, b, c");
    const named d{"0"};
    r.add(d); // added after a lookup: the order is restored
    CHECK(r.all().front() == &d);
}

TEST_CASE("registry: by order key then name when the family declares one") {
    registry<ranked> r;
    const ranked x{"x", 2}, y{"y", 1}, z{"a", 2};
    r.add(x);
    r.add(y);
    r.add(z);
    REQUIRE(r.names().size() == 3);
    CHECK(r.names()[0] == "y");
    CHECK(r.names()[1] == "a");
    CHECK(r.names()[2] == "x");
}

TEST_CASE("registry: a duplicate name makes every lookup throw naming it") {
    registry<named> r;
    const named a{"same"}, b{"same"}, c{"other"};
    r.add(a);
    r.add(c);
    r.add(b); // never throws: registration runs during static initialization
    CHECK_THROWS_WITH_AS(r.all(), doctest::Contains("'same'"), std::logic_error);
    CHECK_THROWS_AS(r.find("other"), std::logic_error);
}

TEST_CASE("registry: MTSIM_REGISTER adds at static initialization - in the family's order") {
    const auto names = registry<static_family>::instance().names();
    REQUIRE(names.size() == 2);
    CHECK(names[0] == "first");
    CHECK(names[1] == "second");
}
