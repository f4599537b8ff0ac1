// The home agent at the fabric: uncached reads and writes (UC, UC-, WC loads, drained WC
// buffers) with their snoops, CLFLUSH(OPT)/CLWB at home (SDM vol. 3 ch. 11,
// docs/reference/memory-types.md §6), the LLC walk of WBINVD/WBNOINVD/INVD, and the coherent
// view checkers read. Who snoops an uncached access: the issuing pCPU's caches when
// `snoop_own` (self_snoop, UC from the page type, or streaming-store data), the other pCPUs'
// caches and the LLC when `snoop_rest` (fabric_snoops_uncached, or streaming-store data).
#include <algorithm>
#include <array>
#include <cstring>

#include "cache/home_agent.h"
#include "cache/private_hierarchy.h"

namespace mtsim {

unsigned home_agent::snoop_uncached(unsigned p, std::uint64_t la, proto_event ev, bool snoop_own,
                                    bool snoop_rest, sc_core::sc_time& delay) {
    std::array<std::uint8_t, max_line_size> wb;
    unsigned snooped = 0;
    if (snoop_own) {
        private_copy pc = find_private(p, la);
        if (pc.l2) {
            ++snooped;
            ++m_ctx.stats.snoops;
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

void home_agent::uncached_read(unsigned p, bool snoop_own, bool snoop_rest, std::uint64_t addr,
                               std::uint8_t* dst, unsigned len, sc_core::sc_time& delay) {
    ++m_ctx.stats.uncached_reads;
    const std::uint64_t la = m_ctx.line_of(addr);
    const unsigned s = m_ctx.socket_of(p);
    llc_port(s, delay);
    if (snoop_rest) claim(s, la, delay);
    const unsigned snooped =
        snoop_uncached(p, la, proto_event::snoop_read, snoop_own, snoop_rest, delay);
    if (snoop_rest) {
        if (cache_line* l = llc(s).find(la); l && l->dirty) {
            m_dram.write(m_ctx.base_of(la), l->data, nullptr, m_ctx.cfg.line_size, delay);
            l->dirty = false;
        }
    }
    if (snooped) delay += m_ctx.time.snoop;
    m_dram.read(addr, dst, len, delay);
}

void home_agent::uncached_write(unsigned p, bool snoop_own, bool snoop_rest, std::uint64_t addr,
                                const std::uint8_t* src, const std::uint8_t* mask, unsigned len,
                                sc_core::sc_time& delay) {
    ++m_ctx.stats.uncached_writes;
    const std::uint64_t la = m_ctx.line_of(addr);
    const unsigned s = m_ctx.socket_of(p);
    llc_port(s, delay);
    if (snoop_rest) claim(s, la, delay);
    if (snoop_uncached(p, la, proto_event::snoop_inv, snoop_own, snoop_rest, delay))
        delay += m_ctx.time.snoop;
    if (snoop_rest)
        write_memory(addr, src, mask, len, delay); // the LLC copy takes the bytes too
    else
        m_dram.write(addr, src, mask, len, delay);
}

void home_agent::line_op(unsigned p, std::uint64_t la, proto_event ev, sc_core::sc_time& delay) {
    const unsigned s = m_ctx.socket_of(p);
    llc_port(s, delay);
    claim(s, la, delay);
    std::array<std::uint8_t, max_line_size> wb;
    bool dirty = false;
    if (snoop_others(la, -1, ev, wb.data(), dirty) > 0) delay += m_ctx.time.snoop;
    if (dirty) writeback_to_dram(la, wb.data(), delay); // drop never writes back
    if (cache_line* l = llc(s).find(la)) {
        if (l->dirty && ev == proto_event::drop) {
            ++m_ctx.stats.invd_dirty_lost; // DC IVAC: the dirty bytes are gone
        } else if (l->dirty) {
            m_dram.write(m_ctx.base_of(la), l->data, nullptr, m_ctx.cfg.line_size, delay);
        }
        l->dirty = false;
        if (ev != proto_event::clean) llc(s).invalidate(l);
    }
}

// With an inclusive LLC the walk reaches the private copies of the socket's pCPUs
// (back-invalidation); with a non-inclusive one walk_sharers() does when llc.wbinvd_sharers.
// The other sockets are never touched. Each dirty line written back adds the DRAM's delay in
// sequence.
void home_agent::walk_llc(unsigned s, proto_event ev, sc_core::sc_time& delay) {
    std::array<std::uint8_t, max_line_size> wb;
    cache_array& a = llc(s);
    const std::uint64_t mine = m_ctx.socket_mask(s);
    for (cache_line& l : a.lines()) {
        if (!l.valid) continue;
        const std::uint64_t la = l.line_addr;
        if (m_ctx.cfg.llc_inclusive) {
            bool dirty = false;
            const std::uint64_t holders = m_dir.find(la).sharers & mine;
            const unsigned n = holders ? snoop_holders(la, holders, ev, wb.data(), dirty) : 0;
            if (ev != proto_event::clean) m_ctx.stats.back_invalidations += n;
            if (dirty) {
                m_ctx.copy_line(l.data, wb.data());
                l.dirty = true;
            }
        }
        if (l.dirty) {
            if (ev == proto_event::drop) {
                ++m_ctx.stats.invd_dirty_lost;
            } else {
                m_dram.write(m_ctx.base_of(la), l.data, nullptr, m_ctx.cfg.line_size, delay);
                ++m_ctx.stats.wbinvd_writebacks;
            }
            l.dirty = false;
        }
        if (ev != proto_event::clean) a.invalidate(&l);
    }
}

std::uint64_t home_agent::walk_sharers(unsigned p, proto_event ev, sc_core::sc_time& delay) {
    std::uint64_t frames = 0;
    const unsigned s = m_ctx.socket_of(p);
    for (unsigned q = s * m_ctx.per_socket; q < (s + 1) * m_ctx.per_socket; ++q) {
        if (q == p) continue;
        frames += m_pcpu[q].l1().frames() + m_pcpu[q].l2().frames();
        m_pcpu[q].walk(ev, delay);
    }
    return frames;
}

std::vector<std::uint8_t> home_agent::read_coherent(std::uint64_t addr, std::size_t len) const {
    std::vector<std::uint8_t> out(len);
    std::size_t done = 0;
    while (done < len) {
        const std::uint64_t a = addr + done;
        const std::uint64_t la = m_ctx.line_of(a);
        const unsigned off = static_cast<unsigned>(a & m_ctx.line_mask);
        const std::size_t piece = std::min<std::size_t>(len - done, m_ctx.cfg.line_size - off);
        const std::uint8_t* src = nullptr;
        for (unsigned p = 0; p < m_ctx.cfg.pcpus && !src; ++p) {
            const cache_line* l2 = m_pcpu[p].l2().find(la);
            if (l2 && l2->state == mesi::m) {
                const cache_line* l1 = m_pcpu[p].l1().find(la);
                src = l1 ? l1->data : l2->data;
            }
        }
        for (unsigned s = 0; s < m_ctx.cfg.sockets && !src; ++s)
            if (const cache_line* l = llc(s).find(la)) src = l->data;
        if (src)
            std::memcpy(out.data() + done, src + off, piece);
        else
            m_dram.dbg(a, out.data() + done, piece);
        done += piece;
    }
    return out;
}

} // namespace mtsim
