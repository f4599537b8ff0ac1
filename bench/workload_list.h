// The workloads' entry points, one per file; registered in workload.cpp.
#pragma once

#include "bench/workload.h"

namespace mtsim::bench {

result run_bare_loop(const bench_config& cfg);
result run_dram_stream(const bench_config& cfg);
result run_l1_hit_stream(const bench_config& cfg);
result run_miss_stream(const bench_config& cfg);
result run_miss_random_stream(const bench_config& cfg);
result run_wc_stream(const bench_config& cfg);
result run_ns_dma_stream(const bench_config& cfg);
result run_gpu_stream(const bench_config& cfg);
result run_tlb_hit_stream(const bench_config& cfg);
result run_walk_miss_stream(const bench_config& cfg);
result run_scenario_ops(const bench_config& cfg);
result run_scenario_ops_quarter(const bench_config& cfg);

} // namespace mtsim::bench
