// The guest's WRMSR to its MTRRs (exit reason 32, kvm/guest_mtrr.cpp): every era keeps the
// value; up to 6.10 under non-coherent DMA KVM zaps the written register's range and the
// rebuilt leaf takes the new guest MTRR type; from 6.11 nothing in the EPT changes. Leaves are
// read back from memory (hv_rig) and decoded with cpu/ept.h.
#include <doctest/doctest.h>

#include "kvm/tests/hv_rig.h"
#include "model/not_modelled.h"

using namespace mtsim;
using namespace mtsim::kvm;
using namespace mtsim::kvm::test;

namespace {

constexpr std::uint64_t ram_gpa = 0x100000, ram_hpa = 0x80000000, ram_size = 16 * MiB;
// Variable range 0: [2 MiB, 3 MiB) UC; the leaf at 4 MiB lies outside it.
constexpr std::uint64_t in_range = 2 * MiB, outside = 4 * MiB;
constexpr std::uint64_t mask_1m = ((1ULL << 46) - 1) & ~(MiB - 1);

unsigned leaf_type(std::uint64_t e) {
    return static_cast<unsigned>(cpu::field_get(cpu::field(cpu::ept_field::memtype), e));
}
bool leaf_ipat(std::uint64_t e) {
    return cpu::ept_bit(cpu::ept_field::ipat, e);
}

exit_outcome wrmsr(hv_rig& r, std::uint32_t msr, std::uint64_t value) {
    vm_exit e;
    e.reason = exit_reason::wrmsr;
    e.vcpu = r.vcpu0.id;
    e.msr = msr;
    e.msr_value = value;
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    return r.hv.handle_exit(e, d);
}

// A rig on `policy` with guest RAM, leaves built at in_range and outside, the VM non-coherent
// (a KVM virtio device registered) when asked, before any guest MTRR write.
struct story {
    hv_rig r;
    story(const char* policy, bool noncoherent) : r(config_for(policy)) {
        r.hv.add_memslot(ram_slot("ram", ram_gpa, ram_size, ram_hpa));
        r.start();
        if (noncoherent) {
            sc_core::sc_time d = sc_core::SC_ZERO_TIME;
            host_context ctx{0, d};
            r.hv.create_virtio_device().set_attr(1, 1, ctx);
        }
        r.violation(in_range, true);
        r.violation(outside, true);
        REQUIRE(r.ept_leaf(in_range).has_value());
        REQUIRE(r.ept_leaf(outside).has_value());
    }
    // PHYSMASK0 first (its range [0, 1 MiB) holds no leaf), then PHYSBASE0 = 2 MiB, UC.
    void program_uc_range() {
        CHECK(wrmsr(r, ia32_mtrr_physmask0_msr, mask_1m | mtrr_physmask_valid_bit) ==
              exit_outcome::resume);
        CHECK(wrmsr(r, ia32_mtrr_physbase0_msr, in_range | encoding(memtype::uc)) ==
              exit_outcome::resume);
    }
};

} // namespace

TEST_CASE(
    "guest MTRR: linux-6.10 under non-coherent DMA zaps the written range and rebuilds it UC") {
    story s("linux-6.10", true);
    CHECK(leaf_type(s.r.ept_leaf(in_range)->value) == encoding(memtype::wb));
    const unsigned invepts = s.r.vcpu0.invepts;
    s.program_uc_range();
    CHECK(s.r.hv.stats().exits_wrmsr.value() == 2);
    CHECK(s.r.hv.stats().mtrr_zaps.value() == 2);
    CHECK(s.r.hv.stats().zapped_leaves.value() == 1);
    CHECK(s.r.vcpu0.invepts == invepts + 1); // only the write that zapped flushed
    CHECK_FALSE(s.r.ept_leaf(in_range).has_value());
    CHECK(s.r.ept_leaf(outside).has_value());
    s.r.violation(in_range, false);
    const auto leaf = s.r.ept_leaf(in_range);
    REQUIRE(leaf.has_value());
    CHECK(leaf_type(leaf->value) == encoding(memtype::uc));
    CHECK_FALSE(leaf_ipat(leaf->value));
    CHECK(s.r.hv.decision_for(in_range >> 12)->inputs.guest_mtrr == memtype::uc);
    CHECK(s.r.hv.guest_mtrrs().rdmsr(ia32_mtrr_physbase0_msr) == in_range);
}

TEST_CASE("guest MTRR: linux-6.6 without non-coherent DMA stores the write and zaps nothing") {
    story s("linux-6.6", false);
    s.program_uc_range();
    CHECK(s.r.hv.stats().mtrr_zaps.value() == 0);
    CHECK(leaf_ipat(s.r.ept_leaf(in_range)->value)); // WB with IPAT, as before
    CHECK(s.r.hv.guest_mtrrs().rdmsr(ia32_mtrr_physmask0_msr) ==
          (mask_1m | mtrr_physmask_valid_bit));
}

TEST_CASE("guest MTRR: linux-6.15 keeps the write and the EPT even under non-coherent DMA") {
    story s("linux-6.15", true);
    const std::uint64_t before = s.r.ept_leaf(in_range)->value;
    s.program_uc_range();
    CHECK(s.r.hv.stats().exits_wrmsr.value() == 2);
    CHECK(s.r.hv.stats().mtrr_zaps.value() == 0);
    REQUIRE(s.r.ept_leaf(in_range).has_value());
    CHECK(s.r.ept_leaf(in_range)->value == before);
    CHECK(leaf_type(before) == encoding(memtype::wb));
}

TEST_CASE("guest MTRR: fixed ranges count only once MTRRdefType enables them") {
    hv_rig r(config_for("linux-6.10"));
    r.hv.add_memslot(ram_slot("low", 0, 1 * MiB, 0x90000000));
    r.start();
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    host_context ctx{0, d};
    r.hv.create_virtio_device().set_attr(1, 1, ctx);
    r.violation(0xA0000, true);
    // IA32_MTRR_FIX16K_A0000, every field UC: FE is off, so no zap and no new type.
    CHECK(wrmsr(r, 0x259, 0) == exit_outcome::resume);
    CHECK(r.hv.stats().mtrr_zaps.value() == 0);
    CHECK(r.ept_leaf(0xA0000).has_value());
    // MTRRdefType E|FE|WB: KVM zaps everything; the rebuilt leaf takes the fixed range's UC.
    CHECK(wrmsr(r, ia32_mtrr_def_type_msr,
                mtrr_def_e_bit | mtrr_def_fe_bit | encoding(memtype::wb)) == exit_outcome::resume);
    CHECK(r.hv.stats().mtrr_zaps.value() == 1);
    CHECK_FALSE(r.ept_leaf(0xA0000).has_value());
    r.violation(0xA0000, false);
    CHECK(leaf_type(r.ept_leaf(0xA0000)->value) == encoding(memtype::uc));
    r.violation(0x90000, false); // FIX16K_80000 still 0: UC as well
    CHECK(leaf_type(r.ept_leaf(0x90000)->value) == encoding(memtype::uc));
}

TEST_CASE("guest MTRR: a write the CPU refuses and an MSR that is no MTRR are loud") {
    hv_rig r(config_for("linux-6.10"));
    r.start();
    CHECK_THROWS_WITH_AS(wrmsr(r, ia32_mtrr_def_type_msr, 2), doctest::Contains("#GP"),
                         not_modelled);
    CHECK_THROWS_WITH_AS(wrmsr(r, 0x10, 0), doctest::Contains("only the MTRRs"), not_modelled);
    // IA32_MTRR_PHYSBASE8: KVM reports eight variable ranges.
    CHECK_THROWS_AS(wrmsr(r, ia32_mtrr_physbase0_msr + 16, 0), not_modelled);
    CHECK(guest_mtrr_config().variable_count == 8);
}
