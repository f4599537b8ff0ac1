// Loading, overriding, dumping and listing a configuration declared with model/params.h.
//
// `C` is any struct with `void describe(param_visitor&)`; usually the root composes per-block
// sections (platform.cache.l1d.size). Contract:
// - load_yaml*: fills the parameters present in a YAML mapping, leaves the others at their
//   current value (the defaults for a fresh C). Unknown keys, duplicate keys, a scalar where a
//   section is expected (or the reverse), and values of the wrong type or out of range throw
//   config_error naming file, line and the dotted key. JSON text is YAML, so a JSON dump
//   loads back through the same functions.
// - apply_set("a.b.c=value"): the same typed parsers; an unknown path throws config_error
//   whose file() is the whole --set argument (line 0) and whose message lists the valid keys.
// - config_to_json: every parameter, defaulted or not, as one nested object (sizes in bytes,
//   memory types and choices as their names).
// - list_params<C>(): every parameter of a default C with its default, unit and description,
//   for `mtsim list params`; a default outside its declared range is a logic_error.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>
#include <yaml-cpp/yaml.h>

#include "model/params.h"

namespace mtsim {

// what(): "FILE:LINE: key 'a.b.c': message" (":LINE" omitted when line is 0, "key ...: "
// omitted when the error is not about one key).
class config_error : public std::runtime_error {
public:
    config_error(std::string file, unsigned line, std::string key, std::string message);

    const std::string& file() const { return m_file; }
    unsigned line() const { return m_line; } // 1-based; 0 when not from a file
    const std::string& key() const { return m_key; }
    const std::string& message() const { return m_message; }

private:
    std::string m_file;
    unsigned m_line;
    std::string m_key;
    std::string m_message;
};

// Where a parameter got its value: the file and line of its key ("--set a=b" and line 0 for a
// command-line override). Filled by the loaders when given; checks that span parameters use it
// to name FILE:LINE: key.
struct param_origin {
    std::string file;
    unsigned line = 0;
};
using param_origins = std::map<std::string, param_origin>; // dotted path -> origin

struct param_info {
    std::string path;          // "platform.cache.l1d.size"
    std::string type;          // to_string(param_kind)
    std::string default_value; // as written in YAML
    std::string unit;
    std::string description;
    std::string constraint; // "[1, 32]", "one of: lru, random", or ""
};

// A YAML document from a regular file or a string, parsed, with every mapping key a scalar
// and no key repeated in one mapping; config_error (file, line, key) otherwise.
YAML::Node parse_yaml_file(const std::string& path);
YAML::Node parse_yaml_string(const std::string& text, const std::string& name);

// The type-independent core; prefer the templates below.
using describe_fn = std::function<void(param_visitor&)>;
namespace config_core {
// `prefix` is prepended to keys in errors when `node` is a sub-tree of a larger file; every
// parameter the node sets is recorded in `origins` when given.
void load_yaml(const YAML::Node& node, const std::string& file, const describe_fn& describe,
               std::string_view prefix, param_origins* origins = nullptr);
void load_yaml_file(const std::string& path, const describe_fn& describe);
void load_yaml_string(const std::string& text, const std::string& name,
                      const describe_fn& describe);
void apply_set(std::string_view assignment, const describe_fn& describe);
nlohmann::json to_json(const describe_fn& describe);
std::vector<param_info> list_params(const describe_fn& describe);
} // namespace config_core

template <class C>
describe_fn describer(C& c) {
    return [&c](param_visitor& v) { c.describe(v); };
}

template <class C>
void load_yaml(const YAML::Node& node, const std::string& file, C& c, std::string_view prefix = {},
               param_origins* origins = nullptr) {
    config_core::load_yaml(node, file, describer(c), prefix, origins);
}

template <class C>
void load_yaml_file(const std::string& path, C& c) {
    config_core::load_yaml_file(path, describer(c));
}

// `name` stands for the file name in errors.
template <class C>
void load_yaml_string(const std::string& text, const std::string& name, C& c) {
    config_core::load_yaml_string(text, name, describer(c));
}

template <class C>
void apply_set(std::string_view assignment, C& c) {
    config_core::apply_set(assignment, describer(c));
}

template <class C>
void apply_sets(const std::vector<std::string>& assignments, C& c) {
    for (const auto& a : assignments) apply_set(a, c);
}

template <class C>
nlohmann::json config_to_json(const C& c) {
    C copy = c; // describe() takes a mutable visitor target; dumping never writes
    return config_core::to_json(describer(copy));
}

template <class C>
std::vector<param_info> list_params() {
    C defaults{};
    return config_core::list_params(describer(defaults));
}

} // namespace mtsim
