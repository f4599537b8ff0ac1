// True LRU (cache/replacement/lru.h): the default of every level. A cache array that holds an
// lru_policy calls it directly, without a virtual call.
#include "cache/replacement/lru.h"
#include "model/registry.h"

namespace mtsim {
namespace {

class lru_factory final : public replacement_factory {
public:
    std::string_view name() const override { return "lru"; }
    std::string_view description() const override {
        return "true LRU: the way touched longest ago";
    }
    std::string refuse(std::uint32_t ways) const override {
        return ways == 0 || ways > 256 ? "lru replacement needs 1 to 256 ways" : "";
    }
    std::unique_ptr<replacement_policy> make(std::uint32_t sets, std::uint32_t ways,
                                             std::uint64_t) const override {
        return std::make_unique<lru_policy>(sets, ways);
    }
};

} // namespace

MTSIM_REGISTER(replacement_factory, lru_factory);

} // namespace mtsim
