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
    std::string llc_text = std::to_string(cfg.memory.llc.size_bytes / MiB);
    po::options_description visible(
        "mtsim bench [--json] [--accesses N] [--repeats R] [--llc-mib M]");
    visible.add_options()("help,h", "this text")("json", "print one JSON object")(
        "accesses", po::value(&accesses_text)->default_value(accesses_text),
        "accesses per workload run (1..10^9)")(
        "repeats", po::value(&repeats_text)->default_value(repeats_text),
        "runs per workload; the fastest is kept (1..100)")(
        "llc-mib", po::value(&llc_text)->default_value(llc_text),
        "simulated LLC size in MiB (a power of two; the miss workloads sweep 8x it): larger "
        "than the host's L2 makes the miss path host-memory-latency bound");
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
    const auto llc_mib = parse_count("llc-mib", llc_text, 1, 1024);
    if ((llc_mib & (llc_mib - 1)) != 0) throw cli_error("--llc-mib: must be a power of two");
    cfg.memory.llc.size_bytes = llc_mib * MiB;

    if (vm.count("workload")) {
        const bench::workload* w = bench::find_workload(only);
        if (!w) throw cli_error("--workload: unknown workload '" + only + "'");
        std::cout << bench::to_json(w->run(cfg)).dump() << "\n";
        return 0;
    }
    const auto rows = bench::run_all("/proc/self/exe", cfg, repeats);
    if (vm.count("json"))
        std::cout << json_text(bench::to_json(rows, cfg, repeats));
    else
        std::cout << bench::to_table(rows, cfg, repeats);
    return 0;
}

} // namespace mtsim::app
