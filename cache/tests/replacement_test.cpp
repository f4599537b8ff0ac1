// Replacement policies and the set-associative array, without the SystemC kernel.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>

#include <set>

#include "cache/cache_array.h"
#include "cache/fingerprint.h"
#include "cache/replacement/replacement.h"

using namespace mtsim;

TEST_CASE("replacement: the registry holds lru - tree-plru - random - and refuses unknown names") {
    const auto names = replacement_names();
    CHECK(std::find(names.begin(), names.end(), "lru") != names.end());
    CHECK(std::find(names.begin(), names.end(), "tree-plru") != names.end());
    CHECK(std::find(names.begin(), names.end(), "random") != names.end());
    CHECK_THROWS_AS(make_replacement({"nosuch"}, 1, 4, 1), std::invalid_argument);
    CHECK(find_replacement("tree-plru")->refuse(3) != "");
    CHECK(find_replacement("tree-plru")->refuse(4) == "");
}

TEST_CASE("replacement: LRU evicts the way touched longest ago") {
    auto p = make_replacement(replacement_kind::lru, 2, 4, 1);
    for (std::uint32_t w = 0; w < 4; ++w) p->touch(1, w);
    CHECK(p->victim(1) == 0);
    p->touch(1, 0);
    CHECK(p->victim(1) == 1);
    p->touch(1, 1);
    p->touch(1, 2);
    CHECK(p->victim(1) == 3);
    p->invalidate(1, 2);
    CHECK(p->victim(1) == 2);
    // Sets are independent.
    p->touch(0, 3);
    CHECK(p->victim(0) == 0);
}

// Both LRU representations (a nibble stack up to 16 ways, linked lists beyond) against a plain
// recency list, over random touches and invalidations.
TEST_CASE("replacement: LRU agrees with a recency list for 1 to 20 and 64 ways") {
    for (std::uint32_t ways : {1u, 2u, 3u, 7u, 8u, 12u, 15u, 16u, 17u, 20u, 64u}) {
        CAPTURE(ways);
        const std::uint32_t sets = 3;
        auto p = make_replacement(replacement_kind::lru, sets, ways, 1);
        std::vector<std::vector<std::uint32_t>> order(sets); // MRU first
        for (std::uint32_t s = 0; s < sets; ++s)
            for (std::uint32_t w = ways; w-- > 0;) order[s].push_back(w); // way 0 is the LRU
        std::mt19937 rng(ways);
        for (int i = 0; i < 4000; ++i) {
            const std::uint32_t s = rng() % sets;
            // A quarter of the steps take the victim (what a miss does: LRU's rotate path).
            const std::uint32_t w = rng() % 4 == 0 ? order[s].back() : rng() % ways;
            auto& o = order[s];
            o.erase(std::find(o.begin(), o.end(), w));
            if (rng() % 4 == 0) {
                p->invalidate(s, w);
                o.push_back(w);
            } else {
                p->touch(s, w);
                o.insert(o.begin(), w);
            }
            REQUIRE(p->victim(s) == o.back());
        }
    }
}

TEST_CASE("replacement: tree-PLRU follows the tree bits") {
    auto p = make_replacement(replacement_kind::tree_plru, 1, 4, 1);
    // Fresh tree: all bits 0 -> leftmost way.
    CHECK(p->victim(0) == 0);
    p->touch(0, 0); // root -> right half, left node -> way 1
    CHECK(p->victim(0) == 2);
    p->touch(0, 2); // root -> left half (way 1 next there)
    CHECK(p->victim(0) == 1);
    p->touch(0, 1); // root -> right, right node still -> way 3
    CHECK(p->victim(0) == 3);
    p->touch(0, 3);
    CHECK(p->victim(0) == 0);
    CHECK_THROWS_AS(make_replacement(replacement_kind::tree_plru, 1, 3, 1), std::invalid_argument);
}

TEST_CASE("replacement: random is reproducible from its seed and stays in range") {
    auto a = make_replacement(replacement_kind::random, 1, 8, 42);
    auto b = make_replacement(replacement_kind::random, 1, 8, 42);
    auto c = make_replacement(replacement_kind::random, 1, 8, 43);
    std::set<std::uint32_t> seen;
    bool differs = false;
    for (int i = 0; i < 200; ++i) {
        const auto va = a->victim(0);
        CHECK(va == b->victim(0));
        differs = differs || va != c->victim(0);
        CHECK(va < 8);
        seen.insert(va);
    }
    CHECK(differs);
    CHECK(seen.size() == 8);
}

TEST_CASE("cache array: line bytes start on a host cache line and are laid out way-major") {
    for (unsigned line : {32u, 64u, 128u}) {
        CAPTURE(line);
        cache_level_config cfg{16 * line, 4, cycles{1}, replacement_kind::lru, 1};
        cache_array a(cfg, line);
        const auto& lines = a.lines();
        const std::uint8_t* first = lines[0].data; // set 0, way 0
        for (std::size_t i = 0; i < lines.size(); ++i) {
            CAPTURE(i);
            const auto at = reinterpret_cast<std::uintptr_t>(lines[i].data);
            // A line of at most 64 bytes never straddles two 64-byte host lines.
            CHECK(at % std::min<unsigned>(line, 64) == 0);
            // Way w of consecutive sets are neighbours: no two frames overlap, no gaps.
            CHECK(lines[i].data ==
                  first + (std::size_t(lines[i].way) * a.sets() + lines[i].set) * line);
        }
    }
}

TEST_CASE("cache array: invalid ways fill first, then the policy picks the victim") {
    cache_level_config cfg{4 * 64, 2, cycles{1}, replacement_kind::lru, 1};
    cache_array a(cfg, 64);
    CHECK(a.sets() == 2);
    CHECK(a.frames() == 4);
    // Line addresses 0, 2, 4 map to set 0.
    cache_line* f0 = a.slot_for(0);
    a.install(f0, 0);
    cache_line* f2 = a.slot_for(2);
    CHECK(f2 != f0);
    a.install(f2, 2);
    CHECK(a.find(0) == f0);
    CHECK(a.find(2) == f2);
    CHECK(a.find(1) == nullptr);
    a.touch(f0);
    CHECK(a.slot_for(4) == f2); // least recently used
    a.invalidate(f0);
    CHECK(a.slot_for(4) == f0); // an invalid way before any victim
    CHECK(a.find(0) == nullptr);
}

TEST_CASE("cache array: replace() and vacate() then refill() end where invalidate() then "
          "install() ends, for every policy") {
    // Every registered policy (cache/replacement/), so a new one is held to the contract too.
    REQUIRE(replacement_names().size() >= 3);
    for (std::string_view name : replacement_names()) {
        const replacement_kind k{name};
        CAPTURE(k.name);
        const cache_level_config cfg{16 * 8 * 64, 8, cycles{1}, k, 9};
        cache_array a(cfg, 64), b(cfg, 64), c(cfg, 64);
        std::mt19937_64 rng(3);
        for (int i = 0; i < 20000; ++i) {
            const std::uint64_t la = rng() % 400;
            cache_line* fa = a.find(la);
            cache_line* fb = b.find(la);
            cache_line* fc = c.find(la);
            REQUIRE((fa == nullptr) == (fb == nullptr));
            REQUIRE((fa == nullptr) == (fc == nullptr));
            if (fa) {
                if (rng() % 4 == 0) {
                    a.invalidate(fa);
                    b.invalidate(fb);
                    c.invalidate(fc);
                } else {
                    a.touch(fa);
                    b.touch(fb);
                    c.touch(fc);
                }
                continue;
            }
            fa = a.slot_for(la);
            fb = b.slot_for(la);
            fc = c.slot_for(la);
            REQUIRE(fa - a.lines().data() == fb - b.lines().data()); // same victim choice
            REQUIRE(fa - a.lines().data() == fc - c.lines().data());
            if (fa->valid) {
                a.invalidate(fa);
                a.install(fa, la);
                b.replace(fb, la);
                c.vacate(fc);
                CHECK(c.find(fc->line_addr) == nullptr);
                c.refill(fc, la);
            } else {
                a.install(fa, la);
                b.install(fb, la);
                c.install(fc, la);
            }
        }
        for (std::uint64_t la = 0; la < 400; ++la) {
            const cache_line* fa = a.find(la);
            const cache_line* fb = b.find(la);
            const cache_line* fc = c.find(la);
            REQUIRE((fa == nullptr) == (fb == nullptr));
            REQUIRE((fa == nullptr) == (fc == nullptr));
            if (fa) CHECK(fa - a.lines().data() == fb - b.lines().data());
            if (fa) CHECK(fa - a.lines().data() == fc - c.lines().data());
        }
    }
}

// The arrays and the snoop filter fingerprint the tag bits above the set index, so the lines
// of one set in a sequential stream have consecutive tags: those must not share fingerprints,
// or every look-up reads full tags it did not need (whole line addresses, one set count
// apart, did: 73% false matches in the default L2).
TEST_CASE("fingerprints of 32 consecutive tags are all different") {
    std::uint64_t t = 1;
    for (int i = 0; i < 20000; ++i) {
        t = t * 6364136223846793005ULL + 1442695040888963407ULL;
        const std::uint64_t base = t >> 8;
        std::set<fingerprint::fp> seen;
        for (std::uint64_t j = 0; j < 32; ++j) seen.insert(fingerprint::of(base + j));
        REQUIRE(seen.size() == 32);
        CHECK(seen.count(fingerprint::none) == 0);
    }
}
