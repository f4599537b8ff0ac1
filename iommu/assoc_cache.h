// A set-associative cache of translation entries with LRU replacement, shared by the IOTLB,
// the paging-structure cache and the context cache. The owner chooses the set from a key and
// matches entries with a predicate; the cache only stores, ages and evicts. With 0 entries it
// is disabled: every lookup misses and inserts are dropped.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace mtsim::iommu {

template <class Entry>
class assoc_cache {
public:
    assoc_cache(unsigned entries, unsigned ways) : m_ways(ways) {
        if (entries != 0 && (ways == 0 || entries % ways != 0))
            throw std::invalid_argument("cache entries must be a multiple of its ways");
        m_sets = entries == 0 ? 0 : entries / ways;
        m_slots.resize(entries);
    }

    unsigned sets() const { return m_sets; }
    unsigned ways() const { return m_ways; }
    bool enabled() const { return m_sets != 0; }

    // The matching valid entry of the set selected by `key`, marked most recently used.
    template <class Match>
    const Entry* find(std::uint64_t key, Match match) {
        if (!enabled()) return nullptr;
        slot* base = &m_slots[set_of(key) * m_ways];
        for (unsigned w = 0; w < m_ways; ++w) {
            if (base[w].valid && match(base[w].entry)) {
                base[w].stamp = ++m_clock;
                return &base[w].entry;
            }
        }
        return nullptr;
    }

    // Fills an invalid way of the set, else replaces the least recently used one.
    void insert(std::uint64_t key, const Entry& e) {
        if (!enabled()) return;
        slot* base = &m_slots[set_of(key) * m_ways];
        slot* victim = &base[0];
        for (unsigned w = 0; w < m_ways; ++w) {
            if (!base[w].valid) {
                victim = &base[w];
                break;
            }
            if (base[w].stamp < victim->stamp) victim = &base[w];
        }
        *victim = slot{true, ++m_clock, e};
    }

    // Invalidates every entry the predicate selects; returns how many.
    template <class Match>
    unsigned invalidate_if(Match match) {
        unsigned n = 0;
        for (auto& s : m_slots) {
            if (s.valid && match(s.entry)) {
                s.valid = false;
                ++n;
            }
        }
        return n;
    }

    unsigned valid_entries() const {
        unsigned n = 0;
        for (const auto& s : m_slots) n += s.valid;
        return n;
    }

private:
    struct slot {
        bool valid = false;
        std::uint64_t stamp = 0;
        Entry entry{};
    };
    std::size_t set_of(std::uint64_t key) const { return static_cast<std::size_t>(key % m_sets); }

    unsigned m_ways;
    unsigned m_sets = 0;
    std::uint64_t m_clock = 0;
    std::vector<slot> m_slots;
};

} // namespace mtsim::iommu
