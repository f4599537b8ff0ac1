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
    std::string agents = std::to_string(cfg.agents), dma_agents = std::to_string(cfg.dma_agents),
                ops = std::to_string(cfg.ops), seed = std::to_string(cfg.seed);
    opts.add_options()("help,h", "this text")("agents", po::value(&agents)->default_value(agents),
                                              "CPU agents, one per pCPU (0..64)")(
        "dma-agents", po::value(&dma_agents)->default_value(dma_agents),
        "snooped-DMA agents (0..64)")("ops", po::value(&ops)->default_value(ops),
                                      "transactions over all agents (1..10^9)")(
        "seed", po::value(&seed)->default_value(seed), "random seed")("json",
                                                                      "print one JSON object")(
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
    // The agents' limit is the memory system's: one pCPU per agent, and the snoop filter holds
    // 64 sharers (cache/memory_system.h). 10^9 ops take about eight hours at the ~36k ops/s
    // that `mtsim stress --ops 100000` measures on the 2-core reference machine; more is a typo.
    cfg.agents = static_cast<unsigned>(parse_count("agents", agents, 0, 64));
    cfg.dma_agents = static_cast<unsigned>(parse_count("dma-agents", dma_agents, 0, 64));
    cfg.ops = parse_count("ops", ops, 1, 1'000'000'000);
    cfg.seed = parse_count("seed", seed, 0, UINT64_MAX);
    try {
        apply_sets(sets, cfg);
        stress::validate(cfg);
    } catch (const std::exception& e) {
        throw cli_error(e.what());
    }
    const auto report = stress::run_stress(cfg);
    if (vm.count("json"))
        std::cout << json_text(stress::to_json(report));
    else
        std::cout << stress::to_text(report);
    return report.violations == 0 ? 0 : 1;
}

} // namespace mtsim::app
