// Construction and wiring of the components, and the public calls that reach into them
// (serialize, introspection).
#include "cache/memory_system.h"

#include <algorithm>
#include <deque>
#include <string>

#include "cache/cpu_port.h"
#include "cache/device_port.h"
#include "cache/dram_port.h"
#include "cache/home_agent.h"
#include "cache/ms_context.h"
#include "cache/private_hierarchy.h"
#include "cache/wc_unit.h"

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

// The components, constructed in dependency order and never moved (they hold references to
// each other; sockets hold pointers to the ports).
struct memory_system::parts {
    parts(memory_system& owner, const memory_system_config& cfg)
        : ctx(owner, cfg, owner.m_stats), dram(ctx, owner.to_dram), home(ctx, dram, pcpu),
          device(ctx, home, dram) {
        pcpu.reserve(ctx.cfg.pcpus);
        wc.reserve(ctx.cfg.pcpus);
        for (unsigned p = 0; p < ctx.cfg.pcpus; ++p) {
            pcpu.emplace_back(ctx, home, p);
            wc.emplace_back(ctx, home, p);
        }
        for (unsigned p = 0; p < ctx.cfg.pcpus; ++p)
            ports.emplace_back(ctx, home, pcpu[p], wc[p], p);
    }

    ms_context ctx;
    dram_port dram;
    std::vector<private_hierarchy> pcpu;
    std::vector<wc_unit> wc;
    home_agent home;
    device_port device;
    std::deque<cpu_port> ports;
};

memory_system::memory_system(const sc_core::sc_module_name& name, const memory_system_config& cfg)
    : sc_module(name), cpu("cpu"), dma("dma"), to_dram("to_dram"),
      m_parts(std::make_unique<parts>(*this, cfg)) {
    const unsigned pcpus = m_parts->ctx.cfg.pcpus;
    cpu.init(pcpus);
    for (unsigned p = 0; p < pcpus; ++p) cpu[p].bind(m_parts->ports[p]);
    dma.bind(m_parts->device);
    set_perturbation(0);
    SC_METHOD(wc_timeline);
    sensitive << m_wc_timer;
    dont_initialize();

    const std::string proto_path = std::string(this->name()) + ".protocol";
    const protocol_table& table = m_parts->home.protocol();
    const transition_counts& counts = m_parts->home.counts();
    for (unsigned s = 0; s < mesi_count; ++s)
        for (unsigned e = 0; e < proto_event_count; ++e) {
            const auto st = static_cast<mesi>(s);
            const auto ev = static_cast<proto_event>(e);
            if (!table.at(st, ev).defined) continue;
            m_cell_stats.push_back(std::make_unique<derived_stat>(
                proto_path, std::string(to_string(st)) + "_" + std::string(to_string(ev)),
                "times the protocol took this (state, event) pair", "transitions",
                [&counts, s, e] { return double(counts[s][e]); }));
        }
}

memory_system::~memory_system() = default;

const memory_system_config& memory_system::config() const {
    return m_parts->ctx.cfg;
}

const mtsim::clock& memory_system::clk() const {
    return m_parts->ctx.clock;
}

protocol_table& memory_system::protocol() {
    return m_parts->home.protocol();
}

const transition_counts& memory_system::protocol_counts() const {
    return m_parts->home.counts();
}

void memory_system::set_device_memory(
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges,
    std::function<void(const access_ext&, std::uint64_t, unsigned)> hook) {
    for (auto& r : ranges) r.second += r.first;
    m_parts->ctx.device_ranges = std::move(ranges);
    m_parts->ctx.on_machine_check = std::move(hook);
}

void memory_system::serialize(unsigned pcpu, sc_core::sc_time& delay) {
    if (pcpu >= m_parts->ctx.cfg.pcpus)
        m_parts->ctx.refuse("serialize on pCPU " + std::to_string(pcpu));
    m_parts->wc[pcpu].drain(delay);
}

void memory_system::set_perturbation(std::uint64_t seed) {
    auto arm = [this](const sc_core::sc_time& due) {
        m_wc_timer.notify(due - sc_core::sc_time_stamp());
    };
    for (wc_unit& w : m_parts->wc) w.set_timer(arm, seed);
}

void memory_system::wc_timeline() {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    sc_core::sc_time next = sc_core::sc_max_time();
    for (wc_unit& w : m_parts->wc) next = std::min(next, w.drain_due(now));
    if (next != sc_core::sc_max_time()) m_wc_timer.notify(next - now);
}

std::vector<line_view> memory_system::copies(std::uint64_t addr) const {
    const parts& x = *m_parts;
    std::vector<line_view> out;
    const std::uint64_t la = x.ctx.line_of(addr);
    const unsigned n = x.ctx.cfg.line_size;
    for (unsigned p = 0; p < x.ctx.cfg.pcpus; ++p) {
        if (const cache_line* l = x.pcpu[p].l1().find(la))
            out.push_back({int(p), cache_level::l1d, l->l2->state, l->dirty,
                           std::vector<std::uint8_t>(l->data, l->data + n)});
        if (const cache_line* l = x.pcpu[p].l2().find(la))
            out.push_back({int(p), cache_level::l2, l->state, l->state == mesi::m,
                           std::vector<std::uint8_t>(l->data, l->data + n)});
    }
    for (unsigned s = 0; s < x.ctx.cfg.sockets; ++s) {
        const cache_line* l = x.home.llc(s).find(la);
        if (!l) continue;
        const directory_view d = directory(addr);
        mesi summary = mesi::i;
        if (d.owner >= 0) {
            const cache_line* o = x.pcpu[unsigned(d.owner)].l2().find(la);
            summary = o ? o->state : mesi::i;
        } else if (d.sharers != 0) {
            summary = mesi::s;
        }
        out.push_back({-1, cache_level::llc, summary, l->dirty,
                       std::vector<std::uint8_t>(l->data, l->data + n), s});
    }
    return out;
}

directory_view memory_system::directory(std::uint64_t addr) const {
    const snoop_filter::holders h = m_parts->home.filter().find(m_parts->ctx.line_of(addr));
    return {h.sharers, h.owner};
}

bool memory_system::in_wc_buffer(unsigned pcpu, std::uint64_t addr) const {
    if (pcpu >= m_parts->ctx.cfg.pcpus)
        m_parts->ctx.refuse("in_wc_buffer on pCPU " + std::to_string(pcpu));
    return m_parts->wc[pcpu].holds(addr);
}

std::vector<std::uint8_t> memory_system::read_coherent(std::uint64_t addr, std::size_t len) const {
    return m_parts->home.read_coherent(addr, len);
}

std::vector<std::uint8_t> memory_system::read_dram(std::uint64_t addr, std::size_t len) const {
    std::vector<std::uint8_t> out(len);
    m_parts->dram.dbg(addr, out.data(), len);
    return out;
}

} // namespace mtsim
