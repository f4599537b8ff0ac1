// The `mtsim bench` workload gpu-dma does what it claims: 64-byte non-snooped reads
// through the IOMMU with IOTLB hits, every one reaching DRAM through the device port.
#include <doctest/doctest.h>

#include "bench/workload.h"

using namespace mtsim;
using namespace mtsim::bench;

TEST_CASE("gpu-dma: 64-byte non-snooped reads through the IOMMU hit the IOTLB") {
    const workload* w = find_workload("gpu-dma");
    REQUIRE(w != nullptr);
    bench_config cfg;
    cfg.accesses = 40000; // 2.44 MiB: two descriptors (2 MiB and the rest)
    const result r = w->run(cfg);
    CHECK(r.accesses == 40000);
    CHECK(r.host_seconds > 0);
    const auto at = [&](const char* block, const char* stat) {
        return r.counters.at(block).at(stat).get<std::uint64_t>();
    };
    CHECK(at("gpu", "read_requests") == 40000 + 2); // plus the two descriptor fetches
    CHECK(at("gpu", "no_snoop_requests") == 40000);
    CHECK(at("mem", "dma_non_snooped") == 40000);
    CHECK(at("vtd", "requests") == 40000 + 2);
    // One miss for the ring page and one for the 2 MiB page; everything else hits.
    CHECK(at("vtd", "iotlb_misses") == 2);
    CHECK(at("gpu", "faults") == 0);
    // Link-bound: 64 bytes per request at the default 16 bytes per cycle, 1 GHz.
    CHECK(r.simulated_ns >= 40000.0 * 64 / 16);
}
