// Every registered policy against every row of its era column (kvm/era_table.h, transcribed
// from docs/reference/kvm-policy.md §1), for every combination of the inputs a row leaves open.
#include <doctest/doctest.h>

#include <array>
#include <functional>
#include <string>

#include "kvm/era_table.h"
#include "kvm/policy.h"
#include "kvm/tests/input_space.h"

using namespace mtsim;
using namespace mtsim::kvm;
using namespace mtsim::kvm::test;
namespace et = mtsim::kvm::era_table;

namespace {

bool row_matches(const et::row& r, const ept_inputs& in) {
    return et::satisfies(r.when.mmio, in.mmio) &&
           et::satisfies(r.when.noncoherent, in.noncoherent) &&
           et::satisfies(r.when.guest_cd, in.guest_cd) &&
           et::satisfies(r.when.quirk_cd_nw_cleared, in.quirk_cd_nw_cleared) &&
           et::satisfies(r.when.quirk_ignore_guest_pat, in.quirk_ignore_guest_pat) &&
           et::satisfies(r.when.self_snoop, in.self_snoop);
}

const et::row& row_of(era_row id) {
    return et::rows[static_cast<unsigned>(id)];
}

bool has_note(const ept_decision& d, std::string_view needle) {
    for (const auto& n : d.notes)
        if (n.find(needle) != std::string::npos) return true;
    return false;
}

// The rows whose cell in `e` is not "–".
std::vector<era_row> applicable_rows(et::era e) {
    std::vector<era_row> out;
    for (const et::row& r : et::rows)
        if (r.by_era[static_cast<unsigned>(e)].kind != et::cell_kind::not_applicable)
            out.push_back(r.id);
    return out;
}

void check_era(const ept_policy* p, et::era e) {
    REQUIRE(p != nullptr);
    const std::string_view name = p->name();
    const auto col = static_cast<unsigned>(e);
    std::array<unsigned, era_row_count> hits{};
    std::array<unsigned, era_row_count> na_hits{};
    for_each_input(false, [&](const ept_inputs& in) {
        const et::row* match = nullptr;
        for (const et::row& r : et::rows)
            if (row_matches(r, in)) match = &r;
        REQUIRE(match != nullptr);
        const et::cell& cell = match->by_era[col];
        const ept_decision d = p->decide(in);
        INFO(name, ": ", describe(in), " -> ", to_string(d.ept_type), ",", d.ipat, " (", d.why,
             ")");
        CHECK_FALSE(d.why.empty());
        CHECK(d.why.find('\n') == std::string::npos);
        switch (cell.kind) {
        case et::cell_kind::fixed:
            CHECK(d.ept_type == cell.type);
            CHECK(d.ipat == cell.ipat);
            ++hits[static_cast<unsigned>(match->id)];
            break;
        case et::cell_kind::guest_mtrr:
            CHECK(d.ept_type == in.guest_mtrr);
            CHECK_FALSE(d.ipat);
            ++hits[static_cast<unsigned>(match->id)];
            break;
        case et::cell_kind::not_applicable: {
            // Only a refused quirk-off request reaches a "–" cell: it must say so and decide
            // as the quirk-on row.
            REQUIRE_FALSE(in.quirk_ignore_guest_pat);
            CHECK(has_note(d, "IGNORE_GUEST_PAT"));
            const et::cell& on = row_of(era_row::coherent_ss_quirk_on).by_era[col];
            REQUIRE(on.kind == et::cell_kind::fixed);
            CHECK(d.ept_type == on.type);
            CHECK(d.ipat == on.ipat);
            ++na_hits[static_cast<unsigned>(match->id)];
            break;
        }
        }
    });
    // Every applicable row of the column was exercised, and the "–" rows were exercised too.
    for (era_row r : applicable_rows(e)) CHECK(hits[static_cast<unsigned>(r)] > 0);
    for (const et::row& r : et::rows)
        if (r.by_era[col].kind == et::cell_kind::not_applicable)
            CHECK(na_hits[static_cast<unsigned>(r.id)] > 0);
}

} // namespace

TEST_CASE("era table: rows in era_row order - and every input matches exactly one row") {
    for (unsigned i = 0; i < era_row_count; ++i) CHECK(static_cast<unsigned>(et::rows[i].id) == i);
    unsigned combos = 0;
    for_each_input(false, [&](const ept_inputs& in) {
        unsigned n = 0;
        for (const et::row& r : et::rows) n += row_matches(r, in);
        INFO(describe(in));
        CHECK(n == 1);
        ++combos;
    });
    CHECK(combos == 64 * 5);
}

TEST_CASE("era table: the MMIO row is UC 0 in every era and '-' cells are only quirk-off rows") {
    for (unsigned e = 0; e < et::era_count; ++e) {
        CHECK(row_of(era_row::mmio).by_era[e].kind == et::cell_kind::fixed);
        CHECK(row_of(era_row::mmio).by_era[e].type == memtype::uc);
        CHECK_FALSE(row_of(era_row::mmio).by_era[e].ipat);
        for (const et::row& r : et::rows)
            if (r.by_era[e].kind == et::cell_kind::not_applicable)
                CHECK(r.id == era_row::coherent_ss_quirk_off);
    }
}

TEST_CASE("every registered policy reproduces the era column it declares") {
    // Enumerates the registry: a new policy that declares a column is checked here without
    // editing this file.
    unsigned checked = 0;
    for (const ept_policy* p : all_policies()) {
        if (!p->info().era_column) continue;
        check_era(p, *p->info().era_column);
        ++checked;
    }
    CHECK(checked >= et::era_count);
}

TEST_CASE("each era column is declared by a released-kernel policy of that era") {
    // The columns themselves: linux-X declares the column of release X, so a typo in an era
    // declaration is caught by the test above against the wrong column.
    const std::array<std::pair<std::string_view, et::era>, et::era_count> released{{
        {"linux-6.6", et::era::upto_6_6},
        {"linux-6.10", et::era::v6_7_to_6_10},
        {"linux-6.11-rc", et::era::v6_11_rc},
        {"linux-6.15", et::era::v6_11_to_6_15},
        {"linux-6.16", et::era::from_6_16},
    }};
    for (const auto& [name, e] : released) {
        const ept_policy* p = find_policy(name);
        REQUIRE(p != nullptr);
        INFO(name);
        CHECK(p->info().era_column == e);
    }
    // memslot-flag reproduces linux-6.10 for unflagged slots; amd-npt is no column of the
    // vmx_get_mt_mask() table.
    CHECK(find_policy("memslot-flag")->info().era_column == et::era::v6_7_to_6_10);
    CHECK_FALSE(find_policy("amd-npt")->info().era_column.has_value());
}

TEST_CASE("<= 6.10 under non-coherent DMA with CR0.CD=0 passes the guest MTRR type through") {
    for (std::string_view name : {"linux-6.6", "linux-6.10"}) {
        const ept_policy* p = find_policy(name);
        REQUIRE(p != nullptr);
        for (memtype t : {memtype::uc, memtype::wt, memtype::wp, memtype::wc, memtype::wb}) {
            ept_inputs in;
            in.noncoherent = true;
            in.guest_cd = false;
            in.guest_mtrr = t;
            const ept_decision d = p->decide(in);
            INFO(name, " guest MTRR ", to_string(t));
            CHECK(d.ept_type == t);
            CHECK_FALSE(d.ipat);
            CHECK(d.notes.empty());
        }
    }
}
