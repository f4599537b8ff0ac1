// memslot-flag-cros: the proposal's flagged-slot branch on a 6.6 base (the stated assumption).
#include <doctest/doctest.h>

#include "kvm/tests/input_space.h"

using namespace mtsim;
using namespace mtsim::kvm;
using namespace mtsim::kvm::test;

TEST_CASE("memslot-flag-cros: flagged RAM honors guest PAT - unflagged frames are linux-6.6's") {
    const ept_policy* p = find_policy("memslot-flag-cros");
    REQUIRE(p != nullptr);
    const ept_policy& base = *find_policy("linux-6.6");
    const ept_policy& proposal = *find_policy("memslot-flag");
    for_each_input(true, [&](const ept_inputs& in) {
        const ept_decision d = p->decide(in), q = proposal.decide(in);
        INFO(describe(in));
        CHECK(d.ept_type == q.ept_type);
        CHECK(d.ipat == q.ipat);
        CHECK(d.notes.size() == (in.quirk_ignore_guest_pat ? 0u : 1u));
        CHECK_FALSE(p->zaps_on_noncoherent_transition(in));
    });
    for_each_input(false, [&](const ept_inputs& in) {
        const ept_decision d = p->decide(in), b = base.decide(in);
        INFO(describe(in));
        CHECK(d.ept_type == b.ept_type);
        CHECK(d.ipat == b.ipat);
        CHECK(d.why == b.why);
    });
}
