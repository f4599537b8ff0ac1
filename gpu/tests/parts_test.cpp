// The engine's parts without the SystemC kernel: descriptor encoding, the PCIe link's
// calendars, the outstanding-request window, sparse VRAM, and the configuration's declaration.
#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "gpu/descriptor.h"
#include "gpu/gpu_config.h"
#include "gpu/pcie_link.h"
#include "gpu/vram.h"
#include "model/config.h"

using namespace mtsim;
using namespace mtsim::gpu;

TEST_CASE("descriptors round-trip through their 32-byte little-endian image") {
    const std::vector<descriptor> all{
        make_copy(0x1122334455667788, 0x99aabbccddeeff00, 4096, true),
        make_read_to_vram(0x1000, 0x20, 64),
        make_write_from_vram(0x40, 0x2000, 128, true),
        make_fill(0x0102030405060708, 0x3000, 100),
        make_fence_write(0xfeedface, 0x4008, true),
        make_interrupt(7),
    };
    for (const descriptor& d : all) {
        const descriptor_image img = encode(d);
        CHECK(img[0] == static_cast<std::uint8_t>(d.op));
        CHECK(img[1] == (d.no_snoop ? 1 : 0));
        // Field a at byte 8, little-endian, written independently of encode().
        for (unsigned i = 0; i < 8; ++i) CHECK(img[8 + i] == std::uint8_t(d.a >> (8 * i)));
        for (unsigned i = 0; i < 8; ++i) CHECK(img[16 + i] == std::uint8_t(d.b >> (8 * i)));
        for (unsigned i = 0; i < 8; ++i) CHECK(img[24 + i] == std::uint8_t(d.length >> (8 * i)));
        const auto back = decode(img);
        REQUIRE(back.has_value());
        CHECK(back->op == d.op);
        CHECK(back->no_snoop == d.no_snoop);
        CHECK(back->a == d.a);
        CHECK(back->b == d.b);
        CHECK(back->length == d.length);
    }
}

TEST_CASE("descriptors with an unknown opcode or reserved bits are refused") {
    descriptor_image img = encode(make_copy(0, 0x1000, 64));
    for (unsigned op = 0; op < 256; ++op) {
        img[0] = static_cast<std::uint8_t>(op);
        CHECK(decode(img).has_value() == (op >= 1 && op <= 6));
    }
    img[0] = 1;
    for (unsigned bit = 1; bit < 8; ++bit) {
        descriptor_image f = img;
        f[1] = static_cast<std::uint8_t>(1u << bit);
        CHECK_FALSE(decode(f).has_value());
    }
    for (unsigned i = 2; i < 8; ++i) {
        descriptor_image r = img;
        r[i] = 0x80;
        CHECK_FALSE(decode(r).has_value());
    }
}

TEST_CASE("the PCIe link serializes each direction on its own calendar") {
    pcie_link_config c;
    c.latency = cycles{100};
    c.up_bytes_per_cycle = 8;
    c.down_bytes_per_cycle = 16;
    c.tlp_header_bytes = 16;
    pcie_link link(c);
    struct row {
        bool up;
        std::uint64_t ready, payload, arrival;
    };
    // arrival = max(ready, busy) + ceil((payload + 16) / bpc) + 100
    const std::vector<row> rows{
        {true, 0, 0, 102},       // header only: 2 cycles, busy 2
        {true, 0, 64, 112},      // starts at 2, 80 bytes = 10 cycles, busy 12
        {false, 0, 64, 105},     // the other direction is free: 5 cycles
        {false, 3, 64, 110},     // starts at 5 (busy), busy 10
        {true, 50, 1, 153},      // idle gap: starts at 50, 17 bytes = 3 cycles
        {false, 200, 4096, 557}, // 4112 / 16 = 257 cycles
    };
    for (const row& r : rows) {
        CAPTURE(r.ready);
        CAPTURE(r.payload);
        const cycles a = r.up ? link.send_up(cycles{r.ready}, r.payload)
                              : link.send_down(cycles{r.ready}, r.payload);
        CHECK(a.n == r.arrival);
    }
    CHECK(link.up_busy_cycles() == 2 + 10 + 3);
    CHECK(link.down_busy_cycles() == 5 + 5 + 257);
}

TEST_CASE("the outstanding-request window frees the earliest completion first") {
    request_window w(2);
    CHECK(w.slot(cycles{0}).n == 0);
    w.add(cycles{50});
    CHECK(w.slot(cycles{0}).n == 0);
    w.add(cycles{30});
    // Full: the next request waits for the earliest completion (30).
    CHECK(w.slot(cycles{10}).n == 30);
    w.add(cycles{80});
    // 50 and 80 in flight; at 60 the one at 50 has retired.
    CHECK(w.slot(cycles{60}).n == 60);
    w.add(cycles{90});
    CHECK(w.max_in_flight() == 2);
    CHECK(w.drain(cycles{0}).n == 90);
    CHECK(w.slot(cycles{0}).n == 0);
}

TEST_CASE("engine parameters are declared with defaults in range and validated") {
    const auto params = list_params<dma_engine_config>();
    std::vector<std::string> names;
    for (const auto& p : params) names.push_back(p.path);
    for (const char* n :
         {"clock_mhz", "bdf", "request_bytes", "max_outstanding", "vram_bytes", "command_latency",
          "mmio_latency", "link.latency", "link.up_bytes_per_cycle", "link.down_bytes_per_cycle",
          "link.tlp_header_bytes"}) {
        CAPTURE(n);
        CHECK(std::find(names.begin(), names.end(), n) != names.end());
    }
    dma_engine_config c;
    CHECK_NOTHROW(validate(c));
    apply_set("request_bytes=4KiB", c);
    CHECK(c.request_bytes == 4096);
    CHECK_NOTHROW(validate(c));
    c.request_bytes = 96;
    CHECK_THROWS_AS(validate(c), std::invalid_argument);
    c.request_bytes = 8192;
    CHECK_THROWS_AS(validate(c), std::invalid_argument);
    c.request_bytes = 64;
    c.max_outstanding = 0;
    CHECK_THROWS_AS(validate(c), std::invalid_argument);
}

TEST_CASE("VRAM reads zero until written and holds storage only for the pages written") {
    sparse_vram v(16 * MiB);
    CHECK(v.touched_pages() == 0);
    CHECK(v.bytes(16 * MiB - 8, 8) == std::vector<std::uint8_t>(8, 0));
    CHECK(v.touched_pages() == 0); // a read never allocates
    const std::vector<std::uint8_t> data(100, 0xab);
    v.write(4096 - 50, data.data(), data.size()); // straddles two pages
    CHECK(v.touched_pages() == 2);
    std::vector<std::uint8_t> expect(200, 0);
    std::fill(expect.begin() + 50, expect.begin() + 150, std::uint8_t(0xab));
    CHECK(v.bytes(4096 - 100, 200) == expect);
}

TEST_CASE("a VRAM access beyond vram_bytes throws before any byte moves") {
    sparse_vram v(64 * KiB);
    const std::vector<std::uint8_t> data(128, 1);
    CHECK_THROWS_AS(v.write(64 * KiB - 64, data.data(), data.size()), std::out_of_range);
    CHECK_THROWS_AS(v.write(~std::uint64_t{0} - 10, data.data(), 64), std::out_of_range);
    CHECK_THROWS_AS(v.bytes(64 * KiB, 1), std::out_of_range);
    CHECK(v.touched_pages() == 0);
    CHECK_NOTHROW(v.write(64 * KiB - 128, data.data(), data.size()));
    CHECK(v.touched_pages() == 1);
}
