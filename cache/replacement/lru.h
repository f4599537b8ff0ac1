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

class lru_policy final : public replacement_policy {
public:
    lru_policy(std::uint32_t sets, std::uint32_t ways)
        : m_ways(ways), m_stride(2 + 2 * std::size_t(ways)), m_links(sets * m_stride) {
        if (ways == 0 || ways > 256)
            throw std::invalid_argument("lru replacement needs 1 to 256 ways");
        // Initial order: way 0 least recently used, way ways-1 most.
        for (std::uint32_t s = 0; s < sets; ++s) {
            std::uint8_t* b = block(s);
            b[mru] = static_cast<std::uint8_t>(ways - 1);
            b[lru_end] = 0;
            for (std::uint32_t w = 0; w < ways; ++w) {
                newer(b, w) = static_cast<std::uint8_t>(w + 1 < ways ? w + 1 : w);
                older(b, w) = static_cast<std::uint8_t>(w > 0 ? w - 1 : w);
            }
        }
    }

    void touch(std::uint32_t set, std::uint32_t way) override { touch_now(set, way); }
    void invalidate(std::uint32_t set, std::uint32_t way) override { invalidate_now(set, way); }
    std::uint32_t victim(std::uint32_t set) override { return victim_now(set); }

    // The same operations, callable without a virtual dispatch.
    void touch_now(std::uint32_t set, std::uint32_t way) {
        std::uint8_t* b = block(set);
        if (b[mru] == way) return;
        unlink(b, way);
        older(b, way) = b[mru];
        newer(b, b[mru]) = static_cast<std::uint8_t>(way);
        b[mru] = static_cast<std::uint8_t>(way);
    }
    void invalidate_now(std::uint32_t set, std::uint32_t way) {
        std::uint8_t* b = block(set);
        if (b[lru_end] == way) return;
        unlink(b, way);
        newer(b, way) = b[lru_end];
        older(b, b[lru_end]) = static_cast<std::uint8_t>(way);
        b[lru_end] = static_cast<std::uint8_t>(way);
    }
    // The contract asks for a victim only when every way is valid; recency alone decides then.
    std::uint32_t victim_now(std::uint32_t set) { return block(set)[lru_end]; }

private:
    static constexpr std::size_t mru = 0, lru_end = 1; // offsets of the ends in a block
    std::uint8_t* block(std::uint32_t set) { return &m_links[set * m_stride]; }
    std::uint8_t& newer(std::uint8_t* b, std::uint32_t way) { return b[2 + way]; }
    std::uint8_t& older(std::uint8_t* b, std::uint32_t way) { return b[2 + m_ways + way]; }
    // Takes `way` out of its set's list; it is not at both ends (the set has >= 2 ways here).
    void unlink(std::uint8_t* b, std::uint32_t way) {
        const std::uint8_t n = newer(b, way);
        const std::uint8_t o = older(b, way);
        if (b[mru] == way)
            b[mru] = o;
        else
            older(b, n) = o;
        if (b[lru_end] == way)
            b[lru_end] = n;
        else
            newer(b, o) = n;
    }

    std::uint32_t m_ways;
    std::size_t m_stride;              // bytes per set block
    std::vector<std::uint8_t> m_links; // per set: mru, lru, newer[ways], older[ways]
};

} // namespace mtsim
