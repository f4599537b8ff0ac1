// The home agent's snoop filter: which pCPUs hold a line, and which of them holds it E or M.
// It is a duplicate-tag directory: one slot mirrors each private L2 frame (pCPU p, set s,
// way w), laid out set by set so that one set's pcpus x ways slots are contiguous. Every
// private copy lives in its pCPU's L2 (the L1D is inclusive in it), so the filter is exact,
// bounded and never evicts. A change of holder is one slot write at the frame's coordinates;
// only "who holds this line" searches, comparing one fingerprint byte per slot of the line's
// set (cache/fingerprint.h) and reading a full tag for candidates only.
// The slots are written by the protocol step (cache/home_agent.cpp, home_agent::step), not by the
// L2 arrays: a table cell that drops or keeps a copy without saying so leaves the filter and the
// L2s in disagreement, which the stress checker reports.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "cache/fingerprint.h"

namespace mtsim {

class snoop_filter {
public:
    struct holders {
        std::uint64_t sharers = 0; // bit p: pCPU p holds the line
        int owner = -1;            // pCPU holding it E or M, -1 when none
    };

    // sets: a power of two (the L2's set count); pcpus (at most 64) x ways: the slots per set.
    snoop_filter(std::uint32_t sets = 1, std::uint32_t pcpus = 1, std::uint32_t ways = 1)
        : m_ways(ways), m_slots(pcpus * ways), m_set_mask(sets - 1),
          m_stride(fingerprint::stride(pcpus * ways)),
          m_tag(std::size_t(sets) * pcpus * ways, no_line),
          m_excl(std::size_t(sets) * pcpus * ways, kind::shared),
          m_fp(std::size_t(sets) * m_stride, fingerprint::none) {
        if (sets == 0 || (sets & (sets - 1)) != 0 || pcpus == 0 || pcpus > 64 || ways == 0)
            throw std::invalid_argument(
                "snoop filter: sets must be a power of two, 1 to 64 pCPUs, ways >= 1");
        m_set_bits = static_cast<unsigned>(__builtin_ctzll(sets));
    }

    holders find(std::uint64_t line) const {
        const std::size_t set = static_cast<std::size_t>(line & m_set_mask);
        const fingerprint::fp* fp = &m_fp[set * m_stride];
        const fingerprint::fp want = fingerprint::of(line >> m_set_bits);
        const std::size_t base = set * m_slots;
        holders h;
        for (std::uint32_t s0 = 0; s0 < m_slots; s0 += fingerprint::group)
            for (std::uint32_t bits = fingerprint::match(fp + s0, want); bits; bits &= bits - 1) {
                const std::uint32_t s = s0 + static_cast<std::uint32_t>(__builtin_ctz(bits));
                if (m_tag[base + s] != line) continue;
                const unsigned p = s / m_ways;
                h.sharers |= std::uint64_t(1) << p;
                if (m_excl[base + s] == kind::exclusive) h.owner = int(p);
            }
        return h;
    }

    // Starts loading line's fingerprints into the host's caches (a hint only).
    void prefetch(std::uint64_t line) const {
        __builtin_prefetch(&m_fp[static_cast<std::size_t>(line & m_set_mask) * m_stride]);
    }

    // pCPU p's L2 frame in way `way` of line's set now holds line: E or M when exclusive, S
    // otherwise. (The set is the line's: the filter has the L2's set mapping.)
    void record(unsigned p, std::uint32_t way, std::uint64_t line, bool exclusive) {
        const slot at = slot_of(p, way, line);
        m_tag[at.tag] = line;
        m_excl[at.tag] = exclusive ? kind::exclusive : kind::shared;
        m_fp[at.fp] = fingerprint::of(line >> m_set_bits);
    }

    // pCPU p's L2 frame in way `way` of line's set holds nothing any more.
    void clear(unsigned p, std::uint32_t way, std::uint64_t line) {
        const slot at = slot_of(p, way, line);
        m_tag[at.tag] = no_line;
        m_excl[at.tag] = kind::shared;
        m_fp[at.fp] = fingerprint::none;
    }

    std::size_t size() const { // slots holding a line
        std::size_t n = 0;
        for (std::uint64_t t : m_tag) n += t != no_line;
        return n;
    }
    std::size_t capacity() const { return m_tag.size(); }

private:
    struct slot {
        std::size_t tag, fp; // indices into m_tag/m_excl and m_fp
    };
    slot slot_of(unsigned p, std::uint32_t way, std::uint64_t line) const {
        const std::size_t set = static_cast<std::size_t>(line & m_set_mask);
        const std::size_t s = std::size_t(p) * m_ways + way;
        return {set * m_slots + s, set * m_stride + s};
    }
    // A byte, not a character type, so that stores to it do not alias every other object.
    enum class kind : std::uint8_t { shared, exclusive };
    static constexpr std::uint64_t no_line = ~std::uint64_t(0);
    std::uint32_t m_ways;  // L2 ways: slot s of a set belongs to pCPU s / m_ways
    std::uint32_t m_slots; // per set: pcpus x ways
    std::uint64_t m_set_mask;
    unsigned m_set_bits = 0; // log2(sets): fingerprints hash the bits above the set index
    std::uint32_t m_stride;  // fingerprint bytes per set (whole groups, padded with none)
    std::vector<std::uint64_t> m_tag;
    std::vector<kind> m_excl;
    std::vector<fingerprint::fp> m_fp;
};

} // namespace mtsim
