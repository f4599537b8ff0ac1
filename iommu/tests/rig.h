// Test rig for the remapping unit without the SystemC kernel: a table_memory over a plain map
// (8-byte entries, untouched memory reads zero, a fixed latency per reference) and a unit
// with its config and counters. One cycle is one nanosecond (1000 MHz) everywhere.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "iommu/remap_unit.h"
#include "iommu/vtd.h"
#include "model/table_memory.h"

namespace mtsim::iommu::test {

struct map_memory : table_memory {
    std::unordered_map<std::uint64_t, std::uint64_t> entries;
    mtsim::clock clk{1000.0};
    cycles latency{100};
    unsigned reads = 0;
    unsigned writes = 0;
    access_ext last_read;
    access_ext last_write;

    std::uint64_t read_entry(std::uint64_t pa, const access_ext& ext,
                             sc_core::sc_time& delay) override {
        ++reads;
        last_read.copy_from(ext);
        delay += clk.to_time(latency);
        const auto it = entries.find(pa);
        return it == entries.end() ? 0 : it->second;
    }
    void write_entry(std::uint64_t pa, std::uint64_t value, const access_ext& ext,
                     sc_core::sc_time& delay) override {
        ++writes;
        last_write.copy_from(ext);
        delay += clk.to_time(latency);
        entries[pa] = value;
    }
    std::uint64_t peek(std::uint64_t pa) const {
        const auto it = entries.find(pa);
        return it == entries.end() ? 0 : it->second;
    }
};

// remap_latency 10, walk_step 2, memory 100: a table reference costs 102 cycles.
inline vtd_config test_config() {
    vtd_config c;
    c.clock_mhz = 1000.0;
    c.remap_latency = cycles{10};
    c.walk_step = cycles{2};
    return c;
}
inline constexpr std::uint64_t remap = 10;
inline constexpr std::uint64_t ref = 102;

inline domain_config test_domain(std::uint16_t id = 5, unsigned width = 48,
                                 std::uint64_t base = 0x1000000) {
    domain_config d;
    d.id = id;
    d.address_width = width;
    d.table_base = base;
    d.table_bytes = 1 * MiB;
    return d;
}

struct rig {
    vtd_config cfg;
    vtd_counters n;
    map_memory& mem;
    remap_unit unit;
    // The requester's local time: each request starts when the previous one completed, as
    // an LT initiator's annotated delay would (the kernel's time stays 0 here).
    sc_core::sc_time now = sc_core::SC_ZERO_TIME;

    rig(const vtd_config& c, const std::string& path, map_memory& m)
        : cfg(c), n(path), mem(m), unit(cfg, n, mem) {}

    // Translates at local time `now`, advances it, and returns the cost in cycles.
    translation go(std::uint16_t bdf, std::uint64_t iova, bool write, bool ns,
                   std::uint64_t* cost = nullptr, std::uint32_t length = 8) {
        sc_core::sc_time d = now;
        dma_request r;
        r.bdf = bdf;
        r.iova = iova;
        r.length = length;
        r.write = write;
        r.no_snoop = ns;
        const translation t = unit.translate(r, d);
        if (cost) *cost = mem.clk.to_cycles(d - now).n;
        now = d;
        return t;
    }
};

inline void attach(remap_unit& u, std::uint16_t bdf, iommu_domain& d) {
    sc_core::sc_time t;
    if (!u.attach_device(bdf, d, t)) throw std::runtime_error("attach refused");
}
inline void map(remap_unit& u, iommu_domain& d, std::uint64_t iova, std::uint64_t hpa,
                std::uint64_t bytes, bool r = true, bool w = true) {
    sc_core::sc_time t;
    mapping m;
    m.iova = iova;
    m.hpa = hpa;
    m.bytes = bytes;
    m.read = r;
    m.write = w;
    u.map(d, m, t);
}

// The address of the entry at `level` on iova's path, found by walking `mem` independently of
// the unit (level == levels: in the root table). Requires the path above to be present.
inline std::uint64_t entry_pa(const map_memory& mem, const iommu_domain& d, std::uint64_t iova,
                              unsigned level) {
    std::uint64_t table = d.root_table();
    for (unsigned l = d.levels();; --l) {
        const std::uint64_t pa = table + ((iova >> (12 + 9 * (l - 1))) & 511) * 8;
        if (l == level) return pa;
        table = mem.peek(pa) & 0x000ffffffffff000ull;
    }
}

// The context entry of bdf (its low half), found from the unit's root table.
inline std::uint64_t context_pa(const map_memory& mem, const remap_unit& u, std::uint16_t bdf) {
    const std::uint64_t root = mem.peek(u.root_table() + (bdf >> 8) * 16);
    return (root & ~0xfffull) + (bdf & 0xff) * 16;
}

} // namespace mtsim::iommu::test
