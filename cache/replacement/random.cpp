// Random replacement from a seeded generator, so a run is reproducible from its seed.
#include <random>

#include "cache/replacement/replacement.h"

namespace mtsim {
namespace {

class random_policy final : public replacement_policy {
public:
    random_policy(std::uint32_t ways, std::uint64_t seed) : m_ways(ways), m_rng(seed) {}

    void touch(std::uint32_t, std::uint32_t) override {}
    void invalidate(std::uint32_t, std::uint32_t) override {}
    std::uint32_t victim(std::uint32_t) override {
        return static_cast<std::uint32_t>(m_rng() % m_ways);
    }

private:
    std::uint32_t m_ways;
    std::mt19937_64 m_rng;
};

} // namespace

std::unique_ptr<replacement_policy> make_random(std::uint32_t, std::uint32_t ways,
                                                std::uint64_t seed) {
    return std::make_unique<random_policy>(ways, seed);
}

} // namespace mtsim
