// The host bridge on its own: a device window goes to the GPU's registers (a WC drain's byte
// enables split into register writes, each told to the hook), anything else to DRAM, and a
// run of enabled bytes the device cannot take fails the access.
#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <functional>
#include <vector>

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include "gpu/descriptor.h"
#include "gpu/dma_engine.h"
#include "model/dram.h"
#include "scenarios/host_bridge.h"

using namespace mtsim;
using namespace mtsim::scenarios;

namespace {

constexpr std::uint64_t window = 0xf0000000;

struct writes_seen {
    std::vector<std::pair<std::uint64_t, unsigned>> runs;
};

struct rig : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<rig> out{"out"};
    host_bridge bridge{"bridge"};
    dram mem{"dram"};
    gpu::gpu_dma_engine gpu{"gpu"};
    dram dma_mem{"dma_mem"}; // the engine's own DMA port needs a target; unused here
    std::function<void(rig&)> body;
    writes_seen seen;

    SC_HAS_PROCESS(rig);
    explicit rig(const sc_core::sc_module_name& n) : sc_module(n) {
        out.bind(bridge.in);
        bridge.memory.bind(mem.tsock);
        bridge.device.bind(gpu.bar);
        gpu.mem.bind(dma_mem.tsock);
        bridge.set_window(window, gpu::reg::bar_bytes);
        bridge.on_device_write([this](std::uint64_t off, const std::uint8_t*, unsigned size) {
            seen.runs.push_back({off, size});
        });
        SC_THREAD(run);
    }
    void run() { body(*this); }

    tlm::tlm_response_status access(tlm::tlm_command cmd, std::uint64_t a, std::uint8_t* data,
                                    unsigned len, std::uint8_t* be = nullptr) {
        tlm::tlm_generic_payload gp;
        gp.set_command(cmd);
        gp.set_address(a);
        gp.set_data_ptr(data);
        gp.set_data_length(len);
        gp.set_streaming_width(len);
        gp.set_byte_enable_ptr(be);
        gp.set_byte_enable_length(be ? len : 0);
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        out->b_transport(gp, d);
        return gp.get_response_status();
    }
};

void run(std::function<void(rig&)> body) {
    rig r("rig");
    r.body = std::move(body);
    sc_core::sc_start();
}

} // namespace

TEST_CASE("a drained WC buffer reaches the device as one register write per enabled DWORD") {
    run([](rig& r) {
        r.gpu.program_ring(0x10000, 4);
        std::array<std::uint8_t, 64> line{};
        std::array<std::uint8_t, 64> be{};
        const std::uint32_t tail = 1, dev_ctl = gpu::devctl_enable_no_snoop;
        std::memcpy(&line[gpu::reg::doorbell], &tail, 4);
        std::memcpy(&line[gpu::reg::dev_ctl], &dev_ctl, 4);
        std::fill_n(&be[gpu::reg::doorbell], 4, 0xff);
        std::fill_n(&be[gpu::reg::dev_ctl], 4, 0xff);
        CHECK(r.access(tlm::TLM_WRITE_COMMAND, window, line.data(), 64, be.data()) ==
              tlm::TLM_OK_RESPONSE);
        CHECK(r.gpu.counters().doorbells.value() == 1);
        CHECK(r.gpu.read_reg(gpu::reg::dev_ctl) == dev_ctl);
        REQUIRE(r.seen.runs.size() == 2);
        CHECK(r.seen.runs[0] == std::pair<std::uint64_t, unsigned>{gpu::reg::doorbell, 4});
        CHECK(r.seen.runs[1] == std::pair<std::uint64_t, unsigned>{gpu::reg::dev_ctl, 4});
    });
}

TEST_CASE("a UC load of the window reads the device register and DRAM never sees it") {
    run([](rig& r) {
        r.gpu.write_reg(gpu::reg::ring_ctl, gpu::ring_ctl_no_snoop);
        std::uint32_t v = 0;
        CHECK(r.access(tlm::TLM_READ_COMMAND, window + gpu::reg::ring_ctl,
                       reinterpret_cast<std::uint8_t*>(&v), 4) == tlm::TLM_OK_RESPONSE);
        CHECK(v == gpu::ring_ctl_no_snoop);
        std::array<std::uint8_t, 4> m{1, 1, 1, 1};
        r.mem.peek(window, m.data(), 4);
        CHECK(m == std::array<std::uint8_t, 4>{}); // the register's value never went to DRAM
    });
}

TEST_CASE("an address outside the window goes to DRAM") {
    run([](rig& r) {
        std::uint32_t v = 0x12345678;
        CHECK(r.access(tlm::TLM_WRITE_COMMAND, window - 64, reinterpret_cast<std::uint8_t*>(&v),
                       4) == tlm::TLM_OK_RESPONSE);
        std::array<std::uint8_t, 4> m{};
        r.mem.peek(window - 64, m.data(), 4);
        CHECK(m == std::array<std::uint8_t, 4>{0x78, 0x56, 0x34, 0x12});
        CHECK(r.seen.runs.empty());
    });
}

TEST_CASE("WC stores to adjacent registers combine and reach the device DWORD by DWORD") {
    run([](rig& r) {
        std::array<std::uint8_t, 64> line{};
        std::array<std::uint8_t, 64> be{};
        const std::uint64_t base = 0x12345678'9abcdef0ULL; // ring_base (64-bit) as one run
        std::memcpy(&line[gpu::reg::ring_base], &base, 8);
        std::fill_n(&be[gpu::reg::ring_base], 8, 0xff);
        CHECK(r.access(tlm::TLM_WRITE_COMMAND, window, line.data(), 64, be.data()) ==
              tlm::TLM_OK_RESPONSE);
        CHECK(r.gpu.read_reg(gpu::reg::ring_base, 8) == base);
        REQUIRE(r.seen.runs.size() == 2);
        CHECK(r.seen.runs[1] == std::pair<std::uint64_t, unsigned>{gpu::reg::ring_base + 4, 4});
    });
}

TEST_CASE("a run of enabled bytes that is no register access fails the write") {
    run([](rig& r) {
        std::array<std::uint8_t, 64> line{};
        std::array<std::uint8_t, 64> be{};
        std::fill_n(&be[gpu::reg::doorbell], 3, 0xff); // 3 bytes: no register takes that
        CHECK(r.access(tlm::TLM_WRITE_COMMAND, window, line.data(), 64, be.data()) !=
              tlm::TLM_OK_RESPONSE);
        CHECK(r.gpu.counters().doorbells.value() == 0);
    });
}
