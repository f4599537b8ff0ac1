// mtsim matrix [FILES or folders]... [--hosts all|a,b] [--json|--csv|--markdown] [--jobs N]:
// every scenario under every host, each in its own child process.
#include <iostream>
#include <sstream>

#include "app/cli.h"
#include "scenarios/matrix.h"
#include "scenarios/scenario.h"

namespace mtsim::app {

namespace po = boost::program_options;

int cmd_matrix(const std::vector<std::string>& args) {
    po::options_description opts("mtsim matrix [FILES or folders]...");
    opts.add_options()("paths", po::value<std::vector<std::string>>()->composing(),
                       "scenario files or folders (default: the catalogue)")(
        "hosts", po::value<std::string>()->default_value("all"), "all, or a comma-separated list")(
        "set", po::value<std::vector<std::string>>()->composing(),
        "override for every run")("json", po::bool_switch(), "a JSON list")(
        "csv", po::bool_switch(), "CSV")("markdown", po::bool_switch(), "a markdown table")(
        "jobs", po::value<std::string>()->default_value("2"), "runs in parallel (1..64)");
    po::positional_options_description pos;
    pos.add("paths", -1);
    const auto vm = parse_args(args, opts, &pos);
    const auto jobs =
        static_cast<unsigned>(parse_count("jobs", vm["jobs"].as<std::string>(), 1, 64));
    std::vector<std::string> paths = vm.count("paths")
                                         ? vm["paths"].as<std::vector<std::string>>()
                                         : std::vector<std::string>{MTSIM_CATALOGUE_DIR};
    const auto all = scenarios::host_names();
    std::vector<std::string> hosts;
    if (vm["hosts"].as<std::string>() == "all")
        hosts = all;
    else {
        std::stringstream ss(vm["hosts"].as<std::string>());
        for (std::string h; std::getline(ss, h, ',');) {
            if (std::find(all.begin(), all.end(), h) == all.end())
                throw cli_error("--hosts: unknown host '" + h + "'; see `mtsim list hosts`");
            hosts.push_back(h);
        }
    }
    std::vector<std::string> files;
    try {
        files = scenarios::collect_scenarios(paths);
    } catch (const std::invalid_argument& e) {
        throw cli_error(e.what());
    }
    const auto sets =
        vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
    // Every file under every host is loaded (parsed and checked, not run) before the first
    // cell starts, so a bad file among good ones is reported at once and nothing runs.
    for (const auto& f : files)
        for (const auto& h : hosts) scenarios::load_scenario(f, h, sets);
    std::vector<scenarios::matrix_cell> cells;
    try {
        cells = scenarios::run_matrix("/proc/self/exe", files, hosts, jobs, sets);
    } catch (const std::runtime_error& e) {
        throw cli_error(e.what());
    }
    if (vm["json"].as<bool>())
        std::cout << scenarios::matrix_json(cells).dump(1) << "\n";
    else if (vm["csv"].as<bool>())
        std::cout << scenarios::matrix_csv(cells);
    else
        std::cout << scenarios::matrix_table(cells, vm["markdown"].as<bool>());
    // A cell whose child failed is that cell's error; the others ran and are printed above.
    bool failed = false;
    for (const auto& c : cells)
        if (!c.error.empty()) {
            std::cerr << "mtsim matrix: " << c.scenario << " under " << c.host << ": " << c.error
                      << "\n";
            failed = true;
        }
    return failed ? 1 : 0;
}

} // namespace mtsim::app
