// mtsim list policies|scenarios|hosts|params|stats: each with its one-line description.
// params: every parameter of the scenario tree (run, platform, host, devices, guest, vmm) from
// the blocks' describe() declarations. stats: every statistic of the platform a scenario
// elaborates (the first catalogue scenario unless one is named), from the stat registry.
#include <filesystem>
#include <iostream>

#include "app/cli.h"
#include "kvm/arm64_policy.h"
#include "kvm/policy.h"
#include "model/config.h"
#include "model/oracle.h"
#include "model/stats.h"
#include "scenarios/builder.h"
#include "scenarios/matrix.h"
#include "scenarios/scenario.h"

namespace mtsim::app {

namespace {

int list_params() {
    const auto params = mtsim::list_params<scenarios::scenario>();
    std::size_t wp = 0, wd = 0, wu = 0;
    for (const auto& p : params) {
        wp = std::max(wp, p.path.size());
        wd = std::max(wd, p.default_value.size());
        wu = std::max(wu, p.unit.size());
    }
    auto pad = [](const std::string& x, std::size_t w) {
        return x + std::string(w + 2 - x.size(), ' ');
    };
    std::cout << pad("parameter", wp) << pad("default", wd) << pad("unit", wu) << "description\n";
    for (const auto& p : params)
        std::cout << pad(p.path, wp) << pad(p.default_value, wd) << pad(p.unit, wu) << p.description
                  << (p.constraint.empty() ? "" : " " + p.constraint) << "\n";
    return 0;
}

int list_stats(const std::string& file) {
    scenarios::scenario s;
    try {
        s = scenarios::load_scenario(file, "", {});
    } catch (const config_error& e) {
        throw cli_error(e.what());
    }
    oracle o;
    scenarios::platform p("platform", s, o);
    const auto stats = mtsim::list_stats();
    std::size_t wp = 0, wu = 0;
    for (const auto& st : stats) {
        wp = std::max(wp, st.path.size());
        wu = std::max(wu, st.unit.size());
    }
    std::cout << "# statistics of the platform of " << file << " under " << s.host_name << "\n";
    for (const auto& st : stats)
        std::cout << st.path << std::string(wp + 2 - st.path.size(), ' ') << st.unit
                  << std::string(wu + 2 - st.unit.size(), ' ') << st.description
                  << (st.kind == "derived" ? " (derived)" : "") << "\n";
    return 0;
}

} // namespace

int cmd_list(const std::vector<std::string>& args) {
    static const char* kinds = "policies, scenarios, hosts, params, stats [SCENARIO]";
    for (const auto& a : args)
        if (a == "--help" || a == "-h") {
            std::cout << "mtsim list WHAT, WHAT one of: " << kinds
                      << "\n  policies   the registered EPT and KVM/arm64 stage-2 policies with "
                         "their sources"
                         "\n  scenarios  the catalogue\n  hosts      the hosts, in matrix order"
                         "\n  params     every parameter: name, default, unit, description"
                         "\n  stats      every statistic of a scenario's platform (default: the "
                         "first in the catalogue)\n";
            return 0;
        }
    if (args.size() == 2 && args[0] == "stats") return list_stats(args[1]);
    if (args.size() != 1) throw cli_error(std::string("expected one of: ") + kinds);
    if (args[0] == "params") return list_params();
    if (args[0] == "stats") {
        const auto files = scenarios::collect_scenarios({MTSIM_CATALOGUE_DIR});
        if (files.empty()) throw cli_error("the scenario catalogue is empty; name a scenario");
        return list_stats(files.front());
    }
    if (args[0] == "policies") {
        // The EPT policies (x86 hosts), then the KVM/arm64 stage-2 policies (arm64 hosts).
        std::size_t w = 0;
        for (const auto* p : kvm::all_policies()) w = std::max(w, p->name().size());
        for (const auto* p : kvm::all_arm64_policies()) w = std::max(w, p->name().size());
        auto print = [&](std::string_view name, std::string_view description,
                         std::string_view source) {
            std::cout << name << std::string(w + 2 - name.size(), ' ') << description << "\n"
                      << std::string(w + 2, ' ') << "source: " << source << "\n";
        };
        for (const auto* p : kvm::all_policies()) print(p->name(), p->description(), p->source());
        for (const auto* p : kvm::all_arm64_policies())
            print(p->name(), p->description(), p->source());
        return 0;
    }
    if (args[0] == "scenarios" || args[0] == "hosts") {
        const bool sc = args[0] == "scenarios";
        const std::vector<std::string> items =
            sc ? scenarios::collect_scenarios({MTSIM_CATALOGUE_DIR}) : scenarios::host_names();
        for (const auto& f : items) {
            const std::string name = sc ? scenarios::scenario_name(f) : f;
            const std::string d =
                sc ? scenarios::describe_file(f) : scenarios::load_host(f).description;
            std::cout << name << std::string(name.size() < 40 ? 40 - name.size() : 1, ' ') << d
                      << "\n";
        }
        return 0;
    }
    throw cli_error("unknown list '" + args[0] + "'; valid: " + kinds);
}

} // namespace mtsim::app
