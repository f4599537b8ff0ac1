#include "bench/workload.h"

#include "bench/workload_list.h"

namespace mtsim::bench {

nlohmann::json to_json(const result& r) {
    return {{"workload", r.workload},
            {"accesses", r.accesses},
            {"host_seconds", r.host_seconds},
            {"simulated_ns", r.simulated_ns},
            {"accesses_per_s", r.accesses_per_s()},
            {"counters", r.counters}};
}

result result_from_json(const nlohmann::json& j) {
    result r;
    r.workload = j.at("workload").get<std::string>();
    r.accesses = j.at("accesses").get<std::uint64_t>();
    r.host_seconds = j.at("host_seconds").get<double>();
    r.simulated_ns = j.at("simulated_ns").get<double>();
    r.counters = j.at("counters");
    return r;
}

const std::vector<workload>& workloads() {
    static const std::vector<workload> all{
        {"bare", "bare TLM-2.0 b_transport loop with a quantum keeper (the reference)", 0.0,
         run_bare_loop},
        {"l1-hit", "8-byte WB loads that hit the L1D", 0.30, run_l1_hit_stream},
        {"miss", "8-byte WB loads that miss L1D, L2 and LLC to DRAM", 0.09, run_miss_stream},
        {"miss-random", "8-byte WB loads at random lines over 8x the LLC: misses to DRAM", 0.035,
         run_miss_random_stream},
        {"wc-store", "8-byte WC stores combining in WC buffers", 0.0, run_wc_stream},
        {"ns-dma", "64-byte non-snooped DMA writes and reads (straight to DRAM)", 0.10,
         run_ns_dma_stream},
        {"dram", "64-byte reads straight into the DRAM controller, sequential", 0.0,
         run_dram_stream},
        {"gpu-dma", "64-byte GPU DMA reads through the IOMMU (IOTLB hit), target >= 5 M/s", 0.0,
         run_gpu_stream},
        {"tlb-hit", "vCPU 8-byte WB loads whose translations hit the TLB and data the L1D", 0.20,
         run_tlb_hit_stream},
        {"walk-miss", "vCPU loads that miss the TLB: full 2-D walks, target >= 1 M walks/s", 0.0,
         run_walk_miss_stream},
        {"scenario-ops",
         "a scenario's vCPU program (accesses/2 8-byte stores and loads) through loader, "
         "builder, MMU, caches and oracle; target >= 1 M ops/s",
         0.0, run_scenario_ops},
        {"scenario-ops-quarter", "the same program, a quarter as long: time(4N)/time(N)", 0.0,
         run_scenario_ops_quarter},
    };
    return all;
}

const workload* find_workload(std::string_view name) {
    for (const auto& w : workloads())
        if (w.name == name) return &w;
    return nullptr;
}

} // namespace mtsim::bench
