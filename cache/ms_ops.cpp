// Cache-control operations (SDM vol. 3 ch. 11, docs/reference/memory-types.md §6).
#include <cstring>

#include "cache/memory_system.h"

namespace mtsim {

void memory_system::cache_op(unsigned p, const access_ext& ext, std::uint64_t addr,
                             sc_core::sc_time& delay) {
    switch (ext.op) {
    case op_kind::clflush:
    case op_kind::clflushopt:
        delay += m_time.l1;
        line_op(line_of(addr), proto_event::flush, delay);
        return;
    case op_kind::clwb:
        delay += m_time.l1;
        line_op(line_of(addr), proto_event::clean, delay);
        return;
    case op_kind::wbinvd:
        whole_cache_op(p, proto_event::flush, delay);
        return;
    case op_kind::wbnoinvd:
        whole_cache_op(p, proto_event::clean, delay);
        return;
    case op_kind::invd:
        whole_cache_op(p, proto_event::drop, delay);
        return;
    case op_kind::sfence:
    case op_kind::mfence:
        drain_wc(p, delay);
        return;
    default:
        throw std::invalid_argument(std::string(name()) + ": op " + std::string(to_string(ext.op)) +
                                    " is not a cache-control op (TLM_IGNORE_COMMAND)");
    }
}

// CLFLUSH(OPT) (ev flush) and CLWB (ev clean) act on every cache of the coherence domain.
void memory_system::line_op(std::uint64_t la, proto_event ev, sc_core::sc_time& delay) {
    llc_port(delay);
    std::array<std::uint8_t, max_line_size> wb;
    bool dirty = false;
    if (snoop_others(la, -1, ev, wb.data(), dirty) > 0) delay += m_time.snoop;
    if (dirty) writeback_to_dram(la, wb.data(), delay);
    if (cache_line* l = m_llc->find(la)) {
        if (l->dirty) {
            dram_write(base_of(la), l->data, nullptr, m_cfg.line_size, delay);
            l->dirty = false;
        }
        if (ev == proto_event::flush) m_llc->invalidate(l);
    }
}

// WBINVD (flush), WBNOINVD (clean), INVD (drop): this pCPU's L1D+L2, then the shared LLC.
// Every frame of the three arrays is walked; each dirty line written back adds the DRAM's
// delay in sequence. With an inclusive LLC the LLC walk reaches the other pCPUs' private
// copies (back-invalidation); with a non-inclusive one they are untouched.
void memory_system::whole_cache_op(unsigned p, proto_event ev, sc_core::sc_time& delay) {
    drain_wc(p, delay);
    pcpu_caches& c = m_pcpu[p];
    const std::uint64_t walked = c.l1->frames() + c.l2->frames() + m_llc->frames();
    m_stats.wbinvd_lines_walked += walked;
    delay += t(m_cfg.wbinvd_cycles_per_line * walked);
    std::array<std::uint8_t, max_line_size> wb;
    for (cache_line& l2line : c.l2->lines()) {
        if (!l2line.valid) continue;
        const std::uint64_t la = l2line.line_addr;
        private_copy pc{c.l1->find(la), &l2line};
        if (step(p, la, pc, ev, wb.data()).actions & act::write_back) {
            writeback_to_dram(la, wb.data(), delay);
            ++m_stats.wbinvd_writebacks;
        }
    }
    for (cache_line& l : m_llc->lines()) {
        if (!l.valid) continue;
        const std::uint64_t la = l.line_addr;
        if (m_cfg.llc_inclusive) {
            bool dirty = false;
            const unsigned n = snoop_others(la, -1, ev, wb.data(), dirty);
            if (ev != proto_event::clean) m_stats.back_invalidations += n;
            if (dirty) {
                copy_line(l.data, wb.data());
                l.dirty = true;
            }
        }
        if (l.dirty) {
            if (ev == proto_event::drop) {
                ++m_stats.invd_dirty_lost;
            } else {
                dram_write(base_of(la), l.data, nullptr, m_cfg.line_size, delay);
                ++m_stats.wbinvd_writebacks;
            }
            l.dirty = false;
        }
        if (ev != proto_event::clean) m_llc->invalidate(&l);
    }
}

} // namespace mtsim
