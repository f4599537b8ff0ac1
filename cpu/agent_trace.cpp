// The agent's part of the timeline (model/trace.h): its track and one slice per op.
#include "cpu/agent.h"
#include "model/trace.h"

namespace mtsim::cpu {

[[gnu::cold]] void agent::trace_op(const op& o, sc_core::sc_time issued) const {
    nlohmann::json args = {{"index", m_index}};
    if (o.line) args["line"] = o.line;
    if (!o.label.empty()) args["label"] = o.label;
    if (o.len) args["bytes"] = o.len;
    const bool flush = o.code == op_code::clflush || o.code == op_code::clflushopt ||
                       o.code == op_code::clwb || o.code == op_code::wbinvd ||
                       o.code == op_code::wbnoinvd || o.code == op_code::invd;
    const bool cb = o.code == op_code::callback;
    if (!trace::on(flush ? trace::category::flush : trace::category::op)) return;
    trace::slice(name(), flush ? trace::category::flush : trace::category::op,
                 cb ? o.label : std::string(to_string(o.code)), issued, now(), std::move(args));
}

void agent::start_of_simulation_trace() const {
    if (trace::enabled()) trace::declare_track(name(), trace::group::agents);
}

} // namespace mtsim::cpu
