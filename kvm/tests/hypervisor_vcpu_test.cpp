// End to end with the real vCPU (cpu/vcpu.h): the vCPU's 2-D walk faults in guest table pages
// and data pages, the hypervisor builds their EPT entries in memory through the caches, and
// the walker reads them back (EPTP walk type WB) and types the access with the policy's
// (type, IPAT). PCI-hole and MMIO reads from a guest program. Guest RAM sits at
// hpa = gpa + ram_hpa so that a wrong translation cannot pass.
#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include <systemc>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "cache/memory_system.h"
#include "cpu/pcpu_bus.h"
#include "cpu/program.h"
#include "cpu/vcpu.h"
#include "kvm/hypervisor.h"
#include "kvm/tests/hv_rig.h"
#include "model/dram.h"
#include "model/pat.h"

using namespace mtsim;
using namespace mtsim::kvm;

namespace {

constexpr std::uint64_t ram_hpa = 0x40000000, ram_size = 64 * MiB;
constexpr std::uint64_t gpa_tables = 0x100000, gpa_data = 0x1000000;
constexpr std::uint64_t gpa_hole = 0xe0000000, gpa_mmio = 0xfe000000;
constexpr std::uint64_t gva_data = 0x7f0000000000ULL, gva_hole = 0x7f0100000000ULL,
                        gva_mmio = 0x7f0200000000ULL;
constexpr unsigned pat_wb = 0, pat_wc = 1, pat_uc = 3; // Linux's guest PAT indexes

struct recorder final : cpu::agent_observer {
    std::vector<cpu::access_record> loads;
    void on_load(const cpu::agent&, const cpu::access_record& r) override { loads.push_back(r); }
    void on_store(const cpu::agent&, const cpu::access_record&) override {}
};

class platform : public sc_core::sc_module {
public:
    dram mem;
    memory_system ms;
    cpu::pcpu_bus bus;
    hypervisor hv;
    tlm_utils::simple_initiator_socket<platform> dev;
    std::unique_ptr<cpu::vcpu> vcpu;
    test::fake_vmm vmm;
    recorder seen;

    explicit platform(const hypervisor_config& cfg, const sc_core::sc_module_name& n = "top")
        : sc_module(n), mem("dram"), ms("ms", test::hv_rig::small_caches(2)), bus("bus", 2),
          hv("kvm", test::hv_rig::with_pcpus(cfg, 2)), dev("dev") {
        ms.to_dram.bind(mem.tsock);
        dev.bind(ms.dma);
        for (unsigned p = 0; p < 2; ++p) {
            bus.out(p).bind(ms.cpu[p]);
            hv.pcpu[p].bind(bus.at(p).in);
        }
        tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(10, sc_core::SC_NS));
        cpu::vcpu_config vc;
        vc.core.clock_mhz = 1000.0;
        vcpu = std::make_unique<cpu::vcpu>("vcpu0", vc, cpu::agent_setup{0, 2, 0});
        cpu::bind_ports(*vcpu, bus);
        vcpu->set_serializer([this](unsigned p, sc_core::sc_time& d) { ms.serialize(p, d); });
        vcpu->set_handler(hv);
        vcpu->set_observer(&seen);
        hv.attach_vcpu(*vcpu);
        hv.set_vmm(vmm);
        hv.add_memslot(test::ram_slot("ram", 0, ram_size, ram_hpa));
        memslot hole;
        hole.name = "mmcfg";
        hole.kind = memslot_kind::pci_hole;
        hole.gpa = gpa_hole;
        hole.size = 16 * MiB;
        hv.add_memslot(hole);
        memslot mmio;
        mmio.name = "uart";
        mmio.kind = memslot_kind::mmio;
        mmio.gpa = gpa_mmio;
        mmio.size = 0x1000;
        hv.add_memslot(mmio);
        cpu::guest_regs r;
        r.pat = decode_pat(pat_linux_value).value();
        r.cr3 = table();
        vcpu->set_guest_regs(r);
        m_cr3 = r.cr3;
        map(gva_data, gpa_data, pat_wc);
        map(gva_hole, gpa_hole + 0x8000, pat_uc);
        map(gva_mmio, gpa_mmio, pat_uc);
    }

    void poke_guest(std::uint64_t gpa, const std::vector<std::uint8_t>& b) {
        mem.poke(ram_hpa + gpa, b.data(), b.size());
    }

private:
    std::uint64_t word(std::uint64_t gpa) const {
        std::uint8_t b[8];
        mem.peek(ram_hpa + gpa, b, 8);
        return cpu::le_value(b, 8);
    }
    std::uint64_t table() {
        const std::uint64_t t = m_next;
        m_next += 0x1000;
        return t;
    }
    // 4-level guest mapping of one 4 KiB page, tables in guest RAM (written before the run).
    void map(std::uint64_t gva, std::uint64_t gpa, unsigned pat_idx) {
        constexpr std::uint64_t p = 1, rw = 2, a = 32, d = 64, frame = 0x000ffffffffff000ULL;
        std::uint64_t t = m_cr3;
        for (unsigned l = 4; l > 1; --l) {
            const std::uint64_t ea = t + 8 * ((gva >> (12 + 9 * (l - 1))) & 0x1ff);
            std::uint64_t e = word(ea);
            if (!(e & p)) {
                e = table() | p | rw | a;
                poke_guest(ea, cpu::le_bytes(e, 8));
            }
            t = e & frame;
        }
        const std::uint64_t leaf =
            (gpa & frame) | p | rw | a | d | pat_index_bits(pat_idx, page_size::size_4k);
        poke_guest(t + 8 * ((gva >> 12) & 0x1ff), cpu::le_bytes(leaf, 8));
    }
    std::uint64_t m_cr3 = 0;
    std::uint64_t m_next = gpa_tables;
};

} // namespace

TEST_CASE("vcpu end to end: KVM's EPT entries are walked and IPAT turns a guest WC page WB") {
    platform pf(test::config_for("linux-6.10"));
    const auto want = cpu::le_bytes(0x1122334455667788ULL, 8);
    pf.poke_guest(gpa_data + 0x40, want);
    cpu::program p;
    p.load(gva_data + 0x40, 8, "x");
    pf.vcpu->set_program(p);
    sc_core::sc_start();
    CHECK(pf.vcpu->load_labelled("x").bytes == want);
    // Four guest table pages and the data page, each built once.
    CHECK(pf.hv.stats().ept_leaves_built.value() == 5);
    CHECK(pf.hv.stats().exits_ept_violation.value() == 5);
    REQUIRE(pf.seen.loads.size() == 1);
    CHECK(pf.seen.loads[0].hpa == ram_hpa + gpa_data + 0x40);
    CHECK(pf.seen.loads[0].type == memtype::wb); // guest PAT WC ignored: IPAT
    CHECK(pf.seen.loads[0].source_of_type == type_source::range);
    const leaf_record* rec = pf.hv.decision_for(gpa_data >> 12);
    REQUIRE(rec != nullptr);
    CHECK(rec->decision.ipat);
}

TEST_CASE("vcpu end to end: under non-coherent DMA linux-6.10 honors the guest WC mapping") {
    platform pf(test::config_for("linux-6.10"));
    auto& gpu = pf.hv.create_virtio_device();
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    host_context ctx{1, d};
    gpu.set_attr(1, 1, ctx);
    cpu::program p;
    p.load(gva_data, 8, "x");
    pf.vcpu->set_program(p);
    sc_core::sc_start();
    REQUIRE(pf.seen.loads.size() == 1);
    CHECK(pf.seen.loads[0].type == memtype::wc);
    CHECK(pf.seen.loads[0].source_of_type == type_source::page);
    CHECK_FALSE(pf.hv.decision_for(gpa_data >> 12)->decision.ipat);
}

TEST_CASE("vcpu end to end: a PCI-hole read gives 0xff without the VMM and an MMIO read asks it") {
    platform pf(test::config_for("linux-6.10"));
    cpu::program p;
    p.mmio_read(gva_hole + 0x10, 4, "hole").mmio_read(gva_mmio + 0x4, 4, "uart");
    pf.vcpu->set_program(p);
    sc_core::sc_start();
    CHECK(pf.vcpu->load_labelled("hole").bytes == std::vector<std::uint8_t>(4, 0xff));
    CHECK(pf.vcpu->load_labelled("uart").bytes == std::vector<std::uint8_t>(4, 0x5a));
    REQUIRE(pf.vmm.log.size() == 1);
    CHECK(pf.vmm.log[0].gpa == gpa_mmio + 0x4);
    CHECK(pf.hv.stats().pci_hole_reads.value() == 1);
    CHECK(pf.hv.stats().mmio_exits.value() == 1);
}
