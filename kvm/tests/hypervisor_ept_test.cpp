// The EPT the hypervisor builds: entries written lazily on EPT violations into host memory
// through the caches, read back here by walking the tables in memory from the EPTP the vCPU
// got and decoded with cpu/ept.h; the zap on non-coherent count transitions per kernel era.
#include <doctest/doctest.h>

#include <string>

#include "kvm/tests/hv_rig.h"

using namespace mtsim;
using namespace mtsim::kvm;
using namespace mtsim::kvm::test;

namespace {

constexpr std::uint64_t ram_gpa = 0x100000, ram_hpa = 0x80000000, ram_size = 16 * MiB;

unsigned leaf_type(std::uint64_t e) {
    return static_cast<unsigned>(cpu::field_get(cpu::field(cpu::ept_field::memtype), e));
}
bool leaf_ipat(std::uint64_t e) {
    return cpu::ept_bit(cpu::ept_field::ipat, e);
}

} // namespace

TEST_CASE("ept: the vCPU gets an EPTP naming the pool's first page as root") {
    hypervisor_config cfg = config_for("linux-6.10");
    cfg.ept.ad = true;
    hv_rig r(cfg);
    const cpu::eptp ep = cpu::decode_eptp(r.vcpu0.eptp, cpu::ept_caps{});
    CHECK(ep.root == cfg.ept.pool_base);
    CHECK(ep.levels == 4);
    CHECK(ep.ad);
    CHECK(ep.walk_type == memtype::wb);
    CHECK(r.vcpu0.eptp == r.hv.eptp());
}

TEST_CASE("ept: a violation builds a 4 KiB leaf with the policy's type and IPAT in memory") {
    hv_rig r(config_for("linux-6.10"));
    r.hv.add_memslot(ram_slot("ram", ram_gpa, ram_size, ram_hpa));
    r.start();
    CHECK_FALSE(r.ept_leaf(ram_gpa + 0x3000).has_value());
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    CHECK(r.violation(ram_gpa + 0x3010, false, nullptr, 0, 1, &d) == exit_outcome::retry);
    const auto leaf = r.ept_leaf(ram_gpa + 0x3010);
    REQUIRE(leaf.has_value());
    CHECK(leaf->level == 1);
    CHECK(cpu::ept_rwx(leaf->value) == 7);
    CHECK(leaf_type(leaf->value) == encoding(memtype::wb));
    CHECK(leaf_ipat(leaf->value));
    CHECK(cpu::address_of(leaf->value) == ram_hpa + 0x3000);
    CHECK_FALSE(cpu::check_ept_entry(leaf->value, 1, cpu::ept_caps{}).has_value());
    // Neighbouring pages stay unmapped: the build is lazy.
    CHECK_FALSE(r.ept_leaf(ram_gpa + 0x4000).has_value());
    const leaf_record* rec = r.hv.decision_for((ram_gpa + 0x3000) >> 12);
    REQUIRE(rec != nullptr);
    CHECK(rec->policy == "linux-6.10");
    CHECK(rec->slot == "ram");
    CHECK(rec->decision.why.find("no non-coherent DMA") != std::string::npos);
    CHECK(rec->entry_hpa == leaf->address);
    CHECK(rec->value == leaf->value);
    // Exit + handler + 4 tables cleared and linked + leaf, each store paid in the caches.
    const auto& c = r.hv.config().cost;
    CHECK(r.hv.clk().to_cycles(d).n > (c.round_trip() + c.ept_violation + c.ept_entry_write * 4).n);
    CHECK(r.hv.stats().ept_leaves_built.value() == 1);
    CHECK(r.hv.stats().ept_tables.value() == 4);
    CHECK(r.hv.stats().ept_entry_writes.value() == 4);
}

TEST_CASE("ept: host MMIO backing gets UC without IPAT and a guest MTRR type reaches the policy") {
    hv_rig r(config_for("linux-6.6"));
    memslot bar = ram_slot("bar", 0xc0000000, 1 * MiB, 0xd0000000);
    bar.host_mmio = true;
    r.hv.add_memslot(bar);
    r.hv.add_memslot(ram_slot("ram", ram_gpa, ram_size, ram_hpa));
    r.hv.set_guest_mtrr([](std::uint64_t gfn) {
        return gfn == ((ram_gpa + 0x5000) >> 12) ? memtype::wc : memtype::wb;
    });
    r.start();
    r.violation(0xc0000000, true);
    const auto bar_leaf = r.ept_leaf(0xc0000000);
    REQUIRE(bar_leaf.has_value());
    CHECK(leaf_type(bar_leaf->value) == encoding(memtype::uc));
    CHECK_FALSE(leaf_ipat(bar_leaf->value));
    // Under non-coherent DMA, linux-6.6 uses the guest MTRR type without IPAT.
    auto& gpu = r.hv.create_virtio_device();
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    host_context ctx{0, d};
    gpu.set_attr(1, 1, ctx);
    r.violation(ram_gpa + 0x5000, false);
    const auto wc_leaf = r.ept_leaf(ram_gpa + 0x5000);
    REQUIRE(wc_leaf.has_value());
    CHECK(leaf_type(wc_leaf->value) == encoding(memtype::wc));
    CHECK_FALSE(leaf_ipat(wc_leaf->value));
    CHECK(r.hv.decision_for((ram_gpa + 0x5000) >> 12)->inputs.guest_mtrr == memtype::wc);
}

TEST_CASE("ept zap: linux-6.6 never zaps so an entry built before hot-plug keeps WB and IPAT") {
    hv_rig r(config_for("linux-6.6"));
    r.hv.add_memslot(ram_slot("ram", ram_gpa, ram_size, ram_hpa));
    r.start();
    r.violation(ram_gpa, true);
    auto& vfio = r.hv.create_vfio_device();
    fake_iommu no_snoop_control(false);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    host_context ctx{1, d};
    vfio.add_file("gpu", no_snoop_control, ctx);
    REQUIRE(r.hv.noncoherent_count() == 1);
    const auto stale = r.ept_leaf(ram_gpa);
    REQUIRE(stale.has_value());
    CHECK(leaf_type(stale->value) == encoding(memtype::wb));
    CHECK(leaf_ipat(stale->value)); // the hazard: guest PAT still ignored for this page
    CHECK(r.vcpu0.invepts == 0);
    CHECK(r.hv.stats().zaps.value() == 0);
    CHECK(r.hv.stats().nc_transitions.value() == 1);
    // A page first touched now gets the non-coherent type.
    r.violation(ram_gpa + 0x1000, false);
    const auto fresh = r.ept_leaf(ram_gpa + 0x1000);
    REQUIRE(fresh.has_value());
    CHECK(leaf_type(fresh->value) == encoding(memtype::wb));
    CHECK_FALSE(leaf_ipat(fresh->value));
    CHECK(r.hv.decision_for(ram_gpa >> 12)->inputs.noncoherent == false);
    CHECK(r.hv.decision_for((ram_gpa + 0x1000) >> 12)->inputs.noncoherent == true);
}

TEST_CASE("ept zap: linux-6.10 zaps on 0->1 and the rebuilt entry is WB without IPAT") {
    hv_rig r(config_for("linux-6.10"));
    r.hv.add_memslot(ram_slot("ram", ram_gpa, ram_size, ram_hpa));
    r.start();
    r.violation(ram_gpa, true);
    r.violation(ram_gpa + 0x200000, false);
    auto& vfio = r.hv.create_vfio_device();
    fake_iommu no_snoop_control(false);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    host_context ctx{1, d};
    vfio.add_file("gpu", no_snoop_control, ctx);
    CHECK_FALSE(r.ept_leaf(ram_gpa).has_value());
    CHECK_FALSE(r.ept_leaf(ram_gpa + 0x200000).has_value());
    CHECK(r.hv.decision_for(ram_gpa >> 12) == nullptr);
    CHECK(r.vcpu0.invepts == 1);
    CHECK(r.hv.stats().zaps.value() == 1);
    CHECK(r.hv.stats().zapped_leaves.value() == 2);
    const auto& c = r.hv.config().cost;
    CHECK(r.hv.clk().to_cycles(d).n >= (c.zap_per_entry * 2 + c.invept).n);
    r.violation(ram_gpa, true);
    const auto rebuilt = r.ept_leaf(ram_gpa);
    REQUIRE(rebuilt.has_value());
    CHECK(leaf_type(rebuilt->value) == encoding(memtype::wb));
    CHECK_FALSE(leaf_ipat(rebuilt->value));
    // 1->0 zaps again and the next build is WB with IPAT.
    vfio.remove_file("gpu", ctx);
    CHECK(r.vcpu0.invepts == 2);
    CHECK_FALSE(r.ept_leaf(ram_gpa).has_value());
    r.violation(ram_gpa, false);
    CHECK(leaf_ipat(r.ept_leaf(ram_gpa)->value));
}

TEST_CASE("ept zap: a coherent VFIO device changes nothing") {
    hv_rig r(config_for("linux-6.10"));
    r.hv.add_memslot(ram_slot("ram", ram_gpa, ram_size, ram_hpa));
    r.start();
    r.violation(ram_gpa, true);
    auto& vfio = r.hv.create_vfio_device();
    fake_iommu snoop_control(true);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    host_context ctx{0, d};
    vfio.add_file("nic", snoop_control, ctx);
    CHECK(r.hv.noncoherent_count() == 0);
    CHECK(r.ept_leaf(ram_gpa).has_value());
    CHECK(r.vcpu0.invepts == 0);
    CHECK_THROWS_WITH_AS(r.hv.create_vfio_device(), doctest::Contains("EBUSY"),
                         std::invalid_argument);
}

TEST_CASE("ept: a read-only slot gets R+X leaves and its writes exit to the VMM") {
    hv_rig r(config_for("linux-6.10"));
    memslot rom = ram_slot("rom", 0xfff00000, 1 * MiB, 0x90000000);
    rom.read_only = true;
    r.hv.add_memslot(rom);
    r.start();
    CHECK(r.violation(0xfff00000, false) == exit_outcome::retry);
    const auto leaf = r.ept_leaf(0xfff00000);
    REQUIRE(leaf.has_value());
    CHECK(cpu::ept_rwx(leaf->value) == (cpu::perm_r | cpu::perm_x));
    std::uint8_t data[4] = {1, 2, 3, 4};
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    CHECK(r.violation(0xfff00010, true, data, 4, 0, &d) == exit_outcome::emulated);
    REQUIRE(r.vmm.log.size() == 1);
    CHECK(r.vmm.log[0].write);
    CHECK(r.vmm.log[0].gpa == 0xfff00010);
    CHECK(r.vmm.log[0].data == bytes{1, 2, 3, 4});
    CHECK(r.hv.stats().mmio_exits.value() == 1);
    const auto& c = r.hv.config().cost;
    // The steps, plus the kvm_run accesses (which queue here behind the leaf build's stores:
    // the rig does not advance time between the two exits).
    const cycles steps = c.round_trip() + c.ept_violation + c.emulate_insn + c.userspace();
    CHECK(r.hv.clk().to_cycles(d).n > steps.n);
    CHECK(r.ept_leaf(0xfff00000)->value == leaf->value);
}

TEST_CASE("ept: 2 MiB leaves only where the slot and the guest MTRRs allow") {
    hypervisor_config cfg = config_for("linux-6.10");
    cfg.ept.huge_pages = true;
    hv_rig r(cfg);
    r.hv.add_memslot(ram_slot("aligned", 0x40000000, 8 * MiB, 0x80000000));
    r.hv.add_memslot(ram_slot("skewed", 0x50000000, 8 * MiB, 0x90001000));
    r.hv.add_memslot(ram_slot("short", 0x60000000, 1 * MiB, 0xa0000000));
    r.hv.set_guest_mtrr([](std::uint64_t gfn) {
        return gfn == (0x40600000 >> 12) + 7 ? memtype::uc : memtype::wb;
    });
    r.start();
    r.violation(0x40212345, false);
    const auto big = r.ept_leaf(0x40212345);
    REQUIRE(big.has_value());
    CHECK(big->level == 2);
    CHECK(cpu::ept_bit(cpu::ept_field::ps, big->value));
    CHECK(cpu::address_of(big->value) == 0x80200000);
    CHECK_FALSE(cpu::check_ept_entry(big->value, 2, cpu::ept_caps{}).has_value());
    CHECK(r.hv.decision_for(0x403ff000 >> 12) != nullptr);
    r.violation(0x50200000, false);
    CHECK(r.ept_leaf(0x50200000)->level == 1);
    r.violation(0x60000000, false);
    CHECK(r.ept_leaf(0x60000000)->level == 1);
    r.violation(0x40600000, false); // one frame of this 2 MiB has another MTRR type
    CHECK(r.ept_leaf(0x40600000)->level == 1);
}

TEST_CASE("ept: the memslot-flag policy honors guest PAT inside flagged slots only") {
    hv_rig r(config_for("memslot-flag"));
    memslot bar = ram_slot("gpu-bar", 0x80000000, 1 * MiB, 0xb0000000);
    bar.non_coherent_dma = true;
    r.hv.add_memslot(bar);
    r.hv.add_memslot(ram_slot("ram", ram_gpa, ram_size, ram_hpa));
    r.start();
    r.violation(0x80000000, true);
    r.violation(ram_gpa, true);
    CHECK_FALSE(leaf_ipat(r.ept_leaf(0x80000000)->value));
    CHECK(leaf_ipat(r.ept_leaf(ram_gpa)->value));
    CHECK(r.hv.decision_for(0x80000000 >> 12)->decision.why.find("KVM_MEM_NON_COHERENT_DMA") !=
          std::string::npos);
}

TEST_CASE("ept: a raw entry write reaches memory and every vCPU gets INVEPT") {
    hv_rig r(config_for("linux-6.10"));
    r.hv.add_memslot(ram_slot("ram", ram_gpa, ram_size, ram_hpa));
    r.start();
    const std::uint64_t bad = (ram_hpa + 0x7000) | (2u << 3) | 7; // memory type 2: reserved
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    host_context ctx{0, d};
    r.hv.write_raw_ept(ram_gpa + 0x7000, 1, bad, ctx);
    const auto leaf = r.ept_leaf(ram_gpa + 0x7000);
    REQUIRE(leaf.has_value());
    CHECK(leaf->value == bad);
    CHECK(cpu::check_ept_entry(bad, 1, cpu::ept_caps{}) == cpu::ept_misconfig::leaf_memtype);
    CHECK(r.vcpu0.invepts == 1);
    const leaf_record* rec = r.hv.decision_for((ram_gpa + 0x7000) >> 12);
    REQUIRE(rec != nullptr);
    CHECK(rec->policy == "raw");
    CHECK(rec->decision.notes.size() == 1);
    // A zap clears raw leaves as well.
    auto& gpu = r.hv.create_virtio_device();
    gpu.set_attr(1, 1, ctx);
    CHECK_FALSE(r.ept_leaf(ram_gpa + 0x7000).has_value());
}

TEST_CASE("hypervisor: bad configurations and slots over the EPT pool are refused") {
    CHECK_THROWS_WITH_AS(hypervisor("a", config_for("linux-9.9")),
                         doctest::Contains("unknown policy"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(hypervisor("b", config_for("linux-6.10", "everything")),
                         doctest::Contains("unknown handling"), std::invalid_argument);
    hypervisor_config cfg = config_for("linux-6.10");
    hypervisor hv("c", cfg);
    CHECK_THROWS_WITH_AS(
        hv.add_memslot(ram_slot("ram", 0, 1 * MiB, cfg.ept.pool_base + cfg.ept.pool_size - 4096)),
        doctest::Contains("EPT page pool"), std::invalid_argument);
}

TEST_CASE("ept zap: linux-6.16 zaps only while IGNORE_GUEST_PAT is in effect") {
    hypervisor_config off = config_for("linux-6.16");
    off.quirk_ignore_guest_pat = false; // honored: the host has self-snoop
    hv_rig r(off);
    r.hv.add_memslot(ram_slot("ram", ram_gpa, ram_size, ram_hpa));
    r.start();
    r.violation(ram_gpa, true);
    CHECK_FALSE(leaf_ipat(r.ept_leaf(ram_gpa)->value)); // guest PAT honored already
    auto& gpu = r.hv.create_virtio_device();
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    host_context ctx{0, d};
    gpu.set_attr(1, 1, ctx);
    CHECK(r.ept_leaf(ram_gpa).has_value());
    CHECK(r.hv.stats().zaps.value() == 0);
    CHECK(r.hv.stats().nc_transitions.value() == 1);
}

TEST_CASE("ept: the faulting vCPU's CR0.CD reaches the policy") {
    hypervisor_config cfg = config_for("linux-6.6");
    cfg.quirk_cd_nw_cleared = false;
    hv_rig r(cfg);
    r.hv.add_memslot(ram_slot("ram", ram_gpa, ram_size, ram_hpa));
    r.start();
    auto& gpu = r.hv.create_virtio_device();
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    host_context ctx{0, d};
    gpu.set_attr(1, 1, ctx);
    r.hv.set_guest_cd(0, true);
    r.violation(ram_gpa, false);
    const auto leaf = r.ept_leaf(ram_gpa);
    REQUIRE(leaf.has_value());
    CHECK(leaf_type(leaf->value) == encoding(memtype::uc)); // emulated CD: UC with IPAT
    CHECK(leaf_ipat(leaf->value));
    CHECK(r.hv.decision_for(ram_gpa >> 12)->inputs.guest_cd);
    // kvm_post_set_cr0's zap on a CD change is not modelled: refused, not ignored.
    CHECK_THROWS_WITH_AS(r.hv.set_guest_cd(0, false), doctest::Contains("not modelled"),
                         std::runtime_error);
}
