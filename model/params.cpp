#include "model/params.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

#include "model/text.h"

namespace mtsim {

namespace {

std::string join(const std::vector<std::string_view>& names) {
    std::string out;
    for (std::string_view n : names) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    return out;
}

// Binary (IEC) suffixes only: "KB" is ambiguous between 1000 and 1024 and is rejected.
struct size_suffix {
    std::string_view name;
    std::uint64_t factor;
};
constexpr size_suffix size_suffixes[] = {
    {"B", 1}, {"KiB", KiB}, {"MiB", MiB}, {"GiB", GiB}, {"TiB", 1024 * GiB},
};

std::string format_real(double v) {
    return fmt::format("{}", v);
}

std::string format_bound(const param_decl& d, std::uint64_t v) {
    return d.kind == param_kind::size ? format_size(v) : std::to_string(v);
}

std::string expected_text(const param_decl& d) {
    switch (d.kind) {
    case param_kind::flag:
        return "expected true or false";
    case param_kind::uint:
        return "expected an unsigned integer (decimal or 0x hex)";
    case param_kind::size:
        return "expected a size in bytes (e.g. 4096, 0x1000, 32KiB; suffixes B, KiB, MiB, GiB, "
               "TiB)";
    case param_kind::real:
        return "expected a finite number";
    case param_kind::text:
        return "expected a string";
    case param_kind::choice:
        return "expected " + param_constraint(d);
    case param_kind::mem_type:
        return "expected a memory type, " + param_constraint(d);
    }
    return "expected a value";
}

} // namespace

std::string_view to_string(param_kind k) {
    return enum_name(k);
}

std::optional<bool> parse_bool(std::string_view s) {
    if (iequals(s, "true")) return true;
    if (iequals(s, "false")) return false;
    return std::nullopt;
}

std::optional<std::uint64_t> parse_uint(std::string_view s) {
    unsigned base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    }
    if (s.empty()) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        unsigned digit;
        if (c >= '0' && c <= '9')
            digit = static_cast<unsigned>(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            digit = static_cast<unsigned>(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            digit = static_cast<unsigned>(c - 'A' + 10);
        else
            return std::nullopt;
        if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / base) return std::nullopt;
        v = v * base + digit;
    }
    return v;
}

std::optional<std::uint64_t> parse_size(std::string_view s) {
    std::size_t end = 0;
    const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (hex) end = 2;
    while (end < s.size() && (std::isdigit(static_cast<unsigned char>(s[end])) ||
                              (hex && std::isxdigit(static_cast<unsigned char>(s[end])))))
        ++end;
    // A hex number swallows a trailing "B" as a digit; "0x10B" is 0x10b bytes, as written.
    auto number = parse_uint(s.substr(0, end));
    if (!number) return std::nullopt;
    std::string_view rest = s.substr(end);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) return number;
    for (const auto& suffix : size_suffixes) {
        if (!iequals(rest, suffix.name)) continue;
        if (*number > std::numeric_limits<std::uint64_t>::max() / suffix.factor)
            return std::nullopt;
        return *number * suffix.factor;
    }
    return std::nullopt;
}

std::optional<double> parse_real(std::string_view s) {
    if (s.empty() || std::isspace(static_cast<unsigned char>(s.front()))) return std::nullopt;
    const std::string copy(s);
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size() || errno == ERANGE || !std::isfinite(v))
        return std::nullopt;
    return v;
}

std::string format_size(std::uint64_t bytes) {
    if (bytes != 0)
        for (auto it = std::rbegin(size_suffixes); it != std::rend(size_suffixes); ++it)
            if (it->factor > 1 && bytes % it->factor == 0)
                return fmt::format("{}{}", bytes / it->factor, it->name);
    return std::to_string(bytes);
}

std::string param_constraint(const param_decl& d) {
    switch (d.kind) {
    case param_kind::uint:
    case param_kind::size:
        if (d.min == 0 && d.max == std::numeric_limits<std::uint64_t>::max()) return "";
        return fmt::format("[{}, {}]", format_bound(d, d.min), format_bound(d, d.max));
    case param_kind::real:
        if (std::isinf(d.min_real) && std::isinf(d.max_real)) return "";
        return fmt::format("[{}, {}]", format_real(d.min_real), format_real(d.max_real));
    case param_kind::choice:
        return "one of: " + join(d.choices);
    case param_kind::mem_type:
        return "one of: " + memtype_names();
    case param_kind::flag:
    case param_kind::text:
        return "";
    }
    return "";
}

bool param_in_range(const param_decl& d, const param_ref& r) {
    switch (d.kind) {
    case param_kind::uint:
    case param_kind::size: {
        const std::uint64_t v = *std::get<std::uint64_t*>(r);
        return v >= d.min && v <= d.max;
    }
    case param_kind::real: {
        const double v = *std::get<double*>(r);
        return v >= d.min_real && v <= d.max_real;
    }
    case param_kind::choice: {
        const std::string& v = *std::get<std::string*>(r);
        return std::find(d.choices.begin(), d.choices.end(), v) != d.choices.end();
    }
    case param_kind::flag:
    case param_kind::text:
    case param_kind::mem_type:
        return true;
    }
    return false;
}

std::optional<std::string> assign_param(const param_decl& d, const param_ref& r,
                                        std::string_view text) {
    const auto fail = [&] {
        std::string range = param_constraint(d);
        std::string what = expected_text(d);
        if ((d.kind == param_kind::uint || d.kind == param_kind::size ||
             d.kind == param_kind::real) &&
            !range.empty())
            what += " in " + range;
        return fmt::format("{}, got '{}'", what, text);
    };
    switch (d.kind) {
    case param_kind::flag: {
        auto v = parse_bool(text);
        if (!v) return fail();
        *std::get<bool*>(r) = *v;
        return std::nullopt;
    }
    case param_kind::uint:
    case param_kind::size: {
        auto v = d.kind == param_kind::size ? parse_size(text) : parse_uint(text);
        if (!v || *v < d.min || *v > d.max) return fail();
        *std::get<std::uint64_t*>(r) = *v;
        return std::nullopt;
    }
    case param_kind::real: {
        auto v = parse_real(text);
        if (!v || *v < d.min_real || *v > d.max_real) return fail();
        *std::get<double*>(r) = *v;
        return std::nullopt;
    }
    case param_kind::text:
        *std::get<std::string*>(r) = std::string(text);
        return std::nullopt;
    case param_kind::choice:
        for (std::string_view n : d.choices) {
            if (!iequals(n, text)) continue;
            *std::get<std::string*>(r) = std::string(n);
            return std::nullopt;
        }
        return fail();
    case param_kind::mem_type: {
        auto v = parse_memtype(text);
        if (!v) return fail();
        *std::get<memtype*>(r) = *v;
        return std::nullopt;
    }
    }
    return fail();
}

std::string format_param(const param_decl& d, const param_ref& r) {
    switch (d.kind) {
    case param_kind::flag:
        return *std::get<bool*>(r) ? "true" : "false";
    case param_kind::uint:
        return std::to_string(*std::get<std::uint64_t*>(r));
    case param_kind::size:
        return format_size(*std::get<std::uint64_t*>(r));
    case param_kind::real:
        return format_real(*std::get<double*>(r));
    case param_kind::text:
    case param_kind::choice:
        return *std::get<std::string*>(r);
    case param_kind::mem_type:
        return std::string(to_string(*std::get<memtype*>(r)));
    }
    return "";
}

std::string param_visitor::child_path(std::string_view name) const {
    return m_path.empty() ? std::string(name) : m_path + "." + std::string(name);
}

void param_visitor::declare(const param_decl& d, const param_ref& r) {
    auto& names = m_names.back();
    if (d.name.empty() || d.name.find('.') != std::string_view::npos)
        throw std::logic_error(
            fmt::format("parameter '{}': a name is non-empty and has no '.'", child_path(d.name)));
    if (std::find(names.begin(), names.end(), d.name) != names.end())
        throw std::logic_error(fmt::format("parameter '{}' is declared twice", child_path(d.name)));
    names.emplace_back(d.name);
    on_param(d, r);
}

void param_visitor::flag(std::string_view name, bool& v, std::string_view description) {
    param_decl d;
    d.kind = param_kind::flag;
    d.name = name;
    d.description = description;
    declare(d, &v);
}

void param_visitor::real(std::string_view name, double& v, std::string_view description,
                         std::string_view unit, double min, double max) {
    param_decl d;
    d.kind = param_kind::real;
    d.name = name;
    d.description = description;
    d.unit = unit;
    d.min_real = min;
    d.max_real = max;
    declare(d, &v);
}

void param_visitor::text(std::string_view name, std::string& v, std::string_view description) {
    param_decl d;
    d.kind = param_kind::text;
    d.name = name;
    d.description = description;
    declare(d, &v);
}

void param_visitor::choice(std::string_view name, std::string& v, std::string_view description,
                           std::vector<std::string_view> names) {
    param_decl d;
    d.kind = param_kind::choice;
    d.name = name;
    d.description = description;
    d.choices = std::move(names);
    declare(d, &v);
}

void param_visitor::mem_type(std::string_view name, memtype& v, std::string_view description) {
    param_decl d;
    d.kind = param_kind::mem_type;
    d.name = name;
    d.description = description;
    declare(d, &v);
}

void param_visitor::enter_section(std::string_view name) {
    auto& names = m_names.back();
    if (name.empty() || name.find('.') != std::string_view::npos)
        throw std::logic_error(
            fmt::format("section '{}': a name is non-empty and has no '.'", child_path(name)));
    if (std::find(names.begin(), names.end(), name) != names.end())
        throw std::logic_error(fmt::format("section '{}' is declared twice", child_path(name)));
    names.emplace_back(name);
    m_names.emplace_back();
    on_enter(name);
    m_path = child_path(name);
}

void param_visitor::leave_section() {
    on_leave();
    const auto dot = m_path.rfind('.');
    m_path.erase(dot == std::string::npos ? 0 : dot);
    m_names.pop_back();
}

void param_visitor::bad_enum_value(std::string_view name) const {
    throw std::logic_error(
        fmt::format("parameter '{}' holds an enum value that is not among its declared names",
                    child_path(name)));
}

} // namespace mtsim
