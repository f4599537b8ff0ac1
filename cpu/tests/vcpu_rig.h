// Test platform for the CPU agents: the real memory system and DRAM, the pCPU bus, vCPUs and
// VMM host threads, and a small hypervisor that builds identity EPT entries (gpa == hpa) in
// DRAM on EPT violations and emulates MMIO ranges. Guest page tables are laid out in DRAM
// before the run by a builder written independently of the walker. One rig per process.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "cache/memory_system.h"
#include "cpu/host_cpu.h"
#include "cpu/pcpu_bus.h"
#include "cpu/vcpu.h"
#include "model/dram.h"
#include "model/page_table_writer.h"
#include "model/pat.h"
#include "model/vm_exit.h"

namespace mtsim::cpu::test {

using bytes = std::vector<std::uint8_t>;

inline constexpr std::uint64_t G_P = 1, G_RW = 2, G_US = 4, G_A = 32, G_D = 64;
inline constexpr std::uint64_t frame_mask = 0x000ffffffffff000ULL;

inline unsigned idx(std::uint64_t a, unsigned level) {
    return level_index(a, level);
}

// The hypervisor of the tests. EPT tables live in DRAM and are written with dram.poke; the
// EPTP makes EPT walks UC, so no cache ever holds an EPT entry and the pokes are coherent.
class test_hypervisor : public vm_exit_handler {
public:
    struct mmio_range {
        std::uint64_t lo, hi;
    };
    struct exit_seen {
        exit_reason reason;
        unsigned vcpu, pcpu;
        std::uint64_t gva, gpa, qualification;
        bool final_translation, is_write, noinvd;
        unsigned size;
        bytes data; // a store's bytes
    };

    dram& mem;
    mtsim::clock clk{3000.0};
    cycles exit_cost{600};
    std::uint64_t ept_root = 0x30000000;
    std::uint64_t next_table = 0x30001000;
    std::vector<mmio_range> mmio;
    std::uint8_t mmio_fill = 0xab;
    memtype ept_type = memtype::wb;
    std::vector<exit_seen> exits;
    std::vector<std::pair<unsigned, unsigned>> loads; // (vcpu, pcpu) of vcpu_load
    std::function<void(const vm_exit&, sc_core::sc_time&)> on_wbinvd;

    explicit test_hypervisor(dram& d) : mem(d) {}

    std::uint64_t eptp() const {
        cpu::eptp p;
        p.walk_type = memtype::uc;
        p.levels = 4;
        p.ad = false;
        p.root = ept_root;
        return encode_eptp(p);
    }

    std::uint64_t word(std::uint64_t pa) const {
        std::uint8_t b[8];
        mem.peek(pa, b, 8);
        return le_value(b, 8);
    }
    void set_word(std::uint64_t pa, std::uint64_t v) {
        const bytes b = le_bytes(v, 8);
        mem.poke(pa, b.data(), 8);
    }

    // Identity 4 KiB EPT leaf for the page of gpa, RWX, type ept_type, IPAT 0.
    void map_identity(std::uint64_t gpa) {
        writer().map(ept_root, gpa,
                     (gpa & frame_mask) | ept_rwx_mask | (std::uint64_t{encoding(ept_type)} << 3));
    }
    // The shared page-table writer over this DRAM (EPT format, tables from next_table).
    page_table_writer writer() {
        return page_table_writer({4, ept_rwx_mask, ept_rwx_mask},
                                 {[this](std::uint64_t pa) { return word(pa); },
                                  [this](std::uint64_t pa, std::uint64_t v) { set_word(pa, v); },
                                  [this] {
                                      const std::uint64_t t = next_table;
                                      next_table += 0x1000;
                                      return t;
                                  }});
    }

    // The EPT leaf entry of gpa's page (the tables above must exist).
    std::uint64_t leaf_address(std::uint64_t gpa) const {
        std::uint64_t t = ept_root;
        for (unsigned l = 4; l > 1; --l) t = word(t + 8 * idx(gpa, l)) & frame_mask;
        return t + 8 * idx(gpa, 1);
    }

    exit_outcome handle_exit(vm_exit& e, sc_core::sc_time& delay) override {
        delay += clk.to_time(exit_cost);
        exit_seen s{
            e.reason,   e.vcpu,   e.pcpu, e.gva, e.gpa, e.qualification, e.final_translation,
            e.is_write, e.noinvd, e.size, {}};
        if (e.is_write && e.data) s.data.assign(e.data, e.data + e.size);
        exits.push_back(s);
        switch (e.reason) {
        case exit_reason::ept_violation:
            for (const mmio_range& r : mmio)
                if (e.gpa >= r.lo && e.gpa < r.hi) {
                    if (!e.is_write)
                        for (unsigned i = 0; i < e.size; ++i)
                            e.data[i] = static_cast<std::uint8_t>(mmio_fill + i);
                    return exit_outcome::emulated;
                }
            map_identity(e.gpa);
            return exit_outcome::retry;
        case exit_reason::wbinvd:
            if (on_wbinvd) on_wbinvd(e, delay);
            return exit_outcome::resume;
        case exit_reason::hlt:
        case exit_reason::invd:
        case exit_reason::wrmsr:
            return exit_outcome::resume;
        case exit_reason::ept_misconfig:
            // KVM's fast MMIO path: a deliberately misconfigured leaf marks an MMIO page.
            for (const mmio_range& r : mmio)
                if (e.gpa >= r.lo && e.gpa < r.hi && e.final_translation) {
                    if (!e.is_write)
                        for (unsigned i = 0; i < e.size; ++i)
                            e.data[i] = static_cast<std::uint8_t>(mmio_fill + i);
                    return exit_outcome::emulated;
                }
            break;
        }
        throw std::runtime_error("test hypervisor: unexpected " + std::string(to_string(e.reason)));
    }
    void vcpu_load(unsigned vcpu, unsigned pcpu, sc_core::sc_time& delay) override {
        loads.emplace_back(vcpu, pcpu);
        delay += clk.to_time(cycles{100});
    }

    std::size_t count(exit_reason r) const {
        std::size_t n = 0;
        for (const exit_seen& s : exits) n += s.reason == r;
        return n;
    }
};

// Guest page tables in DRAM at gpa == hpa (the hypervisor maps them identically on demand).
class guest_tables {
public:
    explicit guest_tables(test_hypervisor& hv) : m_hv(hv) { m_cr3 = table(); }
    std::uint64_t cr3() const { return m_cr3; }
    std::uint64_t first_table() const { return 0x100000; }
    std::uint64_t end_of_tables() const { return m_next; }

    // Maps the 4 KiB page of gva to gpa with PAT index pat_idx.
    void map(std::uint64_t gva, std::uint64_t gpa, unsigned pat_idx = 0) {
        page_table_writer w({4, G_P, guest_table_bits},
                            {[this](std::uint64_t pa) { return m_hv.word(pa); },
                             [this](std::uint64_t pa, std::uint64_t v) { m_hv.set_word(pa, v); },
                             [this] { return table(); }});
        w.map(m_cr3, gva,
              (gpa & frame_mask) | guest_table_bits | G_D |
                  pat_index_bits(pat_idx, page_size::size_4k));
    }
    void map_range(std::uint64_t gva, std::uint64_t gpa, std::uint64_t len, unsigned pat_idx = 0) {
        for (std::uint64_t off = 0; off < len; off += 0x1000) map(gva + off, gpa + off, pat_idx);
    }

private:
    std::uint64_t table() {
        const std::uint64_t t = m_next;
        m_next += 0x1000;
        return t;
    }
    test_hypervisor& m_hv;
    std::uint64_t m_next = 0x100000;
    std::uint64_t m_cr3 = 0;
};

// Linux's guest PAT: index 0 WB, 1 WC, 2 UC-, 3 UC.
inline constexpr unsigned pat_wb = 0, pat_wc = 1, pat_uc = 3;

// Guest-linear base of the data mappings and the gpa they map to.
inline constexpr std::uint64_t gva_base = 0x7f0000000000ULL;
inline constexpr std::uint64_t gpa_data = 0x1000000;
inline constexpr std::uint64_t gpa_mmio = 0xfe000000;

struct rig_options {
    unsigned pcpus = 3;
    double quantum_cycles = 10; // at 1 GHz: ns
    retire_policy policy = retire_policy::timed;
    cycles retire_delay{20};
    cycles flush_delay{50};
    unsigned sb_entries = 56;
};

class rig : public sc_core::sc_module {
public:
    dram mem;
    memory_system ms;
    pcpu_bus bus;
    tlm_utils::simple_initiator_socket<rig> dev; // the device port, unused here
    rig_options opt;
    test_hypervisor hv{mem};
    guest_tables guest{hv};
    std::vector<std::unique_ptr<vcpu>> vcpus;
    std::vector<std::unique_ptr<host_cpu>> hosts;

    static memory_system_config ms_config(unsigned pcpus) {
        memory_system_config c;
        c.pcpus = pcpus;
        c.clock_mhz = 1000.0;
        c.l1d = {4 * KiB, 4, cycles{4}, replacement_kind::lru, 1};
        c.l2 = {16 * KiB, 4, cycles{10}, replacement_kind::lru, 2};
        c.llc = {64 * KiB, 8, cycles{20}, replacement_kind::lru, 3};
        return c;
    }

    explicit rig(const rig_options& o = {}, const sc_core::sc_module_name& name = "top")
        : sc_module(name), mem("dram"), ms("ms", ms_config(o.pcpus)), bus("bus", o.pcpus),
          dev("dev"), opt(o) {
        ms.to_dram.bind(mem.tsock);
        dev.bind(ms.dma);
        for (unsigned p = 0; p < o.pcpus; ++p) bus.out(p).bind(ms.cpu[p]);
        tlm_utils::tlm_quantumkeeper::set_global_quantum(
            sc_core::sc_time(o.quantum_cycles, sc_core::SC_NS));
    }

    agent_config core() const {
        agent_config c;
        c.clock_mhz = 1000.0;
        c.store_buffer.policy = opt.policy;
        c.store_buffer.retire_delay = opt.retire_delay;
        c.store_buffer.flush_delay = opt.flush_delay;
        c.store_buffer.entries = opt.sb_entries;
        return c;
    }

    void wire(agent& a) {
        bind_ports(a, bus);
        a.set_serializer([this](unsigned p, sc_core::sc_time& d) { ms.serialize(p, d); });
    }

    vcpu& add_vcpu(unsigned pcpu) {
        vcpu_config cfg;
        cfg.core = core();
        const unsigned id = static_cast<unsigned>(vcpus.size());
        vcpus.push_back(std::make_unique<vcpu>(("vcpu" + std::to_string(id)).c_str(), cfg,
                                               agent_setup{id, opt.pcpus, pcpu}));
        vcpu& v = *vcpus.back();
        wire(v);
        v.set_handler(hv);
        guest_regs r;
        r.pat = decode_pat(pat_linux_value).value();
        r.cr3 = guest.cr3();
        v.set_guest_regs(r);
        v.load_eptp(hv.eptp());
        return v;
    }

    host_cpu& add_host(unsigned pcpu) {
        const unsigned id = static_cast<unsigned>(hosts.size());
        hosts.push_back(std::make_unique<host_cpu>(("vmm" + std::to_string(id)).c_str(), core(),
                                                   agent_setup{id, opt.pcpus, pcpu}));
        host_cpu& h = *hosts.back();
        wire(h);
        return h;
    }

    // Guest-linear address of data offset `off`, mapped (with PAT index pat_idx) on first use.
    std::uint64_t data(std::uint64_t off, unsigned pat_idx = pat_wb) {
        const std::uint64_t page = off & ~0xfffULL;
        if (!m_mapped.count(page)) {
            guest.map(gva_base + page, gpa_data + page, pat_idx);
            m_mapped[page] = pat_idx;
        }
        return gva_base + off;
    }
    // A guest-linear address that reaches the MMIO range.
    std::uint64_t mmio(std::uint64_t off) {
        const std::uint64_t gva = gva_base + 0x100000000ULL + off;
        guest.map(gva, gpa_mmio + off, pat_uc);
        hv.mmio.push_back({gpa_mmio, gpa_mmio + 0x100000});
        return gva;
    }

    // Builds the EPT entries of every guest table page and mapped data page now, so that the
    // run takes no EPT-violation exit (and hence no store-buffer drain) for them.
    void premap() {
        for (std::uint64_t g = guest.first_table(); g < guest.end_of_tables(); g += 0x1000)
            hv.map_identity(g);
        for (const auto& [page, pat] : m_mapped) hv.map_identity(gpa_data + page);
    }

    void run() { sc_core::sc_start(); }

    bytes dram_bytes(std::uint64_t gpa_off, std::size_t len) const {
        return ms.read_dram(gpa_data + gpa_off, len);
    }
    bytes coherent(std::uint64_t gpa_off, std::size_t len) const {
        return ms.read_coherent(gpa_data + gpa_off, len);
    }

private:
    std::map<std::uint64_t, unsigned> m_mapped;
};

inline bytes fill(std::size_t n, std::uint8_t v) {
    return bytes(n, v);
}

} // namespace mtsim::cpu::test
