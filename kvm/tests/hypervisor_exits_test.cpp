// Exits the hypervisor completes: PCI-hole reads inside KVM (the KVM_MEM_PCI_HOLE proposal) against
// MMIO exits to the VMM, and guest WBINVD under each handling, with the flushes landing in the real
// caches (a non-inclusive LLC, so a pCPU that was not flushed keeps its dirty line).
#include <doctest/doctest.h>

#include <string>

#include "kvm/tests/hv_rig.h"

using namespace mtsim;
using namespace mtsim::kvm;
using namespace mtsim::kvm::test;

namespace {

memslot region(std::string name, memslot_kind k, std::uint64_t gpa, std::uint64_t size) {
    memslot s;
    s.name = std::move(name);
    s.kind = k;
    s.gpa = gpa;
    s.size = size;
    return s;
}

// Addresses of guest lines dirtied on pCPUs 0, 1 and 2.
constexpr std::uint64_t line_p0 = 0x80000000, line_p1 = 0x80001000, line_p2 = 0x80002000;

// The vCPU runs on pCPU 0 while the VM is coherent, then the VM becomes non-coherent and the
// vCPU moves to pCPU 1, then to pCPU 2; on each pCPU it leaves a dirty line. Then it executes
// WBINVD on pCPU 2.
struct migration_story {
    hv_rig r;
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    explicit migration_story(const std::string& handling)
        : r(config_for("linux-6.10", handling), 4) {
        r.start();
        r.hv.vcpu_load(0, 0, d);
        r.guest_store(0, line_p0, bytes(8, 0xa0));
        auto& gpu = r.hv.create_virtio_device();
        host_context ctx{3, d};
        gpu.set_attr(1, 1, ctx);
        r.hv.vcpu_load(0, 1, d);
        r.guest_store(1, line_p1, bytes(8, 0xa1));
        r.hv.vcpu_load(0, 2, d);
        r.guest_store(2, line_p2, bytes(8, 0xa2));
        for (std::uint64_t a : {line_p0, line_p1, line_p2})
            REQUIRE(r.ms.read_dram(a, 8) == bytes(8, 0));
    }
    bool in_dram(std::uint64_t a, std::uint8_t v) const {
        return r.ms.read_dram(a, 8) == bytes(8, v);
    }
    std::uint64_t runs(unsigned p) const { return r.hv.stats().wbinvd_runs[p]->value(); }
};

} // namespace

TEST_CASE("pci hole: reads return 0xff bytes inside KVM without calling the VMM") {
    hv_rig r(config_for("linux-6.10"));
    r.hv.add_memslot(region("mmcfg", memslot_kind::pci_hole, 0xe0000000, 16 * MiB));
    r.start();
    std::uint8_t buf[4] = {0, 0, 0, 0};
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    CHECK(r.violation(0xe0008000, false, buf, 4, 0, &d) == exit_outcome::emulated);
    CHECK(bytes(buf, buf + 4) == bytes(4, 0xff));
    CHECK(r.vmm.log.empty());
    CHECK(r.hv.stats().pci_hole_reads.value() == 1);
    CHECK(r.hv.stats().mmio_exits.value() == 0);
    const auto& c = r.hv.config().cost;
    CHECK(r.hv.clk().to_cycles(d) == c.round_trip() + c.ept_violation + c.emulate_insn);
    CHECK(r.hv.stats().emulated_insns.value() == 1);
    // No EPT entry is built for the hole.
    CHECK_FALSE(r.ept_leaf(0xe0008000).has_value());
    CHECK(r.hv.stats().ept_leaves_built.value() == 0);
}

TEST_CASE("pci hole: writes exit to the VMM") {
    hv_rig r(config_for("linux-6.10"));
    r.hv.add_memslot(region("mmcfg", memslot_kind::pci_hole, 0xe0000000, 16 * MiB));
    r.start();
    std::uint8_t buf[2] = {0x12, 0x34};
    CHECK(r.violation(0xe0000004, true, buf, 2) == exit_outcome::emulated);
    REQUIRE(r.vmm.log.size() == 1);
    CHECK(r.vmm.log[0].write);
    CHECK(r.vmm.log[0].gpa == 0xe0000004);
    CHECK(r.hv.stats().mmio_exits.value() == 1);
}

TEST_CASE("mmio: a read calls the VMM and pays the userspace round trip") {
    hv_rig r(config_for("linux-6.10"));
    r.hv.add_memslot(region("uart", memslot_kind::mmio, 0xfe000000, 0x1000));
    r.start();
    std::uint8_t buf[4] = {0, 0, 0, 0};
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    CHECK(r.violation(0xfe000010, false, buf, 4, 1, &d) == exit_outcome::emulated);
    CHECK(bytes(buf, buf + 4) == bytes(4, 0x5a));
    REQUIRE(r.vmm.log.size() == 1);
    CHECK_FALSE(r.vmm.log[0].write);
    CHECK(r.vmm.log[0].gpa == 0xfe000010);
    const auto& c = r.hv.config().cost;
    // The steps' constants, plus the kvm_run page's accesses through the pCPU's caches: the
    // first touches miss to DRAM, so they cost something, but less than a microsecond.
    const cycles steps = c.round_trip() + c.ept_violation + c.emulate_insn + c.userspace();
    CHECK(r.hv.clk().to_cycles(d).n > steps.n);
    CHECK(r.hv.clk().to_cycles(d).n < steps.n + 3000);
    // The answer went through kvm_run: its bytes are in the page (host-physical, by vCPU).
    CHECK(r.ms.read_coherent(r.hv.config().run_page_base + 40, 4) == bytes(4, 0x5a));
    CHECK(r.hv.stats().exits_ept_violation.value() == 1);
}

TEST_CASE("exits: a gpa outside every slot and a misconfiguration are refused loudly") {
    hv_rig r(config_for("linux-6.10"));
    r.start();
    CHECK_THROWS_WITH_AS(r.violation(0x1234000, false), doctest::Contains("no memslot"),
                         std::runtime_error);
    vm_exit e;
    e.reason = exit_reason::ept_misconfig;
    e.gpa = 0x1000;
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    CHECK_THROWS_WITH_AS(r.hv.handle_exit(e, d), doctest::Contains("not modelled"),
                         std::runtime_error);
}

TEST_CASE("wbinvd: a nop while the VM is coherent") {
    hv_rig r(config_for("linux-6.10"), 2);
    r.start();
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    r.hv.vcpu_load(0, 0, d);
    r.hv.vcpu_load(0, 1, d);
    CHECK(r.hv.wbinvd_dirty_mask(0) == 0);
    r.guest_store(1, line_p1, bytes(8, 0x11));
    CHECK(r.wbinvd(1, d) == exit_outcome::resume);
    CHECK(r.ms.read_dram(line_p1, 8) == bytes(8, 0));
    CHECK(r.hv.stats().wbinvd_nops.value() == 1);
    CHECK(r.hv.stats().wbinvd_runs[0]->value() == 0);
    CHECK(r.hv.stats().wbinvd_runs[1]->value() == 0);
    CHECK(r.hv.clk().to_cycles(d) == r.hv.config().cost.round_trip());
}

TEST_CASE("wbinvd dirty-mask: after migration the mask and the local pCPU are flushed") {
    migration_story s("dirty-mask");
    // pCPU 0 was left before the VM became non-coherent: it never joined the mask.
    CHECK(s.r.hv.wbinvd_dirty_mask(0) == 0b110);
    const sc_core::sc_time before = s.d;
    CHECK(s.r.wbinvd(2, s.d) == exit_outcome::resume);
    CHECK(s.in_dram(line_p1, 0xa1));
    CHECK(s.in_dram(line_p2, 0xa2));
    CHECK(s.in_dram(line_p0, 0x00)); // still dirty in pCPU 0's caches only
    CHECK(s.r.hv.wbinvd_dirty_mask(0) == 0);
    CHECK(s.runs(0) == 0);
    CHECK(s.runs(1) == 1);
    CHECK(s.runs(2) == 1);
    CHECK(s.runs(3) == 0);
    const auto& c = s.r.hv.config().cost;
    CHECK(s.r.hv.clk().to_cycles(s.d - before).n > (c.round_trip() + c.wbinvd_ipi).n);
}

TEST_CASE("wbinvd local-only: only the pCPU the vCPU exited on is flushed") {
    migration_story s("local-only");
    s.r.wbinvd(2, s.d);
    CHECK(s.in_dram(line_p2, 0xa2));
    CHECK(s.in_dram(line_p1, 0x00));
    CHECK(s.runs(1) == 0);
    CHECK(s.runs(2) == 1);
    CHECK(s.r.hv.wbinvd_dirty_mask(0) == 0);
}

TEST_CASE("wbinvd all-but-local: the local pCPU keeps its dirty line") {
    migration_story s("all-but-local");
    s.r.wbinvd(2, s.d);
    CHECK(s.in_dram(line_p1, 0xa1));
    CHECK(s.in_dram(line_p2, 0x00));
    CHECK(s.runs(1) == 1);
    CHECK(s.runs(2) == 0);
}

TEST_CASE("wbinvd: the mask stops growing once the VM is coherent again") {
    hv_rig r(config_for("linux-6.10"), 4);
    r.start();
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    host_context ctx{0, d};
    auto& gpu = r.hv.create_virtio_device();
    gpu.set_attr(1, 1, ctx);
    r.hv.vcpu_load(0, 1, d);
    gpu.release(ctx);
    r.hv.vcpu_load(0, 3, d);
    CHECK(r.hv.wbinvd_dirty_mask(0) == 0b10);
    CHECK(r.wbinvd(3, d) == exit_outcome::resume);
    CHECK(r.hv.stats().wbinvd_nops.value() == 1);
}
