// Test fixture for the walker and MMU: table_memory over a plain map (each reference costs a
// fixed latency and is logged), and builders that lay out EPT and guest page tables the way a
// hypervisor and a guest kernel would, independently of the walker's code.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "cpu/ept.h"
#include "cpu/guest_paging.h"
#include "model/access_ext.h"
#include "model/cycles.h"
#include "model/page_table_writer.h"
#include "model/pat.h"
#include "model/table_memory.h"

namespace mtsim::cpu::test {

struct logged_ref {
    std::uint64_t pa;
    bool write;
    std::uint64_t value;
    memtype type;
    type_source source;
    bool page_walk;
};

class map_memory : public table_memory {
public:
    explicit map_memory(const clock& clk, cycles latency) : m_clock(clk), m_latency(latency) {}
    std::uint64_t read_entry(std::uint64_t pa, const access_ext& ext,
                             sc_core::sc_time& delay) override {
        delay += m_clock.to_time(m_latency);
        const std::uint64_t v = word(pa);
        log.push_back({pa, false, v, ext.type, ext.source, ext.page_walk});
        return v;
    }
    void write_entry(std::uint64_t pa, std::uint64_t value, const access_ext& ext,
                     sc_core::sc_time& delay) override {
        delay += m_clock.to_time(m_latency);
        m_words[pa] = value;
        log.push_back({pa, true, value, ext.type, ext.source, ext.page_walk});
    }
    std::uint64_t word(std::uint64_t pa) const {
        const auto it = m_words.find(pa);
        return it == m_words.end() ? 0 : it->second;
    }
    std::uint64_t& at(std::uint64_t pa) { return m_words[pa]; }
    std::vector<logged_ref> log;

private:
    const clock& m_clock;
    cycles m_latency;
    std::unordered_map<std::uint64_t, std::uint64_t> m_words;
};

// Raw bit values written independently of the production field tables.
inline constexpr std::uint64_t G_P = 1, G_RW = 2, G_US = 4, G_PWT = 8, G_PCD = 16, G_A = 32,
                               G_D = 64, G_PS = 128, G_G = 256, G_XD = 1ULL << 63;
inline constexpr std::uint64_t E_R = 1, E_W = 2, E_X = 4, E_IPAT = 64, E_PS = 128, E_A = 256,
                               E_D = 512;

inline constexpr unsigned shift_of(unsigned level) {
    return 12 + 9 * (level - 1);
}
inline constexpr unsigned index_of(std::uint64_t a, unsigned level) {
    return static_cast<unsigned>((a >> shift_of(level)) & 0x1ff);
}

struct world {
    clock clk{1000.0};
    map_memory mem{clk, cycles{10}};
    eptp ep;
    guest_regs regs;
    std::uint64_t next_host = 0x10000000;
    std::uint64_t next_guest_table = 0x200000;
    std::unordered_map<std::uint64_t, std::uint64_t> table_hpa; // guest table gpa -> hpa

    explicit world(unsigned ept_levels = 4, bool ad = false) {
        ep.levels = ept_levels;
        ep.ad = ad;
        ep.walk_type = memtype::wb;
        ep.root = host_page();
        regs.pat = decode_pat(pat_linux_value).value();
        regs.cr3 = guest_table_page();
    }

    std::uint64_t host_page() {
        const std::uint64_t p = next_host;
        next_host += 0x1000;
        return p;
    }

    // Host-physical address of the EPT entry for gpa at `level` (tables above must exist).
    std::uint64_t ept_entry_hpa(std::uint64_t gpa, unsigned level) const {
        std::uint64_t table = ep.root;
        for (unsigned l = ep.levels; l > level; --l)
            table = mem.word(table + 8 * index_of(gpa, l)) & 0x000ffffffffff000ULL;
        return table + 8 * index_of(gpa, level);
    }
    std::uint64_t& ept_entry(std::uint64_t gpa, unsigned level) {
        return mem.at(ept_entry_hpa(gpa, level));
    }

    // Maps gpa -> hpa with a leaf at leaf_level (1 4K, 2 2M, 3 1G); non-leaf entries RWX.
    void ept_map(std::uint64_t gpa, std::uint64_t hpa, unsigned leaf_level = 1,
                 std::uint64_t rwx = 7, memtype t = memtype::wb, bool ipat = false) {
        page_table_writer w({ep.levels, ept_rwx_mask, ept_rwx_mask},
                            {[this](std::uint64_t pa) { return mem.word(pa); },
                             [this](std::uint64_t pa, std::uint64_t v) { mem.at(pa) = v; },
                             [this] { return host_page(); }});
        const std::uint64_t size_mask = (1ULL << shift_of(leaf_level)) - 1;
        w.map(ep.root, gpa,
              (hpa & ~size_mask) | rwx | (std::uint64_t{encoding(t)} << 3) | (ipat ? E_IPAT : 0) |
                  (leaf_level > 1 ? E_PS : 0),
              leaf_level);
    }

    std::uint64_t guest_table_page() {
        const std::uint64_t gpa = next_guest_table;
        next_guest_table += 0x1000;
        const std::uint64_t hpa = host_page();
        ept_map(gpa, hpa);
        table_hpa[gpa] = hpa;
        return gpa;
    }

    // Host-physical address of the guest entry for gva at `level` (tables above must exist).
    std::uint64_t guest_entry_hpa(std::uint64_t gva, unsigned level) const {
        std::uint64_t table = regs.cr3 & 0x000ffffffffff000ULL;
        for (unsigned l = 4; l > level; --l)
            table = mem.word(table_hpa.at(table) + 8 * index_of(gva, l)) & 0x000ffffffffff000ULL;
        return table_hpa.at(table) + 8 * index_of(gva, level);
    }
    std::uint64_t guest_entry_gpa(std::uint64_t gva, unsigned level) const {
        const std::uint64_t hpa = guest_entry_hpa(gva, level);
        for (const auto& [g, h] : table_hpa)
            if (h == (hpa & ~0xfffULL)) return g | (hpa & 0xfff);
        return ~0ULL;
    }
    std::uint64_t& guest_entry(std::uint64_t gva, unsigned level) {
        return mem.at(guest_entry_hpa(gva, level));
    }

    // Maps gva -> gpa with a leaf at leaf_level; tables above get P|RW|US|A. Guest tables
    // are addressed by gpa; each lives at the hpa table_hpa records for it.
    void guest_map(std::uint64_t gva, std::uint64_t gpa, unsigned leaf_level = 1,
                   std::uint64_t flags = G_P | G_RW | G_US | G_A | G_D) {
        auto host = [this](std::uint64_t ga) {
            return table_hpa.at(ga & ~0xfffULL) | (ga & 0xfff);
        };
        page_table_writer w(
            {4, G_P, guest_table_bits},
            {[this, host](std::uint64_t ga) { return mem.word(host(ga)); },
             [this, host](std::uint64_t ga, std::uint64_t v) { mem.at(host(ga)) = v; },
             [this] { return guest_table_page(); }});
        const std::uint64_t size_mask = (1ULL << shift_of(leaf_level)) - 1;
        w.map(regs.cr3, gva, (gpa & ~size_mask) | flags | (leaf_level > 1 ? G_PS : 0), leaf_level);
    }

    // A guest page at gva backed by gpa (EPT 4K leaf to hpa), both with default rights.
    void map_page(std::uint64_t gva, std::uint64_t gpa, std::uint64_t hpa) {
        guest_map(gva, gpa);
        ept_map(gpa, hpa);
    }
};

} // namespace mtsim::cpu::test
