// x86-TSO litmus tests on two vCPUs over the real memory system, store-to-load forwarding,
// and a race-free hand-off whose outcome must not depend on the quantum.
#include <doctest/doctest.h>

#include "cpu/tests/vcpu_rig.h"

using namespace mtsim;
using namespace mtsim::cpu;
using namespace mtsim::cpu::test;

namespace {

constexpr unsigned iterations = 40;

struct litmus_counts {
    unsigned both_zero = 0;
    unsigned total = 0;
};

// SB: P0 stores x then loads y, P1 stores y then loads x; each iteration on fresh lines.
litmus_counts store_buffering(bool fenced, retire_policy policy) {
    rig_options o;
    o.policy = policy;
    rig r(o);
    vcpu& p0 = r.add_vcpu(0);
    vcpu& p1 = r.add_vcpu(1);
    program a, b;
    for (unsigned i = 0; i < iterations; ++i) {
        const std::uint64_t x = r.data(i * 128), y = r.data(i * 128 + 64);
        a.store_value(x, 1, 8);
        b.store_value(y, 1, 8);
        if (fenced) {
            a.mfence();
            b.mfence();
        }
        a.load(y, 8, "r" + std::to_string(i));
        b.load(x, 8, "r" + std::to_string(i));
        a.pause(cycles{(i % 5) * 3});
        b.pause(cycles{(i % 7) * 2});
    }
    p0.set_program(a);
    p1.set_program(b);
    r.premap();
    r.run();
    REQUIRE(p0.finished());
    REQUIRE(p1.finished());
    litmus_counts c;
    for (unsigned i = 0; i < iterations; ++i) {
        const std::string l = "r" + std::to_string(i);
        const auto r0 = le_value(p0.load_labelled(l).bytes.data(), 8);
        const auto r1 = le_value(p1.load_labelled(l).bytes.data(), 8);
        c.both_zero += r0 == 0 && r1 == 0;
        ++c.total;
    }
    CHECK(r.hv.count(exit_reason::ept_violation) == 0);
    return c;
}

} // namespace

TEST_CASE("SB litmus: r0 = r1 = 0 is observed without fences") {
    const litmus_counts c = store_buffering(false, retire_policy::timed);
    MESSAGE("SB without fences: " << c.both_zero << " of " << c.total << " iterations 0/0");
    CHECK(c.both_zero > 0);
}

TEST_CASE("SB litmus: r0 = r1 = 0 is observed without fences under lazy retirement") {
    const litmus_counts c = store_buffering(false, retire_policy::lazy);
    CHECK(c.both_zero > 0);
}

TEST_CASE("SB litmus: MFENCE forbids r0 = r1 = 0") {
    CHECK(store_buffering(true, retire_policy::timed).both_zero == 0);
}

TEST_CASE("SB litmus: MFENCE forbids r0 = r1 = 0 under lazy retirement") {
    CHECK(store_buffering(true, retire_policy::lazy).both_zero == 0);
}

TEST_CASE("MP litmus: flag seen set with stale data never happens") {
    rig r;
    vcpu& w = r.add_vcpu(0);
    vcpu& rd = r.add_vcpu(1);
    program pw, pr;
    pr.pause(cycles{15});
    for (unsigned i = 0; i < iterations; ++i) {
        const std::uint64_t data = r.data(i * 128), flag = r.data(i * 128 + 64);
        pw.store_value(data, 0x1000 + i, 8).store_value(flag, 1, 8).pause(cycles{7});
        pr.load(flag, 8, "flag" + std::to_string(i))
            .load(data, 8, "data" + std::to_string(i))
            .pause(cycles{13});
    }
    w.set_program(pw);
    rd.set_program(pr);
    r.premap();
    r.run();
    unsigned flag_seen = 0, forbidden = 0;
    for (unsigned i = 0; i < iterations; ++i) {
        const auto f = le_value(rd.load_labelled("flag" + std::to_string(i)).bytes.data(), 8);
        const auto d = le_value(rd.load_labelled("data" + std::to_string(i)).bytes.data(), 8);
        flag_seen += f == 1;
        forbidden += f == 1 && d != 0x1000 + i;
    }
    MESSAGE("MP: flag seen set in " << flag_seen << " of " << iterations << " iterations");
    CHECK(flag_seen > 0);
    CHECK(forbidden == 0);
}

TEST_CASE("Store-to-load forwarding serves the own buffered store before others see it") {
    rig_options o;
    o.policy = retire_policy::lazy;
    rig r(o);
    vcpu& p0 = r.add_vcpu(0);
    vcpu& p1 = r.add_vcpu(1);
    const std::uint64_t a = r.data(0), b = r.data(256);
    program pa, pb;
    pa.store_value(a, 0x1111111111111111ULL, 8)
        .load(a, 8, "own")
        .store_value(b, 0x22222222, 4)
        .load(b, 8, "partial")
        .pause(cycles{1000})
        .mfence();
    pb.pause(cycles{200}).load(a, 8, "early").pause(cycles{3000}).load(a, 8, "late");
    p0.set_program(pa);
    p1.set_program(pb);
    r.premap();
    r.run();
    CHECK(le_value(p0.load_labelled("own").bytes.data(), 8) == 0x1111111111111111ULL);
    CHECK(p0.m_forwarded.value() == 1);
    // Half of the 8 bytes are buffered: the load waits for that store, then reads memory.
    CHECK(le_value(p0.load_labelled("partial").bytes.data(), 8) == 0x22222222);
    CHECK(p0.m_forward_stalls.value() == 1);
    CHECK(le_value(p1.load_labelled("early").bytes.data(), 8) == 0);
    CHECK(le_value(p1.load_labelled("late").bytes.data(), 8) == 0x1111111111111111ULL);
}

TEST_CASE("A full store buffer retires its oldest store and a UC load drains it") {
    rig_options o;
    o.policy = retire_policy::lazy;
    o.sb_entries = 2;
    rig r(o);
    vcpu& p0 = r.add_vcpu(0);
    vcpu& p1 = r.add_vcpu(1);
    const std::uint64_t a = r.data(0), b = r.data(64), c = r.data(128), u = r.data(0x1000, pat_uc);
    program pa, pb;
    pa.store_value(a, 1, 8)
        .store_value(b, 2, 8)
        .store_value(c, 3, 8)
        .pause(cycles{10000})
        .load(u, 8)
        .pause(cycles{1000});
    // Cold 2-D walks take a few thousand cycles: the pauses leave room for them.
    pb.pause(cycles{5000})
        .load(a, 8, "a1")
        .load(b, 8, "b1")
        .load(c, 8, "c1")
        .pause(cycles{20000})
        .load(c, 8, "c2");
    p0.set_program(pa);
    p1.set_program(pb);
    r.premap();
    r.run();
    CHECK(p0.m_full_stalls.value() == 1);
    CHECK(le_value(p1.load_labelled("a1").bytes.data(), 8) == 1);
    CHECK(le_value(p1.load_labelled("b1").bytes.data(), 8) == 0);
    CHECK(le_value(p1.load_labelled("c1").bytes.data(), 8) == 0);
    // The UC load at ~10000 cycles waited for every older store (UC is strongly ordered).
    CHECK(le_value(p1.load_labelled("c2").bytes.data(), 8) == 3);
}

namespace {

// Producer fills a buffer and rings a doorbell (callback + event); the consumer waits for it
// and reads. The hand-off is race-free, so the consumer must see the data at any quantum.
void handoff(double quantum_cycles) {
    rig_options o;
    o.quantum_cycles = quantum_cycles;
    o.policy = retire_policy::lazy;
    rig r(o);
    vcpu& prod = r.add_vcpu(0);
    vcpu& cons = r.add_vcpu(1);
    sc_core::sc_event rung;
    bool doorbell = false;
    const std::uint64_t buf = r.data(0);
    program pp, pc;
    pp.fill(buf, 512, {0x5a, 0xa5}).callback("doorbell", [&](agent&) {
        doorbell = true;
        rung.notify(sc_core::SC_ZERO_TIME);
    });
    pc.callback("wait", [&](agent&) {
          if (!doorbell) sc_core::wait(rung);
      }).load(buf, 512, "buf");
    prod.set_program(pp);
    cons.set_program(pc);
    r.premap();
    r.run();
    const bytes& got = cons.load_labelled("buf").bytes;
    REQUIRE(got.size() == 512);
    for (unsigned i = 0; i < 512; ++i) CHECK(got[i] == (i % 2 ? 0xa5 : 0x5a));
    CHECK(prod.ops(op_code::fill).value() == 1);
    CHECK(prod.m_stores_issued.value() == 8); // 512 bytes as 64-byte line stores
}

} // namespace

TEST_CASE("A doorbell hand-off delivers the data with a 1-cycle quantum") {
    handoff(1);
}

TEST_CASE("A doorbell hand-off delivers the data with a 100000-cycle quantum") {
    handoff(100000);
}
