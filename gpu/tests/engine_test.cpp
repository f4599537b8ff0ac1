// The engine on the real memory system and DRAM (host-physical addresses, no IOMMU):
// analytic throughput, the snoop decision and its cost, stale bytes on the non-snooped path,
// fences, interrupts, ring wrap-around, the outstanding-request limit and BAR errors.
// All clocks are 1000 MHz (rig.h): one cycle is one nanosecond.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "gpu/tests/rig.h"

using namespace mtsim;
using namespace mtsim::gpu;
using namespace mtsim::gpu::test;

namespace {

constexpr std::uint64_t ring = 0x10000;
constexpr std::uint64_t buf = 0x100000;

// Submits descriptors at ring slots 0.. and waits until the engine is idle.
void submit(host& h, gpu_dma_engine& g, const std::vector<descriptor>& ds,
            std::uint32_t entries = 16) {
    g.program_ring(ring, entries);
    for (std::uint32_t i = 0; i < ds.size(); ++i) h.put_descriptor(ring, i, ds[i]);
    REQUIRE(h.mmio_write(reg::doorbell, ds.size()) == tlm::TLM_OK_RESPONSE);
    g.wait_idle();
}

const command_record& only(const gpu_dma_engine& g, descriptor_op op) {
    const auto it = std::find_if(g.completed().begin(), g.completed().end(),
                                 [&](const command_record& r) { return r.op == op; });
    REQUIRE(it != g.completed().end());
    return *it;
}

} // namespace

TEST_CASE("a non-snooped 1 MiB read takes 1 MiB over B bytes per cycle plus the latency") {
    platform p;
    CHECK(p.gpu.vram_touched_pages() == 0); // VRAM is not cleared up front
    p.run([&](host& h) {
        p.gpu.set_enable_no_snoop(true);
        submit(h, p.gpu, {make_read_to_vram(buf, 0, 1 * MiB, true)});
        CHECK(p.gpu.vram_touched_pages() == 1 * MiB / 4096);
        const command_record& r = only(p.gpu, descriptor_op::read_to_vram);
        CHECK(r.status == error_code::none);
        const std::uint64_t B = p.cfg.gpu.link.down_bytes_per_cycle;
        const std::uint64_t L = p.cfg.gpu.link.latency.n;
        // Upstream flight, the first line's DRAM access (latency + 64 B at 16 B/cycle), the
        // stream at B bytes/cycle, downstream flight. Exact: the link is the bottleneck.
        const std::uint64_t first_memory = p.cfg.dram.latency.n + 64 / p.cfg.dram.bytes_per_cycle;
        CHECK((r.end - r.start).n == L + first_memory + 1 * MiB / B + L);
        CHECK(p.gpu.counters().no_snoop_requests.value() == 1 * MiB / 64);
        CHECK(p.ms.stats().dma_non_snooped.value() == 1 * MiB / 64);
        CHECK(p.ms.stats().dma_snooped.value() == 1); // the descriptor fetch
        CHECK(p.gpu.link_down_busy_cycles() == (1 * MiB + 32) / B);
    });
}

TEST_CASE("the analytic read time and the fence time do not depend on the quantum") {
    // Same stream as above with a 10 us global quantum instead of none: the engine runs
    // ahead of the kernel, yet the command's cycles and the fence's visible time are exact.
    tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(10, sc_core::SC_US));
    platform p;
    p.run([&](host& h) {
        p.gpu.set_enable_no_snoop(true);
        p.gpu.program_ring(ring, 4);
        h.put_descriptor(ring, 0, make_read_to_vram(buf, 0, 1 * MiB, true));
        h.put_descriptor(ring, 1, make_fence_write(5, 0x80000));
        h.mmio_write(reg::doorbell, 2);
        wait(p.gpu.fence_event());
        const std::uint64_t seen = p.now_cycles();
        const auto& log = p.gpu.completed();
        REQUIRE(log.size() == 2);
        const std::uint64_t first_memory = p.cfg.dram.latency.n + 64 / p.cfg.dram.bytes_per_cycle;
        CHECK((log[0].end - log[0].start).n == 100 + first_memory + 1 * MiB / 8 + 100);
        CHECK(seen == log[1].end.n);
        CHECK(p.ms.read_coherent(0x80000, 1) == bytes{5});
    });
}

TEST_CASE("a snooped 1 MiB read pays the home agent's per-line cost") {
    platform_config c;
    c.mem.llc_port_occupancy = cycles{20}; // a line occupies the home agent 20 cycles
    platform p(c);
    p.run([&](host& h) {
        p.gpu.set_enable_no_snoop(true);
        submit(h, p.gpu, {make_read_to_vram(buf, 0, 1 * MiB, false)});
        const command_record& r = only(p.gpu, descriptor_op::read_to_vram);
        const std::uint64_t lines = 1 * MiB / 64;
        const std::uint64_t L = p.cfg.gpu.link.latency.n;
        const std::uint64_t first_memory = p.cfg.dram.latency.n + 64 / p.cfg.dram.bytes_per_cycle;
        // The home agent (20 cycles/line) is slower than the link (8 cycles/line): the last
        // line leaves it (lines - 1) * 20 cycles after the first, then looks up the LLC,
        // reads DRAM and crosses the link.
        CHECK((r.end - r.start).n == L + (lines - 1) * 20 + c.mem.llc.latency.n + first_memory +
                                         64 / c.gpu.link.down_bytes_per_cycle + L);
        CHECK(p.ms.stats().dma_snooped.value() == lines + 1);
        CHECK(p.ms.stats().dma_non_snooped.value() == 0);
        CHECK(p.gpu.counters().snooped_requests.value() == lines + 1);
    });
}

TEST_CASE("with the default home agent a snooped read costs only the LLC lookup more") {
    // The what-if of the seeds' 20% claim with default parameters: the link, not the snoop,
    // bounds the stream, so the coherent path loses only the lookup latency once.
    platform_config c;
    c.mem.clock_mhz = 3000.0; // defaults: 1-cycle port occupancy, 40-cycle LLC at 3 GHz
    std::uint64_t ns_cycles = 0;
    platform p(c);
    p.run([&](host& h) {
        p.gpu.set_enable_no_snoop(true);
        submit(h, p.gpu,
               {make_read_to_vram(buf, 0, 1 * MiB, true),
                make_read_to_vram(buf + 2 * MiB, 2 * MiB, 1 * MiB, false)});
        const auto& log = p.gpu.completed();
        REQUIRE(log.size() == 2);
        ns_cycles = (log[0].end - log[0].start).n;
        const std::uint64_t snooped = (log[1].end - log[1].start).n;
        const std::uint64_t llc_ns = 40 / 3 + 1; // 40 cycles at 3 GHz, rounded up to 1 GHz
        CHECK(snooped >= ns_cycles);
        CHECK(snooped <= ns_cycles + llc_ns);
    });
    CHECK(ns_cycles >= 1 * MiB / 8);
}

TEST_CASE("No-Snoop in a descriptor is ignored without Device Control Enable No Snoop") {
    platform p;
    const bytes old_bytes = pattern(4096, 0x11);
    const bytes new_bytes = pattern(4096, 0x77);
    p.ddr.poke(buf, old_bytes.data(), old_bytes.size());
    p.run([&](host& h) {
        h.store(buf, new_bytes); // WB: dirty in the CPU's caches, DRAM still old
        CHECK((h.mmio_read(reg::dev_ctl) & devctl_enable_no_snoop) == 0);
        submit(h, p.gpu, {make_read_to_vram(buf, 0, 4096, true)});
        CHECK(p.gpu.vram_bytes(0, 4096) == new_bytes); // snooped after all
        CHECK(p.gpu.counters().no_snoop_suppressed.value() == 4096 / 64);
        CHECK(p.gpu.counters().no_snoop_requests.value() == 0);
        CHECK(p.ms.stats().dma_non_snooped.value() == 0);
    });
}

TEST_CASE(
    "a non-snooped read of unflushed WB data gets DRAM's old bytes and a snooped one the new") {
    platform p;
    const bytes old_bytes = pattern(8192, 0x11);
    const bytes new_bytes = pattern(8192, 0x77);
    p.ddr.poke(buf, old_bytes.data(), old_bytes.size());
    p.run([&](host& h) {
        h.store(buf, new_bytes); // WB store, no CLFLUSH
        REQUIRE(p.ms.read_coherent(buf, 8192) == new_bytes);
        REQUIRE(p.dram_bytes(buf, 8192) == old_bytes);
        CHECK(h.mmio_write(reg::dev_ctl, devctl_enable_no_snoop) == tlm::TLM_OK_RESPONSE);
        submit(h, p.gpu,
               {make_read_to_vram(buf, 0, 8192, true), make_read_to_vram(buf, 8192, 8192, false)});
        CHECK(p.gpu.vram_bytes(0, 8192) == old_bytes);
        CHECK(p.gpu.vram_bytes(8192, 8192) == new_bytes);
        CHECK(p.gpu.counters().no_snoop_requests.value() == 8192 / 64);
        CHECK(p.gpu.counters().snooped_requests.value() == 8192 / 64 + 2);
    });
}

TEST_CASE("the fence value is in memory after the copy before it completed") {
    platform p;
    constexpr std::uint64_t src = buf, dst = buf + 64 * KiB, fence_at = 0x80000;
    const bytes data = pattern(64 * KiB, 0x3c);
    p.run([&](host& h) {
        h.store(src, data);
        std::uint64_t seen_at = 0;
        p.gpu.program_ring(ring, 8);
        h.put_descriptor(ring, 0, make_copy(src, dst, 64 * KiB));
        h.put_descriptor(ring, 1, make_fence_write(0x1122334455667788, fence_at));
        h.mmio_write(reg::doorbell, 2);
        CHECK(p.ms.read_coherent(fence_at, 8) == bytes(8, 0));
        wait(p.gpu.fence_event());
        seen_at = p.now_cycles();
        const bytes fence = p.ms.read_coherent(fence_at, 8);
        CHECK(fence == bytes{0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11});
        CHECK(p.ms.read_coherent(dst, 64 * KiB) == data);
        CHECK(h.mmio_read(reg::fence, 8) == 0x1122334455667788);
        const auto& log = p.gpu.completed();
        REQUIRE(log.size() == 2);
        CHECK(log[1].start >= log[0].end); // the fence waited for the copy
        CHECK(seen_at == log[1].end.n);    // and is visible exactly when it completed
        p.gpu.wait_idle();
        CHECK(p.gpu.counters().fences.value() == 1);
    });
}

TEST_CASE("an interrupt descriptor fires the event and the callback after earlier commands") {
    platform p;
    std::vector<std::pair<std::uint32_t, std::uint64_t>> calls;
    p.gpu.on_interrupt([&](std::uint32_t v) { calls.push_back({v, p.now_cycles()}); });
    p.run([&](host& h) {
        p.gpu.program_ring(ring, 4);
        h.put_descriptor(ring, 0, make_read_to_vram(buf, 0, 16 * KiB));
        h.put_descriptor(ring, 1, make_interrupt(42));
        h.mmio_write(reg::doorbell, 2);
        wait(p.gpu.interrupt_event());
        const std::uint64_t at = p.now_cycles();
        REQUIRE(calls.size() == 1);
        CHECK(calls[0].first == 42);
        CHECK(calls[0].second == at);
        const auto& log = p.gpu.completed();
        REQUIRE(log.size() == 2);
        CHECK(at >= log[0].end.n);
        CHECK(h.mmio_read(reg::irq_count) == 1);
    });
}

TEST_CASE("the ring wraps around and the head follows the doorbells") {
    platform p;
    p.run([&](host& h) {
        p.gpu.program_ring(ring, 4);
        for (std::uint32_t i = 0; i < 3; ++i)
            h.put_descriptor(ring, i,
                             make_fill(0x0101010101010101ull * (i + 1), buf + i * 4096, 4096));
        h.mmio_write(reg::doorbell, 3);
        p.gpu.wait_idle();
        CHECK(h.mmio_read(reg::ring_head) == 3);
        // Slots 3, 0, 1: the tail wraps to 2.
        for (std::uint32_t k = 3; k < 6; ++k)
            h.put_descriptor(ring, k % 4,
                             make_fill(0x0101010101010101ull * (k + 1), buf + k * 4096, 4096));
        h.mmio_write(reg::doorbell, 2);
        p.gpu.wait_idle();
        CHECK(h.mmio_read(reg::ring_head) == 2);
        CHECK(h.mmio_read(reg::status) == 0);
        for (std::uint32_t k = 0; k < 6; ++k) {
            CAPTURE(k);
            CHECK(p.ms.read_coherent(buf + k * 4096, 4096) ==
                  bytes(4096, static_cast<std::uint8_t>(k + 1)));
        }
        std::vector<std::uint32_t> order;
        for (const auto& r : p.gpu.completed()) order.push_back(r.index);
        CHECK(order == std::vector<std::uint32_t>{0, 1, 2, 3, 0, 1});
        // A tail beyond the ring is refused.
        h.mmio_write(reg::doorbell, 4);
        CHECK((h.mmio_read(reg::status) & status_error) != 0);
        CHECK((h.mmio_read(reg::status) >> 8) == std::uint32_t(error_code::bad_doorbell));
    });
}

TEST_CASE("fill writes its 64-bit pattern and write-from-vram writes VRAM's bytes") {
    platform p;
    p.run([&](host& h) {
        const bytes v = pattern(3000, 5);
        p.gpu.write_vram(100, v.data(), v.size());
        submit(h, p.gpu,
               {make_fill(0x0807060504030201ull, buf + 8, 100),
                make_write_from_vram(100, buf + 0x2010, 3000)});
        bytes expect(100);
        for (unsigned i = 0; i < 100; ++i) expect[i] = static_cast<std::uint8_t>(i % 8 + 1);
        CHECK(p.ms.read_coherent(buf + 8, 100) == expect);
        CHECK(p.ms.read_coherent(buf, 8) == bytes(8, 0));
        CHECK(p.ms.read_coherent(buf + 0x2010, 3000) == v);
        // 100 bytes from offset 8: one 64-byte request and one of 36; 3000 bytes from 0x2010
        // in 64-byte requests: ceil(3000 / 64) = 47.
        CHECK(p.gpu.counters().write_requests.value() == 2 + 47);
    });
}

namespace {

// A memory with a fixed latency and no calendar that records how many requests it holds at
// once: [arrival, arrival + latency) per request.
struct probe_memory : sc_core::sc_module {
    tlm_utils::simple_target_socket<probe_memory> tsock{"tsock"};
    mtsim::clock clk{1000.0};
    std::uint64_t latency = 200;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
    std::map<std::uint64_t, std::uint8_t> bytes_;

    explicit probe_memory(const sc_core::sc_module_name& n) : sc_core::sc_module(n) {
        tsock.register_b_transport(this, &probe_memory::b_transport);
    }
    void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
        const std::uint64_t arrival = clk.to_cycles(sc_core::sc_time_stamp() + delay).n;
        if (gp.get_data_length() == 64) spans.push_back({arrival, arrival + latency});
        for (unsigned i = 0; i < gp.get_data_length(); ++i) {
            std::uint8_t& b = bytes_[gp.get_address() + i];
            if (gp.is_write())
                b = gp.get_data_ptr()[i];
            else
                gp.get_data_ptr()[i] = b;
        }
        delay += clk.to_time(cycles{latency});
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
    }
    std::size_t max_concurrent() const {
        std::size_t best = 0;
        for (const auto& s : spans) {
            std::size_t n = 0;
            for (const auto& o : spans) n += o.first <= s.first && s.first < o.second;
            best = std::max(best, n);
        }
        return best;
    }
};

struct bar_driver : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<bar_driver> mmio{"mmio"}; // bound, not used
    std::function<void()> body;
    SC_HAS_PROCESS(bar_driver);
    explicit bar_driver(const sc_core::sc_module_name& n) : sc_core::sc_module(n) {
        SC_THREAD(run);
    }
    void run() { body(); }
};

// 64 reads of 64 bytes with a window of `k`, a 1-cycle link transfer and 10-cycle flights
// against the 200-cycle probe memory; returns (cycles of the command, max concurrency).
std::pair<std::uint64_t, std::size_t> windowed_read(unsigned k) {
    dma_engine_config c;
    c.request_bytes = 64;
    c.max_outstanding = k;
    c.link.latency = cycles{10};
    c.link.up_bytes_per_cycle = 64;
    c.link.down_bytes_per_cycle = 64;
    gpu_dma_engine g("gpu", c);
    probe_memory m("mem");
    bar_driver d("drv");
    g.mem.bind(m.tsock);
    d.mmio.bind(g.bar);
    const descriptor_image img = encode(make_read_to_vram(0x10000, 0, 4096));
    for (unsigned i = 0; i < img.size(); ++i) m.bytes_[0x1000 + i] = img[i];
    d.body = [&] {
        g.program_ring(0x1000, 2);
        g.ring_doorbell(1);
        g.wait_idle();
    };
    sc_core::sc_start();
    REQUIRE(g.completed().size() == 1);
    CHECK(g.max_in_flight() <= k);
    return {(g.completed()[0].end - g.completed()[0].start).n, m.max_concurrent()};
}

} // namespace

TEST_CASE("the outstanding-request limit holds at four") {
    // Round trip of one request: 10 up + 200 memory + 1 down + 10 = 221 cycles. Four at a
    // time: 16 waves of 221 cycles; within the last wave the completions queue 1 cycle each.
    const auto [cyc, conc] = windowed_read(4);
    CHECK(conc == 4);
    CHECK(cyc == 16 * 221 + 3);
}

TEST_CASE("the outstanding-request limit of one serializes every request") {
    const auto [cyc, conc] = windowed_read(1);
    CHECK(conc == 1);
    CHECK(cyc == 64 * 221);
}

TEST_CASE("BAR accesses of unknown offsets or sizes fail and the C++ interface refuses them") {
    platform p;
    p.run([&](host& h) {
        tlm::tlm_response_status st{};
        h.mmio_read(0x400, 4, &st);
        CHECK(st == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        h.mmio_read(reg::status, 2, &st);
        CHECK(st == tlm::TLM_BURST_ERROR_RESPONSE);
        CHECK(h.mmio_write(reg::ring_head, 5) == tlm::TLM_OK_RESPONSE); // read-only: ignored
        CHECK(h.mmio_read(reg::ring_head) == 0);
        CHECK_THROWS_AS(p.gpu.read_reg(0x400), std::invalid_argument);
        CHECK_THROWS_AS(p.gpu.write_reg(reg::fence, 1, 8), std::invalid_argument);
        // 64-bit ring base through two 32-bit halves.
        h.mmio_write(reg::ring_base, 0x89abc000);
        h.mmio_write(reg::ring_base + 4, 0x1);
        CHECK(h.mmio_read(reg::ring_base, 8) == 0x189abc000);
    });
}

TEST_CASE("an invalid descriptor halts the engine until STATUS error is cleared") {
    platform p;
    p.run([&](host& h) {
        p.gpu.program_ring(ring, 4);
        h.put_descriptor(ring, 0, make_read_to_vram(buf, p.cfg.gpu.vram_bytes - 64, 128));
        h.put_descriptor(ring, 1, make_fill(0x5a5a5a5a5a5a5a5aull, buf, 64));
        h.mmio_write(reg::doorbell, 2);
        p.gpu.wait_idle();
        CHECK((h.mmio_read(reg::status) >> 8) == std::uint32_t(error_code::bad_descriptor));
        CHECK(h.mmio_read(reg::error_index) == 0);
        CHECK(p.ms.read_coherent(buf, 64) == bytes(64, 0)); // the fill waits
        CHECK(h.mmio_write(reg::status, status_error) == tlm::TLM_OK_RESPONSE);
        p.gpu.wait_idle();
        CHECK(h.mmio_read(reg::status) == 0);
        CHECK(p.ms.read_coherent(buf, 64) == bytes(64, 0x5a));
        CHECK(p.gpu.counters().bad_descriptors.value() == 1);
    });
}

TEST_CASE("RING_CTL bit 0 fetches descriptors with No-Snoop only while Device Control allows it") {
    platform p;
    p.run([&](host& h) {
        p.gpu.write_reg(reg::ring_ctl, ring_ctl_no_snoop);
        CHECK(p.gpu.read_reg(reg::ring_ctl) == ring_ctl_no_snoop);
        // Enable No Snoop clear: the fetch is snooped and finds the host's descriptor in its
        // cache.
        submit(h, p.gpu, {make_fill(0x1111, buf, 64)});
        CHECK(p.ms.stats().dma_non_snooped.value() == 0);
        CHECK(p.gpu.counters().no_snoop_suppressed.value() == 1);
        CHECK(p.gpu.error() == error_code::none);
        // Enable No Snoop set: the fetch goes to DRAM, which does not hold the descriptor the
        // host just wrote through its cache: the engine decodes stale bytes and halts.
        p.gpu.set_enable_no_snoop(true);
        submit(h, p.gpu, {make_fill(0x2222, buf, 64)});
        CHECK(p.ms.stats().dma_non_snooped.value() == 1);
        CHECK(p.gpu.error() == error_code::bad_descriptor);
        CHECK(p.gpu.completed().size() == 1);
    });
}
