// The home agent's snoop filter: for each line some pCPU holds, the set of holders and the
// owner (E or M). It is a duplicate-tag directory with the geometry of the private L2s: the
// same set index as an L2 and pcpus x L2-ways entries per set. Every private copy lives in
// its pCPU's L2 (the L1D is inclusive in it), so the lines of one L2 set index held anywhere
// number at most pcpus x ways: the filter is exact and bounded, never evicts, and an insert
// that finds its set full is a broken invariant (std::logic_error), not a policy decision.
// A lookup compares one fingerprint byte per entry (cache/fingerprint.h); entries never move.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "cache/fingerprint.h"

namespace mtsim {

class snoop_filter {
public:
    struct entry {
        std::uint64_t line = empty;
        std::uint64_t sharers = 0; // bit p: pCPU p holds the line
        int owner = -1;            // pCPU holding it E or M, -1 when none
    };
    static constexpr std::uint64_t empty = ~std::uint64_t(0);

    // sets: a power of two (the L2's set count); ways: entries per set (pcpus x L2 ways).
    snoop_filter(std::uint32_t sets = 1, std::uint32_t ways = 1)
        : m_ways(ways), m_set_mask(sets - 1), m_stride(fingerprint::stride(ways)),
          m_entries(std::size_t(sets) * ways),
          m_fp(std::size_t(sets) * m_stride, fingerprint::none) {
        if (sets == 0 || (sets & (sets - 1)) != 0 || ways == 0)
            throw std::invalid_argument("snoop filter: sets must be a power of two, ways >= 1");
    }

    entry* find(std::uint64_t line) {
        const std::size_t set = static_cast<std::size_t>(line & m_set_mask);
        const fingerprint::fp* fp = &m_fp[set * m_stride];
        const fingerprint::fp want = fingerprint::of(line);
        entry* base = &m_entries[set * m_ways];
        for (std::uint32_t w0 = 0; w0 < m_ways; w0 += fingerprint::group)
            for (std::uint32_t bits = fingerprint::match(fp + w0, want); bits; bits &= bits - 1) {
                const std::uint32_t w = w0 + static_cast<std::uint32_t>(__builtin_ctz(bits));
                if (base[w].line == line) return &base[w];
            }
        return nullptr;
    }
    const entry* find(std::uint64_t line) const {
        return const_cast<snoop_filter*>(this)->find(line);
    }
    // The entry of line, created empty (no sharers, no owner) when absent.
    entry& get(std::uint64_t line) {
        if (entry* e = find(line)) return *e;
        const std::size_t set = static_cast<std::size_t>(line & m_set_mask);
        fingerprint::fp* fp = &m_fp[set * m_stride];
        for (std::uint32_t w0 = 0; w0 < m_ways; w0 += fingerprint::group)
            if (const std::uint32_t bits = fingerprint::match(fp + w0, fingerprint::none)) {
                const std::uint32_t w = w0 + static_cast<std::uint32_t>(__builtin_ctz(bits));
                if (w >= m_ways) break; // padding after the last entry
                fp[w] = fingerprint::of(line);
                ++m_used;
                return m_entries[set * m_ways + w] = entry{line, 0, -1};
            }
        throw std::logic_error("snoop filter: set " + std::to_string(set) + " is full (" +
                               std::to_string(m_ways) + " entries) inserting line " +
                               std::to_string(line) +
                               ": more private copies of one L2 set than the L2s can hold");
    }
    // Removes e (from find or get). Other entries stay where they are.
    void erase(entry* e) {
        const std::size_t idx = static_cast<std::size_t>(e - m_entries.data());
        const std::size_t set = static_cast<std::size_t>(e->line & m_set_mask);
        m_fp[set * m_stride + (idx - set * m_ways)] = fingerprint::none;
        *e = entry{};
        --m_used;
    }
    std::size_t size() const { return m_used; }
    std::size_t capacity() const { return m_entries.size(); }

private:
    std::uint32_t m_ways;
    std::uint64_t m_set_mask;
    std::uint32_t m_stride; // fingerprint bytes per set (whole groups, padded with none)
    std::vector<entry> m_entries;
    std::vector<fingerprint::fp> m_fp;
    std::size_t m_used = 0;
};

} // namespace mtsim
