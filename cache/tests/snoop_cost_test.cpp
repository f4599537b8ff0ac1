// What a snooped DMA request costs beside CPU traffic: it shares the home agent's LLC port
// with the CPUs' misses (a request that arrives while the port is busy waits), looks up the
// LLC and the snoop filter, snoops a caching pCPU when there is one; a non-snooped request goes
// to the memory controller and never meets the port. Rig: L1D 4, L2 10, LLC 20 cycles, test
// memory 100 cycles without a calendar (so CPU misses do not delay DRAM for anybody).
#include <doctest/doctest.h>

#include <vector>

#include "cache/tests/rig.h"

using namespace mtsim;
using namespace mtsim::test;

namespace {

constexpr std::uint64_t occupancy = 10; // cycles a request holds the one LLC port
constexpr std::uint64_t filter = 3;     // snoop-filter lookup of a snooped DMA request
constexpr std::uint64_t memory = 100;   // the rig's test memory

memory_system_config snoop_cost_config() {
    memory_system_config c = rig::small_config();
    c.llc_ports = 1;
    c.llc_port_occupancy = cycles{occupancy};
    c.snoop_filter_latency = cycles{filter};
    return c;
}

struct costs {
    std::uint64_t snooped;     // cycles from issue to completion
    std::uint64_t non_snooped; // the same for a non-snooped read issued at the same time
};

// pCPU 0 issues k loads that miss its private caches at `base`; they reach the LLC port
// l1d + l2 cycles later, one after the other. Two 64-byte DMA reads of lines nobody caches
// arrive at that moment: one snooped, one not.
costs beside_cpu_misses(rig& r, unsigned k, std::uint64_t base, std::uint64_t region) {
    const memory_system_config& c = r.ms.config();
    std::uint8_t buf[8] = {};
    for (unsigned i = 0; i < k; ++i)
        r.access(0, tlm::TLM_READ_COMMAND, op_kind::load, memtype::wb, region + i * 64u, buf, 8,
                 type_source::fixed, base);
    const std::uint64_t at_port = base + c.l1d.latency.n + c.l2.latency.n;
    bytes line(64);
    const std::uint64_t s = r.dma(tlm::TLM_READ_COMMAND, false, region + 0x8000, line, at_port);
    const std::uint64_t n = r.dma(tlm::TLM_READ_COMMAND, true, region + 0x9000, line, at_port);
    return {s - at_port, n - at_port};
}

} // namespace

TEST_CASE("a snooped DMA read waits behind concurrent CPU misses at the home agent and a "
          "non-snooped one does not") {
    rig r(snoop_cost_config());
    r.start();
    const memory_system_config& c = r.ms.config();
    const std::vector<unsigned> traffic = {0, 1, 4, 16};
    std::vector<std::uint64_t> gap; // snooped minus non-snooped, per amount of CPU traffic
    for (std::size_t i = 0; i < traffic.size(); ++i) {
        const costs x = beside_cpu_misses(r, traffic[i], 100000 * (i + 1), 0x100000 * (i + 1));
        CAPTURE(traffic[i]);
        // The non-snooped read is the memory controller's latency whatever the CPUs do.
        CHECK(x.non_snooped == memory);
        gap.push_back(x.snooped - x.non_snooped);
    }
    // Without CPU traffic the snooped read pays the LLC and the filter lookups more.
    CHECK(gap[0] == c.llc.latency.n + filter);
    for (std::size_t i = 1; i < traffic.size(); ++i) {
        CAPTURE(traffic[i]);
        // It grows with the traffic: each CPU miss ahead of it holds the port `occupancy`
        // cycles, and nothing else on this path depends on the CPUs.
        CHECK(gap[i] > gap[i - 1]);
        CHECK(gap[i] - gap[0] == traffic[i] * occupancy);
    }
}

TEST_CASE("a snooped DMA read of a line a pCPU holds dirty pays the snoop instead of DRAM") {
    rig r(snoop_cost_config());
    r.start();
    const memory_system_config& c = r.ms.config();
    r.store(1, 0x4000, fill(8, 0x5a)); // M in pCPU 1: the port is free again long before 1000
    bytes line(64);
    const std::uint64_t done = r.dma(tlm::TLM_READ_COMMAND, false, 0x4000, line, 1000);
    CHECK(line[0] == 0x5a);
    // Port (free), LLC, filter, one snoop round; the written-back line is served from the LLC.
    CHECK(done - 1000 == c.llc.latency.n + filter + c.snoop_latency.n);
    bytes stale(64);
    r.store(1, 0x6000, fill(8, 0x77));
    CHECK(r.dma(tlm::TLM_READ_COMMAND, true, 0x6000, stale, 2000) - 2000 == memory);
    CHECK(stale[0] == 0x00); // not snooped: DRAM's old bytes
}
