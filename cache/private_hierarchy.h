// One pCPU's private caches: an L1D inclusive in an L2. The pCPU's MESI state of a line lives
// in its L2 frame; the L1D frame points to it, and an L1D line marked dirty is newer than its
// L2 copy. Serves the cacheable (WB, WT, WP) loads and stores of its pCPU: a hit the protocol
// table lets stay in its state is served here; anything else asks the home agent
// (home_agent.h) for the line (get_s, get_m, upgrade) or, for WT/WP, writes memory through it.
// Every state change goes through home_agent::step. A fill evicts the L2 victim (written back
// to the LLC when dirty) and copies the line into the L1D. Timing: an L1D hit costs l1d.latency
// exactly, an L2 hit l1d + l2, a miss l1d + l2 plus what the home agent adds.
#pragma once

#include <cstdint>

#include <systemc>

#include "cache/cache_array.h"
#include "cache/home_agent.h"
#include "cache/ms_context.h"
#include "cache/protocol.h"

namespace mtsim {

class private_hierarchy {
public:
    private_hierarchy(const ms_context& ctx, home_agent& home, unsigned pcpu);

    cache_array& l1() { return m_l1; }
    cache_array& l2() { return m_l2; }
    const cache_array& l1() const { return m_l1; }
    const cache_array& l2() const { return m_l2; }

    // A WB load or store within one line that passed the port's checks (cpu_port.h), at the
    // L1D only: an L1D hit that stays in its state is served here (hit); an L1D miss changes
    // nothing and the caller goes to load()/store() with l1_missed set (l1_miss); declined,
    // having changed nothing, when the L1D holds the line but the access changes its state:
    // the caller then takes the general path. Split from the miss so that the port learns
    // where an access was served without reading the counters on a hit (served_probe.h).
    // Inline (it is most of the L1D-hit path); the miss paths stay out of line.
    enum class wb_hit : std::uint8_t { hit, l1_miss, declined };
    [[gnu::always_inline]] wb_hit access_wb_l1(bool write, std::uint64_t addr, std::uint8_t* ptr,
                                               unsigned len, sc_core::sc_time& delay) {
        cache_line* l = m_l1.find(addr >> m_ctx.line_shift);
        if (!l) return wb_hit::l1_miss;
        const proto_event ev = write ? proto_event::store : proto_event::load;
        const mesi s = l->l2->state;
        const transition& tr = m_home.protocol().at(s, ev);
        if (!(tr.defined && (tr.actions & act::hit) && tr.next == s)) return wb_hit::declined;
        m_home.count(s, ev);
        m_l1.touch(l);
        std::uint8_t* d = l->data + (addr & m_ctx.line_mask);
        if (write) {
            ms_context::copy_access(d, ptr, len);
            l->dirty = true;
        } else {
            ms_context::copy_access(ptr, d, len);
        }
        ++m_ctx.stats.l1_hits;
        delay += m_ctx.time.l1;
        return wb_hit::hit;
    }
    // l1_missed: the caller already looked the line up in the L1D and did not find it.
    void load(std::uint64_t addr, std::uint8_t* dst, unsigned len, sc_core::sc_time& delay,
              bool l1_missed = false);
    // src == nullptr with len 0: take ownership only (locked read).
    void store(std::uint64_t addr, const std::uint8_t* src, unsigned len, sc_core::sc_time& delay,
               bool l1_missed = false);
    // A WT (ev store_through) or WP (ev store_protect) store: memory is written through the
    // home agent; the copies are updated or invalidated as the table says.
    void store_through(proto_event ev, std::uint64_t addr, const std::uint8_t* src, unsigned len,
                       sc_core::sc_time& delay);
    // The private part of WBINVD (flush), WBNOINVD (clean), INVD (drop): every valid L2 line
    // takes ev; dirty data goes to DRAM.
    void walk(proto_event ev, sc_core::sc_time& delay);

private:
    // L1D then L2: adds their latencies and brings an L2 hit into the L1D.
    private_copy lookup(std::uint64_t la, sc_core::sc_time& delay, bool l1_missed);
    void copy_to_l1(std::uint64_t la, private_copy& pc);
    void evict(cache_line* l2line, sc_core::sc_time when);
    private_copy fill(std::uint64_t la, const std::uint8_t* data, sc_core::sc_time when);

    const ms_context& m_ctx;
    home_agent& m_home;
    unsigned m_p;
    cache_array m_l1;
    cache_array m_l2;
};

} // namespace mtsim
