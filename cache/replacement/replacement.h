// Victim choice inside one set of a set-associative array. Contract: the array calls touch()
// on every hit and fill, invalidate() when a way is emptied, and victim() only when every way
// of the set is valid; victim() returns a way in [0, ways) and changes no state.
//
// The policies are a plug-in family (model/registry.h): each file in cache/replacement/ defines
// one replacement_factory and registers it; a cache level names its policy
// (platform.cache.<level>.replacement), whose choices are the registered names.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "model/registry.h"

namespace mtsim {

class replacement_policy {
public:
    virtual ~replacement_policy() = default;
    virtual void touch(std::uint32_t set, std::uint32_t way) = 0;
    virtual void invalidate(std::uint32_t set, std::uint32_t way) = 0;
    virtual std::uint32_t victim(std::uint32_t set) = 0;
};

// One replacement policy of the family.
class replacement_factory {
public:
    virtual ~replacement_factory() = default;
    virtual std::string_view name() const = 0;
    virtual std::string_view description() const = 0; // one line
    // Why the policy cannot manage `ways` ways, or "" when it can (checked with the config).
    virtual std::string refuse(std::uint32_t /*ways*/) const { return {}; }
    // `seed` feeds policies that draw random numbers; the others ignore it.
    virtual std::unique_ptr<replacement_policy> make(std::uint32_t sets, std::uint32_t ways,
                                                     std::uint64_t seed) const = 0;
};

inline const replacement_factory* find_replacement(std::string_view name) {
    return registry<replacement_factory>::instance().find(name);
}
inline std::vector<std::string_view> replacement_names() {
    return registry<replacement_factory>::instance().names();
}

// A cache level's replacement policy: a registered name. The constants name the policies the
// defaults and the tests use; any registered name is valid.
struct replacement_kind {
    std::string_view name;
    static const replacement_kind lru, tree_plru, random;
    friend bool operator==(replacement_kind a, replacement_kind b) { return a.name == b.name; }
    friend bool operator!=(replacement_kind a, replacement_kind b) { return !(a == b); }
};
inline constexpr replacement_kind replacement_kind::lru{"lru"};
inline constexpr replacement_kind replacement_kind::tree_plru{"tree-plru"};
inline constexpr replacement_kind replacement_kind::random{"random"};

inline std::unique_ptr<replacement_policy>
make_replacement(replacement_kind k, std::uint32_t sets, std::uint32_t ways, std::uint64_t seed) {
    const replacement_factory* f = find_replacement(k.name);
    if (!f)
        throw std::invalid_argument(
            "unknown replacement policy '" + std::string(k.name) +
            "'; valid: " + registry<replacement_factory>::instance().joined_names());
    return f->make(sets, ways, seed);
}

} // namespace mtsim
