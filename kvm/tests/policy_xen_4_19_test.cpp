// xen-4.19 against epte_get_entry_emt() (xen/arch/x86/mm/p2m-ept.c, Xen 4.19), rows written from
// the function's branches top to bottom, and the WBINVD/INVD intercept (xen-hvm) on real caches.
#include <doctest/doctest.h>

#include "kvm/tests/hv_rig.h"
#include "kvm/tests/input_space.h"
#include "kvm/wbinvd.h"

using namespace mtsim;
using namespace mtsim::kvm;
using namespace mtsim::kvm::test;

TEST_CASE("xen-4.19: the branches of epte_get_entry_emt() for every input") {
    const ept_policy* p = find_policy("xen-4.19");
    REQUIRE(p != nullptr);
    for (bool assigned : {false, true})
        for_each_input(false, [&](ept_inputs in) {
            in.assigned_device = assigned;
            const ept_decision d = p->decide(in);
            INFO(describe(in), " assigned=", assigned, " -> ", d.why);
            if (in.mmio) { // p2m_mmio_direct with a valid mfn
                CHECK(d.ept_type == memtype::uc);
                CHECK_FALSE(d.ipat);
            } else if (!assigned) { // !is_iommu_enabled && !cache_flush_permitted
                CHECK(d.ept_type == memtype::wb);
                CHECK(d.ipat);
            } else if (in.guest_cd) { // vmx_handle_cd(): all-UC guest PAT
                CHECK(d.ept_type == memtype::uc);
                CHECK(d.ipat);
            } else { // guest MTRR x host MTRR (WB) -> guest MTRR, IPAT=0
                CHECK(d.ept_type == in.guest_mtrr);
                CHECK_FALSE(d.ipat);
            }
            // Xen ignores KVM's count, quirks and self-snoop, and never zaps on coherence.
            ept_inputs flipped = in;
            flipped.noncoherent = !in.noncoherent;
            flipped.self_snoop = !in.self_snoop;
            const ept_decision f = p->decide(flipped);
            CHECK(f.ept_type == d.ept_type);
            CHECK(f.ipat == d.ipat);
            CHECK_FALSE(p->zaps_on_noncoherent_transition(in));
        });
}

TEST_CASE("xen-hvm: WBINVD and INVD flush every pCPU only with an assigned device and no snoop "
          "control") {
    const wbinvd_handling* h = find_wbinvd_handling("xen-hvm");
    REQUIRE(h != nullptr);
    CHECK(h->invd_as_wbinvd());
    for (bool nc : {false, true})
        for (bool assigned : {false, true})
            for (bool snoop : {false, true})
                CHECK(h->emulates({nc, assigned, snoop}) == (assigned && !snoop));
    const wbinvd_plan p = h->plan({0b10, 0, 0b1111});
    CHECK(p.flush == 0b1111);
    CHECK(p.mask_after == 0);
    // KVM's handlings: only the count matters, and INVD is a NOP (kvm_emulate_invd()).
    for (const char* n : {"dirty-mask", "local-only", "all-but-local"}) {
        const wbinvd_handling* k = find_wbinvd_handling(n);
        REQUIRE(k != nullptr);
        CHECK_FALSE(k->invd_as_wbinvd());
        CHECK(k->emulates({true, false, true}));
        CHECK_FALSE(k->emulates({false, true, false}));
    }
}

namespace {
constexpr std::uint64_t line_p0 = 0x80000000, line_p1 = 0x80001000;

exit_outcome exit_on(hv_rig& r, exit_reason why, unsigned pcpu, sc_core::sc_time& d) {
    vm_exit e;
    e.reason = why;
    e.vcpu = r.vcpu0.id;
    e.pcpu = pcpu;
    return r.hv.handle_exit(e, d);
}
} // namespace

TEST_CASE("xen-hvm on the caches: a guest INVD writes back every pCPU's dirty lines") {
    hv_rig r(config_for("xen-4.19", "xen-hvm"), 2);
    r.hv.set_vm_facts(true, false);
    r.start();
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    r.hv.vcpu_load(0, 0, d);
    r.guest_store(0, line_p0, bytes(8, 0xb0));
    r.guest_store(1, line_p1, bytes(8, 0xb1));
    CHECK(exit_on(r, exit_reason::invd, 1, d) == exit_outcome::resume);
    CHECK(r.ms.read_dram(line_p0, 8) == bytes(8, 0xb0));
    CHECK(r.ms.read_dram(line_p1, 8) == bytes(8, 0xb1));
    CHECK(r.hv.stats().exits_invd.value() == 1);
    CHECK(r.hv.stats().wbinvd_runs[0]->value() == 1);
    CHECK(r.hv.stats().wbinvd_runs[1]->value() == 1);
    CHECK(r.ms.stats().invd_dirty_lost.value() == 0);
}

namespace {
// One rig per test case (one SystemC elaboration per process).
void expect_nop(bool assigned, bool snoop) {
    hv_rig r(config_for("xen-4.19", "xen-hvm"), 2);
    r.hv.set_vm_facts(assigned, snoop);
    r.start();
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    r.guest_store(0, line_p0, bytes(8, 0xc0));
    CHECK(r.wbinvd(0, d) == exit_outcome::resume);
    CHECK(r.ms.read_dram(line_p0, 8) == bytes(8, 0));
    CHECK(r.hv.stats().wbinvd_nops.value() == 1);
}
} // namespace

TEST_CASE("xen-hvm on the caches: nothing happens with an assigned device and snoop control") {
    expect_nop(true, true);
}

TEST_CASE("xen-hvm on the caches: nothing happens without an assigned device") {
    expect_nop(false, false);
}

TEST_CASE("KVM: a guest INVD is a NOP - the dirty line stays cached and is not lost") {
    hv_rig r(config_for("linux-6.10"), 2);
    r.start();
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    host_context ctx{1, d};
    r.hv.create_virtio_device().set_attr(1, 1, ctx); // non-coherent: WBINVD would flush
    r.hv.vcpu_load(0, 0, d);
    r.guest_store(0, line_p0, bytes(8, 0xd0));
    CHECK(exit_on(r, exit_reason::invd, 0, d) == exit_outcome::resume);
    CHECK(r.ms.read_dram(line_p0, 8) == bytes(8, 0));
    CHECK(r.ms.read_coherent(line_p0, 8) == bytes(8, 0xd0));
    CHECK(r.hv.stats().wbinvd_nops.value() == 1);
    CHECK(r.hv.stats().wbinvd_runs[0]->value() == 0);
}
