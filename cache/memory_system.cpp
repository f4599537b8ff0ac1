// Construction, the socket entry points, the per-line dispatch by memory type, DRAM access
// and the introspection API.
#include "cache/memory_system.h"
#include "model/not_modelled.h"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace mtsim {

std::string_view to_string(cache_level l) {
    switch (l) {
    case cache_level::l1d:
        return "L1D";
    case cache_level::l2:
        return "L2";
    case cache_level::llc:
        return "LLC";
    }
    return "?";
}

namespace {

unsigned log2u(std::uint64_t v) {
    unsigned r = 0;
    while ((std::uint64_t(1) << r) < v) ++r;
    return r;
}

[[noreturn]] void refuse(const sc_core::sc_module& m, const std::string& what) {
    throw std::invalid_argument(std::string(m.name()) + ": " + what);
}

} // namespace

memory_system::memory_system(const sc_core::sc_module_name& name, const memory_system_config& cfg)
    : sc_module(name), cpu("cpu"), dma("dma"), to_dram("to_dram"), m_cfg(cfg),
      m_clock(cfg.clock_mhz), m_protocol(mesi_table()) {
    validate(m_cfg);
    m_line_shift = log2u(m_cfg.line_size);
    m_line_mask = m_cfg.line_size - 1;
    cpu.init(m_cfg.pcpus);
    for (unsigned p = 0; p < m_cfg.pcpus; ++p) {
        m_cpu_ports.push_back(std::make_unique<cpu_port>(*this, p));
        cpu[p].bind(*m_cpu_ports.back());
    }
    dma.register_b_transport(this, &memory_system::dma_b_transport);
    dma.register_transport_dbg(this, &memory_system::dma_transport_dbg);

    m_pcpu.resize(m_cfg.pcpus);
    for (auto& pc : m_pcpu) {
        pc.l1.emplace(m_cfg.l1d, m_cfg.line_size);
        pc.l2.emplace(m_cfg.l2, m_cfg.line_size);
        pc.wc.resize(m_cfg.wc_buffers);
        for (auto& b : pc.wc) {
            b.data.assign(m_cfg.wc_buffer_size, 0);
            b.mask.assign(m_cfg.wc_buffer_size, 0);
        }
    }
    m_llc.emplace(m_cfg.llc, m_cfg.line_size);
    m_dir = snoop_filter(m_pcpu[0].l2->sets(), m_cfg.pcpus, m_cfg.l2.ways);
    m_port_busy.assign(m_cfg.llc_ports, sc_core::SC_ZERO_TIME);
    m_time = {t(m_cfg.l1d.latency),        t(m_cfg.l2.latency),    t(m_cfg.llc.latency),
              t(m_cfg.llc_port_occupancy), t(m_cfg.snoop_latency), t(m_cfg.wc_store_latency)};
    m_dram_gp.set_extension(&m_dram_ext);
    m_dram_ext.source = type_source::fixed;

    const std::string proto_path = std::string(this->name()) + ".protocol";
    for (unsigned s = 0; s < mesi_count; ++s)
        for (unsigned e = 0; e < proto_event_count; ++e) {
            const auto st = static_cast<mesi>(s);
            const auto ev = static_cast<proto_event>(e);
            if (!m_protocol.at(st, ev).defined) continue;
            m_cell_stats.push_back(std::make_unique<derived_stat>(
                proto_path, std::string(to_string(st)) + "_" + std::string(to_string(ev)),
                "times the protocol took this (state, event) pair", "transitions",
                [this, s, e] { return double(m_counts[s][e]); }));
        }
}

memory_system::~memory_system() {
    m_dram_gp.clear_extension(&m_dram_ext);
}

void memory_system::cpu_port::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    m_mem.cpu_b_transport(m_p, gp, delay);
}

unsigned int memory_system::cpu_port::transport_dbg(tlm::tlm_generic_payload& gp) {
    return m_mem.dma_transport_dbg(gp);
}

std::string memory_system::cpu_port::lt_target_name() const {
    return std::string(m_mem.name()) + ".cpu[" + std::to_string(m_p) + "]";
}

void memory_system::cpu_b_transport(unsigned p, tlm::tlm_generic_payload& gp,
                                    sc_core::sc_time& delay) {
    const access_ext* ext = gp.get_extension<access_ext>();
    if (!ext) refuse(*this, "cpu request without access_ext");
    if (ext->who.pcpu != p)
        refuse(*this, "request on cpu[" + std::to_string(p) + "] says pCPU " +
                          std::to_string(ext->who.pcpu));

    const std::uint64_t addr = gp.get_address();
    if (gp.get_command() == tlm::TLM_IGNORE_COMMAND) {
        cache_op(p, *ext, addr, delay);
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
        return;
    }
    // Every data access, fast or not, passes the same checks, here and only here.
    check_data_access(*ext, gp);
    const unsigned len = gp.get_data_length();
    // A processor sees its own stores: a cacheable access to bytes still in this pCPU's WC
    // buffers (its NT stores, or stores through a WC alias) drains those buffers first, so
    // the later load reads them and the later store is not overwritten by an older drain.
    // Other pCPUs and devices still see nothing of a WC buffer until it drains.
    if (m_pcpu[p].wc_used != 0 && is_cacheable(ext->type) && ext->op != op_kind::nt_store)
        drain_wc_range(p, addr, len, delay);

    // The lean path: a checked WB load or store within one line (a WB type never comes with
    // source cd: check_data_access refuses that). An L1D hit that stays in its state is served
    // here; an L1D miss goes to the cached path data_access would pick, which then skips a
    // second L1D lookup.
    if (ext->type == memtype::wb && (ext->op == op_kind::load || ext->op == op_kind::store) &&
        len > 0 && (addr & m_line_mask) + len <= m_cfg.line_size) {
        const bool write = ext->op == op_kind::store; // the command agrees (checked)
        cache_array& l1 = *m_pcpu[p].l1;
        cache_line* l = l1.find(addr >> m_line_shift);
        if (!l) {
            if (write)
                cached_store(p, addr, gp.get_data_ptr(), len, delay, true);
            else
                cached_load(p, addr, gp.get_data_ptr(), len, delay, true);
            gp.set_response_status(tlm::TLM_OK_RESPONSE);
            return;
        }
        const proto_event ev = write ? proto_event::store : proto_event::load;
        const mesi s = l->l2->state;
        const transition& tr = m_protocol.at(s, ev);
        if (tr.defined && (tr.actions & act::hit) && tr.next == s) {
            ++m_counts[static_cast<unsigned>(s)][static_cast<unsigned>(ev)];
            l1.touch(l);
            std::uint8_t* d = l->data + (addr & m_line_mask);
            if (write) {
                copy_access(d, gp.get_data_ptr(), len);
                l->dirty = true;
            } else {
                copy_access(gp.get_data_ptr(), d, len);
            }
            ++m_stats.l1_hits;
            delay += m_time.l1;
            gp.set_response_status(tlm::TLM_OK_RESPONSE);
            return;
        }
    }

    data_access(p, *ext, gp, delay);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

void memory_system::refuse_data_access(const access_ext& ext,
                                       const tlm::tlm_generic_payload& gp) const {
    if (gp.get_byte_enable_ptr() != nullptr)
        throw not_modelled("byte enables on cpu requests", name());
    if (gp.get_streaming_width() < gp.get_data_length())
        throw not_modelled("streaming (width < length) cpu requests", name());
    const bool write = gp.get_command() == tlm::TLM_WRITE_COMMAND;
    switch (ext.op) {
    case op_kind::load:
        if (write) refuse(*this, "op load with a write command");
        break;
    case op_kind::store:
    case op_kind::nt_store:
        if (!write)
            refuse(*this,
                   std::string("op ") + std::string(to_string(ext.op)) + " with a read command");
        break;
    case op_kind::locked_rmw:
        break;
    default:
        refuse(*this, std::string("op ") + std::string(to_string(ext.op)) +
                          " is not a data access (use TLM_IGNORE_COMMAND for cache ops)");
    }
    if (ext.source == type_source::cd && ext.type != memtype::uc)
        refuse(*this, "type_source cd (CR0.CD=1) comes with type UC, got " +
                          std::string(to_string(ext.type)));
    throw std::logic_error(std::string(name()) + ": a data access failed its checks for no "
                                                 "reason refuse_data_access knows");
}

// The request passed check_data_access().
void memory_system::data_access(unsigned p, const access_ext& ext, tlm::tlm_generic_payload& gp,
                                sc_core::sc_time& delay) {
    const bool write = gp.get_command() == tlm::TLM_WRITE_COMMAND;
    if (ext.op == op_kind::locked_rmw) drain_wc(p, delay);
    const bool uc = ext.type == memtype::uc || ext.type == memtype::uc_minus;
    const bool no_fill = ext.source == type_source::cd;
    if (uc) drain_wc(p, delay);

    std::uint64_t addr = gp.get_address();
    std::uint8_t* ptr = gp.get_data_ptr();
    unsigned left = gp.get_data_length();
    while (left > 0) {
        const unsigned piece =
            std::min<unsigned>(left, m_cfg.line_size - static_cast<unsigned>(addr & m_line_mask));
        if (no_fill) {
            no_fill_access(p, write, addr, ptr, piece, delay);
        } else if (uc) {
            if (write)
                uncached_write(p, m_cfg.self_snoop || uc_must_check_caches(ext.source),
                               m_cfg.fabric_snoops_uncached, addr, ptr, nullptr, piece, delay);
            else
                uncached_read(p, m_cfg.self_snoop || uc_must_check_caches(ext.source),
                              m_cfg.fabric_snoops_uncached, addr, ptr, piece, delay);
        } else if (ext.type == memtype::wc) {
            if (write) {
                wc_store(p, false, addr, ptr, piece, delay);
            } else {
                drain_wc_range(p, addr, piece, delay);
                uncached_read(p, m_cfg.self_snoop, m_cfg.fabric_snoops_uncached, addr, ptr, piece,
                              delay);
            }
        } else if (ext.op == op_kind::nt_store) {
            // Streaming store to cacheable memory: the own copy leaves first (SDM vol. 1
            // 10.4.6.2: a line present in the cache is evicted/written back), then WC buffers.
            private_copy pc = find_private(p, line_of(addr));
            if (pc.l2) {
                std::array<std::uint8_t, max_line_size> wb;
                if (step(p, line_of(addr), pc, proto_event::flush, wb.data()).actions &
                    act::write_back)
                    writeback_to_dram(line_of(addr), wb.data(), delay);
            }
            wc_store(p, true, addr, ptr, piece, delay);
        } else if (!write) {
            if (ext.op == op_kind::locked_rmw)
                cached_store(p, addr, nullptr, 0, delay); // ownership first
            cached_load(p, addr, ptr, piece, delay);
        } else if (ext.type == memtype::wb || ext.op == op_kind::locked_rmw) {
            cached_store(p, addr, ptr, piece, delay);
        } else if (ext.type == memtype::wt) {
            wt_wp_store(p, proto_event::store_through, addr, ptr, piece, delay);
        } else {
            wt_wp_store(p, proto_event::store_protect, addr, ptr, piece, delay);
        }
        addr += piece;
        ptr += piece;
        left -= piece;
    }
}

void memory_system::serialize(unsigned pcpu, sc_core::sc_time& delay) {
    if (pcpu >= m_cfg.pcpus) refuse(*this, "serialize on pCPU " + std::to_string(pcpu));
    drain_wc(pcpu, delay);
}

unsigned int memory_system::dma_transport_dbg(tlm::tlm_generic_payload& gp) {
    if (gp.get_command() != tlm::TLM_READ_COMMAND)
        throw not_modelled("debug writes (they would bypass coherence)", name());
    const auto v = read_coherent(gp.get_address(), gp.get_data_length());
    std::memcpy(gp.get_data_ptr(), v.data(), v.size());
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return static_cast<unsigned>(v.size());
}

void memory_system::dram_failed(const char* what, std::uint64_t addr) const {
    std::ostringstream o;
    o << "DRAM " << what << " failed at 0x" << std::hex << addr << ": "
      << m_dram_gp.get_response_string();
    refuse(*this, o.str());
}

void memory_system::dram_read(std::uint64_t addr, std::uint8_t* dst, unsigned len,
                              sc_core::sc_time& delay) {
    m_dram_gp.set_command(tlm::TLM_READ_COMMAND);
    m_dram_gp.set_address(addr);
    m_dram_gp.set_data_ptr(dst);
    m_dram_gp.set_data_length(len);
    m_dram_gp.set_streaming_width(len);
    m_dram_gp.set_byte_enable_ptr(nullptr);
    m_dram_gp.set_byte_enable_length(0);
    m_dram_gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    m_dram_ext.op = op_kind::load;
    to_dram->b_transport(m_dram_gp, delay);
    if (!m_dram_gp.is_response_ok()) dram_failed("read", addr);
    ++m_stats.dram_reads;
}

void memory_system::dram_write(std::uint64_t addr, const std::uint8_t* src,
                               const std::uint8_t* mask, unsigned len, sc_core::sc_time& delay) {
    // Byte enables in TLM are 0xff per enabled byte; the WC mask is 0/1, so translate.
    std::array<std::uint8_t, max_line_size> be;
    m_dram_gp.set_command(tlm::TLM_WRITE_COMMAND);
    m_dram_gp.set_address(addr);
    m_dram_gp.set_data_ptr(const_cast<std::uint8_t*>(src));
    m_dram_gp.set_data_length(len);
    m_dram_gp.set_streaming_width(len);
    if (mask) {
        for (unsigned i = 0; i < len; ++i) be[i] = mask[i] ? 0xff : 0x00;
        m_dram_gp.set_byte_enable_ptr(be.data());
        m_dram_gp.set_byte_enable_length(len);
    } else {
        m_dram_gp.set_byte_enable_ptr(nullptr);
        m_dram_gp.set_byte_enable_length(0);
    }
    m_dram_gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    m_dram_ext.op = op_kind::store;
    to_dram->b_transport(m_dram_gp, delay);
    m_dram_gp.set_byte_enable_ptr(nullptr);
    m_dram_gp.set_byte_enable_length(0);
    if (!m_dram_gp.is_response_ok()) dram_failed("write", addr);
    ++m_stats.dram_writes;
}

void memory_system::dram_dbg(std::uint64_t addr, std::uint8_t* dst, std::size_t len) const {
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(addr);
    gp.set_data_ptr(dst);
    gp.set_data_length(static_cast<unsigned>(len));
    gp.set_streaming_width(static_cast<unsigned>(len));
    auto& sock = const_cast<memory_system*>(this)->to_dram;
    if (sock->transport_dbg(gp) != len) refuse(*this, "DRAM debug read returned short");
}

// --- introspection ---------------------------------------------------------------------

std::vector<line_view> memory_system::copies(std::uint64_t addr) const {
    std::vector<line_view> out;
    const std::uint64_t la = line_of(addr);
    const unsigned n = m_cfg.line_size;
    for (unsigned p = 0; p < m_cfg.pcpus; ++p) {
        if (const cache_line* l = m_pcpu[p].l1->find(la))
            out.push_back({int(p), cache_level::l1d, l->l2->state, l->dirty,
                           std::vector<std::uint8_t>(l->data, l->data + n)});
        if (const cache_line* l = m_pcpu[p].l2->find(la))
            out.push_back({int(p), cache_level::l2, l->state, l->state == mesi::m,
                           std::vector<std::uint8_t>(l->data, l->data + n)});
    }
    if (const cache_line* l = m_llc->find(la)) {
        const directory_view d = directory(addr);
        mesi summary = mesi::i;
        if (d.owner >= 0) {
            const cache_line* o = m_pcpu[unsigned(d.owner)].l2->find(la);
            summary = o ? o->state : mesi::i;
        } else if (d.sharers != 0) {
            summary = mesi::s;
        }
        out.push_back({-1, cache_level::llc, summary, l->dirty,
                       std::vector<std::uint8_t>(l->data, l->data + n)});
    }
    return out;
}

directory_view memory_system::directory(std::uint64_t addr) const {
    const snoop_filter::holders h = m_dir.find(line_of(addr));
    return {h.sharers, h.owner};
}

bool memory_system::in_wc_buffer(unsigned pcpu, std::uint64_t addr) const {
    if (pcpu >= m_cfg.pcpus) refuse(*this, "in_wc_buffer on pCPU " + std::to_string(pcpu));
    for (const wc_buffer& b : m_pcpu[pcpu].wc)
        if (b.valid && addr >= b.base && addr < b.base + m_cfg.wc_buffer_size &&
            b.mask[addr - b.base])
            return true;
    return false;
}

std::vector<std::uint8_t> memory_system::read_coherent(std::uint64_t addr, std::size_t len) const {
    std::vector<std::uint8_t> out(len);
    std::size_t done = 0;
    while (done < len) {
        const std::uint64_t a = addr + done;
        const std::uint64_t la = line_of(a);
        const unsigned off = static_cast<unsigned>(a & m_line_mask);
        const std::size_t piece = std::min<std::size_t>(len - done, m_cfg.line_size - off);
        const std::uint8_t* src = nullptr;
        for (unsigned p = 0; p < m_cfg.pcpus && !src; ++p) {
            const cache_line* l2 = m_pcpu[p].l2->find(la);
            if (l2 && l2->state == mesi::m) {
                const cache_line* l1 = m_pcpu[p].l1->find(la);
                src = l1 ? l1->data : l2->data;
            }
        }
        if (!src)
            if (const cache_line* l = m_llc->find(la)) src = l->data;
        if (src)
            std::memcpy(out.data() + done, src + off, piece);
        else
            dram_dbg(a, out.data() + done, piece);
        done += piece;
    }
    return out;
}

std::vector<std::uint8_t> memory_system::read_dram(std::uint64_t addr, std::size_t len) const {
    std::vector<std::uint8_t> out(len);
    dram_dbg(addr, out.data(), len);
    return out;
}

} // namespace mtsim
