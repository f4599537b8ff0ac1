// Every parameter of the GPU DMA engine and its PCIe link, with its default, in one place
// (model/params.h conventions: member initializers are the defaults, describe() names each
// one once). validate() refuses what the model cannot represent.
#pragma once

#include <cstdint>

#include "model/cycles.h"
#include "model/params.h"

namespace mtsim::gpu {

// One PCIe link between the device and the root complex, in cycles of the device clock.
// Each direction serializes its TLPs on a busy-until calendar: a TLP of n bytes occupies the
// direction for ceil((n + tlp_header_bytes) / bytes_per_cycle) cycles, then flies for
// `latency` cycles. With tlp_header_bytes = 0 a stream of reads is the analytic model:
// bytes / down_bytes_per_cycle cycles plus the latencies.
struct pcie_link_config {
    cycles latency{100};                     // one way, per TLP, after serialization
    std::uint64_t up_bytes_per_cycle = 16;   // device -> root complex (requests, write data)
    std::uint64_t down_bytes_per_cycle = 16; // root complex -> device (read completions)
    std::uint64_t tlp_header_bytes = 0;      // header + framing per TLP; 0: payload only

    void describe(param_visitor& v) {
        v.cycles("latency", latency, "one-way flight time of a TLP after serialization", 0,
                 1000000);
        v.uint("up_bytes_per_cycle", up_bytes_per_cycle,
               "device-to-host bandwidth (read requests, write data)", "bytes/cycle", 1, 4096);
        v.uint("down_bytes_per_cycle", down_bytes_per_cycle,
               "host-to-device bandwidth (read completions with data)", "bytes/cycle", 1, 4096);
        v.size("tlp_header_bytes", tlp_header_bytes,
               "header and framing bytes per TLP (0: the analytic payload-only model)", 0, 256);
    }
};

struct dma_engine_config {
    double clock_mhz = 1000.0;
    unsigned bdf = 0x0100;         // PCIe requester id carried in access_ext.who.bdf
    unsigned request_bytes = 256;  // largest memory request (a power of two, 64..4096)
    unsigned max_outstanding = 32; // requests in flight (issued, not completed)
    std::uint64_t vram_bytes = 16 * MiB;
    cycles command_latency{8}; // decode of one descriptor before its first request
    cycles mmio_latency{2};    // BAR register access, added to the accessor's delay
    pcie_link_config link{};

    void describe(param_visitor& v) {
        v.real("clock_mhz", clock_mhz, "device and link clock", "MHz", 1.0, 100000.0);
        v.uint("bdf", bdf, "PCIe bus/device/function the requests carry", "", 0, 0xffff);
        v.size("request_bytes", request_bytes,
               "largest memory request; requests never cross 4 KiB (a power of two)", 64, 4 * KiB);
        v.uint("max_outstanding", max_outstanding, "memory requests in flight at once", "requests",
               1, 4096);
        v.size("vram_bytes", vram_bytes, "device-internal memory", 4 * KiB, 4 * GiB);
        v.cycles("command_latency", command_latency, "descriptor decode before its first request",
                 0, 1000000);
        v.cycles("mmio_latency", mmio_latency, "one BAR register access", 0, 1000000);
        v.section("link", link);
    }
};

// Throws std::invalid_argument naming the parameter when cfg cannot describe an engine.
void validate(const dma_engine_config& cfg);

} // namespace mtsim::gpu
