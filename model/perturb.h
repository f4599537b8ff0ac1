// Seeded timing perturbation (docs/litmus.md, `run.perturb`): a block that may legally vary
// the timing of what it does (when a buffered store retires, when a partial WC buffer drains,
// when an agent starts) draws the variation from its own stream. A stream is splitmix64
// (S. Vigna, "Further scramblings of Marsaglia's xorshift generators", 2017; the JDK's
// SplittableRandom) seeded with the run's seed mixed with the stream's name, so one block's
// draws do not shift another's and the same seed gives the same run. Seed 0: no
// perturbation, every draw is 0 and costs nothing.
#pragma once

#include <cstdint>
#include <string_view>

namespace mtsim {

inline std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

class perturb_stream {
public:
    perturb_stream() = default; // no perturbation
    perturb_stream(std::uint64_t seed, std::string_view stream) : m_on(seed != 0) {
        std::uint64_t h = 0xcbf29ce484222325ULL; // FNV-1a of the stream's name
        for (char c : stream) h = (h ^ std::uint8_t(c)) * 0x100000001b3ULL;
        m_state = splitmix64(seed ^ h);
    }
    bool enabled() const { return m_on; }
    // Uniform in [0, max] (0 when disabled).
    std::uint64_t upto(std::uint64_t max) {
        if (!m_on || max == 0) return 0;
        m_state += 0x9e3779b97f4a7c15ULL;
        const std::uint64_t r = splitmix64(m_state);
        return max == ~std::uint64_t{0} ? r : r % (max + 1);
    }

private:
    bool m_on = false;
    std::uint64_t m_state = 0;
};

} // namespace mtsim
