// The enum-name tables of this block (model/enum_names.h) cover their enumerators.
#include <doctest/doctest.h>

#include "cpu/ept.h"
#include "cpu/guest_paging.h"
#include "cpu/walker.h"
#include "model/tests/enum_table_check.h"

using namespace mtsim;
using namespace mtsim::cpu;

TEST_CASE("enum names: cpu: access kinds - EPT misconfigurations - walk outcomes - guest "
          "reserved-bit names") {
    check_enum_table(access_kind::fetch);
    check_enum_table(ept_misconfig::leaf_memtype);
    check_enum_table(walk_outcome::page_fault);
    check_enum_table(guest_reserved::xd_without_nxe);
    CHECK(to_string(walk_outcome::ept_misconfig) == "EPT misconfiguration");
}
