// arm64 stage-1 x stage-2 for every pair, without and with FWB, against matrices transcribed
// here from docs/reference/arm64.md.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>

#include "model/arm64_memtype.h"

using namespace mtsim;

namespace {

// Short names used in the matrices: D0 nGnRnE, D1 nGnRE, D2 nGRE, D3 GRE, NC, WT, WB.
const char* const shorts[7] = {"D0", "D1", "D2", "D3", "NC", "WT", "WB"};
const char* const longs[7] = {"Device-nGnRnE", "Device-nGnRE", "Device-nGRE", "Device-GRE",
                              "Normal-NC",     "Normal-WT",    "Normal-WB"};

arm64_memtype from_short(const std::string& s) {
    for (int i = 0; i < 7; ++i)
        if (s == shorts[i]) return *parse_arm64_memtype(longs[i]);
    FAIL("bad short name " << s);
    return arm64_memtype::normal_wb;
}

// Rows: stage 2 in order D0..WB; columns: stage 1 in order D0..WB.
const char* const no_fwb[7][7] = {
    {"D0", "D0", "D0", "D0", "D0", "D0", "D0"}, {"D0", "D1", "D1", "D1", "D1", "D1", "D1"},
    {"D0", "D1", "D2", "D2", "D2", "D2", "D2"}, {"D0", "D1", "D2", "D3", "D3", "D3", "D3"},
    {"D0", "D1", "D2", "D3", "NC", "NC", "NC"}, {"D0", "D1", "D2", "D3", "NC", "WT", "WT"},
    {"D0", "D1", "D2", "D3", "NC", "WT", "WB"},
};

// Rows: stage 2 D0, D1, D2, D3, NC, forced WB, as-s1 (default Device-over-Device choice).
const char* const fwb_s2[7] = {"D0", "D1", "D2", "D3", "NC", "WB", "as-s1"};
const char* const with_fwb[7][7] = {
    {"D0", "D0", "D0", "D0", "D0", "D0", "D0"}, {"D1", "D1", "D1", "D1", "D1", "D1", "D1"},
    {"D2", "D2", "D2", "D2", "D2", "D2", "D2"}, {"D3", "D3", "D3", "D3", "D3", "D3", "D3"},
    {"D0", "D1", "D2", "D3", "NC", "NC", "NC"}, {"WB", "WB", "WB", "WB", "WB", "WB", "WB"},
    {"D0", "D1", "D2", "D3", "NC", "WT", "WB"},
};

arm64_s2 s2_of(const std::string& s) {
    if (s == "as-s1") return arm64_s2{true, arm64_memtype::normal_wb};
    return arm64_s2{false, from_short(s)};
}

} // namespace

TEST_CASE("arm64 names: printed exactly - parsed case-insensitively - strongest first") {
    CHECK(arm64_memtype_names() ==
          "Device-nGnRnE, Device-nGnRE, Device-nGRE, Device-GRE, Normal-NC, Normal-WT, Normal-WB");
    for (int i = 0; i < 7; ++i) {
        const arm64_memtype t = all_arm64_memtypes[i];
        CHECK(to_string(t) == longs[i]);
        std::string up = longs[i], low = longs[i];
        for (auto& c : up) c = static_cast<char>(std::toupper(c));
        for (auto& c : low) c = static_cast<char>(std::tolower(c));
        CHECK(parse_arm64_memtype(up) == t);
        CHECK(parse_arm64_memtype(low) == t);
        CHECK(is_device(t) == (i < 4));
        for (int j = 0; j < 7; ++j)
            CHECK(stronger(t, all_arm64_memtypes[j]) == all_arm64_memtypes[std::min(i, j)]);
    }
    CHECK_FALSE(parse_arm64_memtype("Device").has_value());
    CHECK_FALSE(parse_arm64_memtype("as-s1").has_value());
    REQUIRE(parse_arm64_s2("AS-S1").has_value());
    CHECK(parse_arm64_s2("AS-S1")->as_s1);
    CHECK(to_string(*parse_arm64_s2("as-s1")) == "as-s1");
    CHECK(to_string(*parse_arm64_s2("normal-nc")) == "Normal-NC");
}

TEST_CASE("arm64 without FWB: every stage-1 x stage-2 pair") {
    for (int r = 0; r < 7; ++r)
        for (int c = 0; c < 7; ++c) {
            CAPTURE(shorts[r]);
            CAPTURE(shorts[c]);
            const arm64_access in{false, from_short(shorts[c]), s2_of(shorts[r])};
            const arm64_explained e = arm64_effective_memtype(in);
            CHECK(e.type == from_short(no_fwb[r][c]));
            CHECK_FALSE(e.steps.empty());
        }
}

TEST_CASE("arm64 with FWB: every stage-1 x stage-2 pair - Device-over-Device = Device-z") {
    for (int r = 0; r < 7; ++r)
        for (int c = 0; c < 7; ++c) {
            CAPTURE(fwb_s2[r]);
            CAPTURE(shorts[c]);
            const arm64_access in{true, from_short(shorts[c]), s2_of(fwb_s2[r])};
            CHECK(arm64_effective_memtype(in).type == from_short(with_fwb[r][c]));
        }
}

TEST_CASE("arm64 with FWB: the unverified Device-over-Device cell follows its parameter") {
    for (int z = 0; z < 4; ++z)
        for (int x = 0; x < 4; ++x) {
            CAPTURE(shorts[z]);
            CAPTURE(shorts[x]);
            arm64_access in{true, from_short(shorts[x]), s2_of(shorts[z]),
                            arm64_fwb_device_choice::stronger};
            CHECK(arm64_effective_memtype(in).type == from_short(no_fwb[z][x]));
            in.fwb_device_device = arm64_fwb_device_choice::stage2;
            CHECK(arm64_effective_memtype(in).type == from_short(shorts[z]));
        }
    // The parameter changes nothing outside that cell.
    for (int r = 4; r < 7; ++r)
        for (int c = 0; c < 7; ++c) {
            const arm64_access in{true, from_short(shorts[c]), s2_of(fwb_s2[r]),
                                  arm64_fwb_device_choice::stronger};
            CHECK(arm64_effective_memtype(in).type == from_short(with_fwb[r][c]));
        }
}

TEST_CASE("arm64: as-s1 without FWB and Normal-WT with FWB are refused") {
    for (int c = 0; c < 7; ++c) {
        CHECK_THROWS_AS(arm64_effective_memtype({false, from_short(shorts[c]), s2_of("as-s1")}),
                        std::invalid_argument);
        CHECK_THROWS_AS(arm64_effective_memtype({true, from_short(shorts[c]), s2_of("WT")}),
                        std::invalid_argument);
    }
}
