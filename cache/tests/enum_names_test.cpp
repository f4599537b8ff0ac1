// The enum-name tables of this block (model/enum_names.h) cover their enumerators.
#include <doctest/doctest.h>

#include "cache/protocol.h"
#include "model/tests/enum_table_check.h"

using namespace mtsim;

TEST_CASE("enum names: cache: MESI and protocol-event names") {
    check_enum_table(mesi::m);
    check_enum_table(proto_event::drop);
    CHECK(to_string(mesi::e) == "E");
}
