// Cache-control operations and fences of a vCPU, checked in DRAM and the caches of the real
// memory system (docs/reference/memory-types.md §5 and §6).
#include <doctest/doctest.h>

#include "cpu/tests/vcpu_rig.h"

using namespace mtsim;
using namespace mtsim::cpu;
using namespace mtsim::cpu::test;

namespace {

// Records what an access of the vCPU carried.
struct recorder : agent_observer {
    std::vector<access_record> loads, stores;
    std::function<void(const access_record&)> on_probe;
    void on_load(const agent&, const access_record& r) override {
        loads.push_back(r);
        if (on_probe && r.source && r.source->label == "probe") on_probe(r);
    }
    void on_store(const agent&, const access_record& r) override { stores.push_back(r); }
};

} // namespace

TEST_CASE("WC stores wait in WC buffers and reach DRAM on SFENCE") {
    rig r;
    vcpu& v = r.add_vcpu(0);
    const std::uint64_t w = r.data(0, pat_wc);
    const std::uint64_t hpa = gpa_data;
    bool buffered = false;
    bytes dram_before, dram_after;
    recorder rec;
    program p;
    p.store(w, fill(64, 0x77))
        .callback("before",
                  [&](agent&) {
                      buffered = r.ms.in_wc_buffer(0, hpa);
                      dram_before = r.ms.read_dram(hpa, 64);
                  })
        .sfence()
        .callback("after", [&](agent&) { dram_after = r.ms.read_dram(hpa, 64); });
    v.set_program(p);
    v.set_observer(&rec);
    r.premap();
    r.run();
    CHECK(buffered);
    CHECK(dram_before == fill(64, 0));
    CHECK(dram_after == fill(64, 0x77));
    REQUIRE(rec.stores.size() == 1);
    CHECK(rec.stores[0].type == memtype::wc);
    CHECK(rec.stores[0].source_of_type == type_source::page);
    CHECK(rec.stores[0].hpa == hpa);
    CHECK(v.ops(op_code::sfence).value() == 1);
}

TEST_CASE("A WB store stays in the cache with DRAM stale until CLFLUSH") {
    rig r;
    vcpu& v = r.add_vcpu(0);
    const std::uint64_t a = r.data(0x40);
    const std::uint64_t hpa = gpa_data + 0x40;
    bytes dram_before, cache_before, dram_after;
    std::size_t copies_after = 99;
    program p;
    p.store_value(a, 0x4242424242424242ULL, 8)
        .mfence()
        .callback("before",
                  [&](agent&) {
                      dram_before = r.ms.read_dram(hpa, 8);
                      cache_before = r.ms.read_coherent(hpa, 8);
                  })
        .clflush(a)
        .callback("after", [&](agent&) {
            dram_after = r.ms.read_dram(hpa, 8);
            copies_after = r.ms.copies(hpa).size();
        });
    v.set_program(p);
    r.premap();
    r.run();
    CHECK(dram_before == fill(8, 0));
    CHECK(cache_before == fill(8, 0x42));
    CHECK(dram_after == fill(8, 0x42));
    CHECK(copies_after == 0);
}

TEST_CASE("CLFLUSHOPT waits in the deferral queue until SFENCE") {
    rig_options o;
    o.policy = retire_policy::lazy;
    rig r(o);
    vcpu& v = r.add_vcpu(0);
    const std::uint64_t a = r.data(0x80);
    const std::uint64_t hpa = gpa_data + 0x80;
    bytes dram_before, dram_after;
    std::size_t deferred_before = 0, deferred_after = 9;
    program p;
    p.store_value(a, 0x3333333333333333ULL, 8)
        .clflushopt(a)
        .callback("before",
                  [&](agent& g) {
                      dram_before = r.ms.read_dram(hpa, 8);
                      deferred_before = g.deferred_flushes();
                  })
        .sfence()
        .callback("after", [&](agent& g) {
            dram_after = r.ms.read_dram(hpa, 8);
            deferred_after = g.deferred_flushes();
        });
    v.set_program(p);
    r.premap();
    r.run();
    CHECK(deferred_before == 1);
    CHECK(dram_before == fill(8, 0));
    CHECK(deferred_after == 0);
    CHECK(dram_after == fill(8, 0x33));
}

namespace {

// The vCPU stores, CLFLUSHOPTs the line, then blocks in a callback for 1,000 core cycles (a
// wait for a signal) without a fence. What DRAM holds and how many flushes are pending
// 100 cycles (before flush_delay) and 1,000 cycles (after it) into the wait.
struct blocked_flush {
    bytes dram_early, dram_late;
    std::size_t deferred_early = 9, deferred_late = 9;
};

blocked_flush flush_while_blocked(retire_policy policy) {
    rig_options o;
    o.policy = policy;
    o.flush_delay = cycles{200};
    rig r(o);
    vcpu& v = r.add_vcpu(0);
    const std::uint64_t a = r.data(0x80);
    const std::uint64_t hpa = gpa_data + 0x80;
    blocked_flush b;
    program p;
    p.store_value(a, 0x4444444444444444ULL, 8).clflushopt(a).callback("wait", [&](agent& g) {
        const sc_core::sc_time cycle = g.clk().to_time(cycles{1});
        sc_core::wait(100 * cycle);
        b.dram_early = r.ms.read_dram(hpa, 8);
        b.deferred_early = g.deferred_flushes();
        sc_core::wait(900 * cycle);
        b.dram_late = r.ms.read_dram(hpa, 8);
        b.deferred_late = g.deferred_flushes();
    });
    v.set_program(p);
    r.premap();
    r.run();
    return b;
}

} // namespace

TEST_CASE("A deferred CLFLUSHOPT completes after flush_delay while its vCPU is blocked") {
    const blocked_flush b = flush_while_blocked(retire_policy::timed);
    CHECK(b.deferred_early == 1);
    CHECK(b.dram_early == fill(8, 0));
    CHECK(b.deferred_late == 0);
    CHECK(b.dram_late == fill(8, 0x44));
}

TEST_CASE("Under lazy retirement a deferred CLFLUSHOPT stays pending while its vCPU is blocked") {
    const blocked_flush b = flush_while_blocked(retire_policy::lazy);
    CHECK(b.deferred_late == 1);
    CHECK(b.dram_late == fill(8, 0));
}

namespace {

struct probe_view {
    bytes dram_a, dram_x;
    std::size_t buffered = 99;
};

// A is dirty in the cache; X is stored (to another line) after it; then CLFLUSH(OPT) A. With a
// long retire delay and a short flush delay, look at memory when a later load executes.
probe_view flush_past_older_store(op_code flush) {
    rig_options o;
    o.policy = retire_policy::timed;
    o.retire_delay = cycles{5000};
    o.flush_delay = cycles{5};
    rig r(o);
    vcpu& v = r.add_vcpu(0);
    const std::uint64_t a = r.data(0x100), x = r.data(0x200), z = r.data(0x300);
    probe_view seen;
    recorder rec;
    rec.on_probe = [&](const access_record&) {
        seen.dram_a = r.ms.read_dram(gpa_data + 0x100, 8);
        seen.dram_x = r.ms.read_coherent(gpa_data + 0x200, 8);
        seen.buffered = v.buffered().size();
    };
    program p;
    p.load(z, 8).store_value(a, 0xaaaaaaaaaaaaaaaaULL, 8).mfence().store_value(x, 0x55, 1);
    if (flush == op_code::clflushopt)
        p.clflushopt(a);
    else
        p.clflush(a);
    p.pause(cycles{50}).load(z, 8, "probe");
    v.set_program(p);
    v.set_observer(&rec);
    r.premap();
    r.run();
    return seen;
}

} // namespace

TEST_CASE("CLFLUSHOPT may complete before an older store to another line is visible") {
    const probe_view s = flush_past_older_store(op_code::clflushopt);
    CHECK(s.dram_a == fill(8, 0xaa));
    CHECK(s.buffered == 1);
    CHECK(s.dram_x == fill(8, 0));
}

TEST_CASE("CLFLUSH is ordered after every older store") {
    const probe_view s = flush_past_older_store(op_code::clflush);
    CHECK(s.dram_a == fill(8, 0xaa));
    CHECK(s.buffered == 0);
    CHECK(s.dram_x[0] == 0x55);
}

TEST_CASE("CLWB writes the line back and leaves it cached") {
    rig r;
    vcpu& v = r.add_vcpu(0);
    const std::uint64_t a = r.data(0x40);
    const std::uint64_t hpa = gpa_data + 0x40;
    bytes dram_after;
    std::size_t copies_after = 0;
    program p;
    p.store_value(a, 0x6666666666666666ULL, 8).clwb(a).sfence().callback("after", [&](agent&) {
        dram_after = r.ms.read_dram(hpa, 8);
        copies_after = r.ms.copies(hpa).size();
    });
    v.set_program(p);
    r.premap();
    r.run();
    CHECK(dram_after == fill(8, 0x66));
    CHECK(copies_after > 0);
}

TEST_CASE("A locked add is atomic across vCPUs and drains the store buffer") {
    rig r;
    vcpu& p0 = r.add_vcpu(0);
    vcpu& p1 = r.add_vcpu(1);
    const std::uint64_t counter_addr = r.data(0), other = r.data(0x400);
    program a, b;
    for (unsigned i = 0; i < 25; ++i) {
        a.locked_add(counter_addr, 1, 8).pause(cycles{3});
        b.locked_add(counter_addr, 1, 8).pause(cycles{5});
    }
    a.store_value(other, 9, 8).xchg(counter_addr, 1000, 8, "final");
    p0.set_program(a);
    p1.set_program(b);
    r.premap();
    r.run();
    const std::uint64_t before_xchg = le_value(p0.load_labelled("final").bytes.data(), 8);
    CHECK(before_xchg >= 25);
    CHECK(before_xchg <= 50);
    CHECK(le_value(r.ms.read_coherent(gpa_data, 8).data(), 8) == 1000 + (50 - before_xchg));
    CHECK(p0.buffered().empty());
    CHECK(le_value(r.ms.read_coherent(gpa_data + 0x400, 8).data(), 8) == 9);
}

TEST_CASE("Fill and copy move bytes as line-sized stores") {
    rig r;
    vcpu& v = r.add_vcpu(0);
    const std::uint64_t src = r.data(0x1000), dst = r.data(0x2000);
    r.data(0x1000 + 300);
    program p;
    p.fill(src + 8, 300, {1, 2, 3}).copy(dst, src, 320, true).sfence().load(dst, 320, "dst");
    v.set_program(p);
    r.premap();
    r.run();
    const bytes& got = v.load_labelled("dst").bytes;
    for (unsigned i = 0; i < 320; ++i) {
        const std::uint8_t want =
            i < 8 || i >= 308 ? 0 : static_cast<std::uint8_t>(1 + (i - 8) % 3);
        CHECK(got[i] == want);
    }
    // The non-temporal copy went to DRAM through the WC buffers, drained by SFENCE.
    CHECK(r.ms.read_dram(gpa_data + 0x2000, 320) == got);
    // 300 bytes from offset 8: 56 + 4*64 ... 5 stores; copy of 320 aligned bytes: 5 stores.
    CHECK(v.m_stores_issued.value() == 10);
}

TEST_CASE("With guest CR0.CD set a store misses to DRAM without allocating") {
    rig r;
    vcpu& v = r.add_vcpu(0);
    guest_regs g = v.regs();
    g.cr0_cd = true;
    v.set_guest_regs(g);
    const std::uint64_t a = r.data(0x40);
    recorder rec;
    bytes dram;
    std::size_t copies = 99;
    program p;
    p.store_value(a, 0x5151515151515151ULL, 8).callback("look", [&](agent&) {
        dram = r.ms.read_dram(gpa_data + 0x40, 8);
        copies = r.ms.copies(gpa_data + 0x40).size();
    });
    v.set_program(p);
    v.set_observer(&rec);
    r.premap();
    r.run();
    REQUIRE(rec.stores.size() == 1);
    CHECK(rec.stores[0].type == memtype::uc);
    CHECK(rec.stores[0].source_of_type == type_source::cd);
    CHECK(dram == fill(8, 0x51));
    CHECK(copies == 0);
}
