// mtsim run FILE|NAME [--set k=v]... [--host NAME] [--json] [--resolved OUT] [--outdir DIR]
// [--stats F] [--trace F [--trace-filter a,b]]: one scenario under one host. --resolved writes
// the resolved configuration as a scenario file that reproduces the run; --outdir writes it as
// config.yaml with result.json and stats.json (and trace.json when a trace is asked without a
// file). --stats writes every statistic as a tree with units; --trace the timeline
// (model/trace.h). Every file appears whole or not at all (written, then renamed).
// Exit 0 whatever the verdict, 1 when the file's expect: is not met, 2 on bad input.
#include <filesystem>
#include <iostream>
#include <new>
#include <stdexcept>
#include <systemc>

#include "app/cli.h"
#include "model/trace.h"
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
        "(every statistic with its unit)")(
        "stats", po::value<std::string>()->default_value(""),
        "write every statistic (`mtsim list stats`) as a tree with value, unit and description")(
        "trace", po::value<std::string>()->default_value(""),
        "write the timeline as Chrome/Perfetto trace-event JSON (chrome://tracing, "
        "ui.perfetto.dev)")(
        "trace-filter", po::value<std::string>()->default_value(""),
        ("only these event categories, comma-separated: " + trace::category_names()).c_str());
    po::positional_options_description pos;
    pos.add("file", 1);
    const auto vm = parse_args(args, opts, &pos);
    const std::string outdir = vm["outdir"].as<std::string>();
    const std::string stats_file = vm["stats"].as<std::string>();
    std::string trace_file = vm["trace"].as<std::string>();
    const std::string filter = vm["trace-filter"].as<std::string>();
    unsigned trace_mask = 0;
    if (!filter.empty() || !trace_file.empty()) {
        try {
            trace_mask = filter.empty() ? trace::all_categories : trace::parse_filter(filter);
        } catch (const std::invalid_argument& e) {
            throw cli_error(std::string("--trace-filter: ") + e.what());
        }
        if (trace_file.empty() && outdir.empty())
            throw cli_error("--trace-filter needs --trace FILE or --outdir DIR");
        if (trace_file.empty()) trace_file = outdir + "/trace.json";
    }
    // An output file's folder must exist before anything runs (the folder of --outdir is made).
    for (const auto& [flag, f] : {std::pair{"stats", stats_file}, std::pair{"trace", trace_file}}) {
        const auto dir = std::filesystem::path(f).parent_path();
        if (!f.empty() && !dir.empty() && dir != std::filesystem::path(outdir) &&
            !std::filesystem::is_directory(dir))
            throw cli_error(std::string("--") + flag + ": no folder " + dir.string() + " for " + f);
    }
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
    if (!outdir.empty()) std::filesystem::create_directories(outdir);
    const bool want_stats = !outdir.empty() || !stats_file.empty();
    if (trace_mask) trace::enable(trace_mask);
    nlohmann::json r, all_stats;
    try {
        try {
            r = scenarios::run_scenario(s, want_stats ? &all_stats : nullptr);
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
        study::write_file_atomic(outdir + "/result.json", json_text(r));
        study::write_file_atomic(outdir + "/stats.json", json_text(all_stats));
    }
    if (!stats_file.empty()) study::write_file_atomic(stats_file, json_text(all_stats));
    if (trace_mask) {
        nlohmann::json doc = trace::document();
        doc["otherData"]["scenario"] = s.name;
        doc["otherData"]["host"] = s.host_name;
        doc["otherData"]["version"] = r["version"];
        study::write_file_atomic(
            trace_file, doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    }
    if (vm["json"].as<bool>())
        std::cout << json_text(r);
    else
        std::cout << scenarios::format_result(r);
    return r["expect_met"].get<bool>() ? 0 : 1;
}

} // namespace mtsim::app
