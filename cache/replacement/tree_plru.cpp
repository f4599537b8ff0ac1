// Tree pseudo-LRU: ways-1 bits per set form a binary tree; each bit points to the half that
// was used less recently. A touch turns every bit on the way's path away from it; the victim
// is found by following the bits from the root.
#include <stdexcept>
#include <vector>

#include "cache/replacement/replacement.h"
#include "model/registry.h"

namespace mtsim {
namespace {

class tree_plru final : public replacement_policy {
public:
    tree_plru(std::uint32_t sets, std::uint32_t ways)
        : m_ways(ways), m_bits(std::size_t(sets) * ways) {
        if (ways == 0 || (ways & (ways - 1)) != 0)
            throw std::invalid_argument("tree-plru replacement needs a power-of-two way count");
    }

    // Node n (1-based heap order) has children 2n and 2n+1; leaves n >= ways are the ways.
    // Bit value 0 means "the left half is the next victim", 1 "the right half".
    void touch(std::uint32_t set, std::uint32_t way) override {
        std::uint8_t* b = &m_bits[std::size_t(set) * m_ways];
        for (std::uint32_t n = way + m_ways; n > 1; n >>= 1) b[n >> 1] = (n & 1) ? 0 : 1;
    }
    void invalidate(std::uint32_t, std::uint32_t) override {}
    std::uint32_t victim(std::uint32_t set) override {
        const std::uint8_t* b = &m_bits[std::size_t(set) * m_ways];
        std::uint32_t n = 1;
        while (n < m_ways) n = 2 * n + b[n];
        return n - m_ways;
    }

private:
    std::uint32_t m_ways;
    std::vector<std::uint8_t> m_bits; // index 0 unused per set
};

class tree_plru_factory final : public replacement_factory {
public:
    std::string_view name() const override { return "tree-plru"; }
    std::string_view description() const override {
        return "tree pseudo-LRU: ways-1 bits per set point away from recent use";
    }
    std::string refuse(std::uint32_t ways) const override {
        return ways == 0 || (ways & (ways - 1)) != 0
                   ? "tree-plru replacement needs a power-of-two way count"
                   : "";
    }
    std::unique_ptr<replacement_policy> make(std::uint32_t sets, std::uint32_t ways,
                                             std::uint64_t) const override {
        return std::make_unique<tree_plru>(sets, ways);
    }
};

} // namespace

MTSIM_REGISTER(replacement_factory, tree_plru_factory);

} // namespace mtsim
