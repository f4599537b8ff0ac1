// The oracle's cost stays bounded per location (DESIGN.md §2 rule 9): records held and label
// text built are counted, not timed, so these tests fail on unbounded growth on any host.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/oracle.h"

using namespace mtsim;

namespace {

// Counts how many label texts were built.
struct counting_labels : label_source {
    mutable std::uint64_t built = 0;
    std::string label_text(std::uint64_t a, std::uint64_t b) const override {
        ++built;
        return "op " + std::to_string(b) + " at " + std::to_string(a);
    }
};

} // namespace

TEST_CASE("records held per location stay bounded after 10000 stores and loads") {
    oracle o;
    counting_labels labels;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");
    std::vector<unsigned char> v(8);
    for (std::uint64_t i = 0; i < 10000; ++i) {
        for (auto& b : v) b = static_cast<unsigned char>(i * 7 + (&b - v.data()));
        o.write(cpu, 0x1000, v.data(), v.size(), record_label(labels, 0x1000, i));
        CHECK(o.read(cpu, 0x1000, v.data(), v.size(), record_label(labels, 0x1000, i)).kind ==
              verdict::clean);
    }
    o.release(cpu, "done");
    o.acquire(gpu, "done");
    CHECK(o.read(gpu, 0x1000, v.data(), v.size(), "gpu read").kind == verdict::clean);
    CHECK(o.summary().writes == 10000);
    CHECK(o.summary().reads == 10001);
    // The zero fill, the visible write and the chunk's history of overwritten ones.
    CHECK(o.writes_held() <= 2 + oracle_config{}.history_per_chunk);
    // One read mark per agent for the chunk.
    CHECK(o.reads_held() <= 2);
    CHECK(labels.built == 0); // clean reads never build a label
}

TEST_CASE("a finding builds its labels and holds the records it names") {
    oracle o;
    counting_labels labels;
    const agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");
    const std::vector<unsigned char> old_bytes(64, 1), new_bytes(64, 2);
    const write_id w1 = o.write(cpu, 0x2000, old_bytes.data(), 64, record_label(labels, 1, 1));
    for (std::uint64_t i = 0; i < 100; ++i)
        o.write(cpu, 0x3000, new_bytes.data(), 64, record_label(labels, 3, i)); // elsewhere
    const write_id w2 = o.write(cpu, 0x2000, new_bytes.data(), 64, record_label(labels, 1, 2));
    o.release(cpu, "k");
    o.acquire(gpu, "k");
    CHECK(o.read(gpu, 0x2000, old_bytes.data(), 64, record_label(labels, 9, 9)).kind ==
          verdict::stale_read);
    CHECK(labels.built == 0);
    REQUIRE(o.findings().size() == 1);
    const std::string text = o.explain(o.findings()[0]);
    CHECK(labels.built == 3); // the read, the expected and the source write
    CHECK(text.find("op 2 at 1") != std::string::npos);
    CHECK(text.find("op 1 at 1") != std::string::npos);
    CHECK(o.write_info(w1).id == w1);
    CHECK(o.write_info(w2).id == w2);
    // Writes of all-equal bytes are held as their one byte.
    CHECK(o.write_info(w2).data.empty());
    CHECK(o.write_info(w2).byte_at(0x2010) == 2);
}

TEST_CASE("a write no chunk remembers any more is released and reported as no longer held") {
    oracle_config cfg;
    cfg.history_per_chunk = 2;
    oracle o(cfg);
    const agent_id cpu = o.add_agent("vcpu0");
    std::vector<write_id> ids;
    for (unsigned i = 0; i < 600; ++i) {
        const std::vector<unsigned char> v(64, static_cast<unsigned char>(i));
        ids.push_back(o.write(cpu, 0x4000, v.data(), v.size(), "w"));
    }
    CHECK(o.writes_held() == 1 + 1 + 2); // zero fill, visible, two remembered
    CHECK_THROWS_AS(o.write_info(ids.front()), std::out_of_range);
    CHECK(o.write_info(ids.back()).id == ids.back());
    CHECK(o.write_info(ids[ids.size() - 3]).id == ids[ids.size() - 3]);
}
