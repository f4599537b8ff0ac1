// The home agent: the protocol-table step every private line goes through, the snoop filter,
// the LLC (allocation, eviction, back-invalidation, port calendar) and write-backs.
#include <cstring>
#include <sstream>

#include "cache/memory_system.h"
#include "model/text.h"

namespace mtsim {

const transition& memory_system::lookup(unsigned p, std::uint64_t la, mesi s, proto_event ev) {
    const transition& tr = m_protocol.at(s, ev);
    ++m_counts[static_cast<unsigned>(s)][static_cast<unsigned>(ev)];
    if (!tr.defined) undefined(p, la, s, ev);
    return tr;
}

void memory_system::undefined(unsigned p, std::uint64_t la, mesi s, proto_event ev) const {
    throw protocol_error(std::string(name()) + ": pCPU " + std::to_string(p) + " line " +
                         hex(base_of(la)) + ": no protocol transition for (state " +
                         std::string(to_string(s)) + ", event " + std::string(to_string(ev)) + ")");
}

void memory_system::broken(unsigned p, std::uint64_t la, mesi s, proto_event ev,
                           const char* what) const {
    throw protocol_error(std::string(name()) + ": pCPU " + std::to_string(p) + " line " +
                         hex(base_of(la)) + ": transition (state " + std::string(to_string(s)) +
                         ", event " + std::string(to_string(ev)) + ") " + what);
}

memory_system::private_copy memory_system::find_private(unsigned p, std::uint64_t la) {
    pcpu_caches& c = m_pcpu[p];
    private_copy pc{c.l1->find(la), c.l2->find(la)};
    if (pc.l1 && !pc.l2) inconsistent(p, la, "the L1D holds it without its L2 (private inclusion)");
    return pc;
}

void memory_system::inconsistent(unsigned p, std::uint64_t la, const char* what) const {
    throw std::logic_error(std::string(name()) + ": pCPU " + std::to_string(p) + " line " +
                           hex(base_of(la)) + ": " + what);
}

const transition& memory_system::step(unsigned p, std::uint64_t la, private_copy& pc,
                                      proto_event ev, std::uint8_t* wb_out) {
    const mesi s = pc.l2 ? pc.l2->state : mesi::i;
    const transition& tr = lookup(p, la, s, ev);
    if (tr.actions & act::write_back) {
        if (!pc.l2) broken(p, la, s, ev, "writes back a line the pCPU does not hold");
        if (!wb_out) broken(p, la, s, ev, "writes back where the event carries no data");
        copy_line(wb_out, pc.l1 ? pc.l1->data : pc.l2->data);
    }
    if (ev == proto_event::drop && s == mesi::m) ++m_stats.invd_dirty_lost;
    const mesi next = tr.next;
    if (next == s && !(next == mesi::i && pc.l2)) return tr;
    if (!pc.l2) broken(p, la, s, ev, "changes state without a copy (only a fill installs one)");
    pcpu_caches& c = m_pcpu[p];
    const cache_line* l2 = pc.l2;
    if (next == mesi::i) {
        if (pc.l1) c.l1->invalidate(pc.l1);
        // An evicted L2 frame is refilled at once (fill_private): it is vacated without the
        // replacement update and valid count an invalidation makes, which the refill undoes.
        if (ev == proto_event::evict)
            c.l2->vacate(pc.l2);
        else
            c.l2->invalidate(pc.l2);
        pc = {};
    } else {
        if (pc.l1 && pc.l1->dirty && s == mesi::m && next != mesi::m) {
            copy_line(pc.l2->data, pc.l1->data);
            pc.l1->dirty = false;
        }
        pc.l2->state = next;
    }
    const bool owner_before = s == mesi::e || s == mesi::m;
    const bool owner_after = next == mesi::e || next == mesi::m;
    // The frame keeps its way after invalidation: its filter slot is cleared by it.
    if (next == mesi::i)
        m_dir.clear(p, l2->way, la);
    else if (!(owner_before && owner_after))
        m_dir.record(p, l2->way, la, owner_after);
    return tr;
}

unsigned memory_system::snoop_others(std::uint64_t la, int except, proto_event ev, std::uint8_t* wb,
                                     bool& got_dirty) {
    std::uint64_t holders = m_dir.find(la).sharers;
    if (except >= 0) holders &= ~(std::uint64_t(1) << except);
    return holders ? snoop_holders(la, holders, ev, wb, got_dirty) : 0;
}

unsigned memory_system::snoop_holders(std::uint64_t la, std::uint64_t holders, proto_event ev,
                                      std::uint8_t* wb, bool& got_dirty) {
    unsigned n = 0;
    std::array<std::uint8_t, max_line_size> tmp;
    for (; holders; holders &= holders - 1) {
        const unsigned q = static_cast<unsigned>(__builtin_ctzll(holders));
        private_copy pc = find_private(q, la);
        if (!pc.l2) inconsistent(q, la, "the snoop filter lists it as a holder, it holds no copy");
        ++n;
        ++m_stats.snoops;
        if (step(q, la, pc, ev, tmp.data()).actions & act::write_back) {
            copy_line(wb, tmp.data());
            got_dirty = true;
        }
    }
    return n;
}

void memory_system::llc_port(sc_core::sc_time& delay) {
    const sc_core::sc_time arrival = simcontext()->time_stamp() + delay; // see model/dram.cpp
    std::size_t best = 0;
    for (std::size_t i = 1; i < m_port_busy.size(); ++i)
        if (m_port_busy[i] < m_port_busy[best]) best = i;
    if (m_port_busy[best] > arrival) {
        const sc_core::sc_time wait = m_port_busy[best] - arrival;
        m_stats.llc_port_wait_cycles += m_clock.to_cycles(wait).n;
        delay += wait;
        m_port_busy[best] += m_time.port;
    } else {
        m_port_busy[best] = arrival + m_time.port;
    }
    delay += m_time.llc;
}

void memory_system::home_fetch(std::uint64_t la, cache_line* home, std::uint8_t* dst,
                               sc_core::sc_time& delay) {
    if (home) {
        ++m_stats.llc_hits;
        m_llc->touch(home);
        copy_line(dst, home->data);
        return;
    }
    ++m_stats.llc_misses;
    dram_read(base_of(la), dst, m_cfg.line_size, delay);
    cache_line* l = llc_allocate(la, delay);
    copy_line(l->data, dst);
}

cache_line* memory_system::llc_allocate(std::uint64_t la, sc_core::sc_time when) {
    cache_line* frame = m_llc->slot_for(la);
    if (frame->valid) {
        release_llc(frame, when);
        m_llc->replace(frame, la);
    } else {
        m_llc->install(frame, la);
    }
    return frame;
}

void memory_system::evict_llc(cache_line* l, sc_core::sc_time when) {
    release_llc(l, when);
    m_llc->invalidate(l);
}

void memory_system::release_llc(cache_line* l, sc_core::sc_time when) {
    const std::uint64_t la = l->line_addr;
    if (m_cfg.llc_inclusive) {
        std::array<std::uint8_t, max_line_size> wb;
        bool dirty = false;
        m_stats.back_invalidations +=
            snoop_others(la, -1, proto_event::snoop_inv, wb.data(), dirty);
        if (dirty) {
            copy_line(l->data, wb.data());
            l->dirty = true;
        }
    }
    if (l->dirty) dram_write(base_of(la), l->data, nullptr, m_cfg.line_size, when);
}

void memory_system::writeback_to_llc(std::uint64_t la, const std::uint8_t* data,
                                     sc_core::sc_time when) {
    cache_line* l = m_llc->find(la);
    if (!l) l = llc_allocate(la, when);
    copy_line(l->data, data);
    l->dirty = true;
}

void memory_system::writeback_to_dram(std::uint64_t la, const std::uint8_t* data,
                                      sc_core::sc_time& delay) {
    if (cache_line* l = m_llc->find(la)) {
        copy_line(l->data, data);
        l->dirty = false;
    }
    dram_write(base_of(la), data, nullptr, m_cfg.line_size, delay);
}

void memory_system::write_memory(std::uint64_t addr, const std::uint8_t* src,
                                 const std::uint8_t* mask, unsigned len, sc_core::sc_time& delay) {
    const std::uint64_t la = line_of(addr);
    cache_line* l = m_llc->find(la);
    if (!l) {
        dram_write(addr, src, mask, len, delay);
        return;
    }
    std::uint8_t* d = l->data + (addr & m_line_mask);
    for (unsigned i = 0; i < len; ++i)
        if (!mask || mask[i]) d[i] = src[i];
    dram_write(base_of(la), l->data, nullptr, m_cfg.line_size, delay);
    l->dirty = false;
}

} // namespace mtsim
