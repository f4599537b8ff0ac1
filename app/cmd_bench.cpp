// mtsim bench: simulated accesses per host second of each workload, relative to a bare TLM-2.0
// loop measured in the same invocation. Each workload runs in a child process (the same
// binary with the hidden --workload flag) because SystemC elaborates once per process.
#include <iostream>
#include <string>

#include "app/cli.h"
#include "bench/runner.h"

namespace mtsim::app {

namespace po = boost::program_options;

int cmd_bench(const std::vector<std::string>& args) {
    bench::bench_config cfg;
    std::string accesses_text = std::to_string(cfg.accesses), repeats_text = "3";
    po::options_description visible("mtsim bench [--json] [--accesses N] [--repeats R]");
    visible.add_options()("help,h", "this text")("json", "print one JSON object")(
        "accesses", po::value(&accesses_text)->default_value(accesses_text),
        "accesses per workload run (1..10^9)")(
        "repeats", po::value(&repeats_text)->default_value(repeats_text),
        "runs per workload; the fastest is kept (1..100)");
    std::string only;
    po::options_description hidden;
    hidden.add_options()("workload", po::value(&only), "run one workload in this process");
    po::options_description all;
    all.add(visible).add(hidden);
    const auto vm = parse_args(args, all);
    if (vm.count("help")) {
        std::cout << visible << "\nworkloads:\n";
        for (const auto& w : bench::workloads())
            std::cout << "  " << w.name
                      << std::string(w.name.size() < 22 ? 22 - w.name.size() : 1, ' ')
                      << w.description << "\n";
        return 0;
    }
    // 10^9 accesses take minutes per workload at the rates in README.md (walk-miss: ~1.5 M/s);
    // more is a typo.
    cfg.accesses = static_cast<decltype(cfg.accesses)>(
        parse_count("accesses", accesses_text, 1, 1'000'000'000));
    const auto repeats = static_cast<unsigned>(parse_count("repeats", repeats_text, 1, 100));

    if (vm.count("workload")) {
        const bench::workload* w = bench::find_workload(only);
        if (!w) throw cli_error("--workload: unknown workload '" + only + "'");
        std::cout << bench::to_json(w->run(cfg)).dump() << "\n";
        return 0;
    }
    const auto rows = bench::run_all("/proc/self/exe", cfg, repeats);
    if (vm.count("json"))
        std::cout << bench::to_json(rows, cfg, repeats).dump(2) << "\n";
    else
        std::cout << bench::to_table(rows, cfg, repeats);
    return 0;
}

} // namespace mtsim::app
