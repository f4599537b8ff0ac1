// model/enum_names.h: every converted enum's table covers its enumerators and parses back.
#include <doctest/doctest.h>

#include "model/access_ext.h"
#include "model/enum_names.h"
#include "model/oracle_verdict.h"
#include "model/vm_exit.h"

using namespace mtsim;

namespace {

// The table has one name per enumerator up to `last`, each unique and parsed back to itself.
template <class E>
void check_table(E last) {
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

} // namespace

TEST_CASE("enum names: exit_reason - verdict - op_kind - type_source tables are complete") {
    check_table(exit_reason::invd);
    check_table(verdict::corrupt_unknown);
    check_table(op_kind::dma_write);
    check_table(type_source::fixed);
    CHECK(to_string(verdict::stale_read) == "stale-read");
    CHECK(verdict_from_string("lost-write") == verdict::lost_write);
    CHECK(to_string(op_kind::nt_store) == "nt-store");
}
