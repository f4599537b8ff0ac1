#include "model/config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <sstream>

namespace mtsim {

namespace {

std::string format_what(const std::string& file, unsigned line, const std::string& key,
                        const std::string& message) {
    std::string out = file;
    if (line != 0) out += fmt::format(":{}", line);
    out += ": ";
    if (!key.empty()) out += fmt::format("key '{}': ", key);
    return out + message;
}

unsigned line_of(const YAML::Mark& m) {
    return m.line < 0 ? 0 : static_cast<unsigned>(m.line) + 1;
}

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    return out;
}

std::string join_path(std::string_view parent, std::string_view name) {
    return parent.empty() ? std::string(name) : fmt::format("{}.{}", parent, name);
}

std::string_view node_kind(const YAML::Node& n) {
    switch (n.Type()) {
    case YAML::NodeType::Map:
        return "a mapping";
    case YAML::NodeType::Sequence:
        return "a sequence";
    case YAML::NodeType::Scalar:
        return "a scalar";
    case YAML::NodeType::Null:
        return "nothing";
    case YAML::NodeType::Undefined:
        return "nothing";
    }
    return "nothing";
}

// Fills parameters from one YAML mapping per section; every key the declarations did not
// consume is an error at the key's line.
class yaml_loader final : public param_visitor {
public:
    yaml_loader(const YAML::Node& root, const std::string& file, std::string_view prefix,
                param_origins* origins)
        : m_file(file), m_origins(origins) {
        m_frames.push_back(open_frame(root, std::string(prefix), line_of(root.Mark())));
    }

    void finish() { close_frame(); }

private:
    struct entry {
        std::string name;
        YAML::Node key;
        YAML::Node value;
        bool used = false;
    };
    struct frame {
        std::string path;
        std::vector<entry> entries;
        std::vector<std::string> declared;
    };

    [[noreturn]] void fail(unsigned line, const std::string& key, const std::string& msg) const {
        throw config_error(m_file, line, key, msg);
    }

    frame open_frame(const YAML::Node& node, std::string path, unsigned line) const {
        frame f;
        f.path = std::move(path);
        if (!node.IsDefined() || node.IsNull()) return f; // absent or empty: all defaults
        if (!node.IsMap())
            fail(line, f.path,
                 fmt::format("expected a mapping of parameters, got {}", node_kind(node)));
        for (const auto& kv : node) {
            const unsigned kline = line_of(kv.first.Mark());
            if (!kv.first.IsScalar()) fail(kline, f.path, "a key must be a plain name");
            const std::string name = kv.first.Scalar();
            for (const auto& e : f.entries)
                if (e.name == name)
                    fail(kline, join_path(f.path, name),
                         fmt::format("duplicate key (first on line {})", line_of(e.key.Mark())));
            f.entries.push_back(entry{name, kv.first, kv.second, false});
        }
        return f;
    }

    void close_frame() {
        const frame& f = m_frames.back();
        for (const auto& e : f.entries)
            if (!e.used)
                fail(line_of(e.key.Mark()), join_path(f.path, e.name),
                     fmt::format("unknown key; valid keys here: {}", join(f.declared)));
        m_frames.pop_back();
    }

    entry* consume(std::string_view name) {
        frame& f = m_frames.back();
        f.declared.emplace_back(name);
        for (auto& e : f.entries)
            if (e.name == name) {
                e.used = true;
                return &e;
            }
        return nullptr;
    }

    void on_param(const param_decl& d, const param_ref& r) override {
        const std::string key = join_path(m_frames.back().path, d.name);
        const entry* e = consume(d.name);
        if (e == nullptr) return;
        const unsigned line = line_of(e->key.Mark());
        if (!e->value.IsScalar())
            fail(
                line, key,
                fmt::format("expected a {} value, got {}", to_string(d.kind), node_kind(e->value)));
        if (auto err = assign_param(d, r, e->value.Scalar())) fail(line, key, *err);
        if (m_origins) (*m_origins)[key] = param_origin{m_file, line};
    }

    void on_enter(std::string_view name) override {
        const std::string key = join_path(m_frames.back().path, name);
        const entry* e = consume(name);
        if (e == nullptr) {
            m_frames.push_back(frame{key, {}, {}}); // absent: the whole section keeps its values
            return;
        }
        m_frames.push_back(open_frame(e->value, key, line_of(e->key.Mark())));
    }

    void on_leave() override { close_frame(); }

    const std::string& m_file;
    param_origins* m_origins;
    std::vector<frame> m_frames;
};

// Finds one parameter by dotted path and assigns it.
class set_visitor final : public param_visitor {
public:
    set_visitor(std::string_view target, std::string_view value)
        : m_target(target), m_value(value) {}

    bool found = false;
    bool is_section = false;
    std::optional<std::string> error;

private:
    void on_param(const param_decl& d, const param_ref& r) override {
        if (child_path(d.name) != m_target) return;
        found = true;
        error = assign_param(d, r, m_value);
    }
    void on_enter(std::string_view name) override {
        if (child_path(name) == m_target) is_section = true;
    }

    std::string_view m_target;
    std::string_view m_value;
};

class json_dumper final : public param_visitor {
public:
    nlohmann::json root = nlohmann::json::object();

private:
    nlohmann::json& top() { return *m_stack.back(); }

    void on_param(const param_decl& d, const param_ref& r) override {
        nlohmann::json& slot = top()[std::string(d.name)];
        switch (d.kind) {
        case param_kind::flag:
            slot = *std::get<bool*>(r);
            break;
        case param_kind::uint:
        case param_kind::size:
            slot = *std::get<std::uint64_t*>(r);
            break;
        case param_kind::real:
            slot = *std::get<double*>(r);
            break;
        case param_kind::text:
        case param_kind::choice:
            slot = *std::get<std::string*>(r);
            break;
        case param_kind::mem_type:
            slot = std::string(to_string(*std::get<memtype*>(r)));
            break;
        }
    }
    // nlohmann's object is a std::map: references to members stay valid as siblings are added.
    void on_enter(std::string_view name) override {
        nlohmann::json& child = top()[std::string(name)] = nlohmann::json::object();
        m_stack.push_back(&child);
    }
    void on_leave() override { m_stack.pop_back(); }

    std::vector<nlohmann::json*> m_stack{&root};
};

class lister final : public param_visitor {
public:
    std::vector<param_info> params;

private:
    void on_param(const param_decl& d, const param_ref& r) override {
        const std::string path = child_path(d.name);
        if (!param_in_range(d, r))
            throw std::logic_error(fmt::format("parameter '{}': default {} is outside {}", path,
                                               format_param(d, r), param_constraint(d)));
        params.push_back(param_info{path, std::string(to_string(d.kind)), format_param(d, r),
                                    std::string(d.unit), std::string(d.description),
                                    param_constraint(d)});
    }
};

// The keys one level below the longest declared prefix of `target`, to suggest on a typo.
std::string valid_keys_near(const std::vector<param_info>& params, const std::string& target) {
    std::string prefix = target;
    for (;;) {
        const auto dot = prefix.rfind('.');
        prefix.erase(dot == std::string::npos ? 0 : dot);
        std::vector<std::string> keys;
        for (const auto& p : params) {
            if (!prefix.empty() && p.path.compare(0, prefix.size() + 1, prefix + ".") != 0)
                continue;
            const std::string rest = prefix.empty() ? p.path : p.path.substr(prefix.size() + 1);
            std::string next = rest.substr(0, rest.find('.'));
            if (std::find(keys.begin(), keys.end(), next) == keys.end()) keys.push_back(next);
        }
        if (!keys.empty())
            return prefix.empty() ? fmt::format("valid top-level keys: {}", join(keys))
                                  : fmt::format("valid keys under '{}': {}", prefix, join(keys));
        if (prefix.empty()) return "no parameters are declared";
    }
}

} // namespace

config_error::config_error(std::string file, unsigned line, std::string key, std::string message)
    : std::runtime_error(format_what(file, line, key, message)), m_file(std::move(file)),
      m_line(line), m_key(std::move(key)), m_message(std::move(message)) {}

namespace {

// yaml-cpp keeps both entries of a repeated key and answers lookups with the first, so a
// repeated key would be silently ignored; every key must also be a scalar (a mapping or a
// sequence as a key is legal YAML that no mtsim file uses).
void check_keys(const YAML::Node& n, const std::string& file, const std::string& path) {
    if (n.IsSequence()) {
        for (std::size_t i = 0; i < n.size(); ++i)
            check_keys(n[i], file, fmt::format("{}[{}]", path, i));
        return;
    }
    if (!n.IsMap()) return;
    std::map<std::string, unsigned> first_line;
    for (auto it = n.begin(); it != n.end(); ++it) {
        if (!it->first.IsScalar())
            throw config_error(file, line_of(it->first.Mark()), path, "a key must be a plain name");
        const std::string k = it->first.Scalar();
        const std::string key = join_path(path, k);
        const unsigned line = line_of(it->first.Mark());
        if (const auto [at, fresh] = first_line.emplace(k, line); !fresh)
            throw config_error(file, line, key,
                               fmt::format("duplicate key (first on line {})", at->second));
        check_keys(it->second, file, key);
    }
}

} // namespace

YAML::Node parse_yaml_string(const std::string& text, const std::string& name) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        throw config_error(name, line_of(e.mark), "", "YAML syntax error: " + e.msg);
    }
    check_keys(root, name, "");
    return root;
}

YAML::Node parse_yaml_file(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto st = fs::status(path, ec);
    if (ec || !fs::exists(st)) throw config_error(path, 0, "", "cannot open the file");
    if (!fs::is_regular_file(st)) throw config_error(path, 0, "", "not a regular file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw config_error(path, 0, "", std::string("cannot open: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad() || text.bad()) throw config_error(path, 0, "", "read error");
    return parse_yaml_string(text.str(), path);
}

namespace config_core {

void load_yaml(const YAML::Node& node, const std::string& file, const describe_fn& describe,
               std::string_view prefix, param_origins* origins) {
    yaml_loader loader(node, file, prefix, origins);
    describe(loader);
    loader.finish();
}

void load_yaml_file(const std::string& path, const describe_fn& describe) {
    load_yaml(parse_yaml_file(path), path, describe, {});
}

void load_yaml_string(const std::string& text, const std::string& name,
                      const describe_fn& describe) {
    load_yaml(parse_yaml_string(text, name), name, describe, {});
}

void apply_set(std::string_view assignment, const describe_fn& describe) {
    const std::string where = fmt::format("--set {}", assignment);
    const auto eq = assignment.find('=');
    if (eq == std::string_view::npos || eq == 0)
        throw config_error(where, 0, "", "expected key=value, e.g. platform.cache.l1d.ways=8");
    const std::string key(assignment.substr(0, eq));
    set_visitor setter(key, assignment.substr(eq + 1));
    describe(setter);
    if (setter.error) throw config_error(where, 0, key, *setter.error);
    if (setter.found) return;
    const auto params = list_params(describe);
    if (setter.is_section)
        throw config_error(where, 0, key,
                           "names a section, not a parameter; " +
                               valid_keys_near(params, key + ".x"));
    throw config_error(where, 0, key, "unknown parameter; " + valid_keys_near(params, key));
}

nlohmann::json to_json(const describe_fn& describe) {
    json_dumper dumper;
    describe(dumper);
    return dumper.root;
}

std::vector<param_info> list_params(const describe_fn& describe) {
    lister l;
    describe(l);
    return l.params;
}

} // namespace config_core

} // namespace mtsim
