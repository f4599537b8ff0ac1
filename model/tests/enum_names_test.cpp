// model/enum_names.h: every converted enum's table covers its enumerators and parses back.
#include <doctest/doctest.h>

#include "model/access_ext.h"
#include "model/enum_names.h"
#include "model/oracle_verdict.h"
#include "model/params.h"
#include "model/tests/enum_table_check.h"
#include "model/vm_exit.h"

using namespace mtsim;

TEST_CASE("enum names: exit_reason - verdict - op_kind - type_source tables are complete") {
    check_enum_table(exit_reason::wrmsr);
    check_enum_table(verdict::corrupt_unknown);
    check_enum_table(op_kind::dma_write);
    check_enum_table(type_source::fixed);
    check_enum_table(param_kind::mem_type);
    check_enum_table(served_level::wc_drain);
    CHECK(to_string(verdict::stale_read) == "stale-read");
    CHECK(verdict_from_string("lost-write") == verdict::lost_write);
    CHECK(to_string(op_kind::nt_store) == "nt-store");
}
