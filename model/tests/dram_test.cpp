// DRAM controller: exact cycles of idle and contended accesses, channel parallelism, sparse
// storage and an analytic throughput check. Each case elaborates once (own process).
#include <doctest/doctest.h>

#include <functional>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>

#include "model/config.h"
#include "model/dram.h"
#include "model/not_modelled.h"

using namespace mtsim;

namespace {

// Sets the fields of a plain payload; width 0 means the data length.
void prepare(tlm::tlm_generic_payload& gp, tlm::tlm_command cmd, std::uint64_t addr,
             unsigned char* data, unsigned len, unsigned width = 0) {
    gp.set_command(cmd);
    gp.set_address(addr);
    gp.set_data_ptr(data);
    gp.set_data_length(len);
    gp.set_streaming_width(width ? width : len);
}

// An initiator that runs one body in its SC_THREAD and issues accesses through a socket.
struct driver : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<driver> isock{"isock"};
    std::function<void(driver&)> body;

    SC_HAS_PROCESS(driver);
    explicit driver(const sc_core::sc_module_name& n) : sc_core::sc_module(n) { SC_THREAD(run); }
    void run() { body(*this); }

    // Issues one access with the given incoming delay; returns the annotated delay.
    sc_core::sc_time access(tlm::tlm_command cmd, std::uint64_t addr,
                            std::vector<unsigned char>& buf,
                            sc_core::sc_time delay = sc_core::SC_ZERO_TIME) {
        tlm::tlm_generic_payload gp;
        prepare(gp, cmd, addr, buf.data(), static_cast<unsigned>(buf.size()));
        isock->b_transport(gp, delay);
        REQUIRE(gp.is_response_ok());
        return delay;
    }
};

// 1 GHz clock so one cycle is one nanosecond and expectations read as cycles.
dram_config test_cfg() {
    dram_config c;
    c.clock_mhz = 1000.0;
    c.latency = cycles{40};
    c.channels = 2;
    c.interleave_bytes = 256;
    c.bytes_per_cycle = 16;
    return c;
}

std::uint64_t ns(const sc_core::sc_time& t) {
    return static_cast<std::uint64_t>(t.to_seconds() * 1e9 + 0.5);
}

// Elaborates a DRAM and a driver, runs body, returns after simulation ends.
void run_with(const dram_config& cfg, std::function<void(driver&, dram&)> body) {
    dram mem("mem", cfg);
    driver drv("drv");
    drv.isock.bind(mem.tsock);
    drv.body = [&](driver& d) { body(d, mem); };
    sc_core::sc_start();
}

} // namespace

TEST_CASE("an idle 64-byte read costs exactly transfer + latency") {
    run_with(test_cfg(), [](driver& d, dram&) {
        std::vector<unsigned char> buf(64);
        CHECK(ns(d.access(tlm::TLM_READ_COMMAND, 0x1000, buf)) == 64 / 16 + 40);
    });
}

TEST_CASE("incoming delay is the arrival time and a partial cycle rounds up") {
    run_with(test_cfg(), [](driver& d, dram&) {
        std::vector<unsigned char> buf(64);
        // Arrives at 10 ns: completes at 10 + 4 + 40.
        CHECK(ns(d.access(tlm::TLM_READ_COMMAND, 0x0, buf, sc_core::sc_time(10, sc_core::SC_NS))) ==
              54);
        // Arrives at 100.5 ns, channel idle again: starts at cycle 101.
        CHECK(ns(d.access(tlm::TLM_READ_COMMAND, 0x0, buf,
                          sc_core::sc_time(100.5, sc_core::SC_NS))) == 101 + 4 + 40);
    });
}

TEST_CASE("contention: a second access on the same channel queues behind the first") {
    run_with(test_cfg(), [](driver& d, dram& m) {
        std::vector<unsigned char> a(128), b(64);
        REQUIRE(m.channel_of(0x0) == m.channel_of(0x200));
        // A write is posted: done when its data is in, without the command-to-data latency.
        CHECK(ns(d.access(tlm::TLM_WRITE_COMMAND, 0x0, a)) == 8);
        // Arrives at 0 but the channel is busy until cycle 8: starts at 8, done at 8+4+40.
        CHECK(ns(d.access(tlm::TLM_READ_COMMAND, 0x200, b)) == 8 + 4 + 40);
        CHECK(m.busy_until(m.channel_of(0x0)) == cycles{12});
        CHECK(m.channel(m.channel_of(0x0)).busy_cycles.value() == 12);
        CHECK(m.channel(m.channel_of(0x0)).writes.value() == 1);
        CHECK(m.channel(m.channel_of(0x0)).reads.value() == 1);
        CHECK(m.channel(m.channel_of(0x0)).bytes.value() == 192);
    });
}

TEST_CASE("two channels serve concurrent accesses in parallel") {
    run_with(test_cfg(), [](driver& d, dram& m) {
        std::vector<unsigned char> a(128), b(128);
        REQUIRE(m.channel_of(0x0) != m.channel_of(0x100));
        CHECK(ns(d.access(tlm::TLM_READ_COMMAND, 0x0, a)) == 8 + 40);
        CHECK(ns(d.access(tlm::TLM_READ_COMMAND, 0x100, b)) == 8 + 40);
        CHECK(m.channel(0).busy_cycles.value() == 8);
        CHECK(m.channel(1).busy_cycles.value() == 8);
    });
}

TEST_CASE("an access spanning two granules splits across both channels") {
    run_with(test_cfg(), [](driver& d, dram& m) {
        std::vector<unsigned char> a(512);
        // 256 bytes on each channel, in parallel: 16 transfer cycles, not 32.
        CHECK(ns(d.access(tlm::TLM_READ_COMMAND, 0x0, a)) == 16 + 40);
        CHECK(m.channel(0).bytes.value() == 256);
        CHECK(m.channel(1).bytes.value() == 256);
    });
}

TEST_CASE("sparse store: only written pages are allocated, untouched memory reads zero") {
    run_with(test_cfg(), [](driver& d, dram& m) {
        std::vector<unsigned char> buf(64, 0xab);
        CHECK(m.touched_pages() == 0);
        std::vector<unsigned char> rd(64, 0x55);
        d.access(tlm::TLM_READ_COMMAND, 0x7'0000'0000, rd);
        CHECK(rd == std::vector<unsigned char>(64, 0));
        CHECK(m.touched_pages() == 0); // a read never allocates
        d.access(tlm::TLM_WRITE_COMMAND, 0x1000, buf);
        d.access(tlm::TLM_WRITE_COMMAND, 0x1040, buf);
        CHECK(m.touched_pages() == 1);
        d.access(tlm::TLM_WRITE_COMMAND, 0x5'0000'0FF0, buf); // straddles two pages
        CHECK(m.touched_pages() == 3);
        std::vector<unsigned char> back(64);
        d.access(tlm::TLM_READ_COMMAND, 0x5'0000'0FF0, back);
        CHECK(back == buf);
    });
}

TEST_CASE("backdoor transport_dbg moves bytes without touching the calendar") {
    run_with(test_cfg(), [](driver& d, dram& m) {
        std::vector<unsigned char> buf{1, 2, 3, 4, 5, 6, 7, 8};
        tlm::tlm_generic_payload gp;
        prepare(gp, tlm::TLM_WRITE_COMMAND, 0x2000, buf.data(), 8);
        CHECK(d.isock->transport_dbg(gp) == 8);
        std::vector<unsigned char> got(8);
        m.peek(0x2000, got.data(), 8);
        CHECK(got == buf);
        CHECK(m.busy_until(0) == cycles{0});
        CHECK(m.busy_until(1) == cycles{0});
        CHECK(m.channel(0).writes.value() + m.channel(1).writes.value() == 0);
    });
}

TEST_CASE("byte enables: disabled bytes are not written") {
    run_with(test_cfg(), [](driver& d, dram& m) {
        std::vector<unsigned char> init(8, 0x11);
        m.poke(0x3000, init.data(), init.size());
        std::vector<unsigned char> buf(8, 0xee);
        unsigned char be[2] = {TLM_BYTE_ENABLED, TLM_BYTE_DISABLED};
        tlm::tlm_generic_payload gp;
        prepare(gp, tlm::TLM_WRITE_COMMAND, 0x3000, buf.data(), 8);
        gp.set_byte_enable_ptr(be);
        gp.set_byte_enable_length(2);
        sc_core::sc_time t = sc_core::SC_ZERO_TIME;
        d.isock->b_transport(gp, t);
        REQUIRE(gp.is_response_ok());
        std::vector<unsigned char> got(8);
        m.peek(0x3000, got.data(), 8);
        CHECK(got == std::vector<unsigned char>{0xee, 0x11, 0xee, 0x11, 0xee, 0x11, 0xee, 0x11});
    });
}

TEST_CASE("out-of-range addresses and unknown commands are errors, not silent") {
    dram_config c = test_cfg();
    c.size_bytes = 1 << 20;
    run_with(c, [](driver& d, dram&) {
        std::vector<unsigned char> buf(64);
        tlm::tlm_generic_payload gp;
        prepare(gp, tlm::TLM_READ_COMMAND, (1 << 20) - 32, buf.data(), 64);
        sc_core::sc_time t = sc_core::SC_ZERO_TIME;
        d.isock->b_transport(gp, t);
        CHECK(gp.get_response_status() == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        gp.set_address(0);
        gp.set_command(tlm::TLM_IGNORE_COMMAND);
        d.isock->b_transport(gp, t);
        CHECK(gp.get_response_status() == tlm::TLM_COMMAND_ERROR_RESPONSE);
    });
}

TEST_CASE("invalid configurations are refused, naming the parameter") {
    dram_config c = test_cfg();
    c.interleave_bytes = 96;
    CHECK_THROWS_WITH(validate(c), doctest::Contains("dram.interleave"));
    c = test_cfg();
    c.channels = 0;
    CHECK_THROWS_WITH(validate(c), doctest::Contains("channels"));
    c = test_cfg();
    c.bytes_per_cycle = 0;
    CHECK_THROWS_WITH(validate(c), doctest::Contains("bytes_per_cycle"));
}

// Analytic check (Ramulator-style): N back-to-back requests of B bytes on one channel finish
// after N*B/bpc + latency cycles, and the channel is busy exactly N*B/bpc cycles.
TEST_CASE("throughput: N back-to-back requests take N*B/bpc + latency cycles") {
    dram_config c = test_cfg();
    c.channels = 1;
    c.bytes_per_cycle = 32;
    run_with(c, [&](driver& d, dram& m) {
        const std::uint64_t N = 1000, B = 64;
        std::vector<unsigned char> buf(B);
        sc_core::sc_time last;
        for (std::uint64_t i = 0; i < N; ++i) last = d.access(tlm::TLM_READ_COMMAND, i * B, buf);
        CHECK(ns(last) == N * B / c.bytes_per_cycle + c.latency.n);
        CHECK(m.channel(0).busy_cycles.value() == N * B / c.bytes_per_cycle);
    });
}

// Address interleaving spreads a sequential stream over every channel: with two channels the
// same stream takes half the transfer cycles.
TEST_CASE("throughput: a sequential stream over two channels halves the transfer time") {
    dram_config c = test_cfg();
    run_with(c, [&](driver& d, dram& m) {
        const std::uint64_t N = 1024, B = 64;
        std::vector<unsigned char> buf(B);
        std::uint64_t done = 0;
        for (std::uint64_t i = 0; i < N; ++i)
            done = std::max(done, ns(d.access(tlm::TLM_READ_COMMAND, i * B, buf)));
        CHECK(done == N * B / (c.channels * c.bytes_per_cycle) + c.latency.n);
        CHECK(m.channel(0).busy_cycles.value() == m.channel(1).busy_cycles.value());
    });
}

TEST_CASE("every DRAM parameter is declared once with its default in range") {
    const auto params = list_params<dram_config>();
    std::vector<std::string> names;
    for (const auto& p : params) names.push_back(p.path);
    CHECK(names == std::vector<std::string>{"clock_mhz", "latency", "channels", "interleave",
                                            "bytes_per_cycle", "size"});
    dram_config c;
    apply_set("channels=4", c);
    apply_set("interleave=256B", c);
    CHECK(c.channels == 4);
    CHECK(c.interleave_bytes == 256);
    CHECK_THROWS(apply_set("channels=0", c));
}

TEST_CASE("channel counters appear in the stats tree under the module's name") {
    run_with(test_cfg(), [](driver& d, dram&) {
        std::vector<unsigned char> buf(64);
        d.access(tlm::TLM_WRITE_COMMAND, 0x100, buf); // channel 1
        const auto j = dump_stats();
        CHECK(j["mem"]["ch1"]["writes"] == 1);
        CHECK(j["mem"]["ch1"]["busy_cycles"] == 4);
        CHECK(j["mem"]["ch0"]["bytes"] == 0);
    });
}

TEST_CASE("the controller is LT only: nb_transport_fw is refused and no DMI is granted") {
    run_with(test_cfg(), [](driver& d, dram&) {
        std::vector<unsigned char> buf(64);
        tlm::tlm_generic_payload gp;
        prepare(gp, tlm::TLM_READ_COMMAND, 0x40, buf.data(), 64);
        tlm::tlm_phase phase = tlm::BEGIN_REQ;
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        CHECK_THROWS_WITH_AS(d.isock->nb_transport_fw(gp, phase, delay),
                             doctest::Contains("not modelled: nb_transport_fw"), not_modelled);
        tlm::tlm_dmi dmi;
        CHECK_FALSE(d.isock->get_direct_mem_ptr(gp, dmi));
    });
}

// Whole 64-byte lines take a shorter path (dram::line_access); these are the 64-byte payloads
// it must leave to the general one, and the edges of the range it takes.
TEST_CASE("64-byte payloads off the line path: granule crossing, narrow bursts, byte enables") {
    dram_config c = test_cfg();
    c.size_bytes = 1 << 20;
    run_with(c, [](driver& d, dram& m) {
        std::vector<unsigned char> line(64, 0xAB);
        // 32 bytes on each channel, in parallel: 2 transfer cycles (a posted write).
        CHECK(ns(d.access(tlm::TLM_WRITE_COMMAND, 256 - 32, line)) == 2);
        CHECK(m.channel(0).bytes.value() == 32);
        CHECK(m.channel(1).bytes.value() == 32);

        tlm::tlm_generic_payload gp;
        prepare(gp, tlm::TLM_READ_COMMAND, 0x1000, line.data(), 64, 32);
        sc_core::sc_time t = sc_core::SC_ZERO_TIME;
        d.isock->b_transport(gp, t);
        CHECK(gp.get_response_status() == tlm::TLM_BURST_ERROR_RESPONSE);
        CHECK(m.channel(0).reads.value() == 0);

        unsigned char be[2] = {TLM_BYTE_ENABLED, TLM_BYTE_DISABLED};
        std::fill(line.begin(), line.end(), 0x5A);
        gp.set_command(tlm::TLM_WRITE_COMMAND);
        gp.set_streaming_width(64);
        gp.set_byte_enable_ptr(be);
        gp.set_byte_enable_length(2);
        d.isock->b_transport(gp, t);
        REQUIRE(gp.is_response_ok());
        unsigned char back[4];
        m.peek(0x1000, back, 4);
        CHECK(back[0] == 0x5A);
        CHECK(back[1] == 0x00);
        CHECK(back[2] == 0x5A);

        gp.set_byte_enable_ptr(nullptr);
        gp.set_byte_enable_length(0);
        gp.set_address((1 << 20) - 64); // the last whole line
        d.isock->b_transport(gp, t);
        CHECK(gp.is_response_ok());
        gp.set_address((1 << 20) - 63);
        d.isock->b_transport(gp, t);
        CHECK(gp.get_response_status() == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    });
}
