// The vCPU workloads: a real cpu::vcpu (engine, MMU, TLB, 2-D walker) on pCPU 0 of the memory
// system through the pCPU bus, running a program of 8-byte WB loads. Guest page tables and an
// identity EPT (gpa == hpa, 4 KiB leaves, RWX, WB, IPAT 0) are written into DRAM before the
// run, so no access takes an EPT-violation exit; the only exit is the HLT at the program's end.
// EPT walks are WB (EPTP) and the guest tables are WB through guest PAT index 0, so every
// paging-structure reference goes through the caches like the data.
#include <chrono>
#include <stdexcept>
#include <string>

#include "bench/stream_initiator.h"
#include "bench/workload_list.h"
#include "cache/memory_system.h"
#include "cpu/pcpu_bus.h"
#include "cpu/vcpu.h"
#include "model/dram.h"
#include "model/ept_format.h"
#include "model/page_table_writer.h"
#include "model/pat.h"
#include "model/stats.h"
#include "model/vm_exit.h"

namespace mtsim::bench {

namespace {

constexpr std::uint64_t page = 4096;
// P, R/W, U/S, A, D in every guest entry: no A/D writes during walks.
constexpr std::uint64_t guest_flags = guest_table_bits | guest_d;
constexpr std::uint64_t gva_base = 0x7f00'0000'0000ULL;
constexpr std::uint64_t gpa_data = 0x4000'0000;
constexpr std::uint64_t guest_tables = 0x0010'0000;
constexpr std::uint64_t ept_tables = 0x3000'0000;

struct idle_initiator : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<idle_initiator> isock{"isock"};
    explicit idle_initiator(const sc_core::sc_module_name& n) : sc_core::sc_module(n) {}
};

// 4-level tables in DRAM written by the shared model/page_table_writer.h, one bump allocator
// per table kind (root first). Entries are written with dram.poke before the simulation starts
// (no cache holds a line yet, so the pokes are coherent).
class dram_tables {
public:
    dram_tables(dram& d, std::uint64_t base, std::uint64_t present_mask, std::uint64_t table_bits)
        : m_dram(d), m_root(base), m_next(base + page),
          m_writer({4, present_mask, table_bits}, io()) {}
    std::uint64_t root() const { return m_root; }
    std::uint64_t first() const { return m_root; }
    std::uint64_t end() const { return m_next; }

    // The 4 KiB leaf of `addr` becomes `leaf`; missing upper tables are allocated.
    void map(std::uint64_t addr, std::uint64_t leaf) { m_writer.map(m_root, addr, leaf); }

private:
    page_table_writer::memory io() {
        page_table_writer::memory m;
        m.read = [this](std::uint64_t pa) {
            std::uint8_t b[8];
            m_dram.peek(pa, b, 8);
            return cpu::le_value(b, 8);
        };
        m.write = [this](std::uint64_t pa, std::uint64_t v) {
            const auto b = cpu::le_bytes(v, 8);
            m_dram.poke(pa, b.data(), 8);
        };
        m.alloc_table = [this] {
            const std::uint64_t t = m_next;
            m_next += page;
            return t;
        };
        return m;
    }
    dram& m_dram;
    std::uint64_t m_root;
    std::uint64_t m_next;
    page_table_writer m_writer;
};

// Every mapping exists before the run: any exit but the final HLT is an error of the workload.
class premapped_hypervisor : public vm_exit_handler {
public:
    exit_outcome handle_exit(vm_exit& e, sc_core::sc_time&) override {
        if (e.reason == exit_reason::hlt) return exit_outcome::resume;
        throw std::runtime_error("bench vCPU workload: unexpected " +
                                 std::string(to_string(e.reason)) + " exit (every page is mapped)");
    }
    void vcpu_load(unsigned, unsigned, sc_core::sc_time&) override {}
};

// One vCPU on one pCPU; the program reads `loads` 8-byte values at gva(i) over `pages` guest
// pages starting at gva_base (gpa_data onwards).
template <class Addr>
result run_vcpu_stream(std::string_view name, const bench_config& cfg, const cpu::mmu_config& mmu,
                       std::uint64_t pages, Addr gva) {
    set_quantum(cfg);
    memory_system_config mcfg = cfg.memory;
    mcfg.pcpus = 1;
    dram dram_ctl("dram", cfg.dram);
    memory_system mem("mem", mcfg);
    cpu::pcpu_bus bus("bus", 1);
    idle_initiator dev("dev");
    mem.to_dram.bind(dram_ctl.tsock);
    bus.out(0).bind(mem.cpu[0]);
    dev.isock.bind(mem.dma);

    cpu::vcpu_config vcfg;
    vcfg.core.clock_mhz = mcfg.clock_mhz;
    vcfg.core.keep = cpu::keep_loads::none;
    vcfg.mmu = mmu;
    cpu::vcpu v("vcpu0", vcfg, {0, 1, 0});
    cpu::bind_ports(v, bus);
    v.set_serializer([&mem](unsigned p, sc_core::sc_time& d) { mem.serialize(p, d); });
    premapped_hypervisor hv;
    v.set_handler(hv);

    dram_tables guest(dram_ctl, guest_tables, guest_p, guest_flags);
    dram_tables ept(dram_ctl, ept_tables, ept_rwx_mask, ept_rwx_mask);
    const std::uint64_t ept_leaf_flags =
        field_put(field(ept_field::memtype), ept_rwx_mask, encoding(memtype::wb));
    for (std::uint64_t p = 0; p < pages; ++p)
        guest.map(gva_base + p * page, (gpa_data + p * page) | guest_flags);
    for (std::uint64_t g = guest.first(); g < guest.end(); g += page)
        ept.map(g, g | ept_leaf_flags);
    for (std::uint64_t p = 0; p < pages; ++p) {
        const std::uint64_t g = gpa_data + p * page;
        ept.map(g, g | ept_leaf_flags);
    }

    cpu::guest_regs regs;
    regs.pat = decode_pat(pat_linux_value).value();
    regs.cr3 = guest.root();
    v.set_guest_regs(regs);
    cpu::eptp ep;
    ep.walk_type = memtype::wb;
    ep.levels = 4;
    ep.ad = false;
    ep.root = ept.root();
    v.load_eptp(cpu::encode_eptp(ep));

    cpu::program prog;
    for (std::uint64_t i = 0; i < cfg.accesses; ++i) prog.load(gva(i), 8);
    v.set_program(std::move(prog));

    const auto t0 = std::chrono::steady_clock::now();
    sc_core::sc_start();
    const auto t1 = std::chrono::steady_clock::now();
    if (!v.finished()) throw std::runtime_error(std::string(name) + ": the vCPU did not finish");
    result r;
    r.workload = std::string(name);
    r.accesses = cfg.accesses;
    r.host_seconds = std::chrono::duration<double>(t1 - t0).count();
    r.simulated_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
    r.counters = dump_stats(); // vCPU, MMU, TLB, memory system and DRAM counters
    return r;
}

} // namespace

// 8-byte loads sweeping one 4 KiB guest page: one walk fills the TLB, then every translation
// hits it, and after the first 64 loads every access hits the L1D.
result run_tlb_hit_stream(const bench_config& cfg) {
    return run_vcpu_stream("tlb-hit", cfg, cpu::mmu_config{}, 1,
                           [](std::uint64_t i) { return gva_base + (i * 8) % page; });
}

// One 8-byte load per guest page, cycling over 1024 pages (4 MiB): 64 consecutive pages map to
// each 4-way set of the default TLB, so every access misses it. The paging-structure caches are
// off, so every walk is the full 2-D walk: 4 guest entries, each behind a 4-level EPT walk, and
// the final EPT walk, 24 references through the caches. The loads move one line per page
// (page p reads line p mod 64) so that the data does not pile into one cache set.
result run_walk_miss_stream(const bench_config& cfg) {
    constexpr std::uint64_t pages = 1024;
    cpu::mmu_config mmu;
    mmu.tlb.guest_psc_entries = 0;
    mmu.tlb.ept_psc_entries = 0;
    return run_vcpu_stream("walk-miss", cfg, mmu, pages, [](std::uint64_t i) {
        const std::uint64_t p = i % pages;
        return gva_base + p * page + (p % 64) * 64;
    });
}

} // namespace mtsim::bench
