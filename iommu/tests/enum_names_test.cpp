// The enum-name tables of this block (model/enum_names.h) cover their enumerators.
#include <doctest/doctest.h>

#include "iommu/entries.h"
#include "iommu/snoop_table.h"
#include "model/tests/enum_table_check.h"

using namespace mtsim;

TEST_CASE("enum names: iommu: reserved-rule and snoop-outcome names") {
    check_enum_table(iommu::reserved_rule::large_page_low_bits);
    check_enum_table(iommu::snoop_outcome::reserved);
    CHECK(to_string(iommu::snoop_outcome::not_snooped) == "not-snooped");
}
