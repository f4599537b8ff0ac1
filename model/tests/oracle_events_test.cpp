// The oracle's bounded polls (`hang`) and platform events (`machine-check`): hand-built
// histories, each finding checked with the write it names and the precedence it takes.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/oracle.h"

using namespace mtsim;

namespace {

using bytes = std::vector<unsigned char>;

// Completion times of writes, as a runner would keep them (cycles).
struct clock_book {
    std::vector<std::pair<write_id, std::uint64_t>> done;
    std::uint64_t at(write_id w) const {
        for (const auto& [id, t] : done)
            if (id == w) return t;
        return ~std::uint64_t{0};
    }
    // "Completed at least `age` cycles before `last_read`".
    auto older_than(std::uint64_t last_read, std::uint64_t age) const {
        return [this, last_read, age](const write_record& w) {
            const std::uint64_t t = at(w.id);
            return t != ~std::uint64_t{0} && t + age <= last_read;
        };
    }
};

} // namespace

TEST_CASE("a poll that sees a published flag acquires the writer's earlier data") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");
    const bytes data(64, 0x21), flag{1, 0, 0, 0};
    o.write(gpu, 0x1000, data.data(), 64, "gpu data");
    const write_id f = o.write(gpu, 0x2000, flag.data(), 4, "gpu fence");
    o.publish(gpu, f);
    CHECK(o.poll_read(cpu, 0x2000, flag.data(), 4) == f);
    // Without the acquire this read would be a race with the GPU's data write.
    CHECK(o.read(cpu, 0x1000, data.data(), 64, "payload").kind == verdict::clean);
    CHECK(o.summary().overall == verdict::clean);
}

TEST_CASE("a poll read of an old value acquires nothing and is never a finding by itself") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");
    const bytes zero(4, 0), flag{1, 0, 0, 0}, data(64, 0x21);
    o.write(gpu, 0x1000, data.data(), 64, "gpu data");
    o.publish(gpu, o.write(gpu, 0x2000, flag.data(), 4, "gpu fence"));
    CHECK(o.poll_read(cpu, 0x2000, zero.data(), 4) == initial_zero_write);
    CHECK(o.summary().overall == verdict::clean);
    CHECK_FALSE(o.happens_before(1, cpu));
}

TEST_CASE("a poll that timed out on a value completed long before its last read is a hang") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");
    const bytes zero(4, 0), flag{7, 0, 0, 0};
    const write_id f = o.write(gpu, 0x2000, flag.data(), 4, "gpu fence");
    o.publish(gpu, f);
    clock_book book{{{f, 1000}}};
    SUBCASE("completed 9,000 cycles before the last read, threshold 5,000: hang") {
        CHECK(o.poll_timeout(cpu, 0x2000, 4, flag.data(), zero.data(), "vcpu0 poll fence",
                             book.older_than(10000, 5000)) == verdict::hang);
        REQUIRE(o.findings().size() == 1);
        const finding& h = o.findings()[0];
        CHECK(h.kind == verdict::hang);
        CHECK(h.expected == f);
        CHECK(h.has_source);
        CHECK(h.source == initial_zero_write);
        CHECK(o.summary().overall == verdict::hang);
        const std::string text = o.explain(h);
        CHECK(text.find("hang: poll by vcpu0 'vcpu0 poll fence'") == 0);
        CHECK(text.find("never saw write #" + std::to_string(f) + " by gpu 'gpu fence'") !=
              std::string::npos);
        CHECK(o.to_json(h)["class"] == "hang");
    }
    SUBCASE("completed only 3,000 cycles before the last read: the poll was too short") {
        CHECK(o.poll_timeout(cpu, 0x2000, 4, flag.data(), zero.data(), "vcpu0 poll fence",
                             book.older_than(4000, 5000)) == verdict::clean);
        CHECK(o.findings().empty());
    }
    SUBCASE("nobody wrote the awaited value: a timeout, not a hang") {
        const bytes other{9, 0, 0, 0};
        CHECK(o.poll_timeout(cpu, 0x2000, 4, other.data(), zero.data(), "vcpu0 poll fence",
                             book.older_than(10000, 0)) == verdict::clean);
        CHECK(o.summary().overall == verdict::clean);
    }
}

TEST_CASE("a hang outranks a stale read and is outranked by a machine check") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");
    const bytes zero(4, 0), flag{7, 0, 0, 0}, data(64, 0x33), old(64, 0);
    o.write(gpu, 0x1000, data.data(), 64, "gpu data");
    o.release(gpu, "irq");
    o.acquire(cpu, "irq");
    CHECK(o.read(cpu, 0x1000, old.data(), 64, "stale").kind == verdict::stale_read);
    const write_id f = o.write(gpu, 0x2000, flag.data(), 4, "gpu fence");
    o.poll_timeout(cpu, 0x2000, 4, flag.data(), zero.data(), "poll",
                   [f](const write_record& w) { return w.id == f; });
    CHECK(o.summary().overall == verdict::hang);
    o.machine_check(cpu, 0xa0000, 64, "vcpu0 op 1 load vga+0x0 (WB)");
    CHECK(o.summary().overall == verdict::machine_check);
    CHECK(o.summary().count(verdict::machine_check) == 1);
    const finding& mc = o.findings().back();
    CHECK(o.explain(mc).find("machine-check: access #") == 0);
    CHECK(o.explain(mc).find("'vcpu0 op 1 load vga+0x0 (WB)' [0xa0000, +64)") != std::string::npos);
}

TEST_CASE("a malfunction outranks a hang and is outranked by a machine check") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");
    const bytes zero(4, 0), flag{7, 0, 0, 0};
    const write_id f = o.write(gpu, 0x2000, flag.data(), 4, "gpu fence");
    o.poll_timeout(cpu, 0x2000, 4, flag.data(), zero.data(), "poll",
                   [f](const write_record& w) { return w.id == f; });
    CHECK(o.summary().overall == verdict::hang);
    o.malfunction(cpu, 0x40000, 8,
                  "vcpu0 op 3 ldxr dev+0x0: Normal-NC = stage 1 Normal-WB x stage 2 Normal-NC");
    CHECK(o.summary().overall == verdict::malfunction);
    CHECK(o.summary().count(verdict::malfunction) == 1);
    const finding& m = o.findings().back();
    CHECK(o.explain(m).find("malfunction: access #") == 0);
    CHECK(o.explain(m).find("stage 1 Normal-WB x stage 2 Normal-NC") != std::string::npos);
    CHECK(o.explain(m).find("[0x40000, +8)") != std::string::npos);
    o.machine_check(cpu, 0xa0000, 64, "vcpu0 op 1 load vga+0x0 (WB)");
    CHECK(o.summary().overall == verdict::machine_check);
}

TEST_CASE("a malfunction alone makes the run's verdict malfunction and is no data finding") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0");
    const bytes v(8, 1);
    o.write(cpu, 0x1000, v.data(), 8, "store");
    CHECK(o.read(cpu, 0x1000, v.data(), 8, "load").kind == verdict::clean);
    o.malfunction(cpu, 0x1000, 8, "vcpu0 op 2 ldadd (Device-nGnRE)");
    CHECK(o.summary().overall == verdict::malfunction);
    CHECK(o.summary().count(verdict::stale_read) == 0);
    CHECK(o.findings().size() == 1);
}

TEST_CASE("a flag that straddles two 64-byte chunks is refused") {
    oracle o;
    const agent_id cpu = o.add_agent("vcpu0");
    const bytes v(8, 1);
    CHECK_THROWS_AS(o.poll_read(cpu, 0x103c, v.data(), 8), std::invalid_argument);
}
