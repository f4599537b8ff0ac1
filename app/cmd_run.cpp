// mtsim run FILE|NAME [--set k=v]... [--host NAME] [--json] [--resolved OUT] [--outdir DIR]: one
// scenario under one host. --resolved writes the resolved configuration as a scenario file that
// reproduces the run; --outdir writes it as config.yaml with result.json and stats.json.
// Exit 0 whatever the verdict, 1 when the file's expect: is not met, 2 on bad input.
#include <filesystem>
#include <iostream>
#include <new>
#include <stdexcept>
#include <systemc>

#include "app/cli.h"
#include "scenarios/matrix.h"
#include "scenarios/resolved.h"
#include "scenarios/runner.h"
#include "study/sweep.h"

namespace mtsim::app {

namespace po = boost::program_options;

int cmd_run(const std::vector<std::string>& args) {
    po::options_description opts("mtsim run FILE");
    opts.add_options()("file", po::value<std::string>()->required(),
                       "scenario file, or a catalogue scenario's name")(
        "set", po::value<std::vector<std::string>>()->composing(), "override a parameter: a.b.c=v")(
        "host", po::value<std::string>()->default_value(""),
        "host: a name (scenarios/hosts/NAME.yaml) or a path with a '/' to a host file")(
        "json", po::bool_switch(), "print the result as JSON")(
        "resolved", po::value<std::string>()->default_value(""),
        "write the resolved configuration (a reloadable scenario file) to this path")(
        "outdir", po::value<std::string>()->default_value(""),
        "output folder: config.yaml (the resolved configuration), result.json, stats.json "
        "(every statistic with its unit)");
    po::positional_options_description pos;
    pos.add("file", 1);
    const auto vm = parse_args(args, opts, &pos);
    const auto sets =
        vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
    std::string file = vm["file"].as<std::string>();
    if (const auto f = scenarios::find_scenario(file, MTSIM_CATALOGUE_DIR); !f.empty()) file = f;
    scenarios::scenario s;
    try {
        s = scenarios::load_scenario(file, vm["host"].as<std::string>(), sets);
    } catch (const config_error& e) {
        throw cli_error(e.what());
    }
    if (const std::string out = vm["resolved"].as<std::string>(); !out.empty()) {
        try {
            scenarios::write_resolved(s, out);
        } catch (const std::exception& e) {
            throw cli_error(std::string("--resolved: ") + e.what());
        }
    }
    const std::string outdir = vm["outdir"].as<std::string>();
    if (!outdir.empty()) std::filesystem::create_directories(outdir);
    nlohmann::json r, all_stats;
    try {
        try {
            r = scenarios::run_scenario(s, outdir.empty() ? nullptr : &all_stats);
        } catch (const sc_core::sc_report& rep) {
            rethrow_thread_exception(rep); // the model's own exception, not SystemC's E549 text
        }
    } catch (const config_error& e) {
        throw cli_error(e.what());
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::logic_error&) {
        throw; // a bug of mtsim (exit 3), or invalid_argument (exit 2): the boundary decides
    } catch (const std::exception& e) {
        throw cli_error(std::string("the model refused the scenario: ") + e.what());
    }
    if (!outdir.empty()) {
        // Each file whole or not at all (written to a temporary name, renamed).
        scenarios::write_resolved(s, outdir + "/config.yaml");
        study::write_file_atomic(outdir + "/result.json", r.dump(1) + "\n");
        study::write_file_atomic(outdir + "/stats.json", all_stats.dump(1) + "\n");
    }
    if (vm["json"].as<bool>())
        // Names and labels come from the file as bytes; invalid UTF-8 in them is printed as
        // U+FFFD rather than making dump() throw (RFC 8259 §8.1: JSON text is UTF-8).
        std::cout << r.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    else
        std::cout << scenarios::format_result(r);
    return r["expect_met"].get<bool>() ? 0 : 1;
}

} // namespace mtsim::app
