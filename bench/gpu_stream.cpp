// The GPU DMA stream: the GPU engine reads a 2 MiB buffer into VRAM over and over, in 64-byte
// requests, through a VT-d unit whose single 2 MiB mapping stays in the IOTLB, to the memory
// system's device port (non-snooped, straight to DRAM). One descriptor per 2 MiB pass; the
// ring is written into DRAM before the simulation starts. The count is the 64-byte data
// requests (descriptor fetches and table walks are not counted).
#include <algorithm>
#include <chrono>

#include "bench/stream_initiator.h"
#include "bench/workload_list.h"
#include "cache/memory_system.h"
#include "gpu/dma_engine.h"
#include "iommu/vtd.h"
#include "model/dram.h"
#include "model/stats.h"

namespace mtsim::bench {

namespace {

constexpr std::uint64_t buffer_iova = 0x4000'0000;
constexpr std::uint64_t buffer_hpa = 0x8000'0000;
constexpr std::uint64_t pass_bytes = 2 * MiB;
constexpr std::uint64_t ring_hpa = 0x1000'0000;
constexpr std::uint64_t ring_iova = 0x1000'0000;
constexpr std::uint16_t gpu_bdf = 0x0300;

struct idle_initiator : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<idle_initiator> isock{"isock"};
    explicit idle_initiator(const sc_core::sc_module_name& n) : sc_core::sc_module(n) {}
};

// Maps the ring and the buffer, rings the doorbell once and waits until the engine is idle.
struct stream_driver : sc_core::sc_module {
    gpu::gpu_dma_engine& engine;
    iommu::vtd& unit;
    std::uint32_t descriptors;
    sc_core::sc_time finished;

    SC_HAS_PROCESS(stream_driver);
    stream_driver(const sc_core::sc_module_name& n, gpu::gpu_dma_engine& e, iommu::vtd& u,
                  std::uint32_t count)
        : sc_core::sc_module(n), engine(e), unit(u), descriptors(count) {
        SC_THREAD(run);
    }
    void run() {
        iommu::domain_config dc;
        dc.id = 1;
        dc.table_base = 0x7000'0000;
        iommu::iommu_domain dom(dc);
        sc_core::sc_time t;
        if (!unit.attach_device(gpu_bdf, dom, t))
            SC_REPORT_FATAL("mtsim/bench", "gpu-dma: IOMMU attach refused");
        unit.map(dom, {ring_iova, ring_hpa, 64 * KiB, true, false}, t);
        unit.map(dom, {buffer_iova, buffer_hpa, pass_bytes, true, false}, t);
        wait(t);
        engine.program_ring(ring_iova, ring_entries(descriptors));
        engine.set_enable_no_snoop(true);
        engine.ring_doorbell(descriptors);
        engine.wait_idle();
        if (engine.error() != gpu::error_code::none)
            SC_REPORT_FATAL("mtsim/bench", "gpu-dma: the engine reported an error");
        finished = sc_core::sc_time_stamp();
    }
    static std::uint32_t ring_entries(std::uint32_t n) {
        std::uint32_t e = 2;
        while (e <= n) e *= 2;
        return e;
    }
};

} // namespace

result run_gpu_stream(const bench_config& cfg) {
    set_quantum(cfg);
    const std::uint64_t bytes = cfg.accesses * 64;
    const auto passes = static_cast<std::uint32_t>((bytes + pass_bytes - 1) / pass_bytes);
    if (passes >= 2048) throw std::invalid_argument("gpu-dma: at most 2047 passes of 2 MiB");

    memory_system_config mcfg = cfg.memory;
    mcfg.pcpus = 1;
    gpu::dma_engine_config gcfg;
    gcfg.request_bytes = 64;
    gcfg.bdf = gpu_bdf;
    gcfg.vram_bytes = pass_bytes;
    memory_system mem("mem", mcfg);
    dram dram_ctl("dram", cfg.dram);
    iommu::vtd unit("vtd", iommu::vtd_config{});
    gpu::gpu_dma_engine engine("gpu", gcfg);
    idle_initiator cpu("cpu");
    idle_initiator vmm("vmm");
    stream_driver driver("driver", engine, unit, passes);
    mem.to_dram.bind(dram_ctl.tsock);
    unit.out.bind(mem.dma);
    engine.mem.bind(unit.in);
    cpu.isock.bind(mem.cpu[0]);
    vmm.isock.bind(engine.bar);

    for (std::uint32_t i = 0; i < passes; ++i) {
        const std::uint64_t len = std::min<std::uint64_t>(pass_bytes, bytes - i * pass_bytes);
        const auto img = gpu::encode(gpu::make_read_to_vram(buffer_iova, 0, len, true));
        dram_ctl.poke(ring_hpa + i * gpu::descriptor_bytes, img.data(), img.size());
    }

    const auto t0 = std::chrono::steady_clock::now();
    sc_core::sc_start();
    const auto t1 = std::chrono::steady_clock::now();
    result r;
    r.workload = "gpu-dma";
    r.accesses = cfg.accesses;
    r.host_seconds = std::chrono::duration<double>(t1 - t0).count();
    r.simulated_ns = driver.finished.to_seconds() * 1e9;
    r.counters = dump_stats();
    return r;
}

} // namespace mtsim::bench
