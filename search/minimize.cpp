#include "search/minimize.h"

#include <filesystem>
#include <iostream>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include "model/child_process.h"
#include "model/config.h"
#include "scenarios/resolved.h"
#include "scenarios/scenario.h"
#include "study/sweep.h"

namespace mtsim::search {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::vector<int> ddmin(std::vector<int> units,
                       const std::function<bool(const std::vector<int>&)>& test) {
    std::size_t n = 2;
    while (units.size() >= 2) {
        const std::size_t chunk = (units.size() + n - 1) / n;
        std::vector<std::vector<int>> parts;
        for (std::size_t i = 0; i < units.size(); i += chunk)
            parts.emplace_back(units.begin() + long(i),
                               units.begin() + long(std::min(units.size(), i + chunk)));
        bool reduced = false;
        for (const auto& p : parts)
            if (parts.size() > 2 && test(p)) {
                units = p;
                n = 2;
                reduced = true;
                break;
            }
        if (!reduced)
            for (std::size_t i = 0; i < parts.size() && !reduced; ++i) {
                std::vector<int> rest;
                for (std::size_t j = 0; j < parts.size(); ++j)
                    if (j != i) rest.insert(rest.end(), parts[j].begin(), parts[j].end());
                if (test(rest)) {
                    units = rest;
                    n = std::max<std::size_t>(n - 1, 2);
                    reduced = true;
                }
            }
        if (reduced) continue;
        if (n >= units.size()) break;
        n = std::min(units.size(), n * 2);
    }
    if (units.size() == 1 && test({})) units.clear();
    return units;
}

namespace {

json& ops_of(json& prog) {
    return prog.is_array() ? prog : prog["ops"];
}

// Parameters a platform fact derives (scenarios/derived.h): left out of a candidate so that a
// reset of their source does not contradict them.
void strip_derived(json& t) {
    if (t.contains("host") && t["host"].contains("kvm")) {
        t["host"]["kvm"].erase("pcpus");
        t["host"]["kvm"].erase("self_snoop");
    }
    if (t.contains("platform")) {
        if (t["platform"].contains("vcpu") && t["platform"]["vcpu"].contains("core"))
            t["platform"]["vcpu"]["core"].erase("line_size");
        if (t["platform"].contains("vmm")) t["platform"]["vmm"].erase("line_size");
    }
}

// The leaves of the sections a configuration difference may live in.
void leaves(const json& j, const std::string& at, std::map<std::string, json>& out) {
    if (j.is_object() && !j.empty()) {
        for (const auto& [k, v] : j.items()) leaves(v, at + "/" + k, out);
        return;
    }
    out[at] = j;
}

std::map<std::string, json> config_leaves(const json& t) {
    std::map<std::string, json> out;
    for (const char* sec : {"platform", "devices", "vmm", "run", "guest"})
        if (t.contains(sec)) leaves(t[sec], std::string("/") + sec, out);
    for (const char* skip : {"/guest/buffers", "/guest/raw_pte", "/run/seed"}) out.erase(skip);
    return out;
}

unsigned long long bytes_of(const json& t) {
    unsigned long long b = 0;
    for (auto& [a, prog] : t["programs"].items()) {
        json p = prog;
        for (const auto& op : ops_of(p))
            for (const auto& [k, v] : op.items())
                if (v.is_object() && v.contains("len"))
                    b += v["len"].get<unsigned long long>() * v.value("repeat", 1ull);
    }
    return b;
}

unsigned count_ops(const json& t) {
    unsigned n = 0;
    for (auto& [a, prog] : t["programs"].items()) {
        json p = prog;
        n += unsigned(ops_of(p).size());
    }
    return n;
}

struct minimizer {
    const minimize_options& o;
    minimize_result& r;
    std::string verdict;
    unsigned cand = 0;

    std::string write(const json& t, const std::string& name) {
        const std::string f = (fs::path(o.outdir) / "work" / name).string();
        study::write_file_atomic(f, t.dump(1) + "\n");
        return f;
    }

    // The verdict of a tree run in a child, "" when it does not load or run.
    std::string verdict_of(const json& t) {
        const std::string f = write(t, "candidate.yaml");
        try {
            scenarios::load_scenario(f, "", {});
        } catch (const std::exception&) {
            return "";
        }
        ++r.runs;
        std::string v;
        run_children({{o.exe, "run", f, "--json"}}, 1, [&](std::size_t, child_output& out) {
            const int code = WIFEXITED(out.status) ? WEXITSTATUS(out.status) : -1;
            if (code != 0 && code != 1) return;
            try {
                v = json::parse(out.out).value("verdict", "");
            } catch (const json::exception&) {
            }
        });
        return v;
    }

    bool keeps(const json& t) {
        ++r.tests;
        const bool ok = verdict_of(t) == verdict;
        if (o.verbose)
            std::cerr << fmt::format("minimize: test {}: {}\n", r.tests, ok ? "kept" : "-");
        return ok;
    }
};

json with_agents(const json& t, const std::vector<std::string>& names,
                 const std::vector<int>& keep) {
    json c = t;
    c["programs"] = json::object();
    for (int i : keep) c["programs"][names[std::size_t(i)]] = t["programs"][names[std::size_t(i)]];
    return c;
}

json with_ops(const json& t, const std::vector<std::pair<std::string, std::size_t>>& ids,
              const std::vector<int>& keep) {
    json c = t;
    for (auto& [a, prog] : c["programs"].items()) ops_of(prog) = json::array();
    for (int i : keep) {
        const auto& [a, k] = ids[std::size_t(i)];
        json src = t["programs"][a];
        ops_of(c["programs"][a]).push_back(ops_of(src)[k]);
    }
    json progs = json::object();
    for (auto& [a, prog] : c["programs"].items())
        if (!ops_of(prog).empty()) progs[a] = prog;
    c["programs"] = progs;
    return c;
}

} // namespace

minimize_result minimize(const minimize_options& o) {
    minimize_result r;
    const scenarios::scenario sc = scenarios::load_scenario(o.file, o.host, o.sets);
    fs::create_directories(fs::path(o.outdir) / "work");
    json t = scenarios::resolved_json(sc);
    t["expect"] = json::object();
    strip_derived(t);
    minimizer m{o, r, "", 0};
    m.verdict = m.verdict_of(t);
    if (m.verdict.empty()) throw std::runtime_error(o.file + ": the resolved scenario did not run");
    if (m.verdict == "clean" || m.verdict == "race" || m.verdict == "refused")
        throw std::invalid_argument(fmt::format("{} under {} is {}: nothing to minimize (only a "
                                                "corrupting verdict is kept)",
                                                o.file, sc.host_name, m.verdict));
    r.verdict = m.verdict;

    // The defaults a configuration difference is reset to: an empty scenario's.
    const std::string dflt = (fs::path(o.outdir) / "work" / "default.yaml").string();
    study::write_file_atomic(dflt, "programs:\n  vcpu0: [mfence]\n");
    const auto defaults =
        config_leaves(scenarios::resolved_json(scenarios::load_scenario(dflt, "", {})));

    r.ops_before = count_ops(t);
    r.agents_before = unsigned(t["programs"].size());
    r.buffers_before = unsigned(t["guest"]["buffers"].size());
    r.bytes_before = bytes_of(t);
    auto diffs_of = [&](const json& tree) {
        std::vector<std::string> d;
        for (const auto& [path, v] : config_leaves(tree)) {
            const auto it = defaults.find(path);
            if (it != defaults.end() && it->second != v) d.push_back(path);
        }
        return d;
    };
    r.diffs_before = unsigned(diffs_of(t).size());

    for (int round = 0; round < 2; ++round) {
        const json start = t;
        // Whole agents.
        {
            std::vector<std::string> names;
            for (auto& [a, p] : t["programs"].items()) names.push_back(a);
            std::vector<int> all(names.size());
            for (std::size_t i = 0; i < all.size(); ++i) all[i] = int(i);
            const auto keep = ddmin(
                all, [&](const std::vector<int>& k) { return m.keeps(with_agents(t, names, k)); });
            t = with_agents(t, names, keep);
        }
        // Ops.
        {
            std::vector<std::pair<std::string, std::size_t>> ids;
            for (auto& [a, p] : t["programs"].items()) {
                json pc = p;
                for (std::size_t k = 0; k < ops_of(pc).size(); ++k) ids.push_back({a, k});
            }
            std::vector<int> all(ids.size());
            for (std::size_t i = 0; i < all.size(); ++i) all[i] = int(i);
            const auto keep =
                ddmin(all, [&](const std::vector<int>& k) { return m.keeps(with_ops(t, ids, k)); });
            t = with_ops(t, ids, keep);
        }
        // Buffers.
        {
            const json bufs = t["guest"]["buffers"];
            std::vector<int> all(bufs.size());
            for (std::size_t i = 0; i < all.size(); ++i) all[i] = int(i);
            auto with = [&](const std::vector<int>& k) {
                json c = t;
                c["guest"]["buffers"] = json::array();
                for (int i : k) c["guest"]["buffers"].push_back(bufs[std::size_t(i)]);
                return c;
            };
            t = with(ddmin(all, [&](const std::vector<int>& k) { return m.keeps(with(k)); }));
        }
        // Configuration differences from the defaults.
        {
            const auto d = diffs_of(t);
            std::vector<int> all(d.size());
            for (std::size_t i = 0; i < all.size(); ++i) all[i] = int(i);
            auto with = [&](const std::vector<int>& k) {
                json c = t;
                std::vector<bool> kept(d.size(), false);
                for (int i : k) kept[std::size_t(i)] = true;
                for (std::size_t i = 0; i < d.size(); ++i)
                    if (!kept[i]) c[json::json_pointer(d[i])] = defaults.at(d[i]);
                return c;
            };
            t = with(ddmin(all, [&](const std::vector<int>& k) { return m.keeps(with(k)); }));
        }
        // Bytes: each op's repeat and len, then each buffer's size: the least value first (it
        // usually keeps the verdict), else halved while it keeps.
        auto shrink = [&](json& field, unsigned long long least, unsigned long long step) {
            if (field.get<unsigned long long>() <= least) return;
            const auto first = field.get<unsigned long long>();
            field = least;
            if (m.keeps(t)) return;
            field = first;
            while (field.get<unsigned long long>() > least) {
                const auto old = field.get<unsigned long long>();
                const auto half = std::max(least, (old / 2 + step - 1) / step * step);
                field = half;
                if (half == least || !m.keeps(t)) {
                    field = old;
                    return;
                }
            }
        };
        for (auto& [a, prog] : t["programs"].items())
            for (auto& op : ops_of(prog))
                for (auto& [k, v] : op.items()) {
                    if (!v.is_object() || !v.contains("len")) continue;
                    if (v.contains("repeat")) shrink(v["repeat"], 1, 1);
                    shrink(v["len"], 1, 1);
                }
        for (auto& b : t["guest"]["buffers"]) shrink(b["size"], 4096, 4096);
        if (t == start) break; // a fixpoint: one more round changes nothing
    }

    r.ops_after = count_ops(t);
    r.agents_after = unsigned(t["programs"].size());
    r.buffers_after = unsigned(t["guest"]["buffers"].size());
    r.bytes_after = bytes_of(t);
    r.kept_diffs = diffs_of(t);
    r.diffs_after = unsigned(r.kept_diffs.size());
    // The reduced file: the resolved YAML of the last tree, expecting the verdict it keeps.
    t["expect"] = {{"default", r.verdict}};
    t["description"] = fmt::format("{} reduced by mtsim minimize: {}", sc.name,
                                   t.value("description", std::string()));
    const std::string last = m.write(t, "reduced.json.yaml");
    r.reduced = (fs::path(o.outdir) / "reduced.yaml").string();
    scenarios::write_resolved(scenarios::load_scenario(last, "", {}), r.reduced);
    return r;
}

} // namespace mtsim::search
