// Typed parameters: how a block declares its configuration, once.
//
// A block's configuration is a plain, copyable struct. Its member initializers are the
// defaults; its `void describe(param_visitor& v)` names every member once, with a description,
// a unit and the accepted range. Nothing else lists the parameters: loading YAML and `--set`,
// dumping the resolved configuration as JSON and `mtsim list params` are all visitors over
// describe() (model/config.h).
//
//   struct l1_config {
//       std::uint64_t size = 32 * KiB;
//       unsigned ways = 8;
//       cycles hit_latency{4};
//       replacement repl = replacement::lru;
//       void describe(param_visitor& v) {
//           v.size("size", size, "capacity", 1 * KiB, 1 * GiB);
//           v.uint("ways", ways, "associativity", "ways", 1, 32);
//           v.cycles("hit_latency", hit_latency, "tag and data lookup on a hit");
//           v.choice("replacement", repl, "victim choice",
//                    {{"lru", replacement::lru}, {"random", replacement::random}});
//       }
//   };
//   struct platform_config {
//       l1_config l1d;
//       void describe(param_visitor& v) { v.section("l1d", l1d); }  // path "l1d.size", ...
//   };
//
// Contract: describe() declares the same parameters in the same order on every call and does
// nothing else; names are unique within a section and contain no '.'. Text values parse with
// the parsers below (also used by --set), so a file and the command line accept the same text.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "model/cycles.h"
#include "model/enum_names.h"
#include "model/memtype.h"

namespace mtsim {

inline constexpr std::uint64_t KiB = 1024;
inline constexpr std::uint64_t MiB = 1024 * KiB;
inline constexpr std::uint64_t GiB = 1024 * MiB;

enum class param_kind : std::uint8_t { flag, uint, size, real, text, choice, mem_type };

constexpr auto enum_names_of(param_kind) {
    return names_table("bool", "uint", "size", "real", "string", "choice", "memtype");
}

// "bool", "uint", "size", "real", "string", "choice", "memtype".
std::string_view to_string(param_kind k);

// Everything a visitor may need to know about one parameter except its value.
struct param_decl {
    param_kind kind = param_kind::uint;
    std::string_view name;
    std::string_view description;
    std::string_view unit; // "" for dimensionless flags, strings, choices
    std::uint64_t min = 0; // uint, size
    std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    double min_real = -std::numeric_limits<double>::infinity(); // real
    double max_real = std::numeric_limits<double>::infinity();
    std::vector<std::string_view> choices; // choice: the allowed names
};

// Where the value lives. bool: flag; uint64: uint, size; double: real; string: text, choice.
using param_ref = std::variant<bool*, std::uint64_t*, double*, std::string*, memtype*>;

// Typed text parsers shared by YAML, --set and the command line; nullopt when malformed.
std::optional<bool> parse_bool(std::string_view s);          // true|false, any case
std::optional<std::uint64_t> parse_uint(std::string_view s); // 123 or 0x7b, no sign
std::optional<std::uint64_t> parse_size(std::string_view s); // parse_uint [B|KiB|MiB|GiB|TiB]
std::optional<double> parse_real(std::string_view s);        // finite decimal
std::string format_size(std::uint64_t bytes);                // "32KiB", "4097B" -> "4097"

// Parses `text` as the declared type and range and stores it; on failure returns what was
// expected ("expected an unsigned integer in [1, 32], got '64'") and leaves the value alone.
std::optional<std::string> assign_param(const param_decl& d, const param_ref& r,
                                        std::string_view text);
// The value as it would be written in YAML (sizes with a suffix when exact).
std::string format_param(const param_decl& d, const param_ref& r);
// "[1, 32]", "one of: lru, random", "one of: UC, WC, ...", or "" when unconstrained.
std::string param_constraint(const param_decl& d);
// Whether the stored value satisfies the declaration (defaults are checked with this).
bool param_in_range(const param_decl& d, const param_ref& r);

class param_visitor {
public:
    virtual ~param_visitor() = default;

    void flag(std::string_view name, bool& v, std::string_view description);

    template <class T>
    void uint(std::string_view name, T& v, std::string_view description, std::string_view unit,
              std::uint64_t min = 0, std::uint64_t max = std::numeric_limits<T>::max()) {
        widened(param_kind::uint, name, v, description, unit, min, max);
    }

    // A byte count; accepts 4096, 0x1000, 4KiB.
    template <class T>
    void size(std::string_view name, T& v, std::string_view description, std::uint64_t min = 0,
              std::uint64_t max = std::numeric_limits<T>::max()) {
        widened(param_kind::size, name, v, description, "bytes", min, max);
    }

    // A latency or duration in cycles of the block's clock.
    void cycles(std::string_view name, mtsim::cycles& v, std::string_view description,
                std::uint64_t min = 0,
                std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) {
        widened(param_kind::uint, name, v.n, description, "cycles", min, max);
    }

    void real(std::string_view name, double& v, std::string_view description, std::string_view unit,
              double min = -std::numeric_limits<double>::infinity(),
              double max = std::numeric_limits<double>::infinity());

    void text(std::string_view name, std::string& v, std::string_view description);

    // A string restricted to `names` (matched case-insensitively, stored as declared).
    void choice(std::string_view name, std::string& v, std::string_view description,
                std::vector<std::string_view> names);

    // An enum chosen by name; v must hold one of the listed values.
    template <class E>
    void choice(std::string_view name, E& v, std::string_view description,
                std::initializer_list<std::pair<std::string_view, E>> names) {
        static_assert(std::is_enum_v<E>);
        std::vector<std::string_view> list;
        std::string current;
        for (const auto& [n, e] : names) {
            list.push_back(n);
            if (e == v) current = n;
        }
        if (current.empty()) bad_enum_value(name);
        choice(name, current, description, std::move(list));
        for (const auto& [n, e] : names)
            if (n == current) v = e;
    }

    void mem_type(std::string_view name, memtype& v, std::string_view description);

    // A nested block: its parameters appear under "name.".
    template <class C>
    void section(std::string_view name, C& c) {
        enter_section(name);
        c.describe(*this);
        leave_section();
    }

protected:
    // Called once per parameter, in declaration order, with the current section path
    // available through path().
    virtual void on_param(const param_decl& d, const param_ref& r) = 0;
    // Called around a section's parameters: on_enter while path() is still the parent's,
    // on_leave while path() is still the section's.
    virtual void on_enter(std::string_view /*name*/) {}
    virtual void on_leave() {}

    // Dotted path of the current section ("" at the root), and of a child of it.
    const std::string& path() const { return m_path; }
    std::string child_path(std::string_view name) const;

private:
    template <class T>
    void widened(param_kind kind, std::string_view name, T& v, std::string_view description,
                 std::string_view unit, std::uint64_t min, std::uint64_t max) {
        static_assert(std::is_integral_v<T> && std::is_unsigned_v<T> && !std::is_same_v<T, bool>,
                      "uint/size parameters are unsigned integers");
        std::uint64_t wide = v;
        param_decl d;
        d.kind = kind;
        d.name = name;
        d.description = description;
        d.unit = unit;
        d.min = min;
        d.max = max < std::numeric_limits<T>::max() ? max : std::numeric_limits<T>::max();
        declare(d, &wide);
        v = static_cast<T>(wide);
    }
    void declare(const param_decl& d, const param_ref& r);
    void enter_section(std::string_view name);
    void leave_section();
    [[noreturn]] void bad_enum_value(std::string_view name) const;

    std::string m_path;
    std::vector<std::vector<std::string>> m_names{{}}; // names declared per open section
};

} // namespace mtsim
