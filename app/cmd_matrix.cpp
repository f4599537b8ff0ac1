// mtsim matrix [FILES or folders]... [--hosts all|a,b] [--json|--csv|--markdown|--tap]
// [--jobs N] [--outdir DIR]: every scenario under every host, each in its own child process.
// Exit 0 when every cell ran and met its expect:, 1 otherwise, 2 on bad input.
#include <filesystem>
#include <iostream>
#include <sstream>

#include "app/cli.h"
#include "scenarios/matrix.h"
#include "scenarios/scenario.h"
#include "study/sweep.h"

namespace mtsim::app {

namespace po = boost::program_options;

namespace {

// The matrix in every format beside the cells' folders, each file whole or not at all.
void write_outputs(const std::vector<scenarios::matrix_cell>& cells, const std::string& outdir) {
    if (outdir.empty()) return;
    const std::filesystem::path d(outdir);
    study::write_file_atomic((d / "matrix.txt").string(), scenarios::matrix_table(cells, false));
    study::write_file_atomic((d / "matrix.md").string(), scenarios::matrix_table(cells, true));
    study::write_file_atomic((d / "matrix.csv").string(), scenarios::matrix_csv(cells));
    study::write_file_atomic((d / "matrix.json").string(),
                             json_text(scenarios::matrix_json(cells)));
    study::write_file_atomic((d / "matrix.tap").string(), scenarios::matrix_tap(cells));
}

} // namespace

int cmd_matrix(const std::vector<std::string>& args) {
    po::options_description opts("mtsim matrix [FILES or folders]...");
    opts.add_options()("paths", po::value<std::vector<std::string>>()->composing(),
                       "scenario files or folders (default: the catalogue)")(
        "hosts", po::value<std::string>()->default_value("all"), "all, or a comma-separated list")(
        "set", po::value<std::vector<std::string>>()->composing(),
        "override for every run")("json", po::bool_switch(), "a JSON list")(
        "csv", po::bool_switch(), "CSV")("markdown", po::bool_switch(), "a markdown table")(
        "tap", po::bool_switch(), "TAP version 13, one test point per cell (as KVM selftests)")(
        "jobs", po::value<std::string>()->default_value("2"), "runs in parallel (1..64)")(
        "outdir", po::value<std::string>()->default_value(""),
        "output folder: SCENARIO/HOST/ per cell (config.yaml, result.json, stats.json) and "
        "matrix.txt, matrix.md, matrix.csv, matrix.json, matrix.tap");
    po::positional_options_description pos;
    pos.add("paths", -1);
    const auto vm = parse_args(args, opts, &pos);
    exclusive_switches(vm, {"json", "csv", "markdown", "tap"});
    const std::string outdir = vm["outdir"].as<std::string>();
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
        if (!outdir.empty()) std::filesystem::create_directories(outdir);
        cells = scenarios::run_matrix("/proc/self/exe", files, hosts, jobs, sets, outdir);
    } catch (const std::runtime_error& e) {
        throw cli_error(e.what());
    }
    write_outputs(cells, outdir);
    if (vm["json"].as<bool>())
        std::cout << json_text(scenarios::matrix_json(cells));
    else if (vm["csv"].as<bool>())
        std::cout << scenarios::matrix_csv(cells);
    else if (vm["tap"].as<bool>())
        std::cout << scenarios::matrix_tap(cells);
    else
        std::cout << scenarios::matrix_table(cells, vm["markdown"].as<bool>());
    // A cell whose child failed is that cell's error; the others ran and are printed above.
    bool failed = false;
    for (const auto& c : cells) {
        if (!c.error.empty())
            std::cerr << "mtsim matrix: " << c.scenario << " under " << scenarios::cell_label(c)
                      << ": " << c.error << "\n";
        failed = failed || !c.error.empty() || !c.expect_met;
    }
    return failed ? 1 : 0;
}

} // namespace mtsim::app
