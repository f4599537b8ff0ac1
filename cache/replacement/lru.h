// True LRU: per set, a doubly linked recency list of its ways (most to least recently used).
// touch() moves a way to the MRU end, invalidate() to the LRU end, victim() is the LRU end:
// every operation is O(1), so a miss does not scan the set. A set's list lives in one small
// block (both ends, then the newer and older links of every way) so that an operation reads
// one host cache line.
//
// The class is in a header so that a cache array using it calls it directly (its operations
// are a few byte moves; a virtual call per touch was a measurable part of a miss).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "cache/replacement/replacement.h"

namespace mtsim {

// A link is an enum, not std::uint8_t: a store through a character type may alias any object,
// which made the compiler reload every array pointer of the miss path after each LRU update.
enum class lru_link : std::uint8_t {};

class lru_policy final : public replacement_policy {
public:
    lru_policy(std::uint32_t sets, std::uint32_t ways)
        : m_ways(ways), m_stride(2 + 2 * std::size_t(ways)), m_links(sets * m_stride) {
        if (ways == 0 || ways > 256)
            throw std::invalid_argument("lru replacement needs 1 to 256 ways");
        // Initial order: way 0 least recently used, way ways-1 most.
        for (std::uint32_t s = 0; s < sets; ++s) {
            lru_link* b = block(s);
            b[mru] = to_link(ways - 1);
            b[lru_end] = to_link(0);
            for (std::uint32_t w = 0; w < ways; ++w) {
                newer(b, w) = to_link(w + 1 < ways ? w + 1 : w);
                older(b, w) = to_link(w > 0 ? w - 1 : w);
            }
        }
    }

    void touch(std::uint32_t set, std::uint32_t way) override { touch_now(set, way); }
    void invalidate(std::uint32_t set, std::uint32_t way) override { invalidate_now(set, way); }
    std::uint32_t victim(std::uint32_t set) override { return victim_now(set); }

    // The same operations, callable without a virtual dispatch.
    void touch_now(std::uint32_t set, std::uint32_t way) {
        lru_link* b = block(set);
        if (way_of(b[mru]) == way) return;
        unlink(b, way);
        older(b, way) = b[mru];
        newer(b, way_of(b[mru])) = to_link(way);
        b[mru] = to_link(way);
    }
    void invalidate_now(std::uint32_t set, std::uint32_t way) {
        lru_link* b = block(set);
        if (way_of(b[lru_end]) == way) return;
        unlink(b, way);
        newer(b, way) = b[lru_end];
        older(b, way_of(b[lru_end])) = to_link(way);
        b[lru_end] = to_link(way);
    }
    // The contract asks for a victim only when every way is valid; recency alone decides then.
    std::uint32_t victim_now(std::uint32_t set) { return way_of(block(set)[lru_end]); }

private:
    static constexpr std::size_t mru = 0, lru_end = 1; // offsets of the ends in a block
    static lru_link to_link(std::uint32_t way) { return static_cast<lru_link>(way); }
    static std::uint32_t way_of(lru_link l) { return static_cast<std::uint32_t>(l); }
    lru_link* block(std::uint32_t set) { return &m_links[set * m_stride]; }
    lru_link& newer(lru_link* b, std::uint32_t way) { return b[2 + way]; }
    lru_link& older(lru_link* b, std::uint32_t way) { return b[2 + m_ways + way]; }
    // Takes `way` out of its set's list; it is not at both ends (the set has >= 2 ways here).
    void unlink(lru_link* b, std::uint32_t way) {
        const lru_link n = newer(b, way);
        const lru_link o = older(b, way);
        if (way_of(b[mru]) == way)
            b[mru] = o;
        else
            older(b, way_of(n)) = o;
        if (way_of(b[lru_end]) == way)
            b[lru_end] = n;
        else
            newer(b, way_of(o)) = n;
    }

    std::uint32_t m_ways;
    std::size_t m_stride;          // links per set block
    std::vector<lru_link> m_links; // per set: mru, lru, newer[ways], older[ways]
};

} // namespace mtsim
