// mtsim list policies|scenarios|hosts|params|stats [--json]: each with its one-line
// description; --json prints the same items as a JSON array of objects.
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

int list_params(bool json) {
    const auto params = mtsim::list_params<scenarios::scenario>();
    if (json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& p : params)
            out.push_back({{"path", p.path},
                           {"default", p.default_value},
                           {"unit", p.unit},
                           {"description", p.description},
                           {"constraint", p.constraint}});
        std::cout << json_text(out);
        return 0;
    }
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

int list_stats(const std::string& file, bool json) {
    scenarios::scenario s;
    try {
        s = scenarios::load_scenario(file, "", {});
    } catch (const config_error& e) {
        throw cli_error(e.what());
    }
    oracle o;
    scenarios::platform p("platform", s, o);
    const auto stats = mtsim::list_stats();
    if (json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& st : stats)
            out.push_back({{"path", st.path},
                           {"kind", st.kind},
                           {"unit", st.unit},
                           {"description", st.description}});
        std::cout << json_text(out);
        return 0;
    }
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

int cmd_list(const std::vector<std::string>& all_args) {
    static const char* kinds = "policies, scenarios, hosts, params, stats [SCENARIO]";
    std::vector<std::string> args;
    bool json = false;
    for (const auto& a : all_args) {
        if (a == "--json")
            json = true;
        else if (a.rfind("-", 0) == 0 && a != "--help" && a != "-h")
            throw cli_error("unknown option '" + a + "'; `mtsim list` takes only --json");
        else
            args.push_back(a);
    }
    for (const auto& a : args)
        if (a == "--help" || a == "-h") {
            std::cout << "mtsim list WHAT [--json], WHAT one of: " << kinds
                      << "\n  policies   the registered EPT and KVM/arm64 stage-2 policies with "
                         "their sources"
                         "\n  scenarios  the catalogue\n  hosts      the hosts, in matrix order"
                         "\n  params     every parameter: name, default, unit, description"
                         "\n  stats      every statistic of a scenario's platform (default: the "
                         "first in the catalogue)\n  --json     the same items as a JSON array of "
                         "objects\n";
            return 0;
        }
    if (args.size() == 2 && args[0] == "stats") {
        std::string file = args[1];
        if (const auto f = scenarios::find_scenario(file, MTSIM_CATALOGUE_DIR); !f.empty())
            file = f;
        return list_stats(file, json);
    }
    if (args.size() != 1) throw cli_error(std::string("expected one of: ") + kinds);
    if (args[0] == "params") return list_params(json);
    if (args[0] == "stats") {
        const auto files = scenarios::collect_scenarios({MTSIM_CATALOGUE_DIR});
        if (files.empty()) throw cli_error("the scenario catalogue is empty; name a scenario");
        return list_stats(files.front(), json);
    }
    if (args[0] == "policies" && json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto* p : kvm::all_policies())
            out.push_back(
                {{"name", p->name()}, {"description", p->description()}, {"source", p->source()}});
        for (const auto* p : kvm::all_arm64_policies())
            out.push_back(
                {{"name", p->name()}, {"description", p->description()}, {"source", p->source()}});
        std::cout << json_text(out);
        return 0;
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
        if (json) {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& f : items) {
                nlohmann::json o = {{"name", sc ? scenarios::scenario_name(f) : f},
                                    {"description", sc ? scenarios::describe_file(f)
                                                       : scenarios::load_host(f).description}};
                if (sc) o["file"] = f;
                out.push_back(std::move(o));
            }
            std::cout << json_text(out);
            return 0;
        }
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
