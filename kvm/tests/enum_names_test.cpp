// The enum-name tables of this block (model/enum_names.h) cover their enumerators.
#include <doctest/doctest.h>

#include "kvm/memslot.h"
#include "model/tests/enum_table_check.h"

using namespace mtsim;
using namespace mtsim::kvm;

TEST_CASE("enum names: kvm: memslot-kind names") {
    check_enum_table(memslot_kind::pci_hole);
    CHECK(to_string(memslot_kind::pci_hole) == "pci-hole");
}
