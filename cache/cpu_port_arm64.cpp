// A pCPU's port, arm64 part: Device-* stores by their G/R/E properties, DC by VA to the point
// of coherence, DSB/DMB, and the exclusives and LSE atomics (Arm ARM DDI 0487: B2.8.2 Device
// memory, D7.5 cache maintenance by VA, B2.3 barriers, B2.9 exclusive monitors).
#include <algorithm>

#include "cache/cpu_port.h"
#include "model/not_modelled.h"

namespace mtsim {

void cpu_port::device_piece(const access_ext& ext, bool write, std::uint64_t addr,
                            std::uint8_t* ptr, unsigned len, sc_core::sc_time& delay) {
    const memory_system_config& cfg = m_ctx.cfg;
    const bool own = cfg.self_snoop || uc_must_check_caches(ext.source);
    // A load always waits for its data: G, R and E change nothing a single load pays.
    if (!write) {
        m_home.uncached_read(m_p, own, cfg.fabric_snoops_uncached, addr, ptr, len, delay);
        return;
    }
    switch (ext.device) {
    case arm_device::gre:
        // Gathering: stores merge like Normal-NC ones and leave as one write per buffer.
        m_wc.store(false, addr, ptr, len, delay);
        return;
    case arm_device::ngre: {
        // Reordering: up to device_outstanding stores in flight; the requester pays the issue,
        // or the wait for the oldest slot. The write's own path (fabric, endpoint) runs on the
        // slot's timeline: it still occupies the LLC port and DRAM (or the device) calendars.
        ++m_ctx.stats.device_transactions;
        const sc_core::sc_time stamp = m_ctx.sim->time_stamp();
        sc_core::sc_time& slot = m_device_slots[m_next_slot];
        m_next_slot = (m_next_slot + 1) % static_cast<unsigned>(m_device_slots.size());
        if (slot > stamp + delay) delay = slot - stamp;
        sc_core::sc_time flight = delay;
        m_home.uncached_write(m_p, own, cfg.fabric_snoops_uncached, addr, ptr, nullptr, len,
                              flight);
        slot = stamp + flight;
        delay += m_ctx.t(cfg.device_issue_latency);
        return;
    }
    case arm_device::ngnre:
        // One outstanding, early acknowledgement: the store waits until the home agent has
        // accepted the posted write (what an x86 UC store pays).
        ++m_ctx.stats.device_transactions;
        m_home.uncached_write(m_p, own, cfg.fabric_snoops_uncached, addr, ptr, nullptr, len, delay);
        return;
    case arm_device::ngnrne:
        // No early acknowledgement: the endpoint's response has to come back.
        ++m_ctx.stats.device_transactions;
        m_home.uncached_write(m_p, own, cfg.fabric_snoops_uncached, addr, ptr, nullptr, len, delay);
        delay += m_ctx.t(cfg.device_completion_latency);
        return;
    case arm_device::none:
        break;
    }
    m_ctx.refuse("device_piece without a Device type");
}

bool cpu_port::exclusive_access(access_ext& ext, tlm::tlm_generic_payload& gp,
                                sc_core::sc_time& delay) {
    const std::uint64_t addr = gp.get_address();
    const unsigned len = gp.get_data_length();
    const bool write = gp.get_command() == tlm::TLM_WRITE_COMMAND;
    const bool wb = ext.type == memtype::wb && ext.device == arm_device::none;
    if (ext.op == op_kind::stxr) ext.exclusive_failed = true;
    if (wb && len > 0 && (addr & m_ctx.line_mask) + len > m_ctx.cfg.line_size)
        throw not_modelled("an exclusive or atomic access that crosses a cache line", m_ctx.name());
    const std::uint64_t la = m_ctx.line_of(addr);
    switch (ext.op) {
    case op_kind::ldxr:
        if (!wb) return false; // a plain load of its type; no monitor is armed
        m_caches.load(addr, gp.get_data_ptr(), len, delay);
        m_home.arm_monitor(m_p, la);
        return true;
    case op_kind::stxr:
        // Succeeds only while the monitor armed by LDXR still holds the line: another
        // agent's write (snoop invalidation), an eviction or a flush in between disarmed it.
        // Memory that is not Normal-WB has no monitor here: the store fails, nothing written.
        if (wb && m_home.take_monitor(m_p, la)) {
            m_caches.store(addr, gp.get_data_ptr(), len, delay);
            ext.exclusive_failed = false;
        } else {
            m_home.take_monitor(m_p, la);
            ++m_ctx.stats.exclusive_failures;
            delay += m_ctx.time.l1; // the local monitor's answer
        }
        return true;
    case op_kind::lse_atomic:
        if (!wb) return false; // a plain load, then a plain store, of its type
        m_wc.drain_range(addr, len, delay);
        if (!write) {
            m_caches.store(addr, nullptr, 0, delay); // ownership first (a near atomic)
            m_caches.load(addr, gp.get_data_ptr(), len, delay);
        } else {
            m_caches.store(addr, gp.get_data_ptr(), len, delay);
        }
        return true;
    default:
        return false;
    }
}

bool cpu_port::arm64_cache_op(const access_ext& ext, std::uint64_t addr, sc_core::sc_time& delay) {
    switch (ext.op) {
    case op_kind::dc_civac:
        delay += m_ctx.time.l1;
        m_home.line_op(m_p, m_ctx.line_of(addr), proto_event::flush, delay);
        return true;
    case op_kind::dc_cvac:
        delay += m_ctx.time.l1;
        m_home.line_op(m_p, m_ctx.line_of(addr), proto_event::clean, delay);
        return true;
    case op_kind::dc_ivac:
        delay += m_ctx.time.l1;
        m_home.line_op(m_p, m_ctx.line_of(addr), proto_event::drop, delay);
        return true;
    case op_kind::dmb:
        // Orders: gathered stores are written before anything after the barrier.
        m_wc.drain(delay);
        return true;
    case op_kind::dsb: {
        // Completes: gathered stores written and every Device-R store in flight acknowledged.
        m_wc.drain(delay);
        const sc_core::sc_time stamp = m_ctx.sim->time_stamp();
        for (const sc_core::sc_time& t : m_device_slots)
            if (t > stamp + delay) delay = t - stamp;
        return true;
    }
    default:
        return false;
    }
}

} // namespace mtsim
