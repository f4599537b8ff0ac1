// What real KVM refuses, the hypervisor refuses: the errno, the ioctl and the setting.
#include <doctest/doctest.h>

#include <cerrno>

#include "kvm/hypervisor.h"
#include "kvm/quirks.h"

using namespace mtsim;
using namespace mtsim::kvm;

namespace {
hypervisor_config cfg(const char* policy, bool quirk, bool ss) {
    hypervisor_config c;
    c.policy = policy;
    c.quirk_ignore_guest_pat = quirk;
    c.self_snoop = ss;
    return c;
}
} // namespace

TEST_CASE("refusal: turning IGNORE_GUEST_PAT off is refused where KVM does not offer the quirk") {
    struct row {
        const char* policy;
        bool self_snoop;
        bool refused;
    };
    const row rows[] = {
        {"linux-6.16", true, false}, {"linux-6.16", false, true}, {"linux-6.6", true, true},
        {"linux-6.15", true, true},  {"amd-npt", true, true},
    };
    for (const row& r : rows) {
        CAPTURE(r.policy);
        CAPTURE(r.self_snoop);
        const auto refusal = quirk_request_refusal(*find_policy(r.policy), false, r.self_snoop);
        CHECK(refusal.has_value() == r.refused);
        if (refusal) {
            CHECK(refusal->err() == EINVAL);
            CHECK(refusal->key() == "kvm.quirk_ignore_guest_pat");
            CHECK(refusal->call() == "KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS2)");
        }
        // Leaving the quirk on is never refused.
        CHECK_FALSE(quirk_request_refusal(*find_policy(r.policy), true, r.self_snoop));
    }
}

TEST_CASE("refusal: the hypervisor refuses the quirk request at creation") {
    CHECK_THROWS_AS(hypervisor("kvm", cfg("linux-6.16", false, false)), kvm_refusal);
}

TEST_CASE("refusal: KVM_MEM_NON_COHERENT_DMA is refused by every policy without the flag") {
    for (const ept_policy* p : all_policies()) {
        CAPTURE(p->name());
        const auto r = memslot_flag_refusal(*p);
        CHECK(r.has_value() == !p->info().memslot_flag);
        if (r) CHECK(r->err() == EINVAL);
    }
    hypervisor hv("kvm", cfg("linux-6.16", true, true));
    memslot s;
    s.name = "blob";
    s.kind = memslot_kind::ram;
    s.gpa = 0x10000000;
    s.size = 0x1000;
    s.hpa = 0x210000000;
    s.non_coherent_dma = true;
    CHECK_THROWS_AS(hv.add_memslot(s), kvm_refusal);
    s.non_coherent_dma = false;
    CHECK_NOTHROW(hv.add_memslot(s));
}
