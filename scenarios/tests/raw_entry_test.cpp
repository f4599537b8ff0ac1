// Raw guest page-table and EPT entries in the scenario language (guest.raw_pte, raw_ept):
// parsing, errors with file:line:key, and the value / clear-then-set rule. No SystemC kernel.
#include <doctest/doctest.h>

#include "scenarios/scenario.h"

using namespace mtsim;
using namespace mtsim::scenarios;

namespace {
const std::string raw_data = "scenarios/tests/data/";

config_error raw_load_error(const std::string& file) {
    try {
        load_scenario(raw_data + file, "", {});
    } catch (const config_error& e) {
        return e;
    }
    FAIL("no config_error for " << file);
    return config_error("", 0, "", "");
}
} // namespace

TEST_CASE("raw_entry applies a whole value or clears then sets") {
    raw_entry whole;
    whole.value = 0x1234;
    CHECK(whole.apply(0xffff) == 0x1234);
    raw_entry edit;
    edit.clear = 0x38;
    edit.set = 0x10;
    // every 6-bit current value: bits 5:3 become 010, the others stay
    for (std::uint64_t cur = 0; cur < 64; ++cur) CHECK(edit.apply(cur) == ((cur & 7) | 0x10));
    raw_entry overlap; // a bit both cleared and set ends set
    overlap.clear = 1;
    overlap.set = 1;
    CHECK(overlap.apply(0) == 1);
}

TEST_CASE("raw_ept and guest.raw_pte load with their lines") {
    const scenario s = load_scenario(raw_data + "walk-ept-misconfig.yaml", "", {});
    REQUIRE(s.raw_ept.size() == 2);
    CHECK(s.raw_ept[0].address == 0x200000);
    CHECK(s.raw_ept[0].level == 1);
    CHECK(!s.raw_ept[0].value);
    CHECK(s.raw_ept[0].clear == 0x38);
    CHECK(s.raw_ept[0].set == 0x10);
    CHECK(s.raw_ept[0].line == 9);
    CHECK(s.raw_ept[1].address == 0x201000);
    CHECK(s.raw_ptes.empty());
    const scenario p = load_scenario(raw_data + "walk-guest-pf.yaml", "", {});
    REQUIRE(p.raw_ptes.size() == 1);
    CHECK(p.raw_ptes[0].address == 0x201000);
    CHECK(p.raw_ptes[0].clear == 1);
    CHECK(p.raw_ept.empty());
}

TEST_CASE("bad raw entries name file, line and key") {
    const config_error k = raw_load_error("walk-bad-raw-key.yaml");
    CHECK(k.line() == 8);
    CHECK(k.key() == "guest.raw_pte[0].sett");
    const config_error b = raw_load_error("walk-bad-raw-both.yaml");
    CHECK(b.line() == 8);
    CHECK(b.key() == "raw_ept[0]");
}
