// True LRU: one age stamp per way; the victim is the way touched longest ago.
#include <vector>

#include "cache/replacement/replacement.h"

namespace mtsim {
namespace {

class lru final : public replacement_policy {
public:
    lru(std::uint32_t sets, std::uint32_t ways) : m_ways(ways), m_stamp(std::size_t(sets) * ways) {}

    void touch(std::uint32_t set, std::uint32_t way) override { m_stamp[idx(set, way)] = ++m_now; }
    void invalidate(std::uint32_t set, std::uint32_t way) override { m_stamp[idx(set, way)] = 0; }
    std::uint32_t victim(std::uint32_t set) override {
        const std::uint64_t* s = &m_stamp[idx(set, 0)];
        std::uint32_t best = 0;
        std::uint64_t oldest = s[0];
        for (std::uint32_t w = 1; w < m_ways; ++w)
            if (s[w] < oldest) {
                oldest = s[w];
                best = w;
            }
        return best;
    }

private:
    std::size_t idx(std::uint32_t set, std::uint32_t way) const {
        return std::size_t(set) * m_ways + way;
    }
    std::uint32_t m_ways;
    std::uint64_t m_now = 0;
    std::vector<std::uint64_t> m_stamp;
};

} // namespace

std::unique_ptr<replacement_policy> make_lru(std::uint32_t sets, std::uint32_t ways) {
    return std::make_unique<lru>(sets, ways);
}

} // namespace mtsim
