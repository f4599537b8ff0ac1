// The home agent's snoop filter: for each line some pCPU holds, the set of holders and the
// owner (E or M). An open-addressing hash table (linear probing, backward-shift deletion) so
// that the miss path does no heap allocation; it grows by doubling and never shrinks.
#pragma once

#include <cstdint>
#include <vector>

namespace mtsim {

class snoop_filter {
public:
    struct entry {
        std::uint64_t line = empty;
        std::uint64_t sharers = 0; // bit p: pCPU p holds the line
        int owner = -1;            // pCPU holding it E or M, -1 when none
    };
    static constexpr std::uint64_t empty = ~std::uint64_t(0);

    snoop_filter() : m_slots(1024), m_shift(64 - 10) {}

    entry* find(std::uint64_t line) {
        for (std::size_t i = home(line);; i = (i + 1) & mask()) {
            if (m_slots[i].line == line) return &m_slots[i];
            if (m_slots[i].line == empty) return nullptr;
        }
    }
    const entry* find(std::uint64_t line) const {
        return const_cast<snoop_filter*>(this)->find(line);
    }
    entry& get(std::uint64_t line) {
        std::size_t i = home(line);
        for (; m_slots[i].line != empty; i = (i + 1) & mask())
            if (m_slots[i].line == line) return m_slots[i];
        if ((m_used + 1) * 4 > m_slots.size() * 3) {
            grow();
            i = home(line);
            while (m_slots[i].line != empty) i = (i + 1) & mask();
        }
        m_slots[i] = entry{line, 0, -1};
        ++m_used;
        return m_slots[i];
    }
    // Removes e (from find or get); other entries may move, so earlier pointers are stale.
    void erase(entry* e) {
        std::size_t hole = static_cast<std::size_t>(e - m_slots.data());
        std::size_t i = hole;
        for (;;) {
            i = (i + 1) & mask();
            if (m_slots[i].line == empty) break;
            const std::size_t h = home(m_slots[i].line);
            // Move slot i into the hole unless its home lies cyclically in (hole, i].
            const bool stays = hole <= i ? (hole < h && h <= i) : (hole < h || h <= i);
            if (!stays) {
                m_slots[hole] = m_slots[i];
                hole = i;
            }
        }
        m_slots[hole] = entry{};
        --m_used;
    }
    std::size_t size() const { return m_used; }

private:
    std::size_t mask() const { return m_slots.size() - 1; }
    // Fibonacci hashing: the top bits of the product spread consecutive lines evenly.
    std::size_t home(std::uint64_t line) const {
        return static_cast<std::size_t>((line * 0x9E3779B97F4A7C15ull) >> m_shift);
    }
    void grow() {
        std::vector<entry> old(m_slots.size() * 2);
        old.swap(m_slots);
        --m_shift;
        m_used = 0;
        for (const entry& e : old)
            if (e.line != empty) get(e.line) = e;
    }

    std::vector<entry> m_slots;
    unsigned m_shift; // 64 - log2(slots)
    std::size_t m_used = 0;
};

} // namespace mtsim
