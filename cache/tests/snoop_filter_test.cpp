// The snoop filter's hash table against std::map, without the SystemC kernel.
#include <doctest/doctest.h>

#include <map>
#include <random>

#include "cache/snoop_filter.h"

using namespace mtsim;

TEST_CASE("snoop filter: random inserts, updates and erases agree with std::map") {
    snoop_filter f;
    std::map<std::uint64_t, std::uint64_t> ref;
    std::mt19937_64 rng(5);
    for (int i = 0; i < 200000; ++i) {
        // Few distinct keys with colliding low bits, so probing chains form and break.
        const std::uint64_t key = (rng() % 3000) << (rng() % 2 ? 0 : 12);
        if (rng() % 3 == 0) {
            if (auto* e = f.find(key)) f.erase(e);
            ref.erase(key);
        } else {
            const std::uint64_t v = rng();
            f.get(key).sharers = v;
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
