// SDM Table 11-7 against a transcription of docs/reference/memory-types.md §2 made here,
// independently of model/memtype_table.h.
#include <doctest/doctest.h>

#include <string>

#include "model/memtype_table.h"

using namespace mtsim;

namespace {

// Rows UC, WC, WT, WB, WP (range type); columns UC, UC-, WC, WT, WB, WP (PAT type).
const char* const reference[5][6] = {
    {"UC (a)", "UC (a)", "WC", "UC (a)", "UC (a)", "UC (a)"},
    {"UC (b)", "WC", "WC", "UC (b)", "WC", "UC (b)"},
    {"UC (b)", "UC (b)", "WC", "WT", "WT", "WP"},
    {"UC (b)", "UC (b)", "WC", "WT", "WB", "WP"},
    {"UC (b)", "WC", "WC", "WT", "WP", "WP"},
};
const char* const ref_rows[5] = {"UC", "WC", "WT", "WB", "WP"};
const char* const ref_cols[6] = {"UC", "UC-", "WC", "WT", "WB", "WP"};

memtype named(const std::string& s) {
    auto t = parse_memtype(s);
    REQUIRE(t.has_value());
    return *t;
}

} // namespace

TEST_CASE("Table 11-7: every cell matches the reference transcription") {
    int cells = 0;
    for (int r = 0; r < 5; ++r) {
        for (int c = 0; c < 6; ++c) {
            const std::string ref = reference[r][c];
            const memtype range = named(ref_rows[r]);
            const memtype pat = named(ref_cols[c]);
            const memtype want = named(ref.substr(0, 2));
            const memtype_cell got = combine_range_pat(range, pat);
            CAPTURE(ref_rows[r]);
            CAPTURE(ref_cols[c]);
            CHECK(got.type == want);
            if (want == memtype::uc) {
                REQUIRE(ref.size() == 6);
                CHECK(got.source == (ref[4] == 'a' ? type_source::range : type_source::page));
                CHECK(uc_must_check_caches(got.source) == (ref[4] == 'b'));
            } else {
                // Non-UC cells: the source names the input that decided the type.
                CHECK(got.source == (want == range ? type_source::range : type_source::page));
            }
            ++cells;
        }
    }
    CHECK(cells == 30);
}

TEST_CASE("Table 11-7: the reference's short forms hold in every row") {
    for (memtype range : memtype_table_rows) {
        CAPTURE(to_string(range));
        CHECK(combine_range_pat(range, memtype::wc).type == memtype::wc);
        CHECK(combine_range_pat(range, memtype::uc).type == memtype::uc);
        CHECK(combine_range_pat(range, memtype::wb).type == range);
        if (range == memtype::uc)
            for (memtype pat : all_memtypes)
                if (pat != memtype::wc) CHECK(combine_range_pat(range, pat).type == memtype::uc);
    }
}

TEST_CASE("Table 11-7: the cells where Bochs and Linux pat.rst differ follow the SDM") {
    CHECK(combine_range_pat(memtype::wt, memtype::wp).type == memtype::wp);       // Bochs: WT
    CHECK(combine_range_pat(memtype::wp, memtype::uc_minus).type == memtype::wc); // Bochs: UC
    CHECK(combine_range_pat(memtype::wc, memtype::uc_minus).type == memtype::wc); // pat.rst: UC
}

TEST_CASE("Table 11-7: UC- is not a range type") {
    for (memtype pat : all_memtypes)
        CHECK_THROWS_AS(combine_range_pat(memtype::uc_minus, pat), std::invalid_argument);
    CHECK_FALSE(memtype_table_row(memtype::uc_minus).has_value());
}

TEST_CASE("Table 11-7 explanation names the cell and the snoop note") {
    const memtype_explained a = explain_range_pat(memtype::uc, memtype::wb);
    CHECK(a.type == memtype::uc);
    CHECK(a.source == type_source::range);
    REQUIRE(a.steps.size() == 2);
    CHECK(a.steps[1].find("note a") != std::string::npos);
    const memtype_explained b = explain_range_pat(memtype::wb, memtype::uc);
    CHECK(b.source == type_source::page);
    CHECK(b.steps[1].find("note b") != std::string::npos);
}
