// One set-associative array of lines that hold their data bytes. It knows tags, valid bits
// and replacement; what a line's state means is the memory system's business.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cache/cache_config.h"
#include "cache/protocol.h"
#include "cache/replacement/replacement.h"

namespace mtsim {

struct cache_line {
    std::uint64_t line_addr = 0; // address >> log2(line size)
    bool valid = false;
    bool dirty = false;       // L1: newer than the L2 copy; LLC: newer than DRAM
    mesi state = mesi::i;     // L2: the pCPU's coherence state (L1 copies read their L2's)
    cache_line* l2 = nullptr; // L1 only: the L2 line holding this pCPU's state
    std::uint8_t* data = nullptr;
};

class cache_array {
public:
    cache_array(const cache_level_config& cfg, unsigned line_size);

    std::uint32_t sets() const { return m_sets; }
    std::uint32_t ways() const { return m_ways; }
    std::size_t frames() const { return m_lines.size(); }
    cycles latency() const { return m_latency; }

    // The valid line holding line_addr, or nullptr. Does not touch replacement state.
    cache_line* find(std::uint64_t line_addr) {
        const std::size_t base = static_cast<std::size_t>(line_addr & m_set_mask) * m_ways;
        const std::uint64_t* tags = &m_tags[base];
        for (std::uint32_t w = 0; w < m_ways; ++w)
            if (tags[w] == line_addr) return &m_lines[base + w];
        return nullptr;
    }
    const cache_line* find(std::uint64_t line_addr) const {
        return const_cast<cache_array*>(this)->find(line_addr);
    }
    void touch(const cache_line* l) {
        const std::size_t idx = static_cast<std::size_t>(l - m_lines.data());
        m_repl->touch(static_cast<std::uint32_t>(idx / m_ways),
                      static_cast<std::uint32_t>(idx % m_ways));
    }
    // The frame a new line_addr would occupy: an invalid way if any, else the policy's victim
    // (still valid: the caller evicts it before calling install()).
    cache_line* slot_for(std::uint64_t line_addr);
    // Makes `frame` hold line_addr (valid, clean, state I) and marks it most recently used.
    void install(cache_line* frame, std::uint64_t line_addr);
    void invalidate(cache_line* l);

    std::vector<cache_line>& lines() { return m_lines; }
    const std::vector<cache_line>& lines() const { return m_lines; }

private:
    std::uint32_t m_sets;
    std::uint32_t m_ways;
    std::uint64_t m_set_mask;
    cycles m_latency;
    std::vector<std::uint8_t> m_storage;
    std::vector<cache_line> m_lines;
    // Tag of each frame (no_tag when invalid), kept apart from the lines so that a lookup
    // reads one or two host cache lines per set.
    std::vector<std::uint64_t> m_tags;
    std::vector<std::uint32_t> m_valid_ways; // per set: a full set skips the invalid-way scan
    static constexpr std::uint64_t no_tag = ~std::uint64_t(0);
    std::unique_ptr<replacement_policy> m_repl;
};

} // namespace mtsim
