// The workloads that go through the memory system (cache/memory_system.h), one pCPU, default
// cache sizes. Unused target sockets are bound to an idle initiator, as SystemC requires.
#include "bench/stream_initiator.h"
#include "bench/workload_list.h"
#include "cache/memory_system.h"
#include "model/dram.h"
#include "model/stats.h"

namespace mtsim::bench {

namespace {

struct idle_initiator : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<idle_initiator> isock{"isock"};
    explicit idle_initiator(const sc_core::sc_module_name& n) : sc_core::sc_module(n) {}
};

enum class port { cpu0, dma };

template <class Gen>
result run_through_memory(std::string_view name, const bench_config& cfg, port p, Gen gen) {
    set_quantum(cfg);
    memory_system_config mcfg = cfg.memory;
    mcfg.pcpus = 1;
    stream_initiator<Gen> init("init", cfg.accesses, gen);
    idle_initiator idle("idle");
    memory_system mem("mem", mcfg);
    dram dram_ctl("dram", cfg.dram);
    mem.to_dram.bind(dram_ctl.tsock);
    if (p == port::cpu0) {
        init.isock.bind(mem.cpu[0]);
        idle.isock.bind(mem.dma);
    } else {
        init.isock.bind(mem.dma);
        idle.isock.bind(mem.cpu[0]);
    }
    result r = timed_run(name, cfg.accesses, init);
    r.counters = dump_stats(); // the memory system's and the DRAM's counters
    return r;
}

void cpu_access(access_ext& ext, memtype t, op_kind op) {
    ext.type = t;
    ext.source = type_source::fixed;
    ext.op = op;
    ext.who = requester{requester_kind::tester, 0, 0, 0, 0};
}

} // namespace

// 8-byte WB loads sweeping 4 KiB: after the first pass every access hits the L1D.
result run_l1_hit_stream(const bench_config& cfg) {
    auto gen = [](std::uint64_t i, tlm::tlm_generic_payload& gp, access_ext& ext) {
        gp.set_command(tlm::TLM_READ_COMMAND);
        gp.set_address((i * 8) % 4096);
        gp.set_data_length(8);
        cpu_access(ext, memtype::wb, op_kind::load);
    };
    return run_through_memory("l1-hit", cfg, port::cpu0, gen);
}

// The footprint of the miss workloads: 8x the simulated LLC (64 MiB with the default 8 MiB
// LLC), so that with LRU at every level a sweep misses L1D, L2 and LLC on every access.
std::uint64_t miss_footprint(const bench_config& cfg) {
    return 8 * cfg.memory.llc.size_bytes;
}

// 8-byte WB loads, one per line, sweeping miss_footprint() in order: every access misses L1D,
// L2 and LLC, fetches from DRAM and evicts a clean line at every level. The host's own
// prefetchers see a sequential stream through the model's arrays.
result run_miss_stream(const bench_config& cfg) {
    const std::uint64_t span = miss_footprint(cfg);
    auto gen = [span](std::uint64_t i, tlm::tlm_generic_payload& gp, access_ext& ext) {
        gp.set_command(tlm::TLM_READ_COMMAND);
        gp.set_address((i * 64) % span);
        gp.set_data_length(8);
        cpu_access(ext, memtype::wb, op_kind::load);
    };
    return run_through_memory("miss", cfg, port::cpu0, gen);
}

// 8-byte WB loads, one per line, at lines drawn from a seeded PRNG (splitmix64 of the access
// index, Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014)
// over miss_footprint(): nearly every access misses every level (a line drawn again while it
// is still in the LLC hits there; the counters say how often), and neither the model's sets
// nor its DRAM pages are visited in an order a host prefetcher can follow.
result run_miss_random_stream(const bench_config& cfg) {
    const std::uint64_t lines = miss_footprint(cfg) / 64; // a power of two
    auto gen = [lines](std::uint64_t i, tlm::tlm_generic_payload& gp, access_ext& ext) {
        std::uint64_t z = (i + 1) * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        gp.set_command(tlm::TLM_READ_COMMAND);
        gp.set_address((z & (lines - 1)) * 64);
        gp.set_data_length(8);
        cpu_access(ext, memtype::wb, op_kind::load);
    };
    return run_through_memory("miss-random", cfg, port::cpu0, gen);
}

// 8-byte WC stores, sequential: eight combine into each buffer, full buffers drain to DRAM
// when a new line needs one.
result run_wc_stream(const bench_config& cfg) {
    auto gen = [](std::uint64_t i, tlm::tlm_generic_payload& gp, access_ext& ext) {
        gp.set_command(tlm::TLM_WRITE_COMMAND);
        gp.set_address((i * 8) % (64 * MiB));
        gp.set_data_length(8);
        cpu_access(ext, memtype::wc, op_kind::store);
    };
    return run_through_memory("wc-store", cfg, port::cpu0, gen);
}

// 64-byte non-snooped DMA, alternating writes and reads over a 1 MiB ring: straight to DRAM,
// the caches are not consulted.
result run_ns_dma_stream(const bench_config& cfg) {
    auto gen = [](std::uint64_t i, tlm::tlm_generic_payload& gp, access_ext& ext) {
        const bool write = i % 2 == 0;
        gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
        gp.set_address(((i / 2) * 64) % MiB);
        gp.set_data_length(64);
        ext.type = memtype::wb;
        ext.source = type_source::fixed;
        ext.op = write ? op_kind::dma_write : op_kind::dma_read;
        ext.no_snoop = true;
        ext.who = requester{requester_kind::device, 0, 0, 0, 0};
    };
    return run_through_memory("ns-dma", cfg, port::dma, gen);
}

} // namespace mtsim::bench
