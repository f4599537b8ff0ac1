// linux-6.16-tdx against commit 90fe64a94d54 "KVM: TDX: Always honor guest PAT on TDX enabled
// guests" (docs/reference/kvm-policy.md §1): every input, and the refusal without self-snoop.
#include <doctest/doctest.h>

#include <cerrno>

#include "kvm/hypervisor.h"
#include "kvm/quirks.h"
#include "kvm/tests/input_space.h"

using namespace mtsim;
using namespace mtsim::kvm;
using namespace mtsim::kvm::test;

TEST_CASE("linux-6.16-tdx: UC for host MMIO - WB without IPAT for every RAM frame") {
    const ept_policy* p = find_policy("linux-6.16-tdx");
    REQUIRE(p != nullptr);
    for_each_input(false, [&](const ept_inputs& in) {
        const ept_decision d = p->decide(in);
        INFO(describe(in));
        CHECK(d.ept_type == (in.mmio ? memtype::uc : memtype::wb));
        CHECK_FALSE(d.ipat);
        CHECK_FALSE(d.hardware_cd);
        // The quirk is invalid under TDX: a request to turn it off is refused whatever SS says.
        CHECK(d.notes.size() == (in.quirk_ignore_guest_pat ? 0u : 1u));
        CHECK_FALSE(p->zaps_on_noncoherent_transition(in));
    });
}

TEST_CASE("linux-6.16-tdx: differs from linux-6.16 exactly where 6.16 sets IPAT") {
    const ept_policy& tdx = *find_policy("linux-6.16-tdx");
    const ept_policy& base = *find_policy("linux-6.16");
    for_each_input(false, [&](const ept_inputs& in) {
        const ept_decision a = tdx.decide(in), b = base.decide(in);
        INFO(describe(in));
        CHECK(a.ept_type == b.ept_type);
        if (!b.ipat) CHECK_FALSE(a.ipat);
    });
}

TEST_CASE("linux-6.16-tdx: KVM_CREATE_VM is refused without self-snoop - EINVAL") {
    const ept_policy& tdx = *find_policy("linux-6.16-tdx");
    CHECK_FALSE(vm_type_refusal(tdx, true).has_value());
    const auto r = vm_type_refusal(tdx, false);
    REQUIRE(r.has_value());
    CHECK(r->err() == EINVAL);
    CHECK(r->call() == "KVM_CREATE_VM");
    CHECK(r->key() == "kvm.policy");
    CHECK(r->reason().find("self-snoop") != std::string::npos);
    for (const ept_policy* p : all_policies())
        if (p->name() != "linux-6.16-tdx") CHECK_FALSE(vm_type_refusal(*p, false).has_value());
    hypervisor_config c;
    c.policy = "linux-6.16-tdx";
    c.self_snoop = false;
    CHECK_THROWS_AS(hypervisor("kvm", c), kvm_refusal);
}
