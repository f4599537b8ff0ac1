// Every parameter of the random coherence tester and its default, in one place
// (model/params.h conventions). The defaults shrink the caches to a few lines so that a small
// address set still exercises replacement, back-invalidation and write-backs constantly.
#pragma once

#include <cstdint>

#include "cache/cache_config.h"
#include "model/dram.h"
#include "model/params.h"

namespace mtsim::stress {

struct stress_config {
    unsigned agents = 2;       // CPU agents, one per pCPU (memory.pcpus follows this)
    unsigned dma_agents = 1;   // snooped-DMA agents sharing the device port
    std::uint64_t ops = 10000; // transactions over all agents
    std::uint64_t seed = 1;
    std::uint64_t base = 0x40000; // first byte of the address set
    unsigned lines = 10;          // lines in the address set (contiguous)
    // Probabilities of the CPU agents' operations (the rest of 1.0 are loads).
    double p_store = 0.40;
    double p_clflush = 0.04;
    double p_clflushopt = 0.03;
    double p_clwb = 0.04;
    double p_fence = 0.02;
    double p_wbinvd = 0.002;
    double p_dma_write = 0.5; // DMA agents: writes, the rest reads
    // A store lands in the agent's own slot of the line with this probability, elsewhere
    // otherwise: agents mostly write different bytes of the same lines (false sharing).
    double p_own_slot = 0.75;
    cycles max_think{20}; // random idle time between an agent's operations
    std::uint64_t quantum_ns = 200;
    cycles liveness{200000};    // an agent without progress for this long is a liveness failure
    unsigned history = 16;      // operations kept per line for violation reports
    unsigned max_reported = 10; // violations reported in detail (all are counted)
    memory_system_config memory{};
    dram_config dram{};

    stress_config() {
        memory.l1d = cache_level_config{128, 2, cycles{4}, replacement_kind::lru, 1};
        memory.l2 = cache_level_config{256, 2, cycles{14}, replacement_kind::tree_plru, 2};
        memory.llc = cache_level_config{512, 4, cycles{40}, replacement_kind::random, 3};
        dram.latency = cycles{30};
    }

    void describe(param_visitor& v) {
        v.uint("agents", agents, "CPU agents, one per pCPU", "agents", 0, 64);
        v.uint("dma_agents", dma_agents, "snooped-DMA agents", "agents", 0, 64);
        v.uint("ops", ops, "transactions over all agents", "ops", 1);
        v.uint("seed", seed, "seed of every agent's random choices", "");
        v.uint("base", base, "first byte of the address set", "address");
        v.uint("lines", lines, "lines in the address set", "lines", 1, 4096);
        v.real("p_store", p_store, "CPU op mix: store", "probability", 0.0, 1.0);
        v.real("p_clflush", p_clflush, "CPU op mix: CLFLUSH", "probability", 0.0, 1.0);
        v.real("p_clflushopt", p_clflushopt, "CPU op mix: CLFLUSHOPT", "probability", 0.0, 1.0);
        v.real("p_clwb", p_clwb, "CPU op mix: CLWB", "probability", 0.0, 1.0);
        v.real("p_fence", p_fence, "CPU op mix: SFENCE or MFENCE", "probability", 0.0, 1.0);
        v.real("p_wbinvd", p_wbinvd, "CPU op mix: WBINVD or WBNOINVD", "probability", 0.0, 1.0);
        v.real("p_dma_write", p_dma_write, "DMA op mix: write (else read)", "probability", 0.0,
               1.0);
        v.real("p_own_slot", p_own_slot, "a store hits the agent's own slot of the line",
               "probability", 0.0, 1.0);
        v.cycles("max_think", max_think, "largest random idle time between two operations");
        v.uint("quantum_ns", quantum_ns, "global quantum of the agents' quantum keepers", "ns", 1);
        v.cycles("liveness", liveness, "longest time an agent may go without progress", 1);
        v.uint("history", history, "operations kept per line for reports", "ops", 1, 1024);
        v.uint("max_reported", max_reported, "violations reported in detail", "violations");
        v.section("memory", memory);
        v.section("dram", dram);
    }
};

// Throws std::invalid_argument naming the parameter when cfg cannot run.
void validate(const stress_config& cfg);

} // namespace mtsim::stress
