#include "model/accounting.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace mtsim {

namespace {

constexpr std::array<std::string_view, static_cast<unsigned>(cost_part::exit_first)> fixed_names{
    "executing",   "memory.l1",       "memory.l2",       "memory.llc",
    "memory.dram", "memory.uncached", "memory.wc_drain", "flush.wbinvd",
    "flush.line",  "sync.wait",       "kvm.vcpu_load"};

// Nanoseconds of t to the picosecond, without the binary fraction's tail.
double ns(const sc_core::sc_time& t) {
    return std::round(t.to_seconds() * 1e12) / 1e3;
}

} // namespace

std::string cost_part_name(unsigned part) {
    if (part < fixed_names.size()) return std::string(fixed_names[part]);
    const unsigned k = part - static_cast<unsigned>(cost_part::exit_first);
    if (k >= 2 * exit_reason_count) throw std::out_of_range("cost part " + std::to_string(part));
    return "exit." + std::string(to_string(static_cast<exit_reason>(k / 2))) +
           (k % 2 ? ".kvm" : ".exit_entry");
}

void cost_account::open(const sc_core::sc_time& t) {
    m_open = true;
    m_start = m_last = t;
    m_pending = m_total = sc_core::SC_ZERO_TIME;
    m_parts.fill(sc_core::SC_ZERO_TIME);
}

void cost_account::close_gap(cost_part p, const sc_core::sc_time& now) {
    if (!m_open) return;
    if (now < m_last || now - m_last < m_pending)
        throw std::logic_error(
            "accounting: " + m_pending.to_string() + " charged explicitly, but only " +
            (now < m_last ? sc_core::SC_ZERO_TIME : now - m_last).to_string() + " passed");
    m_parts[static_cast<unsigned>(p)] += (now - m_last) - m_pending;
    m_last = now;
    m_pending = sc_core::SC_ZERO_TIME;
}

void cost_account::close(cost_part p, const sc_core::sc_time& end) {
    close_gap(p, end);
    m_total = end - m_start;
}

nlohmann::json cost_account::to_json(const clock& c) const {
    nlohmann::json parts = nlohmann::json::object();
    sc_core::sc_time cum = sc_core::SC_ZERO_TIME;
    std::uint64_t cum_cycles = 0;
    for (unsigned i = 0; i < cost_part_count; ++i) {
        if (m_parts[i] == sc_core::SC_ZERO_TIME) continue;
        cum += m_parts[i];
        const std::uint64_t upto = c.to_cycles(cum).n;
        parts[cost_part_name(i)] = {{"cycles", upto - cum_cycles}, {"ns", ns(m_parts[i])}};
        cum_cycles = upto;
    }
    const sc_core::sc_time busy = m_total - part(cost_part::sync_wait);
    return {{"clock_mhz", c.mhz()},
            {"cycles", c.to_cycles(m_total).n},
            {"ns", ns(m_total)},
            {"busy_ns", ns(busy)},
            {"parts", parts}};
}

} // namespace mtsim
