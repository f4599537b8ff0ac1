// mtsim minimize SCENARIO [--host H] [--set k=v]... [--outdir DIR] [--verbose]: delta
// debugging of a corrupting scenario to a 1-minimal one with the same verdict, written as
// OUTDIR/reduced.yaml (docs/search.md). Exit 0 when reduced, 1 when the scenario's verdict
// has nothing to keep (clean, race, refused), 2 on bad input.
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "app/cli.h"
#include "scenarios/matrix.h"
#include "scenarios/scenario.h"
#include "search/minimize.h"

namespace mtsim::app {

namespace po = boost::program_options;

int cmd_minimize(const std::vector<std::string>& args) {
    po::options_description opts("mtsim minimize SCENARIO");
    opts.add_options()("scenario", po::value<std::string>()->required(),
                       "a scenario file or catalogue name")(
        "host", po::value<std::string>()->default_value(""), "the host (name or file)")(
        "set", po::value<std::vector<std::string>>()->default_value({}, ""),
        "a.b.c=value, as for run (repeatable)")("outdir",
                                                po::value<std::string>()->default_value(""),
                                                "output folder (default: minimize-NAME)")(
        "verbose", po::bool_switch(), "a line per candidate on stderr");
    po::positional_options_description pos;
    pos.add("scenario", 1);
    const auto vm = parse_args(args, opts, &pos);
    search::minimize_options o;
    o.file = scenarios::find_scenario(vm["scenario"].as<std::string>(), MTSIM_CATALOGUE_DIR);
    if (o.file.empty())
        throw cli_error("no scenario file or catalogue name '" + vm["scenario"].as<std::string>() +
                        "'");
    o.host = vm["host"].as<std::string>();
    o.sets = vm["set"].as<std::vector<std::string>>();
    o.outdir = vm["outdir"].as<std::string>();
    if (o.outdir.empty()) o.outdir = "minimize-" + scenarios::scenario_name(o.file);
    o.verbose = vm["verbose"].as<bool>();
    o.exe = std::filesystem::read_symlink("/proc/self/exe").string();
    search::minimize_result r;
    try {
        r = search::minimize(o);
    } catch (const std::invalid_argument& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
    std::cout << fmt::format("verdict kept: {}\n", r.verdict)
              << fmt::format("agents {} -> {}, ops {} -> {}, buffers {} -> {}, bytes the ops "
                             "touch {} -> {}, configuration differences {} -> {}\n",
                             r.agents_before, r.agents_after, r.ops_before, r.ops_after,
                             r.buffers_before, r.buffers_after, r.bytes_before, r.bytes_after,
                             r.diffs_before, r.diffs_after);
    for (const auto& d : r.kept_diffs) std::cout << "  kept: " << d << "\n";
    std::cout << fmt::format("{} candidates, {} run; reduced: {}\n", r.tests, r.runs, r.reduced);
    return 0;
}

} // namespace mtsim::app
