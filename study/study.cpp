#include "study/study.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "model/config.h"
#include "model/params.h"
#include "scenarios/matrix.h"
#include "scenarios/scenario.h"

namespace mtsim::study {

namespace fs = std::filesystem;

bool axis::applies_to(const std::string& scenario_name) const {
    return only.empty() || std::find(only.begin(), only.end(), scenario_name) != only.end();
}

std::vector<std::string> study::axis_columns() const {
    std::vector<std::string> out;
    for (const auto& a : axes)
        for (const auto& p : a.params) out.push_back(p.path);
    return out;
}

namespace {

// A study refuses more points than this: a typo in a range should not start a month of runs.
constexpr std::size_t max_points = 1000000;
constexpr std::size_t max_range_values = 100000;

struct reader {
    std::string file;

    [[noreturn]] void fail(const YAML::Node& n, const std::string& key,
                           const std::string& msg) const {
        throw config_error(file, n.IsDefined() ? unsigned(n.Mark().line + 1) : 0, key, msg);
    }
    std::string scalar(const YAML::Node& n, const std::string& key) const {
        if (!n.IsScalar()) fail(n, key, "expected a scalar");
        return n.as<std::string>();
    }
    // A scalar or a list of scalars.
    std::vector<std::string> scalars(const YAML::Node& n, const std::string& key) const {
        std::vector<std::string> out;
        if (n.IsScalar())
            out.push_back(n.as<std::string>());
        else if (n.IsSequence())
            for (std::size_t i = 0; i < n.size(); ++i)
                out.push_back(scalar(n[i], fmt::format("{}[{}]", key, i)));
        else
            fail(n, key, "expected a scalar or a list");
        if (out.empty()) fail(n, key, "expected at least one value");
        return out;
    }
    void keys(const YAML::Node& n, const std::string& key, const std::set<std::string>& valid,
              const std::string& valid_text) const {
        if (!n.IsMap()) fail(n, key, "expected a mapping (" + valid_text + ")");
        for (auto it = n.begin(); it != n.end(); ++it) {
            const std::string k = it->first.as<std::string>();
            if (!valid.count(k))
                fail(it->first, key.empty() ? k : key + "." + k,
                     "unknown key; valid: " + valid_text);
        }
    }
};

bool looks_real(const std::string& s) {
    return s.find_first_of(".eE") != std::string::npos && s.rfind("0x", 0) != 0;
}

// A value list: [a, b, ...] or {from, to, step|factor}.
std::vector<std::string> values_of(const reader& r, const YAML::Node& n, const std::string& key) {
    if (n.IsMap()) {
        r.keys(n, key, {"from", "to", "step", "factor"}, "from, to, step or factor");
        for (const char* k : {"from", "to"})
            if (!n[k]) r.fail(n, key + "." + k, "a range needs from and to");
        if (bool(n["step"]) == bool(n["factor"]))
            r.fail(n, key, "a range needs exactly one of step and factor");
        const bool factor = bool(n["factor"]);
        const char* sk = factor ? "factor" : "step";
        try {
            return range_values(r.scalar(n["from"], key + ".from"), r.scalar(n["to"], key + ".to"),
                                r.scalar(n[sk], key + "." + sk), factor);
        } catch (const std::invalid_argument& e) {
            r.fail(n, key, e.what());
        }
    }
    if (!n.IsSequence()) r.fail(n, key, "expected a list of values or {from, to, step|factor}");
    return r.scalars(n, key);
}

axis_param param_of(const reader& r, const YAML::Node& n, const std::string& key, bool with_only) {
    if (with_only)
        r.keys(n, key, {"param", "values", "only"}, "param, values, only (or zip, only)");
    else
        r.keys(n, key, {"param", "values"}, "param, values");
    if (!n["param"]) r.fail(n, key + ".param", "an axis needs param (a --set key)");
    if (!n["values"]) r.fail(n, key + ".values", "an axis needs values");
    axis_param p;
    p.path = r.scalar(n["param"], key + ".param");
    p.key = key + ".param";
    p.line = unsigned(n["param"].Mark().line + 1);
    if (p.path.empty() || p.path.find_first_of("=, \t\"") != std::string::npos)
        r.fail(n["param"], key + ".param", "a --set key: no '=', ',', quote or blank");
    if (p.path == "run.seed")
        r.fail(n["param"], key + ".param", "the seeds are the study's `seeds:`, not an axis");
    p.values = values_of(r, n["values"], key + ".values");
    return p;
}

axis axis_of(const reader& r, const YAML::Node& n, const std::string& key) {
    axis a;
    if (!n.IsMap()) r.fail(n, key, "an axis is {param, values} or {zip: [...]}, with only:");
    if (n["zip"]) {
        r.keys(n, key, {"zip", "only"}, "zip, only");
        const YAML::Node z = n["zip"];
        if (!z.IsSequence() || z.size() < 2)
            r.fail(z, key + ".zip", "a zip group is a list of at least two {param, values}");
        for (std::size_t i = 0; i < z.size(); ++i)
            a.params.push_back(param_of(r, z[i], fmt::format("{}.zip[{}]", key, i), false));
        for (std::size_t i = 1; i < a.params.size(); ++i)
            if (a.params[i].values.size() != a.size())
                r.fail(z[i], fmt::format("{}.zip[{}].values", key, i),
                       fmt::format("{} values where zip[0] has {}: zipped axes move together",
                                   a.params[i].values.size(), a.size()));
    } else
        a.params.push_back(param_of(r, n, key, true));
    if (n["only"]) a.only = r.scalars(n["only"], key + ".only");
    return a;
}

// A scenario entry: a file or folder relative to the study file, or a catalogue name.
std::vector<std::string> scenario_files(const reader& r, const YAML::Node& n,
                                        const std::string& key, const std::string& catalogue) {
    const std::string entry = r.scalar(n, key);
    const fs::path rel = fs::path(r.file).parent_path() / entry;
    if (fs::exists(rel)) return scenarios::collect_scenarios({rel.lexically_normal().string()});
    if (fs::path(entry).is_absolute() && fs::exists(entry))
        return scenarios::collect_scenarios({entry});
    if (const auto f = scenarios::find_scenario(entry, catalogue); !f.empty()) return {f};
    r.fail(n, key,
           "'" + entry + "' is no file or folder (relative to the study) and no catalogue " +
               "scenario; see `mtsim list scenarios`");
}

} // namespace

std::vector<std::string> range_values(const std::string& from, const std::string& to,
                                      const std::string& step, bool factor) {
    std::vector<std::string> out;
    if (looks_real(from) || looks_real(to) || looks_real(step)) {
        const auto a = parse_real(from), b = parse_real(to), d = parse_real(step);
        if (!a || !b || !d) throw std::invalid_argument("from, to and step|factor are numbers");
        if (factor ? *d <= 1.0 || *a <= 0.0 : *d <= 0.0)
            throw std::invalid_argument(factor ? "factor > 1 and from > 0" : "step > 0");
        // A tolerance of a millionth of the step keeps `to` when rounding misses it.
        const double eps = factor ? *b * 1e-9 : *d * 1e-6;
        for (double v = *a; v <= *b + eps; v = factor ? v * *d : v + *d) {
            out.push_back(fmt::format("{}", v));
            if (out.size() > max_range_values) throw std::invalid_argument("too many values");
        }
        return out;
    }
    const auto a = parse_size(from), b = parse_size(to), d = parse_size(step);
    if (!a || !b || !d)
        throw std::invalid_argument(
            "from, to and step|factor are whole numbers (sizes as 4KiB) or reals (0.5)");
    if (factor ? *d < 2 || *a == 0 : *d == 0)
        throw std::invalid_argument(factor ? "factor >= 2 and from > 0" : "step > 0");
    if (*a > *b) throw std::invalid_argument("from is above to");
    const bool unit = from.find_first_not_of("0123456789xabcdefABCDEF") != std::string::npos;
    for (std::uint64_t v = *a; v <= *b;) {
        out.push_back(unit ? format_size(v) : std::to_string(v));
        if (out.size() > max_range_values) throw std::invalid_argument("too many values");
        const std::uint64_t nv = factor ? v * *d : v + *d;
        if (nv <= v) break; // overflow
        v = nv;
    }
    return out;
}

study load_study(const std::string& file, const std::string& catalogue) {
    const reader r{file};
    const YAML::Node root = parse_yaml_file(file);
    r.keys(root, "", {"name", "description", "scenarios", "hosts", "set", "axes", "seeds"},
           "name, description, scenarios, hosts, set, axes, seeds");
    study s;
    s.file = file;
    s.name = root["name"] ? r.scalar(root["name"], "name") : fs::path(file).stem().string();
    if (root["description"]) {
        s.description = r.scalar(root["description"], "description");
        s.description = s.description.substr(0, s.description.find('\n'));
    }
    if (!root["scenarios"]) r.fail(root, "scenarios", "a study names its scenarios");
    const YAML::Node sc = root["scenarios"];
    if (sc.IsScalar())
        s.scenarios = scenario_files(r, sc, "scenarios", catalogue);
    else if (sc.IsSequence())
        for (std::size_t i = 0; i < sc.size(); ++i)
            for (auto& f : scenario_files(r, sc[i], fmt::format("scenarios[{}]", i), catalogue))
                s.scenarios.push_back(f);
    else
        r.fail(sc, "scenarios", "expected a name, file or folder, or a list of them");
    if (s.scenarios.empty()) r.fail(sc, "scenarios", "no scenario files there");
    const auto all = scenarios::host_names();
    const auto hosts =
        root["hosts"] ? r.scalars(root["hosts"], "hosts") : std::vector<std::string>{"linux-6.16"};
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        if (hosts[i] == "all" && hosts.size() == 1) {
            // Every host of an architecture the study's scenarios have: an x86 scenario has no
            // verdict under an arm64 host (scenarios/scenario.h arch_mismatch), nor the reverse.
            std::set<std::string> arches;
            for (const auto& f : s.scenarios)
                arches.insert(scenarios::load_scenario(f, "", {}).platform.arch);
            for (const auto& h : all)
                if (arches.count(scenarios::host_arch(scenarios::load_host(h)))) {
                    s.hosts.push_back(h);
                    s.host_args.push_back(h);
                }
            break;
        }
        if (scenarios::is_host_file(hosts[i])) {
            // A host file, relative to the study file.
            const fs::path p =
                fs::absolute(fs::path(file).parent_path() / hosts[i]).lexically_normal();
            if (!fs::is_regular_file(p))
                r.fail(root["hosts"], "hosts", "no such host file: " + p.string());
            s.hosts.push_back(hosts[i]);
            s.host_args.push_back(p.string());
            continue;
        }
        if (std::find(all.begin(), all.end(), hosts[i]) == all.end())
            r.fail(root["hosts"], "hosts",
                   "unknown host '" + hosts[i] +
                       "'; see `mtsim list hosts` (or all), or a "
                       "host file (a path with a '/': ./myhost.yaml)");
        s.hosts.push_back(hosts[i]);
        s.host_args.push_back(hosts[i]);
    }
    if (root["set"]) s.sets = r.scalars(root["set"], "set");
    if (const YAML::Node ax = root["axes"]) {
        if (!ax.IsSequence()) r.fail(ax, "axes", "expected a list of axes");
        for (std::size_t i = 0; i < ax.size(); ++i)
            s.axes.push_back(axis_of(r, ax[i], fmt::format("axes[{}]", i)));
    }
    std::set<std::string> seen;
    for (const auto& c : s.axis_columns())
        if (!seen.insert(c).second)
            r.fail(root["axes"], "axes", "parameter '" + c + "' is on two axes");
    s.seeds = {0};
    if (const YAML::Node sd = root["seeds"]) {
        const auto text = sd.IsMap() ? values_of(r, sd, "seeds") : r.scalars(sd, "seeds");
        s.seeds.clear();
        for (const auto& t : text) {
            const auto v = parse_uint(t);
            if (!v) r.fail(sd, "seeds", "'" + t + "' is not a whole number");
            s.seeds.push_back(*v);
        }
    }
    double n = double(s.scenarios.size()) * double(s.hosts.size()) * double(s.seeds.size());
    for (const auto& a : s.axes) n *= double(a.size());
    if (n > double(max_points))
        r.fail(root, "axes", fmt::format("{:.0f} points; a study holds at most {}", n, max_points));
    return s;
}

std::vector<point> points(const study& s) {
    std::vector<point> out;
    const std::size_t ncol = s.axis_columns().size();
    for (const auto& f : s.scenarios) {
        const std::string name = scenarios::scenario_name(f);
        // The axes that apply to this scenario; the others hold one empty value.
        std::vector<std::size_t> len;
        for (const auto& a : s.axes) len.push_back(a.applies_to(name) ? a.size() : 1);
        for (std::size_t hi = 0; hi < s.hosts.size(); ++hi) {
            const std::string& h = s.hosts[hi];
            std::vector<std::size_t> at(s.axes.size(), 0);
            for (bool more = true; more;) {
                for (const auto seed : s.seeds) {
                    point p;
                    p.index = out.size();
                    p.scenario_file = f;
                    p.scenario = name;
                    p.host = h;
                    p.host_arg = s.host_args[hi];
                    p.seed = seed;
                    p.sets = s.sets;
                    p.axis_values.reserve(ncol);
                    for (std::size_t i = 0; i < s.axes.size(); ++i)
                        for (const auto& prm : s.axes[i].params) {
                            if (!s.axes[i].applies_to(name)) {
                                p.axis_values.emplace_back();
                                continue;
                            }
                            p.axis_values.push_back(prm.values[at[i]]);
                            p.sets.push_back(prm.path + "=" + prm.values[at[i]]);
                        }
                    p.sets.push_back("run.seed=" + std::to_string(seed));
                    out.push_back(std::move(p));
                }
                // The next combination, the last axis fastest.
                more = false;
                for (std::size_t i = s.axes.size(); i-- > 0;) {
                    if (++at[i] < len[i]) {
                        more = true;
                        break;
                    }
                    at[i] = 0;
                }
            }
        }
    }
    return out;
}

} // namespace mtsim::study
