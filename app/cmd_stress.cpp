// mtsim stress: the random coherence tester (stress/tester.h). Exit status 0 when every check
// held, 1 with violations, 2 for bad input.
#include <iostream>
#include <string>

#include "app/cli.h"
#include "model/config.h"
#include "stress/tester.h"

namespace mtsim::app {

namespace po = boost::program_options;

int cmd_stress(const std::vector<std::string>& args) {
    stress::stress_config cfg;
    std::vector<std::string> sets;
    po::options_description opts(
        "mtsim stress [--agents N] [--dma-agents M] [--ops K] [--seed S] [--json] "
        "[--set key=value]...");
    opts.add_options()("help,h", "this text")(
        "agents", po::value(&cfg.agents)->default_value(cfg.agents), "CPU agents, one per pCPU")(
        "dma-agents", po::value(&cfg.dma_agents)->default_value(cfg.dma_agents),
        "snooped-DMA agents")("ops", po::value(&cfg.ops)->default_value(cfg.ops),
                              "transactions over all agents")(
        "seed", po::value(&cfg.seed)->default_value(cfg.seed),
        "random seed")("json", "print one JSON object")(
        "set", po::value(&sets)->composing(),
        "override a tester parameter, e.g. memory.llc_inclusive=false, lines=4 "
        "(see `mtsim stress --list-params`)")("list-params", "list the tester's parameters");
    const auto vm = parse_args(args, opts);
    if (vm.count("help")) {
        std::cout << opts;
        return 0;
    }
    if (vm.count("list-params")) {
        for (const auto& p : list_params<stress::stress_config>())
            std::cout << p.path << " = " << p.default_value << (p.unit.empty() ? "" : " ") << p.unit
                      << "  " << p.description << "\n";
        return 0;
    }
    try {
        apply_sets(sets, cfg);
        stress::validate(cfg);
    } catch (const std::exception& e) {
        throw cli_error(e.what());
    }
    const auto report = stress::run_stress(cfg);
    if (vm.count("json"))
        std::cout << stress::to_json(report).dump(2) << "\n";
    else
        std::cout << stress::to_text(report);
    return report.violations == 0 ? 0 : 1;
}

} // namespace mtsim::app
