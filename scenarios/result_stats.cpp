// The statistics a run's result carries (`cycles_per_agent`, `stats`): a short, fixed list of
// the counters the catalogue's verdicts are read with. Every statistic of the platform, with
// units, is what `mtsim list stats` walks; this list only picks from those counters.
#include <cmath>

#include "scenarios/builder.h"

namespace mtsim::scenarios {

nlohmann::json platform::cycles_json() const {
    nlohmann::json j;
    for (const auto& v : m_vcpus) j[v->basename()] = v->m_cycles.value();
    if (m_vmm) j["vmm"] = m_vmm->m_cycles.value();
    // The GPU's last completion, counted from the programs' start (after set-up).
    const std::uint64_t setup = gpu.clk().to_cycles(m_setup_time).n;
    j["gpu"] = gpu.completed().empty() ? 0 : gpu.completed().back().end.n - setup;
    return j;
}

nlohmann::json platform::agents_json() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& v : m_vcpus) j[v->basename()] = v->account().to_json(v->clk());
    if (m_vmm) j["vmm"] = m_vmm->account().to_json(m_vmm->clk());
    j["gpu"] = gpu.account().to_json(gpu.clk());
    return j;
}

nlohmann::json platform::marks_json() const {
    nlohmann::json j = nlohmann::json::object();
    auto add = [&](const cpu::agent& a, const std::string& name) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& m : a.marks())
            list.push_back({{"label", m.label},
                            {"ns", std::round((m.at - m_setup_time).to_seconds() * 1e12) / 1e3}});
        if (!list.empty()) j[name] = list;
    };
    for (const auto& v : m_vcpus) add(*v, v->basename());
    if (m_vmm) add(*m_vmm, "vmm");
    return j;
}

nlohmann::json platform::stats_json() const {
    const auto& h = hv.stats();
    return {{"exits_ept_violation", h.exits_ept_violation.value()},
            {"exits_wbinvd", h.exits_wbinvd.value()},
            {"wbinvd_nops", h.wbinvd_nops.value()},
            {"mmio_exits", h.mmio_exits.value()},
            {"pci_hole_reads", h.pci_hole_reads.value()},
            {"zaps", h.zaps.value()},
            {"exits_wrmsr", h.exits_wrmsr.value()},
            {"mtrr_zaps", h.mtrr_zaps.value()},
            {"noncoherent_count", hv.noncoherent_count()},
            {"dram_writes", ms.stats().dram_writes.value()},
            {"wc_drains", ms.stats().wc_drains.value()},
            {"dma_non_snooped", ms.stats().dma_non_snooped.value()},
            {"dma_snooped", ms.stats().dma_snooped.value()},
            {"wbinvd_writebacks", ms.stats().wbinvd_writebacks.value()}};
}

} // namespace mtsim::scenarios
