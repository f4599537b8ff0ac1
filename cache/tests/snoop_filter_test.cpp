// The snoop filter (a duplicate-tag directory mirroring the private L2 frames) against a plain
// reference, without the SystemC kernel.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <stdexcept>
#include <tuple>

#include "cache/snoop_filter.h"

using namespace mtsim;

namespace {

struct slot_value {
    std::uint64_t line;
    bool exclusive;
};

// Random records and clears of (pCPU, set, way) slots with lines that crowd few sets; every
// 500 steps each line's holders are compared with the ones computed from the reference.
void agree_with_reference(std::uint32_t sets, std::uint32_t pcpus, std::uint32_t ways,
                          std::uint64_t seed) {
    snoop_filter f(sets, pcpus, ways);
    std::map<std::tuple<unsigned, std::uint32_t, std::uint32_t>, slot_value> ref;
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 60000; ++i) {
        const unsigned p = static_cast<unsigned>(rng() % pcpus);
        const std::uint64_t line = rng() % 200;
        const std::uint32_t set = static_cast<std::uint32_t>(line & (sets - 1));
        const std::uint32_t way = static_cast<std::uint32_t>(rng() % ways);
        if (rng() % 3 == 0) {
            f.clear(p, way, line);
            ref.erase({p, set, way});
        } else {
            const bool excl = rng() % 2;
            f.record(p, way, line, excl);
            ref[{p, set, way}] = {line, excl};
        }
        if (i % 500 != 0) continue;
        REQUIRE(f.size() == ref.size());
        for (std::uint64_t l = 0; l < 200; ++l) {
            snoop_filter::holders want;
            for (const auto& [key, v] : ref) {
                if (v.line != l) continue;
                want.sharers |= std::uint64_t(1) << std::get<0>(key);
                if (v.exclusive) want.owner = int(std::get<0>(key));
            }
            const snoop_filter::holders got = f.find(l);
            CHECK(got.sharers == want.sharers);
            if (want.owner < 0) CHECK(got.owner == -1);
            // With several exclusive slots (never in a correct protocol) any of them may win.
            if (want.owner >= 0) CHECK(got.owner >= 0);
        }
    }
}

} // namespace

TEST_CASE("snoop filter: random records and clears agree with a reference") {
    agree_with_reference(16, 1, 16, 5); // one fingerprint group per set
    agree_with_reference(8, 3, 8, 6);   // a partial second group (24 slots)
    agree_with_reference(4, 2, 3, 7);   // fewer slots than a group
    agree_with_reference(2, 64, 2, 8);  // the widest sharer mask
}

TEST_CASE("snoop filter: a slot's state and holder are its own") {
    snoop_filter f(4, 2, 2); // lines 1, 5, 9 share set 1
    f.record(0, 0, 5, false);
    f.record(1, 1, 5, true);
    CHECK(f.find(5).sharers == 3);
    CHECK(f.find(5).owner == 1);
    f.record(1, 1, 5, false); // E/M -> S
    CHECK(f.find(5).owner == -1);
    f.record(1, 1, 9, true); // the frame now holds another line of its set
    CHECK(f.find(5).sharers == 1);
    CHECK(f.find(9).sharers == 2);
    CHECK(f.find(9).owner == 1);
    f.clear(0, 0, 5);
    CHECK(f.find(5).sharers == 0);
    CHECK(f.size() == 1);
    CHECK(f.capacity() == 16);
}

TEST_CASE("snoop filter: slots of different sets and pCPUs are separate") {
    snoop_filter f(4, 2, 2);
    f.record(0, 0, 4, true); // set 0
    f.record(0, 0, 5, true); // set 1, same pCPU and way
    f.record(1, 0, 4, false);
    CHECK(f.find(4).sharers == 3);
    CHECK(f.find(4).owner == 0);
    CHECK(f.find(5).sharers == 1);
    f.clear(0, 0, 4);
    CHECK(f.find(4).sharers == 2);
    CHECK(f.find(5).sharers == 1);
    CHECK(f.size() == 2);
}

TEST_CASE("snoop filter: sets must be a power of two, 1 to 64 pCPUs") {
    CHECK_THROWS_AS(snoop_filter(3, 1, 4), std::invalid_argument);
    CHECK_THROWS_AS(snoop_filter(4, 1, 0), std::invalid_argument);
    CHECK_THROWS_AS(snoop_filter(4, 65, 1), std::invalid_argument);
    CHECK_THROWS_AS(snoop_filter(4, 0, 1), std::invalid_argument);
}
