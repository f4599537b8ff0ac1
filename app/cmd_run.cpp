// mtsim run FILE [--set k=v]... [--host NAME] [--json] [--resolved OUT]: one scenario under one
// host. --resolved writes the resolved configuration as a scenario file that reproduces the run.
// Exit 0 whatever the verdict, 1 when the file's expect: is not met, 2 on bad input.
#include <iostream>
#include <new>
#include <stdexcept>
#include <systemc>

#include "app/cli.h"
#include "scenarios/resolved.h"
#include "scenarios/runner.h"

namespace mtsim::app {

namespace po = boost::program_options;

int cmd_run(const std::vector<std::string>& args) {
    po::options_description opts("mtsim run FILE");
    opts.add_options()("file", po::value<std::string>()->required(), "scenario file")(
        "set", po::value<std::vector<std::string>>()->composing(), "override a parameter: a.b.c=v")(
        "host", po::value<std::string>()->default_value(""),
        "host: a name (scenarios/hosts/NAME.yaml) or a path with a '/' to a host file")(
        "json", po::bool_switch(), "print the result as JSON")(
        "resolved", po::value<std::string>()->default_value(""),
        "write the resolved configuration (a reloadable scenario file) to this path");
    po::positional_options_description pos;
    pos.add("file", 1);
    const auto vm = parse_args(args, opts, &pos);
    const auto sets =
        vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
    scenarios::scenario s;
    try {
        s = scenarios::load_scenario(vm["file"].as<std::string>(), vm["host"].as<std::string>(),
                                     sets);
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
    nlohmann::json r;
    try {
        try {
            r = scenarios::run_scenario(s);
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
    if (vm["json"].as<bool>())
        // Names and labels come from the file as bytes; invalid UTF-8 in them is printed as
        // U+FFFD rather than making dump() throw (RFC 8259 §8.1: JSON text is UTF-8).
        std::cout << r.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    else
        std::cout << scenarios::format_result(r);
    return r["expect_met"].get<bool>() ? 0 : 1;
}

} // namespace mtsim::app
