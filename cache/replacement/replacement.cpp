#include <stdexcept>

#include "cache/replacement/replacement.h"

namespace mtsim {

std::unique_ptr<replacement_policy> make_replacement(replacement_kind k, std::uint32_t sets,
                                                     std::uint32_t ways, std::uint64_t seed) {
    switch (k) {
    case replacement_kind::lru:
        return make_lru(sets, ways);
    case replacement_kind::tree_plru:
        return make_tree_plru(sets, ways);
    case replacement_kind::random:
        return make_random(sets, ways, seed);
    }
    throw std::invalid_argument("unknown replacement policy");
}

} // namespace mtsim
