// A pCPU's port: the request checks, the per-line dispatch by memory type and the
// cache-control ops (SDM vol. 3 ch. 11, docs/reference/memory-types.md §6).
#include "cache/cpu_port.h"

#include <algorithm>
#include <array>

#include "cache/served_probe.h"
#include "model/not_modelled.h"

namespace mtsim {

cpu_port::cpu_port(const ms_context& ctx, home_agent& home, private_hierarchy& caches, wc_unit& wc,
                   unsigned pcpu)
    : m_ctx(ctx), m_home(home), m_caches(caches), m_wc(wc), m_p(pcpu),
      m_device_slots(ctx.cfg.device_outstanding, sc_core::SC_ZERO_TIME) {}

std::string cpu_port::lt_target_name() const {
    return std::string(m_ctx.name()) + ".cpu[" + std::to_string(m_p) + "]";
}

unsigned int cpu_port::transport_dbg(tlm::tlm_generic_payload& gp) {
    if (gp.get_command() != tlm::TLM_READ_COMMAND)
        throw not_modelled("debug writes (they would bypass coherence)", m_ctx.name());
    const auto v = m_home.read_coherent(gp.get_address(), gp.get_data_length());
    std::copy(v.begin(), v.end(), gp.get_data_ptr());
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return static_cast<unsigned>(v.size());
}

void cpu_port::refuse_request(const access_ext* ext) const {
    if (!ext) m_ctx.refuse("cpu request without access_ext");
    m_ctx.refuse("request on cpu[" + std::to_string(m_p) + "] says pCPU " +
                 std::to_string(ext->who.pcpu));
}

void cpu_port::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    access_ext* ext = gp.get_extension<access_ext>();
    if (!ext || ext->who.pcpu != m_p) refuse_request(ext);

    const std::uint64_t addr = gp.get_address();
    if (gp.get_command() == tlm::TLM_IGNORE_COMMAND) {
        const served_probe probe(m_ctx.stats);
        cache_op(*ext, addr, delay);
        ext->served = probe.level();
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
    }
    // Every data access, fast or not, passes the same checks, here and only here.
    check_data_access(*ext, gp);
    const unsigned len = gp.get_data_length();
    // The lean path: a checked WB load or store within one line (a WB type never comes with
    // source cd: check_data_access refuses that).
    const bool lean = ext->type == memtype::wb &&
                      (ext->op == op_kind::load || ext->op == op_kind::store) && len > 0 &&
                      (addr & m_ctx.line_mask) + len <= m_ctx.cfg.line_size;
    // A cacheable access decoded as device memory (ms_context::device_ranges): a machine check.
    bool machine_check = false;
    if (!m_ctx.device_ranges.empty() && is_cacheable(ext->type) && m_ctx.on_machine_check)
        for (const auto& [lo, hi] : m_ctx.device_ranges)
            machine_check |= addr < hi && lo < addr + len;
    // Without a machine check and pending WC bytes nothing below moves a counter before the
    // L1D look-up, so an L1D hit is served at L1 without a probe (served_probe.h), and the
    // counters are read only when the access goes further.
    if (lean && !machine_check && m_wc.used() == 0) {
        const bool write = ext->op == op_kind::store;
        const auto r = m_caches.access_wb_l1(write, addr, gp.get_data_ptr(), len, delay);
        if (r == private_hierarchy::wb_hit::hit) {
            ext->served = served_level::l1;
        } else {
            const served_probe probe(m_ctx.stats);
            wb_beyond_l1(r, *ext, gp, delay);
            ext->served = probe.level();
        }
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
    }
    const served_probe probe(m_ctx.stats);
    if (machine_check)
        for (const auto& [lo, hi] : m_ctx.device_ranges)
            if (addr < hi && lo < addr + len) m_ctx.on_machine_check(*ext, addr, len);
    // A processor sees its own stores: a cacheable access to bytes still in this pCPU's WC
    // buffers (its NT stores, or stores through a WC alias) drains those buffers first, so
    // the later load reads them and the later store is not overwritten by an older drain.
    // Other pCPUs and devices still see nothing of a WC buffer until it drains.
    if (m_wc.used() != 0 && is_cacheable(ext->type) && ext->op != op_kind::nt_store)
        m_wc.drain_range(addr, len, delay);

    if (lean) {
        const auto r =
            m_caches.access_wb_l1(ext->op == op_kind::store, addr, gp.get_data_ptr(), len, delay);
        if (r != private_hierarchy::wb_hit::hit) wb_beyond_l1(r, *ext, gp, delay);
    } else if (!needs_cacheable(ext->op) || !exclusive_access(*ext, gp, delay)) {
        data_access(*ext, gp, delay);
    }
    ext->served = probe.level();
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

// A lean access the L1D did not serve: the miss path without a second L1D look-up, or the
// general path for a hit that changes the line's state.
void cpu_port::wb_beyond_l1(private_hierarchy::wb_hit r, const access_ext& ext,
                            tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    if (r == private_hierarchy::wb_hit::declined) return data_access(ext, gp, delay);
    if (ext.op == op_kind::store)
        m_caches.store(gp.get_address(), gp.get_data_ptr(), gp.get_data_length(), delay, true);
    else
        m_caches.load(gp.get_address(), gp.get_data_ptr(), gp.get_data_length(), delay, true);
}

void cpu_port::refuse_data_access(const access_ext& ext, const tlm::tlm_generic_payload& gp) const {
    if (gp.get_byte_enable_ptr() != nullptr)
        throw not_modelled("byte enables on cpu requests", m_ctx.name());
    if (gp.get_streaming_width() < gp.get_data_length())
        throw not_modelled("streaming (width < length) cpu requests", m_ctx.name());
    const bool write = gp.get_command() == tlm::TLM_WRITE_COMMAND;
    switch (ext.op) {
    case op_kind::load:
        if (write) m_ctx.refuse("op load with a write command");
        break;
    case op_kind::store:
    case op_kind::nt_store:
        if (!write)
            m_ctx.refuse(std::string("op ") + std::string(to_string(ext.op)) +
                         " with a read command");
        break;
    case op_kind::locked_rmw:
    case op_kind::lse_atomic:
        break;
    case op_kind::ldxr:
        if (write) m_ctx.refuse("op ldxr with a write command");
        break;
    case op_kind::stxr:
        if (!write) m_ctx.refuse("op stxr with a read command");
        break;
    default:
        m_ctx.refuse(std::string("op ") + std::string(to_string(ext.op)) +
                     " is not a data access (use TLM_IGNORE_COMMAND for cache ops)");
    }
    if (ext.source == type_source::cd && ext.type != memtype::uc)
        m_ctx.refuse("type_source cd (CR0.CD=1) comes with type UC, got " +
                     std::string(to_string(ext.type)));
    throw std::logic_error(std::string(m_ctx.name()) + ": a data access failed its checks for no "
                                                       "reason refuse_data_access knows");
}

// The request passed check_data_access().
void cpu_port::data_access(const access_ext& ext, tlm::tlm_generic_payload& gp,
                           sc_core::sc_time& delay) {
    const memory_system_config& cfg = m_ctx.cfg;
    const bool write = gp.get_command() == tlm::TLM_WRITE_COMMAND;
    if (ext.op == op_kind::locked_rmw) m_wc.drain(delay);
    const bool uc = ext.type == memtype::uc || ext.type == memtype::uc_minus;
    const bool no_fill = ext.source == type_source::cd;
    const bool device = ext.device != arm_device::none;
    // arm64 Device memory is not ordered with this pCPU's Normal-NC stores without a barrier
    // (Arm ARM B2.3): only the buffered bytes it overlaps drain (a pCPU sees its own stores);
    // a Device-GRE store gathers into them.
    if (device) {
        if (!(write && ext.device == arm_device::gre))
            m_wc.drain_range(gp.get_address(), gp.get_data_length(), delay);
    } else if (uc) {
        m_wc.drain(delay);
    }

    std::uint64_t addr = gp.get_address();
    std::uint8_t* ptr = gp.get_data_ptr();
    unsigned left = gp.get_data_length();
    while (left > 0) {
        const unsigned piece =
            std::min<unsigned>(left, cfg.line_size - static_cast<unsigned>(addr & m_ctx.line_mask));
        if (no_fill) {
            no_fill_access(write, addr, ptr, piece, delay);
        } else if (device) {
            device_piece(ext, write, addr, ptr, piece, delay);
        } else if (uc) {
            const bool own = cfg.self_snoop || uc_must_check_caches(ext.source);
            if (write)
                m_home.uncached_write(m_p, own, cfg.fabric_snoops_uncached, addr, ptr, nullptr,
                                      piece, delay);
            else
                m_home.uncached_read(m_p, own, cfg.fabric_snoops_uncached, addr, ptr, piece, delay);
        } else if (ext.type == memtype::wc) {
            if (write) {
                m_wc.store(false, addr, ptr, piece, delay);
            } else {
                m_wc.drain_range(addr, piece, delay);
                m_home.uncached_read(m_p, cfg.self_snoop, cfg.fabric_snoops_uncached, addr, ptr,
                                     piece, delay);
            }
        } else if (ext.op == op_kind::nt_store) {
            // Streaming store to cacheable memory: the own copy leaves first (SDM vol. 1
            // 10.4.6.2: a line present in the cache is evicted/written back), then WC buffers.
            const std::uint64_t la = m_ctx.line_of(addr);
            private_copy pc = m_home.find_private(m_p, la);
            if (pc.l2) {
                std::array<std::uint8_t, max_line_size> wb;
                if (m_home.step(m_p, la, pc, proto_event::flush, wb.data()).actions &
                    act::write_back)
                    m_home.writeback_to_dram(la, wb.data(), delay);
            }
            m_wc.store(true, addr, ptr, piece, delay);
        } else if (!write) {
            if (ext.op == op_kind::locked_rmw)
                m_caches.store(addr, nullptr, 0, delay); // ownership first
            m_caches.load(addr, ptr, piece, delay);
        } else if (ext.type == memtype::wb || ext.op == op_kind::locked_rmw) {
            m_caches.store(addr, ptr, piece, delay);
        } else if (ext.type == memtype::wt) {
            m_caches.store_through(proto_event::store_through, addr, ptr, piece, delay);
        } else {
            m_caches.store_through(proto_event::store_protect, addr, ptr, piece, delay);
        }
        addr += piece;
        ptr += piece;
        left -= piece;
    }
}

// CR0.CD=1, NW=0 (SDM vol. 3 11.5.3, no-fill mode): read hits and write hits on an owned line
// use the pCPU's caches; misses (and writes to a shared line) go to memory without allocating;
// coherence is maintained, so every cache is snooped whatever the platform parameters say.
void cpu_port::no_fill_access(bool write, std::uint64_t addr, std::uint8_t* ptr, unsigned len,
                              sc_core::sc_time& delay) {
    const private_copy pc = m_home.find_private(m_p, m_ctx.line_of(addr));
    const bool owned = pc.l2 && (pc.l2->state == mesi::m || pc.l2->state == mesi::e);
    if (pc.l2 && (!write || owned)) {
        if (write)
            m_caches.store(addr, ptr, len, delay);
        else
            m_caches.load(addr, ptr, len, delay);
        return;
    }
    if (write)
        m_home.uncached_write(m_p, true, true, addr, ptr, nullptr, len, delay);
    else
        m_home.uncached_read(m_p, true, true, addr, ptr, len, delay);
}

void cpu_port::cache_op(const access_ext& ext, std::uint64_t addr, sc_core::sc_time& delay) {
    if (arm64_cache_op(ext, addr, delay)) return;
    proto_event whole = proto_event::flush;
    switch (ext.op) {
    case op_kind::clflush:
    case op_kind::clflushopt:
        delay += m_ctx.time.l1;
        m_home.line_op(m_p, m_ctx.line_of(addr), proto_event::flush, delay);
        return;
    case op_kind::clwb:
        delay += m_ctx.time.l1;
        m_home.line_op(m_p, m_ctx.line_of(addr), proto_event::clean, delay);
        return;
    case op_kind::sfence:
    case op_kind::mfence:
        m_wc.drain(delay);
        return;
    case op_kind::wbinvd:
        break;
    case op_kind::wbnoinvd:
        whole = proto_event::clean;
        break;
    case op_kind::invd:
        whole = proto_event::drop;
        break;
    default:
        m_ctx.refuse("op " + std::string(to_string(ext.op)) +
                     " is not a cache-control op (TLM_IGNORE_COMMAND)");
    }
    // WBINVD (flush), WBNOINVD (clean), INVD (drop): this pCPU's L1D+L2, then its socket's
    // LLC; the reach beyond this pCPU is the platform's CPUID.4:EDX[0] per level
    // (cache_level_config::wbinvd_sharers): an inclusive LLC reaches the sharers' copies by
    // back-invalidation, a non-inclusive one by walking their private caches. Never the other
    // socket. Every frame walked costs wbinvd_cycles_per_line.
    m_wc.drain(delay);
    const unsigned s = m_ctx.socket_of(m_p);
    const bool sharers = m_ctx.cfg.llc.wbinvd_sharers && !m_ctx.cfg.llc_inclusive;
    const std::uint64_t own = m_caches.l1().frames() + m_caches.l2().frames();
    const std::uint64_t walked = own * (sharers ? m_ctx.per_socket : 1) + m_home.llc(s).frames();
    m_ctx.stats.wbinvd_lines_walked += walked;
    delay += m_ctx.t(m_ctx.cfg.wbinvd_cycles_per_line * walked);
    m_caches.walk(whole, delay);
    if (sharers) m_home.walk_sharers(m_p, whole, delay);
    m_home.walk_llc(s, whole, delay);
}

} // namespace mtsim
