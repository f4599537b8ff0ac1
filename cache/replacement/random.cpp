// Random replacement from a seeded generator, so a run is reproducible from its seed.
#include <random>

#include "cache/replacement/replacement.h"
#include "model/registry.h"

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

class random_factory final : public replacement_factory {
public:
    std::string_view name() const override { return "random"; }
    std::string_view description() const override {
        return "a way drawn from a generator seeded by the level's seed";
    }
    std::unique_ptr<replacement_policy> make(std::uint32_t, std::uint32_t ways,
                                             std::uint64_t seed) const override {
        return std::make_unique<random_policy>(ways, seed);
    }
};

} // namespace

MTSIM_REGISTER(replacement_factory, random_factory);

} // namespace mtsim
