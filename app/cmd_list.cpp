// mtsim list policies: every registered policy, its one-line description and its source.
#include <filesystem>
#include <iostream>

#include "app/cli.h"
#include "kvm/policy.h"
#include "scenarios/matrix.h"
#include "scenarios/scenario.h"

namespace mtsim::app {

int cmd_list(const std::vector<std::string>& args) {
    static const char* kinds = "policies, scenarios, hosts";
    if (args.size() != 1) throw cli_error(std::string("expected one of: ") + kinds);
    if (args[0] == "policies") {
        std::size_t w = 0;
        for (const auto* p : kvm::all_policies()) w = std::max(w, p->name().size());
        for (const auto* p : kvm::all_policies()) {
            std::cout << p->name() << std::string(w + 2 - p->name().size(), ' ') << p->description()
                      << "\n"
                      << std::string(w + 2, ' ') << "source: " << p->source() << "\n";
        }
        return 0;
    }
    if (args[0] == "scenarios" || args[0] == "hosts") {
        const bool sc = args[0] == "scenarios";
        std::vector<std::string> files;
        if (sc)
            files = scenarios::collect_scenarios({MTSIM_CATALOGUE_DIR});
        else
            for (const auto& h : scenarios::host_names())
                files.push_back(scenarios::hosts_dir() + "/" + h + ".yaml");
        for (const auto& f : files) {
            const std::string name =
                sc ? scenarios::scenario_name(f) : std::filesystem::path(f).stem().string();
            std::string d = sc ? scenarios::describe_file(f) : "";
            if (!sc) {
                scenarios::host_config h;
                load_yaml_file(f, h);
                d = h.description;
            }
            std::cout << name << std::string(name.size() < 40 ? 40 - name.size() : 1, ' ') << d
                      << "\n";
        }
        return 0;
    }
    throw cli_error("unknown list '" + args[0] + "'; valid: " + kinds);
}

} // namespace mtsim::app
