// The registry, the quirk and memslot-flag refusals, amd-npt, memslot-flag and the EPT zap on
// non-coherent count changes, each against rules written from docs/reference/kvm-policy.md §1 and
// §3.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>

#include "kvm/policy.h"
#include "kvm/tests/input_space.h"

using namespace mtsim;
using namespace mtsim::kvm;
using namespace mtsim::kvm::test;

namespace {

unsigned count_notes(const ept_decision& d, std::string_view needle) {
    return static_cast<unsigned>(std::count_if(d.notes.begin(), d.notes.end(), [&](const auto& n) {
        return n.find(needle) != std::string::npos;
    }));
}

const ept_policy& policy(std::string_view name) {
    const ept_policy* p = find_policy(name);
    REQUIRE_MESSAGE(p != nullptr, name);
    return *p;
}

// In the registry's order: order key (the release a policy models or builds on), then name.
const std::array<std::string_view, 10> expected_names{
    "linux-6.6",  "memslot-flag-cros", "linux-6.10",     "memslot-flag", "linux-6.11-rc",
    "linux-6.15", "linux-6.16",        "linux-6.16-tdx", "amd-npt",      "xen-4.19"};

} // namespace

TEST_CASE("registry: the ten policies - in order - unique - found by name") {
    const auto& all = all_policies();
    REQUIRE(all.size() == expected_names.size());
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < all.size(); ++i) {
        CHECK(all[i]->name() == expected_names[i]);
        if (i > 0)
            CHECK((all[i - 1]->order_key() < all[i]->order_key() ||
                   (all[i - 1]->order_key() == all[i]->order_key() &&
                    all[i - 1]->name() < all[i]->name())));
        CHECK(seen.insert(all[i]->name()).second);
        CHECK(find_policy(all[i]->name()) == all[i]);
        CHECK_FALSE(all[i]->description().empty());
        CHECK(all[i]->description().find('\n') == std::string_view::npos);
        CHECK_FALSE(all[i]->source().empty());
        CHECK(all[i]->source().find('\n') == std::string_view::npos);
    }
    CHECK(find_policy("linux-6.17") == nullptr);
    CHECK(find_policy("") == nullptr);
    CHECK(find_policy("Linux-6.6") == nullptr);
    CHECK(policy_names() == "linux-6.6, memslot-flag-cros, linux-6.10, memslot-flag, "
                            "linux-6.11-rc, linux-6.15, linux-6.16, linux-6.16-tdx, amd-npt, "
                            "xen-4.19");
}

TEST_CASE("a guest MTRR type of UC- is refused by every policy") {
    for (const ept_policy* p : all_policies()) {
        ept_inputs in;
        in.guest_mtrr = memtype::uc_minus;
        INFO(p->name());
        CHECK_THROWS_AS(p->decide(in), std::invalid_argument);
    }
}

TEST_CASE("IGNORE_GUEST_PAT off: refused with a note unless the kernel has it and self-snoop") {
    // Expected from docs/reference/kvm-policy.md §1: the quirk exists from 6.16 and can only be
    // turned off on self-snoop hosts; everywhere else the request is refused and the output says
    // so.
    struct expect {
        std::string_view name;
        bool has_quirk;
    };
    const std::array<expect, 6> eras{{{"linux-6.6", false},
                                      {"linux-6.10", false},
                                      {"linux-6.11-rc", false},
                                      {"linux-6.15", false},
                                      {"linux-6.16", true},
                                      {"memslot-flag", false}}};
    for (const expect& e : eras)
        for (bool slot : {false, true}) {
            if (slot && e.name != "memslot-flag") continue;
            for_each_input(slot, [&](const ept_inputs& in) {
                const ept_decision d = policy(e.name).decide(in);
                const bool refused = !in.quirk_ignore_guest_pat && (!e.has_quirk || !in.self_snoop);
                INFO(e.name, ": ", describe(in));
                CHECK(count_notes(d, "IGNORE_GUEST_PAT") == (refused ? 1u : 0u));
                CHECK(d.notes.size() == (refused ? 1u : 0u));
                if (refused) CHECK(count_notes(d, e.has_quirk ? "self-snoop" : "before 6.16") == 1);
            });
        }
}

TEST_CASE("linux-6.16: a refused quirk-off request decides as the quirk-on request") {
    const ept_policy& p = policy("linux-6.16");
    for_each_input(false, [&](const ept_inputs& in) {
        if (in.self_snoop || in.quirk_ignore_guest_pat) return;
        ept_inputs on = in;
        on.quirk_ignore_guest_pat = true;
        const ept_decision off_d = p.decide(in), on_d = p.decide(on);
        INFO(describe(in));
        CHECK(off_d.ept_type == on_d.ept_type);
        CHECK(off_d.ipat == on_d.ipat);
        CHECK(off_d.notes.size() == 1);
        CHECK(on_d.notes.empty());
    });
}

TEST_CASE("the memslot flag is refused with a note by every policy that lacks it") {
    for (const ept_policy* p : all_policies()) {
        if (p->info().memslot_flag) continue;
        for_each_input(true, [&](const ept_inputs& in) {
            ept_inputs unflagged = in;
            unflagged.memslot_noncoherent = false;
            const ept_decision d = p->decide(in), u = p->decide(unflagged);
            INFO(p->name(), ": ", describe(in));
            CHECK(d.ept_type == u.ept_type);
            CHECK(d.ipat == u.ipat);
            CHECK(count_notes(d, "KVM_MEM_NON_COHERENT_DMA") == 1);
            CHECK(count_notes(u, "KVM_MEM_NON_COHERENT_DMA") == 0);
            CHECK(d.notes.size() == u.notes.size() + 1);
        });
    }
}

TEST_CASE("amd-npt: guest PAT always honored - UC for MMIO and WB for RAM") {
    const ept_policy& p = policy("amd-npt");
    for_each_input(false, [&](const ept_inputs& in) {
        const ept_decision d = p.decide(in);
        INFO(describe(in));
        CHECK(d.ept_type == (in.mmio ? memtype::uc : memtype::wb));
        CHECK_FALSE(d.ipat);
        CHECK_FALSE(d.why.empty());
        // The quirk does not apply to NPT: turning it off is refused whatever self-snoop says.
        CHECK(count_notes(d, "IGNORE_GUEST_PAT") == (in.quirk_ignore_guest_pat ? 0u : 1u));
        CHECK(count_notes(d, "CR0.CD") == (in.guest_cd ? 1u : 0u));
        if (in.guest_cd)
            CHECK(count_notes(d, in.quirk_cd_nw_cleared ? "no effect" : "reaches the hardware") ==
                  1);
        CHECK(d.hardware_cd == (in.guest_cd && !in.quirk_cd_nw_cleared));
    });
}

TEST_CASE("VMX policies keep the hardware CR0.CD clear whatever the guest sets") {
    for (const ept_policy* p : all_policies()) {
        if (p->name() == "amd-npt") continue;
        for_each_input(false, [&](const ept_inputs& in) {
            INFO(p->name(), " ", describe(in));
            CHECK_FALSE(p->decide(in).hardware_cd);
        });
    }
}

TEST_CASE("memslot-flag: flagged slots honor guest PAT - MMIO stays UC - elsewhere linux-6.10") {
    const ept_policy& p = policy("memslot-flag");
    const ept_policy& base = policy("linux-6.10");
    for_each_input(true, [&](const ept_inputs& in) {
        const ept_decision d = p.decide(in);
        INFO(describe(in), " -> ", to_string(d.ept_type), ",", d.ipat, " (", d.why, ")");
        // The KVM_MEM_NON_COHERENT_DMA proposal: inside a flagged slot WB without IPAT, guest MTRRs
        // and the count ignored; host MMIO inside a flagged slot is still UC, 0.
        CHECK(d.ept_type == (in.mmio ? memtype::uc : memtype::wb));
        CHECK_FALSE(d.ipat);
        CHECK(count_notes(d, "KVM_MEM_NON_COHERENT_DMA") == 0);
    });
    for_each_input(false, [&](const ept_inputs& in) {
        const ept_decision d = p.decide(in), b = base.decide(in);
        INFO(describe(in));
        CHECK(d.ept_type == b.ept_type);
        CHECK(d.ipat == b.ipat);
        CHECK(d.why == b.why);
        CHECK(d.notes == b.notes);
    });
}

TEST_CASE("memslot-flag: a flagged slot differs from linux-6.10 exactly where 6.10 ignores PAT "
          "or emulates MTRR/CD") {
    // Spot rows of the 6.7 - 6.10 column, flagged: coherent VM (WB,1 -> WB,0), CR0.CD=1 with
    // CD_NW_CLEARED off (UC,1 -> WB,0), guest MTRR UC under non-coherent DMA (UC,0 -> WB,0).
    const ept_policy& p = policy("memslot-flag");
    ept_inputs in;
    in.memslot_noncoherent = true;
    in.noncoherent = false;
    ept_decision d = p.decide(in);
    CHECK(d.ept_type == memtype::wb);
    CHECK_FALSE(d.ipat);
    in.noncoherent = true;
    in.guest_cd = true;
    in.quirk_cd_nw_cleared = false;
    d = p.decide(in);
    CHECK(d.ept_type == memtype::wb);
    CHECK_FALSE(d.ipat);
    in.guest_cd = false;
    in.guest_mtrr = memtype::uc;
    d = p.decide(in);
    CHECK(d.ept_type == memtype::wb);
    CHECK_FALSE(d.ipat);
    in.mmio = true;
    d = p.decide(in);
    CHECK(d.ept_type == memtype::uc);
    CHECK_FALSE(d.ipat);
}

TEST_CASE("EPT zap on a non-coherent count change - per policy") {
    // docs/reference/kvm-policy.md §1: none before 6.7; from 6.7 always; from 6.16 only while
    // IGNORE_GUEST_PAT is in effect (a refused off request leaves it in effect); NPT types never
    // depend on the count. 6.11-rc: kvm_mmu_may_ignore_guest_pat() was "!self-snoop" (commit
    // 377b2f359d1f).
    for (bool ss : {false, true})
        for (bool igp : {false, true}) {
            ept_inputs in;
            in.self_snoop = ss;
            in.quirk_ignore_guest_pat = igp;
            INFO("ss=", ss, " igp=", igp);
            CHECK_FALSE(policy("linux-6.6").zaps_on_noncoherent_transition(in));
            CHECK(policy("linux-6.10").zaps_on_noncoherent_transition(in));
            CHECK(policy("linux-6.11-rc").zaps_on_noncoherent_transition(in) == !ss);
            CHECK(policy("linux-6.15").zaps_on_noncoherent_transition(in));
            CHECK(policy("linux-6.16").zaps_on_noncoherent_transition(in) == (igp || !ss));
            CHECK_FALSE(policy("amd-npt").zaps_on_noncoherent_transition(in));
            for (bool slot : {false, true}) {
                in.memslot_noncoherent = slot;
                CHECK(policy("memslot-flag").zaps_on_noncoherent_transition(in));
            }
        }
}

TEST_CASE("a policy from 6.7 on zaps exactly when the count changes some frame's decision") {
    // Cross-check of zaps_on_noncoherent_transition against decide(): for each VM-wide state
    // (self-snoop, quirks, CR0.CD), flip the count and compare every frame (MMIO or RAM, any
    // guest MTRR type, flagged or not). linux-6.6 is left out: it changed types without
    // zapping, the hazard the model exists to show (as does memslot-flag-cros, built on it).
    for (const ept_policy* p : all_policies()) {
        if (p->info().era_column == era::upto_6_6) continue;
        for (unsigned vm = 0; vm < 16; ++vm) {
            ept_inputs state;
            state.self_snoop = vm & 1;
            state.quirk_ignore_guest_pat = vm & 2;
            state.quirk_cd_nw_cleared = vm & 4;
            state.guest_cd = vm & 8;
            bool changes = false;
            for (bool mmio : {false, true})
                for (bool slot : {false, true})
                    for (memtype mtrr : mtrr_types) {
                        ept_inputs in = state;
                        in.mmio = mmio;
                        in.memslot_noncoherent = slot && p->info().memslot_flag;
                        in.guest_mtrr = mtrr;
                        in.noncoherent = false;
                        const ept_decision a = p->decide(in);
                        in.noncoherent = true;
                        const ept_decision b = p->decide(in);
                        changes |= a.ept_type != b.ept_type || a.ipat != b.ipat;
                    }
            INFO(p->name(), ": vm state ", vm);
            CHECK(p->zaps_on_noncoherent_transition(state) == changes);
        }
    }
}
