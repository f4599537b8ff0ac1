// What the engine hands out besides time: kept load results, the observer's records, and the
// wiring of an agent's ports to the pCPU bus.
#include "cpu/agent.h"

#include <fmt/format.h>

#include "cpu/pcpu_bus.h"

namespace mtsim::cpu {

namespace {

op_kind record_kind(const op& o, bool is_load) {
    switch (o.code) {
    case op_code::xchg:
    case op_code::locked_add:
        return op_kind::locked_rmw;
    case op_code::ldxr:
        return op_kind::ldxr;
    case op_code::stxr:
        return op_kind::stxr;
    case op_code::ldadd:
    case op_code::cas:
        return op_kind::lse_atomic;
    default:
        return is_load                               ? op_kind::load
               : o.code == op_code::nt_store || o.nt ? op_kind::nt_store
                                                     : op_kind::store;
    }
}

} // namespace

void agent::keep_result(const op& o, std::vector<std::uint8_t> bytes) {
    if (m_cfg.keep == keep_loads::none || (m_cfg.keep == keep_loads::labelled && o.label.empty()))
        return;
    m_loads.push_back({m_index, o.label, o.addr, std::move(bytes), now()});
}

void agent::notify_observer(bool is_load, const op& o, std::uint64_t la, const xlate* x,
                            const std::uint8_t* data, unsigned len, bool forwarded) {
    access_record r;
    r.op_index = m_index;
    r.source = &o;
    r.kind = record_kind(o, is_load);
    r.linear = la;
    if (x) {
        r.hpa = x->hpa;
        r.type = x->type;
        r.source_of_type = x->source;
    }
    r.data = data;
    r.len = len;
    r.forwarded = forwarded;
    r.emulated = x == nullptr;
    r.at = now();
    if (is_load)
        m_observer->on_load(*this, r);
    else
        m_observer->on_store(*this, r);
}

void bind_ports(agent& a, pcpu_bus& bus) {
    if (bus.pcpus() != a.port.size())
        throw std::invalid_argument(fmt::format("{}: {} ports for a bus of {} pCPUs", a.name(),
                                                a.port.size(), bus.pcpus()));
    for (unsigned p = 0; p < bus.pcpus(); ++p) a.port[p].bind(bus.in(p));
    a.m_bus = &bus;
}

} // namespace mtsim::cpu
