// True LRU: per set, the recency order of its ways (most to least recently used). touch()
// moves a way to the MRU end, invalidate() to the LRU end, victim() is the LRU end: every
// operation is O(1), so a miss does not scan the set. Two representations of the same order:
// - up to 16 ways (every default level): one 64-bit word per set, a stack of 4-bit way
//   numbers, rank 0 (MRU) in the low nibble. An operation finds the way's rank with a
//   SIMD-within-a-register compare and moves the ranks around it with shifts and masks: no
//   loads beyond the word, and eight sets share a host cache line.
// - more ways: a doubly linked list per set in one small block (both ends, then the newer
//   and older links of every way).
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
        : m_ways(ways), m_stride(2 + 2 * std::size_t(ways)) {
        if (ways == 0 || ways > 256)
            throw std::invalid_argument("lru replacement needs 1 to 256 ways");
        if (ways <= 16) {
            // Initial order: way 0 least recently used, way ways-1 most.
            std::uint64_t stack = 0;
            for (std::uint32_t r = 0; r < ways; ++r)
                stack |= std::uint64_t(ways - 1 - r) << (4 * r);
            m_stacks.assign(sets, stack);
            m_lru_shift = 4 * (ways - 1);
            m_rank_mask = ways == 16 ? ~std::uint64_t(0) : (std::uint64_t(1) << (4 * ways)) - 1;
            return;
        }
        m_links.resize(sets * m_stride);
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
        if (!m_stacks.empty()) {
            // Ranks below the way's move one down the stack (older), the way goes to rank 0.
            std::uint64_t& st = m_stacks[set];
            if ((st & 0xF) == way) return; // already the most recent: a hit stream's usual case
            if ((st >> m_lru_shift) == way) {
                // The least recent (a replaced victim, a miss stream's every touch): the whole
                // stack moves down one rank, the way wraps around to rank 0.
                st = ((st << 4) & m_rank_mask) | way;
                return;
            }
            const std::uint64_t below = low_ranks(st, way);
            st = (st & ~((below << 4) | 0xF)) | ((st & below) << 4) | way;
            return;
        }
        lru_link* b = block(set);
        if (way_of(b[mru]) == way) return;
        unlink(b, way);
        older(b, way) = b[mru];
        newer(b, way_of(b[mru])) = to_link(way);
        b[mru] = to_link(way);
    }
    void invalidate_now(std::uint32_t set, std::uint32_t way) {
        if (!m_stacks.empty()) {
            // Ranks above the way's move one up (newer), the way goes to the last rank. No early
            // return when it is last already (the L2 victim's case): with one, the miss stream
            // ran 2.4 times slower on the development host, though it executed fewer
            // instructions (measured, not explained: presumably memory-order mispredictions
            // between this word's loads and stores).
            std::uint64_t& st = m_stacks[set];
            const std::uint64_t below = low_ranks(st, way);
            const std::uint64_t through = (below << 4) | 0xF; // ranks up to the way's
            st = (st & below) | ((st & ~through) >> 4) | (std::uint64_t(way) << m_lru_shift);
            return;
        }
        lru_link* b = block(set);
        if (way_of(b[lru_end]) == way) return;
        unlink(b, way);
        newer(b, way) = b[lru_end];
        older(b, way_of(b[lru_end])) = to_link(way);
        b[lru_end] = to_link(way);
    }
    // The contract asks for a victim only when every way is valid; recency alone decides then.
    std::uint32_t victim_now(std::uint32_t set) {
        if (!m_stacks.empty())
            return static_cast<std::uint32_t>(m_stacks[set] >> m_lru_shift) & 0xF;
        return way_of(block(set)[lru_end]);
    }

private:
    // The mask of the nibbles below `way`'s rank in stack (way is in the stack exactly once,
    // at a rank below ways; nibbles above the last rank are 0). A nibble equal to `way` is
    // zero after the xor; the subtract-and-mask test flags zero nibbles, and only a nibble
    // above a true zero can be flagged falsely, so the lowest flag is the way's rank.
    static std::uint64_t low_ranks(std::uint64_t stack, std::uint32_t way) {
        constexpr std::uint64_t ones = 0x1111111111111111ull, highs = 0x8888888888888888ull;
        const std::uint64_t x = stack ^ (ones * way);
        const std::uint64_t zero = (x - ones) & ~x & highs;
        const unsigned rank = static_cast<unsigned>(__builtin_ctzll(zero)) / 4;
        return (std::uint64_t(1) << (4 * rank)) - 1;
    }

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
    std::vector<std::uint64_t> m_stacks; // up to 16 ways: per set, the rank stack
    unsigned m_lru_shift = 0;            // bit offset of the last rank's nibble
    std::uint64_t m_rank_mask = 0;       // the nibbles of ranks 0 to ways-1
    std::size_t m_stride;                // more ways: links per set block
    std::vector<lru_link> m_links;       // per set: mru, lru, newer[ways], older[ways]
};

} // namespace mtsim
