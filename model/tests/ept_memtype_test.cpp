// Effective type under EPT: CR0.CD, IPAT, Table 11-7 (docs/reference/ept.md), and the EPT leaf
// type field's misconfiguration rule.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "model/ept_memtype.h"

using namespace mtsim;

TEST_CASE("EPT leaf type: 2 - 3 and 7 are misconfigurations - the rest of 0..7 valid") {
    for (unsigned v = 0; v < 16; ++v) {
        CAPTURE(v);
        const bool bad = v == 2 || v == 3 || v == 7 || v > 7;
        CHECK(ept_leaf_type_misconfigured(v) == bad);
        const auto t = ept_leaf_memtype(v);
        CHECK(t.has_value() == !bad);
        if (t) CHECK(encoding(*t) == v);
    }
}

TEST_CASE("EPT effective type: every CD x EPT type x IPAT x PAT combination") {
    int n = 0;
    for (bool cd : {false, true})
        for (memtype ept : {memtype::uc, memtype::wc, memtype::wt, memtype::wp, memtype::wb})
            for (bool ipat : {false, true})
                for (memtype pat : all_memtypes) {
                    CAPTURE(cd);
                    CAPTURE(to_string(ept));
                    CAPTURE(ipat);
                    CAPTURE(to_string(pat));
                    const memtype_explained e = ept_effective_memtype({cd, ept, ipat, pat});
                    CHECK_FALSE(e.steps.empty());
                    if (cd) {
                        CHECK(e.type == memtype::uc);
                        CHECK(e.source == type_source::cd);
                    } else if (ipat) {
                        CHECK(e.type == ept);
                        CHECK(e.source == type_source::range);
                    } else {
                        const memtype_cell c = combine_range_pat(ept, pat);
                        CHECK(e.type == c.type);
                        CHECK(e.source == c.source);
                    }
                    ++n;
                }
    CHECK(n == 2 * 5 * 2 * 6);
}

TEST_CASE("EPT effective type: the cases the KVM policies produce") {
    // Linux ioremap_wc under WB, IPAT=0 (honored guest PAT): WC.
    CHECK(ept_effective_memtype({false, memtype::wb, false, memtype::wc}).type == memtype::wc);
    // ... under WB, IPAT=1 (guest PAT ignored): WB, the stores stay in the cache.
    CHECK(ept_effective_memtype({false, memtype::wb, true, memtype::wc}).type == memtype::wb);
    // MMIO (UC, IPAT=0): guest WC stays WC, anything else is UC from the range type.
    CHECK(ept_effective_memtype({false, memtype::uc, false, memtype::wc}).type == memtype::wc);
    const auto mmio_wb = ept_effective_memtype({false, memtype::uc, false, memtype::wb});
    CHECK(mmio_wb.type == memtype::uc);
    CHECK(mmio_wb.source == type_source::range);
    // Guest PAT UC over WB: UC from the page type, must snoop.
    const auto uc = ept_effective_memtype({false, memtype::wb, false, memtype::uc});
    CHECK(uc.type == memtype::uc);
    CHECK(uc.source == type_source::page);
}

TEST_CASE("EPT effective type: UC- in the leaf is refused as a misconfiguration") {
    for (bool cd : {false, true})
        for (bool ipat : {false, true})
            CHECK_THROWS_AS(ept_effective_memtype({cd, memtype::uc_minus, ipat, memtype::wb}),
                            std::invalid_argument);
}
