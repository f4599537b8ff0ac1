// The happens-before oracle: every verdict class from hand-built histories, ordering through
// program order, keys and chains, initial contents, history bounds, and a 4 MiB timing bound.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/oracle.h"

using namespace mtsim;

namespace {

// A bound on host time, stretched by MTSIM_TEST_SLOWDOWN (scripts/sanitize sets it: an ASan
// build runs several times slower). The bounds guard against super-linear growth, not speed.
double host_seconds_bound(double s) {
    const char* f = std::getenv("MTSIM_TEST_SLOWDOWN");
    return f != nullptr && std::atof(f) > 1 ? s * std::atof(f) : s;
}

} // namespace

namespace {

using bytes = std::vector<unsigned char>;

bytes filled(std::size_t n, unsigned char v) {
    return bytes(n, v);
}

// Distinct, position-dependent contents so no two writes agree by accident.
bytes pattern(std::size_t n, unsigned seed) {
    bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(seed * 37 + i * 7 + 1);
    return b;
}

write_id put(oracle& o, agent_id a, std::uint64_t addr, const bytes& b, std::string what) {
    return o.write(a, addr, b.data(), b.size(), std::move(what));
}

oracle::read_result get(oracle& o, agent_id a, std::uint64_t addr, const bytes& b,
                        std::string what = "read") {
    return o.read(a, addr, b.data(), b.size(), std::move(what));
}

} // namespace

TEST_CASE("verdict names and precedence") {
    // Precedence transcribed from the contract: corruption classes beat race beats clean.
    const std::vector<std::pair<verdict, const char*>> order = {
        {verdict::clean, "clean"},
        {verdict::race, "race"},
        {verdict::stale_read, "stale-read"},
        {verdict::torn, "torn"},
        {verdict::lost_write, "lost-write"},
        {verdict::hang, "hang"},
        {verdict::malfunction, "malfunction"},
        {verdict::machine_check, "machine-check"},
        {verdict::corrupt_unknown, "corrupt-unknown"}};
    REQUIRE(order.size() == static_cast<std::size_t>(verdict_count));
    for (std::size_t i = 0; i < order.size(); ++i) {
        CHECK(to_string(order[i].first) == order[i].second);
        CHECK(verdict_from_string(order[i].second) == order[i].first);
        CHECK(is_corruption(order[i].first) == (i >= 2));
        for (std::size_t j = 0; j < order.size(); ++j)
            CHECK(worst(order[i].first, order[j].first) == order[std::max(i, j)].first);
    }
    CHECK_FALSE(verdict_from_string("stale").has_value());
}

TEST_CASE("message passing with release and acquire is clean when the bytes match") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");
    const bytes data = pattern(64, 1);
    const write_id w = put(o, cpu, 0x1000, data, "vcpu0 store buf+0x0 (WC)");
    o.release(cpu, "doorbell");
    o.acquire(gpu, "doorbell");
    CHECK(o.happens_before(w, gpu));
    const auto r = get(o, gpu, 0x1000, data, "gpu dma-read buf");
    CHECK(r.kind == verdict::clean);
    CHECK(o.findings().empty());
    CHECK(o.summary().overall == verdict::clean);
    CHECK(o.summary().reads == 1);
    CHECK(o.summary().bytes_written == 64);
}

TEST_CASE("message passing is a stale-read when the reader gets the old bytes") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");
    const bytes old_data = pattern(64, 1), new_data = pattern(64, 2);
    const write_id w_old = put(o, cpu, 0x1000, old_data, "old");
    const write_id w_new = put(o, cpu, 0x1000, new_data, "new");
    o.release(cpu, "doorbell");
    o.acquire(gpu, "doorbell");

    SUBCASE("older write") {
        const auto r = get(o, gpu, 0x1000, old_data, "gpu dma-read buf");
        CHECK(r.kind == verdict::stale_read);
        REQUIRE(o.findings().size() == 1);
        const finding& f = o.findings()[0];
        CHECK(f.kind == verdict::stale_read);
        CHECK(f.read == r.id);
        CHECK(f.expected == w_new);
        CHECK(f.has_source);
        CHECK(f.source == w_old);
        CHECK(f.bytes == 64);
        REQUIRE(f.spans.size() == 1);
        CHECK(f.spans[0].offset == 0);
        CHECK(f.spans[0].len == 64);
        CHECK(o.summary().overall == verdict::stale_read);
        const std::string text = o.explain(f);
        CHECK(text.find("stale-read") == 0);
        CHECK(text.find("'new'") != std::string::npos);
        CHECK(text.find("'old'") != std::string::npos);
        CHECK(text.find("'gpu dma-read buf'") != std::string::npos);
        const auto j = o.to_json(f);
        CHECK(j["class"] == "stale-read");
        CHECK(j["expected"]["what"] == "new");
        CHECK(j["source"]["what"] == "old");
        CHECK(j["read"]["agent"] == "gpu");
        CHECK(o.summary_json()["verdict"] == "stale-read");
    }
    SUBCASE("initial zero") {
        get(o, gpu, 0x1000, filled(64, 0));
        REQUIRE(o.findings().size() == 1);
        CHECK(o.findings()[0].kind == verdict::stale_read);
        CHECK(o.findings()[0].source == initial_zero_write);
    }
}

TEST_CASE("without synchronization a read is a race and not corruption") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");
    const bytes data = pattern(64, 3);

    SUBCASE("write recorded first") {
        const write_id w = put(o, cpu, 0x2000, data, "w");
        CHECK_FALSE(o.happens_before(w, gpu));
        SUBCASE("new bytes") {
            CHECK(get(o, gpu, 0x2000, data).kind == verdict::race);
        }
        SUBCASE("old bytes") {
            CHECK(get(o, gpu, 0x2000, filled(64, 0)).kind == verdict::race);
        }
        REQUIRE(o.findings().size() == 1);
        CHECK(o.findings()[0].expected == w);
        CHECK(o.findings()[0].concurrent);
        CHECK(o.findings()[0].bytes == 64);
    }
    SUBCASE("read recorded first") {
        CHECK(get(o, gpu, 0x2000, filled(64, 0)).kind == verdict::clean);
        const write_id w = put(o, cpu, 0x2010, pattern(16, 4), "late write");
        REQUIRE(o.findings().size() == 1);
        const finding& f = o.findings()[0];
        CHECK(f.kind == verdict::race);
        CHECK(f.found_at_write);
        CHECK(f.expected == w);
        CHECK(f.bytes == 16);
        REQUIRE(f.spans.size() == 1);
        CHECK(f.spans[0].offset == 0x10);
    }
    SUBCASE("read recorded first but ordered before the write") {
        CHECK(get(o, gpu, 0x2000, filled(64, 0)).kind == verdict::clean);
        o.release(gpu, "done");
        o.acquire(cpu, "done");
        put(o, cpu, 0x2000, data, "w");
        CHECK(o.findings().empty());
    }
    CHECK(o.summary().overall == (o.findings().empty() ? verdict::clean : verdict::race));
    CHECK_FALSE(is_corruption(o.summary().overall));
}

TEST_CASE("half new and half old bytes of one write are torn") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");
    const bytes old_data = pattern(64, 5), new_data = pattern(64, 6);
    const write_id w_old = put(o, cpu, 0x3000, old_data, "old");
    const write_id w_new = put(o, cpu, 0x3000, new_data, "new");
    o.release(cpu, "k");
    o.acquire(gpu, "k");
    bytes got(new_data.begin(), new_data.begin() + 32);
    got.insert(got.end(), old_data.begin() + 32, old_data.end());
    CHECK(get(o, gpu, 0x3000, got).kind == verdict::torn);
    REQUIRE(o.findings().size() == 1);
    const finding& f = o.findings()[0];
    CHECK(f.expected == w_new);
    CHECK(f.has_source);
    CHECK(f.source == w_old);
    CHECK(f.bytes == 32);
    REQUIRE(f.spans.size() == 1);
    CHECK(f.spans[0].offset == 32);
    CHECK(f.spans[0].len == 32);
}

TEST_CASE("the presence hook turns a stale-read into a lost-write") {
    oracle o;
    const agent_id gpu = o.add_agent("gpu"), cpu = o.add_agent("vcpu0");
    const bytes cpu_data = pattern(64, 7), dev_data = pattern(64, 8);
    const write_id w_cpu = put(o, cpu, 0x4000, cpu_data, "vcpu0 store rx");
    o.release(cpu, "rx-posted");
    o.acquire(gpu, "rx-posted");
    const write_id w_dev = put(o, gpu, 0x4000, dev_data, "gpu dma-write rx");
    o.release(gpu, "irq");
    o.acquire(cpu, "irq");

    std::vector<std::pair<std::uint64_t, std::uint64_t>> asked;
    bool present = false;
    o.set_presence_hook([&](const write_record& e, std::uint64_t addr, std::uint64_t len) {
        CHECK(e.id == w_dev);
        asked.emplace_back(addr, len);
        return present;
    });
    const bytes got = cpu_data; // the CPU's dirty line was written back over the device's bytes

    SUBCASE("gone everywhere") {
        CHECK(get(o, cpu, 0x4000, got).kind == verdict::lost_write);
        REQUIRE(o.findings().size() == 1);
        CHECK(o.findings()[0].source == w_cpu);
        CHECK(o.explain(o.findings()[0]).find("held nowhere") != std::string::npos);
    }
    SUBCASE("still somewhere") {
        present = true;
        CHECK(get(o, cpu, 0x4000, got).kind == verdict::stale_read);
    }
    REQUIRE(asked.size() == 1);
    CHECK(asked[0].first == 0x4000);
    CHECK(asked[0].second == 64);
}

TEST_CASE("without the hook a vanished write stays a stale-read") {
    oracle o;
    const agent_id gpu = o.add_agent("gpu"), cpu = o.add_agent("vcpu0");
    put(o, cpu, 0x4000, pattern(64, 7), "vcpu0 store rx");
    o.handoff(cpu, gpu);
    put(o, gpu, 0x4000, pattern(64, 8), "gpu dma-write rx");
    o.handoff(gpu, cpu);
    CHECK(get(o, cpu, 0x4000, pattern(64, 7)).kind == verdict::stale_read);
}

TEST_CASE("bytes that no write produced are corrupt-unknown") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0");
    put(o, cpu, 0x5000, filled(64, 0x11), "a");
    put(o, cpu, 0x5000, filled(64, 0x22), "b");
    bytes got = filled(64, 0x22);
    got[5] = 0x99;
    CHECK(get(o, cpu, 0x5000, got).kind == verdict::corrupt_unknown);
    REQUIRE(o.findings().size() == 1);
    CHECK(o.findings()[0].bytes == 1);
    CHECK(o.findings()[0].spans[0].offset == 5);
    CHECK(is_corruption(o.summary().overall));

    SUBCASE("garbage in a racy read is corrupt-unknown too") {
        const agent_id gpu = o.add_agent("gpu");
        CHECK(get(o, gpu, 0x5000, filled(64, 0x77)).kind == verdict::corrupt_unknown);
    }
    SUBCASE("never-written memory expects zero") {
        CHECK(get(o, cpu, 0x9000, filled(8, 1)).kind == verdict::corrupt_unknown);
    }
}

TEST_CASE("declared initial memory is the expected value before any write") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");
    const write_id hole = o.declare_initial_fill(0x10000, 4096, 0xff, "PCI hole");
    const bytes img = pattern(128, 9);
    const write_id boot = o.declare_initial(0x20000, img.data(), img.size(), "boot image");

    CHECK(get(o, gpu, 0x10000, filled(4096, 0xff)).kind == verdict::clean);
    CHECK(get(o, cpu, 0x20000, img).kind == verdict::clean);
    CHECK(o.happens_before(hole, gpu));
    // Zero never was the contents there: not a stale value, unknown.
    CHECK(get(o, cpu, 0x10040, filled(64, 0)).kind == verdict::corrupt_unknown);

    put(o, cpu, 0x20000, pattern(128, 10), "overwrite");
    o.release(cpu, "k");
    o.acquire(gpu, "k");
    CHECK(get(o, gpu, 0x20000, img).kind == verdict::stale_read);
    CHECK(o.findings().back().source == boot);
    CHECK(o.write_info(boot).agent == no_agent);
    CHECK(o.agent_name(o.write_info(boot).agent) == "nobody");

    CHECK_THROWS_AS(o.declare_initial_fill(0x20000, 1, 0, "late"), std::logic_error);
    CHECK_THROWS_AS(o.declare_initial_fill(0x10ff0, 32, 0, "overlap"), std::logic_error);
}

TEST_CASE("happens-before is transitive through a chain of three agents") {
    oracle o;
    const agent_id a = o.add_agent("vcpu0"), b = o.add_agent("vmm"), c = o.add_agent("gpu");
    const bytes data = pattern(64, 11);
    const write_id w = put(o, a, 0x6000, data, "vcpu0 store");
    o.release(a, "exit");
    o.acquire(b, "exit");
    o.release(b, "doorbell");

    SUBCASE("through the chain") {
        o.acquire(c, "doorbell");
        CHECK(o.happens_before(w, c));
        CHECK(o.clock_of(c).get(a) == o.clock_of(b).get(a));
        SUBCASE("clean") {
            CHECK(get(o, c, 0x6000, data).kind == verdict::clean);
        }
        SUBCASE("stale") {
            CHECK(get(o, c, 0x6000, filled(64, 0)).kind == verdict::stale_read);
        }
    }
    SUBCASE("the last link missing") {
        CHECK_FALSE(o.happens_before(w, c));
        CHECK(get(o, c, 0x6000, data).kind == verdict::race);
    }
}

TEST_CASE("program order orders one agent and a later epoch is not published") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");
    const bytes first = pattern(64, 12), second = pattern(64, 13);
    const write_id w1 = put(o, cpu, 0x7000, first, "first");
    const write_id w2 = put(o, cpu, 0x7000, second, "second");
    CHECK(o.happens_before(w1, cpu));
    CHECK(o.happens_before(w2, cpu));
    CHECK(get(o, cpu, 0x7000, second).kind == verdict::clean);
    CHECK(get(o, cpu, 0x7000, first).kind == verdict::stale_read);
    REQUIRE(o.findings().size() == 1);
    CHECK(o.findings()[0].expected == w2);
    CHECK(o.findings()[0].source == w1);

    // A write after the release belongs to a new epoch the acquirer has not seen.
    o.release(cpu, "k");
    const write_id w3 = put(o, cpu, 0x7000, pattern(64, 14), "after release");
    o.acquire(gpu, "k");
    CHECK(o.happens_before(w2, gpu));
    CHECK_FALSE(o.happens_before(w3, gpu));
    CHECK(get(o, gpu, 0x7000, second).kind == verdict::race);
    o.tick(cpu);
    CHECK(o.clock_of(cpu).get(cpu) == 3);
}

TEST_CASE("overlapping partial writes give a per-byte expectation") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");
    const write_id w1 = put(o, cpu, 0x8000, filled(64, 0x11), "whole line");
    const write_id w2 = put(o, cpu, 0x8010, filled(16, 0x22), "middle");
    const write_id w3 = put(o, cpu, 0x8038, filled(16, 0x33), "straddles two chunks");
    o.release(cpu, "k");
    o.acquire(gpu, "k");
    bytes want = filled(64, 0x11);
    std::fill(want.begin() + 0x10, want.begin() + 0x20, 0x22);
    std::fill(want.begin() + 0x38, want.end(), 0x33);
    want.resize(0x48, 0x33);
    CHECK(get(o, gpu, 0x8000, want).kind == verdict::clean);
    CHECK(o.findings().empty());

    SUBCASE("the middle write missing") {
        bytes got = want;
        std::fill(got.begin() + 0x10, got.begin() + 0x20, 0x11);
        CHECK(get(o, gpu, 0x8000, got).kind == verdict::stale_read);
        REQUIRE(o.findings().size() == 1);
        const finding& f = o.findings()[0];
        CHECK(f.expected == w2);
        CHECK(f.source == w1);
        CHECK(f.bytes == 16);
        CHECK(f.expected_writes == 1);
        REQUIRE(f.spans.size() == 1);
        CHECK(f.spans[0].offset == 0x10);
        CHECK(f.spans[0].len == 16);
    }
    SUBCASE("two expected writes stale in one read merge into one finding") {
        bytes got = filled(0x48, 0);
        std::fill(got.begin(), got.begin() + 0x40, 0x11);
        CHECK(get(o, gpu, 0x8000, got).kind == verdict::stale_read);
        REQUIRE(o.findings().size() == 1);
        const finding& f = o.findings()[0];
        CHECK(f.expected == w2);
        CHECK(f.expected_writes == 2);
        CHECK(f.source_writes == 2);
        CHECK(f.bytes == 16 + 16);
        REQUIRE(f.spans.size() == 2);
        CHECK(f.spans[1].offset == 0x38);
        CHECK(f.spans[1].len == 16);
        CHECK(o.explain(f).find("1 more write") != std::string::npos);
        (void)w3;
    }
}

TEST_CASE("corruption beats race and every finding is listed") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu"), dma = o.add_agent("dma0");
    put(o, cpu, 0xa000, pattern(64, 15), "published");
    o.release(cpu, "k");
    o.acquire(gpu, "k");
    put(o, dma, 0xa040, pattern(64, 16), "unordered");
    const auto r = get(o, gpu, 0xa000, filled(128, 0));
    CHECK(r.kind == verdict::stale_read);
    REQUIRE(o.findings().size() == 2);
    CHECK(o.findings()[0].kind == verdict::stale_read);
    CHECK(o.findings()[1].kind == verdict::race);
    CHECK(o.summary().count(verdict::stale_read) == 1);
    CHECK(o.summary().count(verdict::race) == 1);
    CHECK(o.summary().overall == verdict::stale_read);
}

TEST_CASE("unordered writes to the same bytes make a later read a race") {
    oracle o;
    const agent_id a = o.add_agent("vcpu0"), b = o.add_agent("vcpu1"), r = o.add_agent("gpu");
    put(o, a, 0xb000, filled(64, 1), "a");
    put(o, b, 0xb000, filled(64, 2), "b");
    o.release(a, "ka");
    o.release(b, "kb");
    o.acquire(r, "ka");
    o.acquire(r, "kb");
    CHECK(o.summary().write_write_races == 1);
    CHECK(get(o, r, 0xb000, filled(64, 2)).kind == verdict::race);
}

TEST_CASE("history per chunk is bounded but keeps the last writes identifiable") {
    oracle_config cfg;
    cfg.history_per_chunk = 3;
    oracle o(cfg);
    const agent_id cpu = o.add_agent("vcpu0");
    std::vector<write_id> ids;
    for (unsigned i = 0; i < 6; ++i)
        ids.push_back(put(o, cpu, 0xc000, filled(64, static_cast<unsigned char>(0x40 + i)),
                          "gen " + std::to_string(i)));
    // Remembered: the visible write (gen 5) and the last three overwritten (gens 2..4).
    for (unsigned i = 2; i < 5; ++i) {
        const auto r = get(o, cpu, 0xc000, filled(64, static_cast<unsigned char>(0x40 + i)));
        CHECK(r.kind == verdict::stale_read);
        CHECK(o.findings().back().source == ids[i]);
    }
    CHECK(get(o, cpu, 0xc000, filled(64, 0x41)).kind == verdict::corrupt_unknown);
}

TEST_CASE("misuse is refused loudly") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0");
    CHECK_THROWS_AS(o.add_agent("vcpu0"), std::invalid_argument);
    CHECK_THROWS_AS(o.add_agent(""), std::invalid_argument);
    CHECK_THROWS_AS(o.agent("gpu"), std::out_of_range);
    CHECK(o.agent("vcpu0") == cpu);
    CHECK_THROWS_AS(o.acquire(cpu, "never released"), std::logic_error);
    const bytes b = filled(8, 0);
    CHECK_THROWS_AS(o.write(cpu, 0, b.data(), 0, "empty"), std::invalid_argument);
    CHECK_THROWS_AS(o.write(cpu, ~0ull - 2, b.data(), 8, "wraps"), std::invalid_argument);
    CHECK_THROWS_AS(o.read(7, 0, b.data(), 8, "no agent"), std::out_of_range);
    CHECK_THROWS_AS(o.write_info(99), std::out_of_range);
    CHECK_THROWS_AS(o.read_info(0), std::out_of_range);
}

TEST_CASE("a 4 MiB buffer written as 64-byte stores and read back checks fast") {
    constexpr std::uint64_t size = 4ull << 20, line = 64, base = 0x100000000ull;
    bytes buf(size);
    for (std::uint64_t i = 0; i < size; ++i) buf[i] = static_cast<unsigned char>(i * 131 + 7);
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");

    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t off = 0; off < size; off += line)
        o.write(cpu, base + off, buf.data() + off, line, "vcpu0 store buf+" + std::to_string(off));
    o.release(cpu, "doorbell");
    o.acquire(gpu, "doorbell");
    std::uint64_t not_clean = 0;
    for (std::uint64_t off = 0; off < size; off += line)
        not_clean +=
            o.read(gpu, base + off, buf.data() + off, line, "gpu read").kind != verdict::clean;
    const auto r_whole = o.read(gpu, base, buf.data(), size, "gpu read whole");
    const auto t1 = std::chrono::steady_clock::now();
    CHECK(not_clean == 0);
    CHECK(r_whole.kind == verdict::clean);
    CHECK(o.findings().empty());

    // The slow path: a whole-buffer read that got the old (zero) contents.
    const bytes zeros(size, 0);
    const auto r_stale = o.read(gpu, base, zeros.data(), size, "gpu read stale");
    const auto t2 = std::chrono::steady_clock::now();
    CHECK(r_stale.kind == verdict::stale_read);
    REQUIRE(o.findings().size() == 1);
    CHECK(o.findings()[0].expected_writes == size / line);
    CHECK(o.findings()[0].source == initial_zero_write);

    // And line by line: one finding per read.
    std::uint64_t stale = 0;
    for (std::uint64_t off = 0; off < size; off += line)
        stale += o.read(gpu, base + off, zeros.data() + off, line, "gpu read").kind ==
                 verdict::stale_read;
    const auto t3 = std::chrono::steady_clock::now();
    CHECK(stale == size / line);
    CHECK(o.summary().count(verdict::stale_read) == 1 + size / line);

    const double clean_s = std::chrono::duration<double>(t1 - t0).count();
    const double stale_s = std::chrono::duration<double>(t2 - t1).count();
    const double lines_s = std::chrono::duration<double>(t3 - t2).count();
    MESSAGE("4 MiB: 65536 writes + 65536 reads + one whole read, all clean: " << clean_s << " s");
    MESSAGE("4 MiB whole-buffer stale read classified: " << stale_s << " s");
    MESSAGE("4 MiB stale as 65536 line reads classified: " << lines_s << " s");
    CHECK(clean_s < host_seconds_bound(5.0));
    CHECK(stale_s < host_seconds_bound(5.0));
    CHECK(lines_s < host_seconds_bound(5.0));
}

TEST_CASE("unordered writes after a read extend one race finding") {
    constexpr std::uint64_t size = 4ull << 20, line = 64;
    const bytes zeros(size, 0), data = pattern(line, 17);
    oracle o;
    const agent_id gpu = o.add_agent("gpu"), cpu = o.add_agent("vcpu0");
    CHECK(o.read(gpu, 0, zeros.data(), size, "gpu read whole").kind == verdict::clean);
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t off = 0; off < size; off += line)
        o.write(cpu, off, data.data(), line, "late store");
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    MESSAGE("65536 writes racing with one earlier 4 MiB read: " << s << " s");
    CHECK(s < host_seconds_bound(5.0));
    REQUIRE(o.findings().size() == 1);
    const finding& f = o.findings()[0];
    CHECK(f.kind == verdict::race);
    CHECK(f.found_at_write);
    CHECK(f.expected_writes == size / line);
    CHECK(f.bytes == size);
    REQUIRE(f.spans.size() == 1);
    CHECK(f.spans[0].len == size);
    CHECK(o.explain(f).find("recorded after the read") != std::string::npos);
    CHECK(o.summary().count(verdict::race) == 1);
}

TEST_CASE("handoff orders two agents without a named key") {
    oracle o;
    const agent_id vmm = o.add_agent("vmm"), cpu = o.add_agent("vcpu0");
    const bytes data = pattern(64, 18);
    const write_id w = put(o, vmm, 0xd000, data, "vmm loads the kernel");
    CHECK_FALSE(o.happens_before(w, cpu));
    o.handoff(vmm, cpu);
    CHECK(o.happens_before(w, cpu));
    CHECK(get(o, cpu, 0xd000, data).kind == verdict::clean);
    // The reverse direction was not ordered: the vCPU's store races with a later VMM read.
    put(o, cpu, 0xd000, pattern(64, 19), "vcpu0 store");
    CHECK(get(o, vmm, 0xd000, pattern(64, 19)).kind == verdict::race);
}

TEST_CASE("findings beyond the cap are counted but not kept") {
    oracle_config cfg;
    cfg.max_findings = 2;
    oracle o(cfg);
    const agent_id cpu = o.add_agent("vcpu0");
    put(o, cpu, 0xe000, filled(64, 5), "w");
    for (int i = 0; i < 5; ++i) get(o, cpu, 0xe000, filled(64, 0));
    CHECK(o.findings().size() == 2);
    CHECK(o.summary().count(verdict::stale_read) == 5);
    CHECK(o.summary().findings_dropped == 3);
    CHECK(o.summary_json()["findings"]["stale-read"] == 5);
    CHECK(o.summary_json()["findings_dropped"] == 3);
}

TEST_CASE("vector clocks join and compare component-wise") {
    vector_clock a, b;
    CHECK(a.get(5) == 0);
    a.tick(0);
    b.tick(1);
    CHECK(a.concurrent_with(b));
    CHECK_FALSE(a.leq(b));
    b.join(a);
    CHECK(a.leq(b));
    CHECK_FALSE(b.leq(a));
    CHECK_FALSE(a.concurrent_with(b));
    CHECK(b.get(0) == 1);
    CHECK(b.get(1) == 1);
    a.set(3, 7);
    CHECK(a.size() == 4);
    CHECK(a.get(2) == 0);
    b.join(a);
    CHECK(b.get(3) == 7);
    CHECK(a.leq(b));
    vector_clock empty;
    CHECK(empty.leq(a));
}
