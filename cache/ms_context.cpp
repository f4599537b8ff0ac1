#include "cache/ms_context.h"

namespace mtsim {

namespace {

unsigned log2_of(std::uint64_t v) {
    unsigned r = 0;
    while ((std::uint64_t(1) << r) < v) ++r;
    return r;
}

} // namespace

ms_context::ms_context(const sc_core::sc_module& owner_, const memory_system_config& config,
                       memory_system_stats& stats_)
    : owner(owner_), cfg(config), clock(config.clock_mhz), sim(owner_.simcontext()), stats(stats_) {
    validate(cfg);
    line_shift = log2_of(cfg.line_size);
    line_mask = cfg.line_size - 1;
    time = {t(cfg.l1d.latency),          t(cfg.l2.latency),         t(cfg.llc.latency),
            t(cfg.llc_port_occupancy),   t(cfg.snoop_latency),      t(cfg.wc_store_latency),
            t(cfg.snoop_filter_latency), t(cfg.socket_link_latency)};
    per_socket = cfg.pcpus / cfg.sockets;
}

void ms_context::refuse(const std::string& what) const {
    throw std::invalid_argument(std::string(owner.name()) + ": " + what);
}

} // namespace mtsim
