// True LRU (cache/replacement/lru.h).
#include "cache/replacement/lru.h"

namespace mtsim {

std::unique_ptr<replacement_policy> make_lru(std::uint32_t sets, std::uint32_t ways) {
    return std::make_unique<lru_policy>(sets, ways);
}

} // namespace mtsim
