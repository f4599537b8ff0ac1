#include "model/stats.h"

#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <map>
#include <stdexcept>

namespace mtsim {

namespace {

using registry = std::map<std::string, const stat*, std::less<>>;

// Never destroyed: stats with static storage may outlive any static registry.
registry& the_registry() {
    static registry* r = new registry;
    return *r;
}

} // namespace

stat::stat(std::string_view owner_path, std::string_view name, std::string_view description,
           std::string_view unit)
    : m_path(owner_path.empty() ? std::string(name) : fmt::format("{}.{}", owner_path, name)),
      m_description(description), m_unit(unit) {
    if (name.empty() || name.find('.') != std::string_view::npos)
        throw std::logic_error(
            fmt::format("stat '{}': a name is non-empty and has no '.'", m_path));
    if (!the_registry().emplace(m_path, this).second)
        throw std::logic_error(fmt::format("stat '{}' is declared twice", m_path));
}

stat::~stat() {
    auto& r = the_registry();
    auto it = r.find(m_path);
    if (it != r.end() && it->second == this) r.erase(it);
}

std::string_view stat::name() const {
    std::string_view p = m_path;
    const auto dot = p.rfind('.');
    return dot == std::string_view::npos ? p : p.substr(dot + 1);
}

nlohmann::json derived_stat::to_json() const {
    const double v = value();
    if (!std::isfinite(v)) return nullptr;
    return v;
}

double ratio(double num, double den) {
    return den == 0 ? std::numeric_limits<double>::quiet_NaN() : num / den;
}

namespace {

template <class Leaf>
nlohmann::json tree(Leaf leaf) {
    const auto& r = the_registry();
    nlohmann::json root = nlohmann::json::object();
    for (const auto& [path, s] : r) {
        nlohmann::json* node = &root;
        std::size_t begin = 0;
        for (auto dot = path.find('.'); dot != std::string::npos; dot = path.find('.', begin)) {
            if (r.count(std::string_view(path).substr(0, dot)) != 0)
                throw std::logic_error(fmt::format("stat '{}' sits below '{}', which is a stat",
                                                   path, path.substr(0, dot)));
            nlohmann::json& child = (*node)[path.substr(begin, dot - begin)];
            if (child.is_null()) child = nlohmann::json::object();
            node = &child;
            begin = dot + 1;
        }
        (*node)[path.substr(begin)] = leaf(*s);
    }
    return root;
}

} // namespace

nlohmann::json dump_stats() {
    return tree([](const stat& s) { return s.to_json(); });
}

nlohmann::json dump_stats_described() {
    return tree([](const stat& s) {
        return nlohmann::json{{"value", s.to_json()},
                              {"unit", s.unit()},
                              {"kind", s.kind()},
                              {"description", s.description()}};
    });
}

std::vector<stat_info> list_stats() {
    std::vector<stat_info> out;
    for (const auto& [path, s] : the_registry())
        out.push_back(stat_info{path, std::string(s->kind()), s->unit(), s->description()});
    return out;
}

const stat* find_stat(std::string_view path) {
    const auto& r = the_registry();
    auto it = r.find(path);
    return it == r.end() ? nullptr : it->second;
}

} // namespace mtsim
