// KVM/arm64 on the hypervisor component: a stage-2 abort (exit ept_violation with ESR_EL2)
// makes KVM write real stage-2 tables into host memory through the caches, the leaf's MemAttr
// the era policy's decision encoded with or without FWB; descriptors are read back coherently
// and decoded with cpu/arm64_stage2.h (an independent decoder). Also: the VTTBR the vCPU gets,
// MMIO aborts to the VMM, and the 6.17 refusal of a cacheable device memslot without FWB.
#include <doctest/doctest.h>

#include <string>

#include "cpu/arm64_stage2.h"
#include "kvm/tests/hv_rig.h"
#include "model/arm64_attr.h"

using namespace mtsim;
using namespace mtsim::kvm;

namespace {

struct fake_arm64_vcpu final : vcpu_control {
    std::uint64_t vttbr = 0;
    unsigned invalidations = 0;
    unsigned vcpu_id() const override { return 0; }
    unsigned current_pcpu() const override { return 0; }
    void invept() override { ++invalidations; }
    void load_eptp(std::uint64_t) override { FAIL("an arm64 vCPU got an EPTP"); }
    void load_vttbr(std::uint64_t raw) override { vttbr = raw; }
};

class arm64_rig : public sc_core::sc_module {
public:
    memory_system ms;
    dram mem;
    sc_core::sc_vector<test::port_mux> mux;
    hypervisor hv;
    tlm_utils::simple_initiator_socket<arm64_rig> dev;
    fake_arm64_vcpu vcpu0;
    test::fake_vmm vmm;

    arm64_rig(const std::string& policy, bool fwb)
        : sc_module("rig"), ms("ms", test::hv_rig::small_caches(2)), mem("mem"), mux("mux", 2),
          hv("hv", test::hv_rig::with_pcpus({}, 2)), dev("dev") {
        for (unsigned p = 0; p < 2; ++p) {
            hv.pcpu[p].bind(mux[p].in);
            mux[p].out.bind(ms.cpu[p]);
        }
        ms.to_dram.bind(mem.tsock);
        dev.bind(ms.dma);
        arm64_kvm_config c;
        c.policy = policy;
        c.caps.fwb = fwb;
        hv.set_arm64(c);
        hv.add_memslot({"ram", memslot_kind::ram, 0, 64 * MiB, 1 * GiB});
        memslot bar{"bar", memslot_kind::ram, 0x80000000, 16 * MiB, 0xc0000000};
        bar.host_mmio = true;
        hv.add_memslot(bar);
        hv.add_memslot({"virtio-mmio", memslot_kind::mmio, 0x90000000, 4096, 0});
        hv.attach_vcpu(vcpu0);
        hv.set_vmm(vmm);
    }

    exit_outcome abort(std::uint64_t ipa, bool write, std::uint8_t* data = nullptr,
                       unsigned size = 0) {
        vm_exit e;
        e.reason = exit_reason::ept_violation;
        e.gpa = ipa;
        e.is_write = write;
        e.esr = cpu::esr_el2_stage2({cpu::arm64_fault_kind::translation, 3},
                                    write ? cpu::arm64_access::write : cpu::arm64_access::read);
        e.size = size;
        e.data = data;
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        return hv.handle_exit(e, d);
    }
    std::uint64_t qword(std::uint64_t pa) const {
        const auto b = ms.read_coherent(pa, 8);
        std::uint64_t v = 0;
        for (unsigned i = 0; i < 8; ++i) v |= std::uint64_t(b[i]) << (8 * i);
        return v;
    }
    // Walks stage 2 in memory from the VTTBR the vCPU was given; the level-3 descriptor.
    cpu::arm64_s2_entry leaf(std::uint64_t ipa) const {
        std::uint64_t table = vcpu0.vttbr & 0x0000fffffffff000ULL;
        for (unsigned level = 0;; ++level) {
            const std::uint64_t d = qword(table + 8 * ((ipa >> (12 + 9 * (3 - level))) & 511));
            const cpu::arm64_s2_entry e = cpu::decode_s2_entry(d, level);
            if (!e.valid || !e.table) return e;
            table = e.oa;
        }
    }
};

} // namespace

namespace {

void ram_abort_case(bool fwb) {
    arm64_rig r("linux-arm64-6.8", fwb);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    CHECK((r.vcpu0.vttbr >> 48) == 1); // VMID 1
    CHECK(!r.leaf(0x123000).valid);
    CHECK(r.abort(0x123456, false) == exit_outcome::retry);
    const cpu::arm64_s2_entry e = r.leaf(0x123000);
    REQUIRE(e.valid);
    CHECK(e.oa == 1 * GiB + 0x123000);
    CHECK(e.af);
    CHECK(e.s2ap == 3);
    CHECK(e.xn); // a data abort maps without execute
    const arm64_s2 s2 = decode_s2_memattr(fwb, e.memattr);
    CHECK(s2.type == arm64_memtype::normal_wb);
    CHECK(!s2.as_s1);
    CHECK(r.hv.stage2()->leaf_for(0x123)->slot == "ram");
    CHECK(r.hv.stats().exits_stage2_abort.value() == 1);
    CHECK(r.hv.stats().exits_ept_violation.value() == 0);
    // Four tables (levels 0-3) cleared; three table descriptors and the leaf written.
    CHECK(r.hv.stats().ept_tables.value() == 4);
    CHECK(r.hv.stats().ept_entry_writes.value() == 4);
    // A second page in the same level-3 table costs one write.
    CHECK(r.abort(0x124000, true) == exit_outcome::retry);
    CHECK(r.hv.stats().ept_entry_writes.value() == 5);
}

} // namespace

TEST_CASE("arm64 KVM: a stage-2 abort on RAM writes a Normal-WB page descriptor without FWB") {
    ram_abort_case(false);
}

TEST_CASE("arm64 KVM: a stage-2 abort on RAM writes a forced-WB page descriptor with FWB") {
    ram_abort_case(true);
}

TEST_CASE("arm64 KVM: a vfio BAR frame gets the era's stage-2 attribute") {
    arm64_rig r("linux-arm64-6.9", true);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    CHECK(r.abort(0x80001000, true) == exit_outcome::retry);
    const cpu::arm64_s2_entry e = r.leaf(0x80001000);
    REQUIRE(e.valid);
    CHECK(e.oa == 0xc0001000);
    CHECK(decode_s2_memattr(true, e.memattr).type == arm64_memtype::normal_nc);
    CHECK(r.hv.stage2()->leaf_for(0x80001)->decision.why.find("VM_ALLOW_ANY_UNCACHED") !=
          std::string::npos);
}

TEST_CASE("arm64 KVM: under 6.8 a vfio BAR frame is Device-nGnRE at stage 2") {
    arm64_rig r("linux-arm64-6.8", false);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    CHECK(r.abort(0x80001000, false) == exit_outcome::retry);
    const cpu::arm64_s2_entry e = r.leaf(0x80001000);
    REQUIRE(e.valid);
    CHECK(decode_s2_memattr(false, e.memattr).type == arm64_memtype::device_ngnre);
}

TEST_CASE("arm64 KVM: an abort outside RAM slots goes to the VMM as MMIO") {
    arm64_rig r("linux-arm64-6.17", true);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    std::uint8_t v[4] = {1, 2, 3, 4};
    CHECK(r.abort(0x90000010, true, v, 4) == exit_outcome::emulated);
    REQUIRE(r.vmm.log.size() == 1);
    CHECK(r.vmm.log[0].write);
    CHECK(r.vmm.log[0].gpa == 0x90000010);
    CHECK(!r.leaf(0x90000000).valid);
}

TEST_CASE("arm64 KVM: 6.17 without FWB refuses a cacheable device memslot with EINVAL") {
    arm64_rig r("linux-arm64-6.17", false);
    memslot dev{"device-memory", memslot_kind::ram, 0xa0000000, 16 * MiB, 0xd0000000};
    dev.host_mmio = true;
    dev.vma_cacheable = true;
    CHECK_THROWS_AS(r.hv.add_memslot(dev), kvm_refusal);
}
