// The snoop filter (a duplicate-tag directory with the L2's geometry) against std::map,
// without the SystemC kernel.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <stdexcept>

#include "cache/snoop_filter.h"

using namespace mtsim;

namespace {

// Runs random inserts, updates and erases over keys that crowd few sets, never asking for
// more than `ways` lines of one set (the bound the private L2s guarantee).
void agree_with_map(std::uint32_t sets, std::uint32_t ways, std::uint64_t seed) {
    snoop_filter f(sets, ways);
    std::map<std::uint64_t, std::uint64_t> ref;
    std::map<std::uint64_t, unsigned> per_set;
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 100000; ++i) {
        const std::uint64_t key = (rng() % 3000) << (rng() % 2 ? 0 : 12);
        const std::uint64_t set = key & (sets - 1);
        if (rng() % 3 == 0) {
            if (auto* e = f.find(key)) f.erase(e);
            if (ref.erase(key)) --per_set[set];
        } else if (ref.count(key) || per_set[set] < ways) {
            const std::uint64_t v = rng();
            snoop_filter::entry& e = f.get(key);
            CHECK(e.line == key);
            e.sharers = v;
            if (!ref.count(key)) ++per_set[set];
            ref[key] = v;
        }
        if (i % 1000 == 0) {
            REQUIRE(f.size() == ref.size());
            for (const auto& [k, v] : ref) {
                const auto* e = f.find(k);
                REQUIRE(e != nullptr);
                CHECK(e->sharers == v);
            }
        }
    }
    for (std::uint64_t k = 0; k < 3000; ++k) CHECK((f.find(k) != nullptr) == (ref.count(k) == 1));
}

} // namespace

TEST_CASE("snoop filter: random inserts, updates and erases agree with std::map") {
    agree_with_map(16, 16, 5); // one fingerprint group per set
    agree_with_map(8, 24, 6);  // a partial second group (pcpus x ways not a multiple of 16)
    agree_with_map(4, 3, 7);   // fewer entries than a group
}

TEST_CASE("snoop filter: a new entry has no sharers and no owner") {
    snoop_filter f(4, 2);
    snoop_filter::entry& e = f.get(9);
    CHECK(e.sharers == 0);
    CHECK(e.owner == -1);
    CHECK(f.size() == 1);
    CHECK(&f.get(9) == &e);
}

TEST_CASE("snoop filter: an insert into a full set is a broken invariant") {
    snoop_filter f(4, 3); // lines 1, 5, 9, 13 share set 1
    f.get(1);
    f.get(5);
    f.get(9);
    CHECK_THROWS_AS(f.get(13), std::logic_error);
    f.erase(f.find(5));
    CHECK(f.find(1) != nullptr);
    CHECK(f.find(9) != nullptr);
    CHECK(f.find(5) == nullptr);
    CHECK(f.get(13).line == 13);
    CHECK(f.size() == 3);
}

TEST_CASE("snoop filter: sets must be a power of two") {
    CHECK_THROWS_AS(snoop_filter(3, 4), std::invalid_argument);
    CHECK_THROWS_AS(snoop_filter(4, 0), std::invalid_argument);
}
