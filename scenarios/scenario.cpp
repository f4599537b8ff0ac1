#include "scenarios/scenario.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "model/not_modelled.h"
#include "scenarios/arm64_scenario.h"
#include "scenarios/derived.h"
#include "scenarios/list_sets.h"
#include "scenarios/scenario_parts.h"
#include "scenarios/validate.h"

namespace mtsim::scenarios {

namespace fs = std::filesystem;
using namespace detail;

const buffer& scenario::find_buffer(const std::string& name) const {
    for (const auto& b : buffers)
        if (b.name == name) return b;
    throw std::out_of_range("no buffer named '" + name + "'");
}

std::string scenario::expected_text(const std::string& h) const {
    if (expect_refused.count(h)) return "refused";
    const auto v = expected_for(h);
    return v ? std::string(to_string(*v)) : std::string();
}

std::optional<verdict> scenario::expected_for(const std::string& h) const {
    if (auto it = expect.find(h); it != expect.end()) return it->second;
    if (auto it = expect.find("default"); it != expect.end()) return it->second;
    return std::nullopt;
}

std::string hosts_dir() {
    if (const char* e = std::getenv("MTSIM_HOSTS_DIR")) return e;
    return MTSIM_SCENARIOS_DIR "/hosts";
}

std::string scenario_name(const std::string& file) {
    std::string stem = fs::path(file).stem().string();
    std::size_t i = 0;
    while (i < stem.size() && std::isdigit(static_cast<unsigned char>(stem[i]))) ++i;
    if (i > 0 && i < stem.size() && std::islower(static_cast<unsigned char>(stem[i]))) ++i;
    if (i > 0 && i < stem.size() && stem[i] == '-') return stem.substr(i + 1);
    return stem;
}

namespace {

const std::set<std::string> top_keys{"name",    "description", "kind",    "include", "host",
                                     "run",     "platform",    "devices", "guest",   "vmm",
                                     "raw_ept", "programs",    "expect",  "measure", "litmus"};

constexpr std::size_t max_include_depth = 8;

// Applies one file: its includes first, then its own sections (later files override).
// `chain` holds the files being applied, outermost first (for cycles and depth). The --set
// assignments to buffers and program ops edit the file's YAML first (list_sets.h).
void apply_file(const std::string& file, scenario& s, std::vector<std::string>& chain, bool main,
                std::vector<list_set>& lsets) {
    YAML::Node root = parse_file(file);
    apply_list_sets(file, root, lsets, main);
    std::error_code ec;
    chain.push_back(fs::weakly_canonical(file, ec).string());
    for (auto it = root.begin(); it != root.end(); ++it) {
        const std::string k = it->first.as<std::string>();
        if (!top_keys.count(k))
            fail(file, it->first, k,
                 "unknown key; valid: name, description, kind, include, host, run, platform, "
                 "devices, guest, vmm, raw_ept, programs, expect, measure, litmus");
        if (!main && (k == "programs" || k == "expect" || k == "measure" || k == "litmus"))
            fail(file, it->first, k, "an included file holds shared parts only");
    }
    if (const YAML::Node inc = root["include"]) {
        std::vector<YAML::Node> list;
        if (inc.IsScalar())
            list.push_back(inc);
        else if (inc.IsSequence())
            for (const auto& x : inc) list.push_back(x);
        else
            fail(file, inc, "include", "expected a path or a list of paths");
        for (const auto& x : list) {
            const std::string rel = scalar(file, x, "include");
            const fs::path p = fs::path(file).parent_path() / rel;
            if (!fs::exists(p)) fail(file, x, "include", "no such file: " + p.string());
            const std::string canon = fs::weakly_canonical(p, ec).string();
            if (std::find(chain.begin(), chain.end(), canon) != chain.end()) {
                std::string cycle;
                for (auto c = std::find(chain.begin(), chain.end(), canon); c != chain.end(); ++c)
                    cycle += fs::path(*c).filename().string() + " -> ";
                fail(file, x, "include", "include cycle: " + cycle + p.filename().string());
            }
            if (chain.size() > max_include_depth)
                fail(file, x, "include",
                     fmt::format("includes nest deeper than {} (this file is at depth {})",
                                 max_include_depth, chain.size()));
            apply_file(p.string(), s, chain, false, lsets);
        }
    }
    if (const YAML::Node d = root["description"]) s.description = scalar(file, d, "description");
    if (const YAML::Node n = root["name"]) s.name = scalar(file, n, "name");
    if (const YAML::Node k = root["kind"]) {
        s.kind = scalar(file, k, "kind");
        if (s.kind != "field" && s.kind != "model-check")
            fail(file, k, "kind",
                 "expected field (a case from the field: hosts may differ) or model-check (a "
                 "mechanism of the model, the same under every host)");
    }
    if (const YAML::Node h = root["host"]) {
        if (h.IsMap()) {
            // The host inline (a resolved file): its name and the whole host section.
            if (!h["name"]) fail(file, h, "host.name", "an inline host needs its name");
            s.host_name = scalar(file, h["name"], "host.name");
            load_yaml(without(h, {"name"}), file, s.host, "host", &s.origins);
            s.host_inline = true;
        } else
            s.host_name = scalar(file, h, "host");
    }
    if (const YAML::Node n = root["run"]) load_yaml(n, file, s.run, "run", &s.origins);
    if (const YAML::Node n = root["platform"])
        load_yaml(n, file, s.platform, "platform", &s.origins);
    if (const YAML::Node n = root["devices"]) load_yaml(n, file, s.devices, "devices", &s.origins);
    if (const YAML::Node n = root["vmm"]) load_yaml(n, file, s.vmm, "vmm", &s.origins);
    if (const YAML::Node n = root["guest"]) {
        if (!n.IsMap()) fail(file, n, "guest", "expected a mapping");
        load_yaml(without(n, {"buffers", "raw_pte"}), file, s.guest, "guest", &s.origins);
        if (const YAML::Node b = n["buffers"]) parse_buffers(file, b, s);
        if (const YAML::Node r = n["raw_pte"])
            parse_raw(file, r, "guest.raw_pte", "gva", 4, s.raw_ptes);
    }
    if (const YAML::Node r = root["raw_ept"]) parse_raw(file, r, "raw_ept", "gpa", 5, s.raw_ept);
    if (main) {
        if (const YAML::Node n = root["programs"])
            parse_programs(file, n, s);
        else
            fail(file, root, "programs", "a scenario needs programs");
        if (const YAML::Node n = root["expect"]) parse_expect(file, n, s);
        if (const YAML::Node n = root["litmus"]) parse_litmus(file, n, s);
        if (const YAML::Node n = root["measure"]) parse_measure(file, n, s);
    }
    chain.pop_back();
}

} // namespace

namespace {

// A host file's name and the policy it runs (empty when the file names no known policy): the
// EPT policy of an x86 host, the stage-2 policy of an arm64 host.
struct host_entry {
    std::string name;
    std::string policy;
    bool arm64 = false;
};

std::vector<host_entry> read_host_entries() {
    std::vector<host_entry> out;
    for (const auto& e : fs::directory_iterator(hosts_dir())) {
        if (e.path().extension() != ".yaml") continue;
        host_config h;
        load_yaml(parse_file(e.path().string()), e.path().string(), h, "host");
        if (h.arm64.is_arm64())
            out.push_back({e.path().stem().string(), h.arm64.policy, true});
        else
            out.push_back({e.path().stem().string(), h.kvm.policy, false});
    }
    // Every policy that no host file runs is a host of its own name, with the defaults.
    for (const kvm::ept_policy* p : kvm::all_policies()) {
        const std::string name(p->name());
        if (std::none_of(out.begin(), out.end(),
                         [&](const host_entry& h) { return h.policy == name || h.name == name; }))
            out.push_back({name, name, false});
    }
    return out;
}

// The host folder read once per process and folder (MTSIM_HOSTS_DIR may name another): the
// matrix loads every (scenario, host) pair in one process.
const std::vector<host_entry>& host_entries() {
    static std::mutex lock;
    static std::map<std::string, std::vector<host_entry>> read;
    const std::lock_guard<std::mutex> hold(lock);
    const std::string dir = hosts_dir();
    auto it = read.find(dir);
    if (it == read.end()) it = read.emplace(dir, read_host_entries()).first;
    return it->second;
}

} // namespace

bool is_host_name(const std::string& name) {
    if (!name.empty() && name.find('/') == std::string::npos && name[0] != '.' &&
        fs::exists(hosts_dir() + "/" + name + ".yaml"))
        return true;
    const auto names = host_names();
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::vector<std::string> host_names() {
    // Columns follow the registry's policy order; a policy's own-name host first, then the
    // other hosts running it by name; hosts of unknown policies after them; arm64 hosts last,
    // by their stage-2 policy's release.
    const auto& policies = kvm::all_policies();
    const auto& arm64 = kvm::all_arm64_policies();
    auto rank = [&](const host_entry& h) {
        long at = 0;
        if (h.arm64)
            at = long(policies.size()) + 1 +
                 std::distance(arm64.begin(), std::find_if(arm64.begin(), arm64.end(),
                                                           [&](const kvm::arm64_s2_policy* p) {
                                                               return p->name() == h.policy;
                                                           }));
        else
            at = std::distance(policies.begin(), std::find_if(policies.begin(), policies.end(),
                                                              [&](const kvm::ept_policy* p) {
                                                                  return p->name() == h.policy;
                                                              }));
        return std::make_tuple(at, h.name != h.policy, h.name);
    };
    std::vector<host_entry> hosts = host_entries();
    std::sort(hosts.begin(), hosts.end(),
              [&](const host_entry& a, const host_entry& b) { return rank(a) < rank(b); });
    std::vector<std::string> out;
    for (const auto& h : hosts) out.push_back(h.name);
    return out;
}

host_config load_host(const std::string& name) {
    host_config h;
    const std::string hf = hosts_dir() + "/" + name + ".yaml";
    if (fs::exists(hf)) {
        load_yaml(parse_file(hf), hf, h, "host");
        return h;
    }
    if (!is_host_name(name))
        throw config_error(hf, 0, "host", "unknown host '" + name + "'; see `mtsim list hosts`");
    // A policy without a host file: the hypervisor's defaults under that policy.
    h.kvm.policy = name;
    h.description =
        std::string(kvm::find_policy(name)->description()) + " (no host file: defaults)";
    return h;
}

std::string host_arch(const host_config& h) {
    return h.arm64.is_arm64() ? "arm64" : "x86";
}

std::string arch_mismatch(const scenario& s) {
    const std::string host = host_arch(s.host);
    if (host == s.platform.arch) return "";
    return fmt::format("the scenario's platform.arch is {} and host '{}' is an {} host{}; the "
                       "pair is n/a",
                       s.platform.arch, s.host_name, host,
                       host == "arm64" ? " (host.arm64.policy " + s.host.arm64.policy + ")" : "");
}

void require_runnable(const scenario& s) {
    if (const std::string why = arch_mismatch(s); !why.empty())
        throw config_error(s.file, 0, "platform.arch", why);
    if (s.platform.arch == "arm64") require_arm64_runnable(s);
}

bool is_host_file(const std::string& host) {
    return host.find('/') != std::string::npos;
}

scenario load_scenario(const std::string& file, const std::string& host_override,
                       const std::vector<std::string>& sets) {
    scenario s;
    s.file = file;
    std::vector<std::string> chain;
    auto lsets = parse_list_sets(sets);
    try {
        apply_file(file, s, chain, true, lsets);
    } catch (const config_error& e) {
        rethrow_for_set(e, lsets);
    }
    std::string buffers, agents;
    for (const auto& b : s.buffers) buffers += (buffers.empty() ? "" : ", ") + b.name;
    for (const auto& p : s.programs) agents += (agents.empty() ? "" : ", ") + p.agent;
    check_list_sets_applied(lsets, buffers, agents);
    if (s.name.empty()) s.name = scenario_name(file);
    if (!host_override.empty()) {
        s.host_name = host_override;
        s.host = host_config{}; // --host replaces an inline host
        s.host_inline = false;
    }
    if (s.host_name.empty()) s.host_name = "linux-6.16";
    std::string hf = file;
    YAML::Node h;
    if (s.host_inline)
        h = parse_file(file)["host"];
    else if (is_host_file(host_override)) {
        // An explicit host file (a path with a '/'); a bare word is only ever a name from the
        // hosts folder, so a name cannot walk out of it.
        hf = host_override;
        h = parse_file(hf);
        s.host_name = fs::path(hf).stem().string();
        load_yaml(h, hf, s.host, "host", &s.origins);
    } else {
        if (!is_host_name(s.host_name))
            throw config_error(file, 0, "host",
                               "unknown host '" + s.host_name + "'; see `mtsim list hosts`");
        hf = hosts_dir() + "/" + s.host_name + ".yaml";
        if (fs::exists(hf)) h = parse_file(hf); // else a policy's default host (load_host)
        s.host = load_host(s.host_name);
        if (h) {
            host_config lines; // the host file again, for the origin of each of its keys
            load_yaml(h, hf, lines, "host", &s.origins);
        }
    }
    for (const auto& a : sets) {
        if (is_list_set(a)) continue; // applied to the YAML already (list_sets.h)
        apply_set(a, s);
        s.origins[a.substr(0, a.find('='))] = param_origin{"--set " + a, 0};
    }
    derive_facts(s, hf, h, sets);
    s.sets = sets;
    validate_scenario(s);
    return s;
}

std::string describe_file(const std::string& file) {
    const YAML::Node root = parse_file(file);
    if (!root["description"]) return "";
    std::string d = root["description"].as<std::string>();
    if (auto nl = d.find('\n'); nl != std::string::npos) d.resize(nl);
    if (root["kind"] && root["kind"].as<std::string>() == "model-check") d = "[model-check] " + d;
    return d;
}

} // namespace mtsim::scenarios
