// The WBINVD handlings as pure plans, checked for every dirty mask of 6 pCPUs and every local
// pCPU against the rules transcribed from docs/reference/kvm-policy.md §2, written here as sets.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "kvm/wbinvd.h"

using namespace mtsim::kvm;

namespace {

constexpr unsigned pcpus = 6;

std::set<unsigned> members(pcpu_mask m) {
    std::set<unsigned> s;
    for (unsigned p = 0; p < 64; ++p)
        if (m >> p & 1) s.insert(p);
    return s;
}

const wbinvd_handling& handling(std::string_view name) {
    const wbinvd_handling* h = find_wbinvd_handling(name);
    REQUIRE_MESSAGE(h != nullptr, name);
    return *h;
}

} // namespace

TEST_CASE("wbinvd registry: four handlings sorted by name and found by name") {
    const auto& all = all_wbinvd_handlings();
    REQUIRE(all.size() == 4);
    CHECK(all[0]->name() == "all-but-local");
    CHECK(all[1]->name() == "dirty-mask");
    CHECK(all[2]->name() == "local-only");
    CHECK(all[3]->name() == "xen-hvm");
    CHECK(find_wbinvd_handling("nope") == nullptr);
    CHECK(wbinvd_handling_names() == "all-but-local, dirty-mask, local-only, xen-hvm");
    for (const wbinvd_handling* h : all) {
        CHECK_FALSE(h->description().empty());
        CHECK_FALSE(h->source().empty());
    }
}

TEST_CASE("wbinvd dirty-mask: flushes the mask plus the local pCPU and clears the mask") {
    const wbinvd_handling& h = handling("dirty-mask");
    for (pcpu_mask m = 0; m < (1u << pcpus); ++m)
        for (unsigned local = 0; local < pcpus; ++local) {
            std::set<unsigned> expect = members(m);
            expect.insert(local);
            const wbinvd_plan p = h.plan({m, local});
            CAPTURE(m);
            CAPTURE(local);
            CHECK(members(p.flush) == expect);
            CHECK(p.mask_after == 0);
        }
}

TEST_CASE("wbinvd local-only: flushes the local pCPU alone whatever the mask") {
    const wbinvd_handling& h = handling("local-only");
    for (pcpu_mask m = 0; m < (1u << pcpus); ++m)
        for (unsigned local = 0; local < pcpus; ++local) {
            const wbinvd_plan p = h.plan({m, local});
            CAPTURE(m);
            CAPTURE(local);
            CHECK(members(p.flush) == std::set<unsigned>{local});
            CHECK(p.mask_after == 0);
        }
}

TEST_CASE("wbinvd all-but-local: flushes the mask without the local pCPU") {
    const wbinvd_handling& h = handling("all-but-local");
    for (pcpu_mask m = 0; m < (1u << pcpus); ++m)
        for (unsigned local = 0; local < pcpus; ++local) {
            std::set<unsigned> expect = members(m);
            expect.erase(local);
            const wbinvd_plan p = h.plan({m, local});
            CAPTURE(m);
            CAPTURE(local);
            CHECK(members(p.flush) == expect);
            CHECK(p.mask_after == 0);
        }
}
