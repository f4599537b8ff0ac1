// The engine's arm64 ops (cpu/program.h): DC CIVAC/CVAC/IVAC by VA, DSB, DMB, LDXR/STXR and
// the LSE atomics LDADD and CAS (Arm ARM DDI 0487: D7.5 cache maintenance, B2.3 barriers,
// B2.9 exclusives, C6 LDADD/CAS).
//
// - DC by VA is weakly ordered like CLFLUSHOPT: it waits in the deferral queue (after the
//   buffered stores to its line retired) and completes on DSB, DMB, the end of the program or
//   its own flush_delay. DC IVAC needs write permission (it can destroy data), CIVAC/CVAC read.
// - DMB orders: every buffered store and deferred DC op is issued before anything after it,
//   without waiting for their completion; the memory system drains the gathered stores.
// - DSB completes: the agent waits for every buffered store and DC op, and the memory system
//   for its gathered stores and Device stores in flight.
// - An exclusive or atomic on memory that is not Normal-WB is reported to the observer
//   (on_malfunction, with attribute_of's derivation) when it executes, then runs as the
//   memory system runs it: LDXR and the atomics as plain accesses of that type, STXR fails.
#include <fmt/format.h>

#include "cpu/agent.h"
#include "model/not_modelled.h"

namespace mtsim::cpu {

namespace {

constexpr std::uint64_t page = 4096;

op_kind dc_kind(op_code c) {
    return c == op_code::dc_civac  ? op_kind::dc_civac
           : c == op_code::dc_cvac ? op_kind::dc_cvac
                                   : op_kind::dc_ivac;
}

} // namespace

std::string agent::attribute_of(std::uint64_t, const xlate& x) const {
    if (x.device != arm_device::none) return std::string(enum_name(x.device));
    return fmt::format("{} (from {})", to_string(x.type), to_string(x.source));
}

bool agent::check_cacheable(const op& o, std::uint64_t la, const xlate& x) {
    if (x.type == memtype::wb && x.device == arm_device::none) return true;
    if (m_observer) {
        access_record r;
        r.op_index = m_index;
        r.source = &o;
        r.kind = o.code == op_code::ldxr   ? op_kind::ldxr
                 : o.code == op_code::stxr ? op_kind::stxr
                                           : op_kind::lse_atomic;
        r.linear = la;
        r.hpa = x.hpa;
        r.type = x.type;
        r.source_of_type = x.source;
        r.len = static_cast<unsigned>(o.len);
        r.at = now();
        m_observer->on_malfunction(*this, r, attribute_of(la, x));
    }
    return false;
}

void agent::arm64_op(const op& o) {
    const unsigned n = static_cast<unsigned>(o.len);
    switch (o.code) {
    case op_code::dc_civac:
    case op_code::dc_cvac:
    case op_code::dc_ivac: {
        xlate x;
        const access_kind ak = o.code == op_code::dc_ivac ? access_kind::write : access_kind::read;
        if (!resolve(o.addr, ak, nullptr, 0, x)) return; // emulated: nothing cached to maintain
        const std::uint64_t line = x.hpa & ~std::uint64_t{m_cfg.line_size - 1};
        retire_stores(m_sb.retire_count_for(line, line + m_cfg.line_size));
        m_deferred.push_back({line, dc_kind(o.code), x.type, x.source,
                              retire_ready(m_cfg.store_buffer.flush_delay)});
        ++m_flushes_deferred;
        return;
    }
    case op_code::dsb:
        drain_all();
        transport(tlm::TLM_IGNORE_COMMAND, op_kind::dsb, 0, nullptr, 0, memtype::wb,
                  type_source::fixed);
        m_qk.sync();
        return;
    case op_code::dmb:
        while (!m_sb.empty()) retire_oldest(true);
        complete_flushes(0, true, false);
        transport(tlm::TLM_IGNORE_COMMAND, op_kind::dmb, 0, nullptr, 0, memtype::wb,
                  type_source::fixed);
        m_qk.sync();
        return;
    case op_code::ldxr:
    case op_code::stxr:
    case op_code::ldadd:
    case op_code::cas:
        break;
    default:
        throw std::logic_error("unknown op code");
    }
    if ((o.addr & (page - 1)) + n > page || (o.addr & (n - 1)) != 0)
        throw not_modelled("an unaligned exclusive or atomic access",
                           fmt::format("{} at {:#x}", to_string(o.code), o.addr));
    if (o.code == op_code::ldadd || o.code == op_code::cas) {
        atomic_op(o);
        return;
    }
    const bool write = o.code == op_code::stxr;
    // A store-exclusive leaves after the older stores; a load-exclusive sees them.
    retire_stores(m_sb.size());
    std::vector<std::uint8_t> bytes = write ? o.data : std::vector<std::uint8_t>(n);
    xlate x;
    if (!resolve(o.addr, write ? access_kind::write : access_kind::read, bytes.data(), n, x))
        throw not_modelled("an exclusive access emulated by the hypervisor",
                           fmt::format("{} at {:#x}", to_string(o.code), o.addr));
    check_cacheable(o, o.addr, x);
    transport(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND,
              write ? op_kind::stxr : op_kind::ldxr, x.hpa, bytes.data(), n, x.type, x.source,
              false, x.device);
    if (write) {
        const bool failed = m_last_ext->exclusive_failed;
        ++m_stores_issued;
        if (!failed) {
            m_store_bytes += n;
            report(false, o, o.addr, &x, bytes.data(), n, false);
        }
        keep_result(o, le_bytes(failed ? 1 : 0, 4)); // the status register
        m_qk.sync();
        return;
    }
    ++m_loads_issued;
    m_load_bytes += n;
    report(true, o, o.addr, &x, bytes.data(), n, false);
    keep_result(o, std::move(bytes));
}

// LDADD and CAS: one read-modify-write of the line, the old value the op's result.
void agent::atomic_op(const op& o) {
    const unsigned n = static_cast<unsigned>(o.len);
    retire_stores(m_sb.size());
    std::vector<std::uint8_t> old(n);
    xlate x;
    if (!resolve(o.addr, access_kind::write, old.data(), n, x))
        throw not_modelled("an atomic emulated by the hypervisor",
                           fmt::format("{} at {:#x}", to_string(o.code), o.addr));
    check_cacheable(o, o.addr, x);
    transport(tlm::TLM_READ_COMMAND, op_kind::lse_atomic, x.hpa, old.data(), n, x.type, x.source,
              false, x.device);
    ++m_loads_issued;
    m_load_bytes += n;
    report(true, o, o.addr, &x, old.data(), n, false);
    const std::uint64_t v = le_value(old.data(), n);
    const std::uint64_t operand = le_value(o.data.data(), n);
    const bool writes = o.code == op_code::ldadd || v == o.compare;
    if (writes) {
        std::vector<std::uint8_t> neu =
            le_bytes(o.code == op_code::ldadd ? v + operand : operand, n);
        transport(tlm::TLM_WRITE_COMMAND, op_kind::lse_atomic, x.hpa, neu.data(), n, x.type,
                  x.source, false, x.device);
        ++m_stores_issued;
        m_store_bytes += n;
        report(false, o, o.addr, &x, neu.data(), n, false);
    }
    keep_result(o, std::move(old));
    m_qk.sync();
}

} // namespace mtsim::cpu
