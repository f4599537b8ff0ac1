// One plug-in mechanism for every family of variants (KVM EPT policies, WBINVD handlings, cache
// replacement policies, ...). A plug-in is one .cpp file in its family's folder that defines
// one object of a type derived from the family's interface T and registers it with
// MTSIM_REGISTER(T, type). The CMake function mtsim_add_plugins() compiles the folder into a
// library linked whole (--whole-archive), so a registration needs no list to be kept anywhere.
//
// Contract:
// - T has `std::string_view name() const`; names are unique within a family. Registration
//   happens during static initialization, where nothing can be reported, so a duplicate is
//   remembered and every later lookup throws std::logic_error naming it.
// - The order is stable and independent of link order: by T::order_key() when T declares one
//   (ties by name), else by name.
// - Entries live for the whole program; lookups return plain pointers to them.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace mtsim {

namespace detail {
template <class T, class = void>
struct has_order_key : std::false_type {};
template <class T>
struct has_order_key<T, std::void_t<decltype(std::declval<const T&>().order_key())>>
    : std::true_type {};
} // namespace detail

template <class T>
class registry {
public:
    // The family's one registry (what MTSIM_REGISTER adds to).
    static registry& instance() {
        static registry r;
        return r;
    }

    // Adds `item` (which must outlive the registry). Never throws: a duplicate name is kept
    // aside and reported by every lookup.
    void add(const T& item) noexcept {
        try {
            for (const T* e : m_items)
                if (e->name() == item.name()) m_duplicate = std::string(item.name());
            m_items.push_back(&item);
            m_sorted = false;
        } catch (...) {
            m_duplicate = "(out of memory while registering)";
        }
    }

    // Every entry, in the stable order above.
    const std::vector<const T*>& all() const {
        if (!m_duplicate.empty())
            throw std::logic_error("two plug-ins of one family are named '" + m_duplicate + "'");
        if (!m_sorted) {
            std::stable_sort(m_items.begin(), m_items.end(), [](const T* a, const T* b) {
                if constexpr (detail::has_order_key<T>::value)
                    if (a->order_key() != b->order_key()) return a->order_key() < b->order_key();
                return a->name() < b->name();
            });
            m_sorted = true;
        }
        return m_items;
    }

    // nullptr when no entry has that name (exact, case-sensitive).
    const T* find(std::string_view name) const {
        for (const T* e : all())
            if (e->name() == name) return e;
        return nullptr;
    }

    std::vector<std::string_view> names() const {
        std::vector<std::string_view> out;
        for (const T* e : all()) out.push_back(e->name());
        return out;
    }

    // "a, b, c": for error messages.
    std::string joined_names() const {
        std::string out;
        for (const T* e : all()) {
            if (!out.empty()) out += ", ";
            out += e->name();
        }
        return out;
    }

private:
    mutable std::vector<const T*> m_items;
    mutable bool m_sorted = true;
    std::string m_duplicate;
};

// Constructs one Impl at static-initialization time and adds it to registry<Family>.
template <class Family, class Impl>
struct registrar {
    registrar() {
        static const Impl impl;
        registry<Family>::instance().add(impl);
    }
};

} // namespace mtsim

#define MTSIM_REGISTER_CAT2(a, b) a##b
#define MTSIM_REGISTER_CAT(a, b) MTSIM_REGISTER_CAT2(a, b)
// MTSIM_REGISTER(family, impl): at namespace scope in the plug-in's .cpp file.
#define MTSIM_REGISTER(Family, Impl)                                                               \
    static const ::mtsim::registrar<Family, Impl> MTSIM_REGISTER_CAT(mtsim_registrar_, __LINE__) {}
