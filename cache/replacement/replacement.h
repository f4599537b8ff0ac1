// Victim choice inside one set of a set-associative array. Contract: the array calls touch()
// on every hit and fill, invalidate() when a way is emptied, and victim() only when every way
// of the set is valid; victim() returns a way in [0, ways) and changes no state.
#pragma once

#include <cstdint>
#include <memory>

#include "cache/cache_config.h"

namespace mtsim {

class replacement_policy {
public:
    virtual ~replacement_policy() = default;
    virtual void touch(std::uint32_t set, std::uint32_t way) = 0;
    virtual void invalidate(std::uint32_t set, std::uint32_t way) = 0;
    virtual std::uint32_t victim(std::uint32_t set) = 0;
};

std::unique_ptr<replacement_policy> make_lru(std::uint32_t sets, std::uint32_t ways);
// Requires ways to be a power of two.
std::unique_ptr<replacement_policy> make_tree_plru(std::uint32_t sets, std::uint32_t ways);
std::unique_ptr<replacement_policy> make_random(std::uint32_t sets, std::uint32_t ways,
                                                std::uint64_t seed);

std::unique_ptr<replacement_policy> make_replacement(replacement_kind k, std::uint32_t sets,
                                                     std::uint32_t ways, std::uint64_t seed);

} // namespace mtsim
