#include "search/space.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "model/config.h"
#include "scenarios/scenario.h"

namespace mtsim::search {

namespace fs = std::filesystem;

std::string buffer_decl::symmetry_class() const {
    std::string c = kind + '\x1f' + size;
    for (const auto& p : pats) c += '\x1f' + p;
    return c;
}

const std::vector<std::string>& cpu_ops() {
    static const std::vector<std::string> ops{"store",      "nt_store", "load",   "clflush",
                                              "clflushopt", "clwb",     "sfence", "mfence",
                                              "wbinvd",     "wbnoinvd", "migrate"};
    return ops;
}

const std::vector<std::string>& gpu_ops() {
    static const std::vector<std::string> ops{"read", "write"};
    return ops;
}

namespace {

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

bool is_cpu_agent(const std::string& a) {
    if (a == "vmm") return true;
    if (a.rfind("vcpu", 0) != 0 || a.size() == 4) return false;
    return std::all_of(a.begin() + 4, a.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_memory_op(const std::string& op) {
    return op != "sfence" && op != "mfence" && op != "wbinvd" && op != "wbnoinvd" &&
           op != "migrate";
}

// The fixed sections: every top-level key a scenario has but programs and expect (the
// generator writes those); includes become absolute so that a generated file runs anywhere.
std::string scenario_text(const reader& r, YAML::Node n, const std::string& dir) {
    r.keys(n, "scenario",
           {"description", "include", "host", "run", "platform", "devices", "guest", "vmm",
            "raw_ept", "kind"},
           "description, include, host, run, platform, devices, guest, vmm, raw_ept, kind "
           "(programs and expect are the search's)");
    if (n["guest"] && n["guest"]["buffers"])
        r.fail(n["guest"]["buffers"], "scenario.guest.buffers",
               "the space's `buffers:` declares them (with their PAT types)");
    if (n["include"]) {
        auto abs = [&](const YAML::Node& i, const std::string& key) {
            const fs::path p = fs::absolute(fs::path(dir) / r.scalar(i, key)).lexically_normal();
            if (!fs::exists(p)) r.fail(i, key, "no such file: " + p.string());
            return p.string();
        };
        if (n["include"].IsSequence())
            for (std::size_t i = 0; i < n["include"].size(); ++i)
                n["include"][i] = abs(n["include"][i], fmt::format("scenario.include[{}]", i));
        else
            n["include"] = abs(n["include"], "scenario.include");
    }
    YAML::Emitter e;
    e << n;
    return std::string(e.c_str()) + "\n";
}

} // namespace

space load_space(const std::string& file) {
    reader r{file};
    YAML::Node root;
    try {
        root = YAML::LoadFile(file);
    } catch (const YAML::BadFile&) {
        throw config_error(file, 0, "", "cannot read the space file");
    } catch (const YAML::Exception& e) {
        throw config_error(file, unsigned(e.mark.line + 1), "", e.msg);
    }
    const std::string valid = "name, description, scenario, buffers, agents, hosts, axes, len, k";
    r.keys(root, "",
           {"name", "description", "scenario", "buffers", "agents", "hosts", "axes", "len", "k"},
           valid);
    space s;
    s.file = file;
    s.name = root["name"] ? r.scalar(root["name"], "name") : fs::path(file).stem().string();
    if (s.name.empty() || s.name.find_first_of("/ \t") != std::string::npos)
        r.fail(root["name"], "name", "a name without '/' or blanks");
    if (root["description"]) s.description = r.scalar(root["description"], "description");
    const std::string dir = fs::path(file).parent_path().string();
    s.scenario_yaml = root["scenario"] ? scenario_text(r, root["scenario"], dir) : "";

    if (root["k"]) {
        const std::string kt = r.scalar(root["k"], "k");
        if (kt.empty() || kt.size() > 2 || !std::all_of(kt.begin(), kt.end(), ::isdigit) ||
            std::stoi(kt) < 1 || std::stoi(kt) > 8)
            r.fail(root["k"], "k", "the bound on a program's length: a whole number 1..8");
        s.k = unsigned(std::stoi(kt));
    }
    if (root["len"]) s.len = r.scalar(root["len"], "len");

    // Buffers.
    if (!root["buffers"] || !root["buffers"].IsSequence() || root["buffers"].size() == 0)
        r.fail(root["buffers"] ? root["buffers"] : root, "buffers",
               "a list of buffers {name, kind, gpa, size, pat} is needed");
    std::set<std::string> names;
    for (std::size_t i = 0; i < root["buffers"].size(); ++i) {
        const auto b = root["buffers"][i];
        const std::string key = fmt::format("buffers[{}]", i);
        r.keys(b, key, {"name", "kind", "gpa", "size", "pat"}, "name, kind, gpa, size, pat");
        for (const char* k : {"name", "kind", "gpa", "size", "pat"})
            if (!b[k]) r.fail(b, key + "." + k, std::string("a buffer needs ") + k);
        buffer_decl d;
        d.name = r.scalar(b["name"], key + ".name");
        d.kind = r.scalar(b["kind"], key + ".kind");
        d.gpa = r.scalar(b["gpa"], key + ".gpa");
        d.size = r.scalar(b["size"], key + ".size");
        d.pats = r.scalars(b["pat"], key + ".pat");
        if (!names.insert(d.name).second)
            r.fail(b["name"], key + ".name", "a second buffer of this name");
        if (d.kind != "ram" && d.kind != "blob")
            r.fail(b["kind"], key + ".kind",
                   "ram or blob (buffers every agent of a space may touch)");
        for (std::size_t j = 0; j < d.pats.size(); ++j)
            if (!std::set<std::string>{"UC", "WC", "WT", "WP", "WB", "UC-"}.count(d.pats[j]))
                r.fail(b["pat"], key + ".pat",
                       "'" + d.pats[j] + "' is no PAT type (UC, WC, WT, WP, WB, UC-)");
        s.buffers.push_back(d);
    }

    // Agents and their alphabets.
    const auto ag = root["agents"];
    if (!ag || !ag.IsMap() || ag.size() == 0)
        r.fail(ag ? ag : root, "agents", "a mapping agent -> list of ops is needed");
    bool have_cpu = false;
    for (auto it = ag.begin(); it != ag.end(); ++it) {
        const std::string a = it->first.as<std::string>();
        const std::string key = "agents." + a;
        const bool cpu = is_cpu_agent(a);
        if (!cpu && a != "gpu") r.fail(it->first, key, "an agent is vcpuN, vmm or gpu");
        have_cpu |= cpu;
        s.agents.push_back(a);
        const auto ops = r.scalars(it->second, key);
        const auto& valid_ops = cpu ? cpu_ops() : gpu_ops();
        std::set<std::string> seen;
        for (const auto& op : ops) {
            if (std::find(valid_ops.begin(), valid_ops.end(), op) == valid_ops.end()) {
                std::string v;
                for (const auto& o : valid_ops) v += (v.empty() ? "" : ", ") + o;
                r.fail(it->second, key, "unknown op '" + op + "'; valid: " + v);
            }
            if (!seen.insert(op).second) r.fail(it->second, key, "op '" + op + "' twice");
            if (op == "migrate" && a == "vmm")
                r.fail(it->second, key, "the VMM thread does not migrate: `migrate` is a vCPU's");
            letter l;
            l.agent = a;
            l.op = op;
            l.reads = op == "load" || op == "read";
            l.writes = op == "store" || op == "nt_store" || op == "write";
            l.fence = op == "sfence" || op == "mfence";
            if (is_memory_op(op))
                for (std::size_t b = 0; b < s.buffers.size(); ++b) {
                    l.buffer = int(b);
                    s.alphabet.push_back(l);
                }
            else
                s.alphabet.push_back(l);
        }
    }
    if (!have_cpu) r.fail(ag, "agents", "a space needs a CPU agent (it rings the doorbells)");
    if (!std::is_sorted(
            s.agents.begin(), s.agents.end(),
            [](const auto& a, const auto& b) { return is_cpu_agent(a) && !is_cpu_agent(b); }) ||
        !is_cpu_agent(s.agents.front()))
        r.fail(ag, "agents", "CPU agents first (the first rings the doorbells), then gpu");

    // Hosts: names, or `x86`: every x86 host.
    const auto hosts =
        root["hosts"] ? r.scalars(root["hosts"], "hosts") : std::vector<std::string>{"linux-6.16"};
    const auto all = scenarios::host_names();
    for (const auto& h : hosts) {
        if (h == "x86") {
            for (const auto& n : all)
                if (scenarios::host_arch(scenarios::load_host(n)) == "x86") {
                    s.base.hosts.push_back(n);
                    s.base.host_args.push_back(n);
                }
            continue;
        }
        if (std::find(all.begin(), all.end(), h) == all.end())
            r.fail(root["hosts"], "hosts",
                   "unknown host '" + h + "'; see `mtsim list hosts` (or x86)");
        s.base.hosts.push_back(h);
        s.base.host_args.push_back(h);
    }

    // Axes: the PAT types of each buffer that has several, then the file's.
    for (const auto& b : s.buffers) {
        if (b.pats.size() < 2) continue;
        study::axis a;
        a.params.push_back({"guest.buffers[" + b.name + "].pat", b.pats, "buffers.pat", 0});
        s.base.axes.push_back(a);
    }
    if (const auto ax = root["axes"]) {
        if (!ax.IsSequence()) r.fail(ax, "axes", "a list of {param, values}");
        for (std::size_t i = 0; i < ax.size(); ++i) {
            const std::string key = fmt::format("axes[{}]", i);
            r.keys(ax[i], key, {"param", "values"}, "param, values");
            if (!ax[i]["param"] || !ax[i]["values"])
                r.fail(ax[i], key, "an axis needs param (a --set key) and values");
            study::axis a;
            study::axis_param p;
            p.path = r.scalar(ax[i]["param"], key + ".param");
            p.values = r.scalars(ax[i]["values"], key + ".values");
            p.key = key + ".param";
            p.line = unsigned(ax[i]["param"].Mark().line + 1);
            if (p.path.empty() || p.path.find_first_of("=, \t\"") != std::string::npos)
                r.fail(ax[i]["param"], key + ".param", "a --set key: no '=', ',', quote or blank");
            a.params.push_back(p);
            s.base.axes.push_back(a);
        }
    }
    s.base.file = file;
    s.base.name = s.name;
    s.base.description = s.description;
    s.base.seeds = {0};
    return s;
}

} // namespace mtsim::search
