// Uncached accesses (UC, UC-, WC loads, drained WC buffers) and the write-combining buffers.
// Who snoops an uncached access: the issuing pCPU's caches when `snoop_own`
// (self_snoop, UC from the page type, or streaming-store data), the other pCPUs' caches and
// the LLC when `snoop_rest` (fabric_snoops_uncached, or streaming-store data).
#include <algorithm>
#include <cstring>

#include "cache/memory_system.h"

namespace mtsim {

unsigned memory_system::snoop_uncached(unsigned p, std::uint64_t la, proto_event ev, bool snoop_own,
                                       bool snoop_rest, sc_core::sc_time& delay) {
    std::array<std::uint8_t, max_line_size> wb;
    unsigned snooped = 0;
    if (snoop_own) {
        private_copy pc = find_private(p, la);
        if (pc.l2) {
            ++snooped;
            ++m_stats.snoops;
            if (step(p, la, pc, ev, wb.data()).actions & act::write_back)
                writeback_to_dram(la, wb.data(), delay);
        }
    }
    if (snoop_rest) {
        bool dirty = false;
        snooped += snoop_others(la, int(p), ev, wb.data(), dirty);
        if (dirty) writeback_to_dram(la, wb.data(), delay);
    }
    return snooped;
}

void memory_system::uncached_read(unsigned p, bool snoop_own, bool snoop_rest, std::uint64_t addr,
                                  std::uint8_t* dst, unsigned len, sc_core::sc_time& delay) {
    ++m_stats.uncached_reads;
    const std::uint64_t la = line_of(addr);
    llc_port(delay);
    const unsigned snooped =
        snoop_uncached(p, la, proto_event::snoop_read, snoop_own, snoop_rest, delay);
    if (snoop_rest) {
        if (cache_line* l = m_llc->find(la); l && l->dirty) {
            dram_write(base_of(la), l->data, nullptr, m_cfg.line_size, delay);
            l->dirty = false;
        }
    }
    if (snooped) delay += m_time.snoop;
    dram_read(addr, dst, len, delay);
}

void memory_system::uncached_write(unsigned p, bool snoop_own, bool snoop_rest, std::uint64_t addr,
                                   const std::uint8_t* src, const std::uint8_t* mask, unsigned len,
                                   sc_core::sc_time& delay) {
    ++m_stats.uncached_writes;
    const std::uint64_t la = line_of(addr);
    llc_port(delay);
    if (snoop_uncached(p, la, proto_event::snoop_inv, snoop_own, snoop_rest, delay))
        delay += m_time.snoop;
    if (snoop_rest)
        write_memory(addr, src, mask, len, delay); // the LLC copy takes the bytes too
    else
        dram_write(addr, src, mask, len, delay);
}

// CR0.CD=1, NW=0 (SDM vol. 3 11.5.3, no-fill mode): read hits and write hits on an owned line
// use the pCPU's caches; misses (and writes to a shared line) go to memory without allocating;
// coherence is maintained, so every cache is snooped whatever the platform parameters say.
void memory_system::no_fill_access(unsigned p, bool write, std::uint64_t addr, std::uint8_t* ptr,
                                   unsigned len, sc_core::sc_time& delay) {
    const private_copy pc = find_private(p, line_of(addr));
    const bool owned = pc.l2 && (pc.l2->state == mesi::m || pc.l2->state == mesi::e);
    if (pc.l2 && (!write || owned)) {
        if (write)
            cached_store(p, addr, ptr, len, delay);
        else
            cached_load(p, addr, ptr, len, delay);
        return;
    }
    if (write)
        uncached_write(p, true, true, addr, ptr, nullptr, len, delay);
    else
        uncached_read(p, true, true, addr, ptr, len, delay);
}

void memory_system::wc_store(unsigned p, bool coherent, std::uint64_t addr, const std::uint8_t* src,
                             unsigned len, sc_core::sc_time& delay) {
    pcpu_caches& c = m_pcpu[p];
    const std::uint64_t size = m_cfg.wc_buffer_size;
    delay += m_time.wc_store;
    while (len > 0) {
        const std::uint64_t base = addr & ~(size - 1);
        const unsigned n = static_cast<unsigned>(std::min<std::uint64_t>(len, base + size - addr));
        wc_buffer* b = nullptr;
        for (wc_buffer& x : c.wc)
            if (x.valid && x.base == base) b = &x;
        if (b) {
            ++m_stats.wc_combines;
        } else {
            if (c.wc_used == c.wc.size()) {
                ++m_stats.wc_full_evictions;
                drain_wc_buffer(p, *oldest_wc(p, 0, ~std::uint64_t(0)), delay);
            }
            for (wc_buffer& x : c.wc)
                if (!x.valid) {
                    b = &x;
                    break;
                }
            b->valid = true;
            b->coherent = false;
            b->base = base;
            b->age = ++m_wc_age;
            std::fill(b->mask.begin(), b->mask.end(), 0);
            ++c.wc_used;
            ++m_stats.wc_allocations;
        }
        b->coherent = b->coherent || coherent;
        std::memcpy(b->data.data() + (addr - base), src, n);
        std::fill_n(b->mask.begin() + static_cast<std::ptrdiff_t>(addr - base), n, 1);
        addr += n;
        src += n;
        len -= n;
    }
}

memory_system::wc_buffer* memory_system::oldest_wc(unsigned p, std::uint64_t lo, std::uint64_t hi) {
    wc_buffer* best = nullptr;
    for (wc_buffer& b : m_pcpu[p].wc)
        if (b.valid && b.base < hi && b.base + m_cfg.wc_buffer_size > lo &&
            (!best || b.age < best->age))
            best = &b;
    return best;
}

void memory_system::drain_wc_buffer(unsigned p, wc_buffer& b, sc_core::sc_time& delay) {
    const bool full = std::all_of(b.mask.begin(), b.mask.end(), [](std::uint8_t m) { return m; });
    uncached_write(p, m_cfg.self_snoop || b.coherent, m_cfg.fabric_snoops_uncached || b.coherent,
                   b.base, b.data.data(), full ? nullptr : b.mask.data(), m_cfg.wc_buffer_size,
                   delay);
    b.valid = false;
    --m_pcpu[p].wc_used;
    ++m_stats.wc_drains;
}

void memory_system::drain_wc(unsigned p, sc_core::sc_time& delay) {
    while (wc_buffer* b = oldest_wc(p, 0, ~std::uint64_t(0))) drain_wc_buffer(p, *b, delay);
}

void memory_system::drain_wc_range(unsigned p, std::uint64_t addr, unsigned len,
                                   sc_core::sc_time& delay) {
    while (wc_buffer* b = oldest_wc(p, addr, addr + len)) drain_wc_buffer(p, *b, delay);
}

} // namespace mtsim
