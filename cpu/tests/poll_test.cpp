// The engine's bounded poll: loads until the awaited value or the budget, every load reported,
// then the end with whether the value was seen; the operand is checked when the program is
// built.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/tests/vcpu_rig.h"

using namespace mtsim;
using namespace mtsim::cpu;
using namespace mtsim::cpu::test;

namespace {

struct poll_recorder : agent_observer {
    std::size_t loads = 0, ends = 0;
    bool seen = false;
    void on_load(const agent&, const access_record& r) override {
        if (r.source && r.source->code == op_code::poll) ++loads;
    }
    void on_store(const agent&, const access_record&) override {}
    void on_poll_end(const agent&, const op& o, std::size_t, bool s) override {
        CHECK(o.code == op_code::poll);
        ++ends;
        seen = s;
    }
};

constexpr std::uint64_t hva = 0x20000000, hpa = gpa_data + 0x9000;

} // namespace

TEST_CASE("a poll of a WB value sees another pCPU's store and ends early") {
    rig r;
    host_cpu& poller = r.add_host(0);
    host_cpu& writer = r.add_host(1);
    poller.map({hva, hpa, 0x1000});
    writer.map({hva, hpa, 0x1000});
    poll_recorder rec;
    poller.set_observer(&rec);
    program p;
    p.poll(hva, 7, 4, cycles{50000}, "fence");
    poller.set_program(p);
    program w;
    w.pause(cycles{2000}).store_value(hva, 7, 4).mfence();
    writer.set_program(w);
    r.run();
    CHECK(rec.ends == 1);
    CHECK(rec.seen);
    CHECK(rec.loads > 1);
    CHECK(le_value(poller.load_labelled("fence").bytes.data(), 4) == 7);
    CHECK(poller.m_cycles.value() >= 2000);
    CHECK(poller.m_cycles.value() < 50000);
}

TEST_CASE("a poll nobody satisfies spins until its budget and reports that it did not see it") {
    rig r;
    host_cpu& poller = r.add_host(0);
    poller.map({hva, hpa, 0x1000});
    poll_recorder rec;
    poller.set_observer(&rec);
    program p;
    p.poll(hva, 1, 8, cycles{3000}, "fence");
    poller.set_program(p);
    r.run();
    CHECK(rec.ends == 1);
    CHECK_FALSE(rec.seen);
    CHECK(rec.loads > 100); // L1 hits after the first miss: many loads in 3,000 cycles
    CHECK(poller.m_cycles.value() >= 3000);
    CHECK(poller.m_cycles.value() < 3200);
    CHECK(le_value(poller.load_labelled("fence").bytes.data(), 8) == 0);
}

TEST_CASE("a poll's operand is 1 2 4 or 8 naturally aligned bytes") {
    program p;
    CHECK_THROWS_AS(p.poll(0x1000, 1, 3, cycles{10}), std::invalid_argument);
    CHECK_THROWS_AS(p.poll(0x1002, 1, 4, cycles{10}), std::invalid_argument);
    CHECK_NOTHROW(p.poll(0x1004, 1, 4, cycles{10}));
}
