// The cached paths of one pCPU (WB, WT, WP): private lookups, fills with their evictions,
// and the requests (get_s, get_m, upgrade) the protocol table tells the home agent to serve.
#include "cache/private_hierarchy.h"

#include <array>
#include <cstring>

namespace mtsim {

private_hierarchy::private_hierarchy(const ms_context& ctx, home_agent& home, unsigned pcpu)
    : m_ctx(ctx), m_home(home), m_p(pcpu), m_l1(ctx.cfg.l1d, ctx.cfg.line_size),
      m_l2(ctx.cfg.l2, ctx.cfg.line_size) {}

private_copy private_hierarchy::lookup(std::uint64_t la, sc_core::sc_time& delay, bool l1_missed) {
    private_copy pc =
        l1_missed ? private_copy{nullptr, m_l2.find(la)} : m_home.find_private(m_p, la);
    delay += m_ctx.time.l1;
    if (pc.l1) {
        ++m_ctx.stats.l1_hits;
        m_l1.touch(pc.l1);
        return pc;
    }
    ++m_ctx.stats.l1_misses;
    delay += m_ctx.time.l2;
    if (pc.l2) {
        ++m_ctx.stats.l2_hits;
        m_l2.touch(pc.l2);
        copy_to_l1(la, pc);
    } else {
        ++m_ctx.stats.l2_misses;
        // The fill will write the L2 victim's frame and bytes, and the home agent reads the
        // LLC set: start those host loads now (no model state changes).
        m_l2.prefetch_fill(la);
        m_home.prefetch_fill(la);
    }
    return pc;
}

void private_hierarchy::copy_to_l1(std::uint64_t la, private_copy& pc) {
    cache_line* frame = m_l1.slot_for(la);
    if (frame->valid) {
        if (frame->dirty) m_ctx.copy_line(frame->l2->data, frame->data);
        m_l1.replace(frame, la);
    } else {
        m_l1.install(frame, la);
    }
    frame->l2 = pc.l2;
    pc.l2->l1_hint = frame;
    m_ctx.copy_line(frame->data, pc.l2->data);
    pc.l1 = frame;
}

void private_hierarchy::evict(cache_line* l2line, sc_core::sc_time when) {
    const std::uint64_t la = l2line->line_addr;
    // The L1D copy, if any, is the frame that last took one (copy_to_l1 is the only way in),
    // and only while that frame still links back: no L1D search.
    cache_line* l1 = l2line->l1_hint;
    if (l1 && !(l1->valid && l1->l2 == l2line && l1->line_addr == la)) l1 = nullptr;
    private_copy pc{l1, l2line};
    const mesi s = l2line->state;
    std::array<std::uint8_t, max_line_size> wb;
    if (m_home.step(m_p, la, pc, proto_event::evict, wb.data()).actions & act::write_back)
        m_home.writeback_to_llc(m_ctx.socket_of(m_p), la, wb.data(), when);
    if (pc.l2) m_home.broken(m_p, la, s, proto_event::evict, "leaves the line valid");
}

private_copy private_hierarchy::fill(std::uint64_t la, const std::uint8_t* data,
                                     sc_core::sc_time when) {
    cache_line* frame = m_l2.slot_for(la);
    if (frame->valid) {
        evict(frame, when); // leaves the frame vacated (home_agent::step)
        m_l2.refill(frame, la);
    } else {
        m_l2.install(frame, la);
    }
    m_ctx.copy_line(frame->data, data);
    private_copy pc{nullptr, frame};
    copy_to_l1(la, pc);
    return pc;
}

// The WB load and store paths are flattened: every call below them inlined into one body (the
// miss path was mostly call overhead: some twenty calls per miss). The home agent's bodies are
// visible here because the library is one translation unit (cache/CMakeLists.txt). Measured
// with `mtsim bench --workload miss`; see bench/README.md.
[[gnu::flatten]] [[gnu::noinline]] void private_hierarchy::load(std::uint64_t addr,
                                                                std::uint8_t* dst, unsigned len,
                                                                sc_core::sc_time& delay,
                                                                bool l1_missed) {
    const std::uint64_t la = m_ctx.line_of(addr);
    const unsigned off = static_cast<unsigned>(addr & m_ctx.line_mask);
    private_copy pc = lookup(la, delay, l1_missed);
    const mesi s = pc.l2 ? pc.l2->state : mesi::i;
    const transition& tr = m_home.step(m_p, la, pc, proto_event::load, nullptr);
    if (tr.actions & act::hit) {
        if (!pc.l1) m_home.broken(m_p, la, s, proto_event::load, "hits without a copy");
        ms_context::copy_access(dst, pc.l1->data + off, len);
        return;
    }
    if (!(tr.actions & act::get_s))
        m_home.broken(m_p, la, s, proto_event::load, "neither hits nor asks");
    if (pc.l2) m_home.broken(m_p, la, s, proto_event::load, "asks for a line the pCPU holds");

    // Nobody snooped means no other pCPU is listed (p itself holds no copy), and fetching
    // from home changes no entry of this line: the second directory lookup is needed only
    // when somebody was snooped (a broken table cell may have dropped them).
    std::array<std::uint8_t, max_line_size> buf;
    const bool snooped =
        m_home.request_line(m_p, la, proto_event::snoop_read, buf.data(), delay) > 0;
    const bool others = snooped && (m_home.filter().find(la).sharers & ~(std::uint64_t(1) << m_p));
    pc = fill(la, buf.data(), delay);
    m_home.step(m_p, la, pc, others ? proto_event::fill_shared : proto_event::fill_exclusive,
                nullptr);
    ms_context::copy_access(dst, buf.data() + off, len);
}

[[gnu::flatten]] [[gnu::noinline]] void
private_hierarchy::store(std::uint64_t addr, const std::uint8_t* src, unsigned len,
                         sc_core::sc_time& delay, bool l1_missed) {
    const std::uint64_t la = m_ctx.line_of(addr);
    const unsigned off = static_cast<unsigned>(addr & m_ctx.line_mask);
    auto write = [&](private_copy& pc) {
        if (!pc.l1 || len == 0) return;
        ms_context::copy_access(pc.l1->data + off, src, len);
        pc.l1->dirty = true;
    };
    private_copy pc = lookup(la, delay, l1_missed);
    const mesi s = pc.l2 ? pc.l2->state : mesi::i;
    const transition& tr = m_home.step(m_p, la, pc, proto_event::store, nullptr);
    if (tr.actions & act::hit) {
        if (!pc.l1) m_home.broken(m_p, la, s, proto_event::store, "hits without a copy");
        if (tr.actions & act::update_line) write(pc);
        return;
    }
    if (tr.actions & act::upgrade) {
        if (!pc.l2) m_home.broken(m_p, la, s, proto_event::store, "upgrades a line the pCPU lacks");
        m_home.llc_port(m_ctx.socket_of(m_p), delay);
        m_home.claim(m_ctx.socket_of(m_p), la, delay);
        m_home.snoop_for_request(m_p, la, proto_event::snoop_inv, delay);
        if (m_home.step(m_p, la, pc, proto_event::upgrade_ack, nullptr).actions & act::update_line)
            write(pc);
        return;
    }
    if (!(tr.actions & act::get_m))
        m_home.broken(m_p, la, s, proto_event::store, "neither hits nor asks");
    if (pc.l2) m_home.broken(m_p, la, s, proto_event::store, "asks for a line the pCPU holds");
    std::array<std::uint8_t, max_line_size> buf;
    m_home.request_line(m_p, la, proto_event::snoop_inv, buf.data(), delay);
    pc = fill(la, buf.data(), delay);
    if (m_home.step(m_p, la, pc, proto_event::fill_modified, nullptr).actions & act::update_line)
        write(pc);
}

void private_hierarchy::store_through(proto_event ev, std::uint64_t addr, const std::uint8_t* src,
                                      unsigned len, sc_core::sc_time& delay) {
    const std::uint64_t la = m_ctx.line_of(addr);
    const unsigned off = static_cast<unsigned>(addr & m_ctx.line_mask);
    private_copy pc = lookup(la, delay, false);
    std::array<std::uint8_t, max_line_size> wb;
    const transition& tr = m_home.step(m_p, la, pc, ev, wb.data());
    m_home.llc_port(m_ctx.socket_of(m_p), delay);
    m_home.claim(m_ctx.socket_of(m_p), la, delay);
    if (tr.actions & act::write_back) m_home.writeback_to_dram(la, wb.data(), delay);
    if (tr.actions & act::invalidate_others) {
        bool dirty = false;
        if (m_home.snoop_others(la, int(m_p), proto_event::snoop_inv, wb.data(), dirty) > 0)
            delay += m_ctx.time.snoop;
        if (dirty) m_home.writeback_to_dram(la, wb.data(), delay);
    }
    if ((tr.actions & act::update_line) && pc.l1) {
        // WT keeps the copy equal to memory for these bytes: update both private levels.
        std::memcpy(pc.l1->data + off, src, len);
        std::memcpy(pc.l2->data + off, src, len);
    }
    if (tr.actions & act::write_memory) m_home.write_memory(addr, src, nullptr, len, delay);
}

void private_hierarchy::walk(proto_event ev, sc_core::sc_time& delay) {
    std::array<std::uint8_t, max_line_size> wb;
    for (cache_line& l2line : m_l2.lines()) {
        if (!l2line.valid) continue;
        const std::uint64_t la = l2line.line_addr;
        private_copy pc{m_l1.find(la), &l2line};
        if (m_home.step(m_p, la, pc, ev, wb.data()).actions & act::write_back) {
            m_home.writeback_to_dram(la, wb.data(), delay);
            ++m_ctx.stats.wbinvd_writebacks;
        }
    }
}

} // namespace mtsim
