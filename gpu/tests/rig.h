// Test platform for the GPU engine: the real DRAM controller and memory system (one pCPU),
// optionally the real VT-d unit between the GPU and the memory system's device port, and a
// host process that stores with the CPU (through memory_system.cpu[0]) and accesses the BAR.
// Every clock is 1000 MHz, so one cycle is one nanosecond everywhere. One platform per
// process (each TEST_CASE is its own process).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "cache/memory_system.h"
#include "gpu/dma_engine.h"
#include "iommu/vtd.h"
#include "model/dram.h"

namespace mtsim::gpu::test {

using bytes = std::vector<std::uint8_t>;

struct platform_config {
    memory_system_config mem;
    dram_config dram;
    dma_engine_config gpu;
    bool with_iommu = false;
    iommu::vtd_config vtd;

    platform_config() {
        mem.pcpus = 1;
        mem.clock_mhz = 1000.0;
        dram.clock_mhz = 1000.0;
        dram.latency = cycles{40};
        dram.bytes_per_cycle = 16;
        dram.channels = 2;
        dram.interleave_bytes = 4 * KiB;
        dram.size_bytes = 4 * GiB;
        gpu.clock_mhz = 1000.0;
        gpu.bdf = 0x0300;
        gpu.request_bytes = 64;
        gpu.max_outstanding = 64;
        gpu.command_latency = cycles{8};
        gpu.link.latency = cycles{100};
        gpu.link.up_bytes_per_cycle = 8;
        gpu.link.down_bytes_per_cycle = 8;
        gpu.link.tlp_header_bytes = 0;
        vtd.clock_mhz = 1000.0;
        vtd.table_base = 0x7000'0000;
    }
};

class platform;

// The host: CPU accesses through memory_system.cpu[0] and BAR accesses, each synchronized
// (the process waits for the returned delay), so the body reads as a program.
class host : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<host> cpu{"cpu"};
    tlm_utils::simple_initiator_socket<host> mmio{"mmio"};
    std::function<void(host&)> body;

    SC_HAS_PROCESS(host);
    explicit host(const sc_core::sc_module_name& n) : sc_core::sc_module(n) { SC_THREAD(run); }

    void store(std::uint64_t addr, bytes b, memtype t = memtype::wb) {
        access(tlm::TLM_WRITE_COMMAND, op_kind::store, t, addr, b.data(),
               static_cast<unsigned>(b.size()));
    }
    bytes load(std::uint64_t addr, unsigned len, memtype t = memtype::wb) {
        bytes b(len);
        access(tlm::TLM_READ_COMMAND, op_kind::load, t, addr, b.data(), len);
        return b;
    }
    void op(op_kind k) { access(tlm::TLM_IGNORE_COMMAND, k, memtype::wb, 0, nullptr, 0); }
    // The driver's descriptor write: a WB store of the 32-byte image into ring slot `index`.
    void put_descriptor(std::uint64_t ring, std::uint32_t index, const descriptor& d) {
        const descriptor_image img = encode(d);
        store(ring + std::uint64_t(index) * descriptor_bytes, bytes(img.begin(), img.end()));
    }
    tlm::tlm_response_status mmio_write(std::uint64_t off, std::uint64_t v, unsigned size = 4) {
        return bar(tlm::TLM_WRITE_COMMAND, off, v, size);
    }
    std::uint64_t mmio_read(std::uint64_t off, unsigned size = 4,
                            tlm::tlm_response_status* st = nullptr) {
        std::uint64_t v = 0;
        const auto s = bar(tlm::TLM_READ_COMMAND, off, v, size);
        if (st) *st = s;
        return v;
    }

private:
    void run() { body(*this); }
    void access(tlm::tlm_command cmd, op_kind k, memtype t, std::uint64_t addr, std::uint8_t* data,
                unsigned len) {
        access_ext ext;
        ext.type = t;
        ext.source = type_source::fixed;
        ext.op = k;
        ext.who.kind = requester_kind::tester;
        tlm::tlm_generic_payload gp;
        gp.set_command(cmd);
        gp.set_address(addr);
        gp.set_data_ptr(data);
        gp.set_data_length(len);
        gp.set_streaming_width(len);
        gp.set_extension(&ext);
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        cpu->b_transport(gp, d);
        gp.clear_extension(&ext);
        if (!gp.is_response_ok()) throw std::runtime_error("host: CPU access failed");
        wait(d);
    }
    tlm::tlm_response_status bar(tlm::tlm_command cmd, std::uint64_t off, std::uint64_t& v,
                                 unsigned size) {
        tlm::tlm_generic_payload gp;
        gp.set_command(cmd);
        gp.set_address(off);
        gp.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
        gp.set_data_length(size);
        gp.set_streaming_width(size);
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        mmio->b_transport(gp, d);
        wait(d);
        return gp.get_response_status();
    }
};

class platform {
public:
    platform_config cfg;
    dram ddr;
    memory_system ms;
    std::unique_ptr<iommu::vtd> vtd;
    gpu_dma_engine gpu;
    host cpu;

    explicit platform(const platform_config& c = {})
        : cfg(c), ddr("ddr", c.dram), ms("ms", c.mem),
          vtd(c.with_iommu ? std::make_unique<iommu::vtd>("vtd", c.vtd) : nullptr),
          gpu("gpu", c.gpu), cpu("host") {
        ms.to_dram.bind(ddr.tsock);
        if (vtd) {
            gpu.mem.bind(vtd->in);
            vtd->out.bind(ms.dma);
        } else {
            gpu.mem.bind(ms.dma);
        }
        cpu.cpu.bind(ms.cpu[0]);
        cpu.mmio.bind(gpu.bar);
    }

    // Runs `body` in the host process to the end of the simulation.
    void run(std::function<void(host&)> body) {
        cpu.body = std::move(body);
        sc_core::sc_start();
    }

    std::uint64_t now_cycles() const { return gpu.clk().to_cycles(sc_core::sc_time_stamp()).n; }
    bytes dram_bytes(std::uint64_t addr, std::size_t len) const {
        bytes b(len);
        ddr.peek(addr, b.data(), len);
        return b;
    }
};

inline bytes pattern(std::size_t len, std::uint8_t seed) {
    bytes b(len);
    for (std::size_t i = 0; i < len; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 7);
    return b;
}

} // namespace mtsim::gpu::test
