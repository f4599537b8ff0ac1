// mtsim search SPACE.yaml [--jobs N] [--shard I/N] [--outdir DIR] [--no-prune]: every program
// of a small space under every configuration, through the sweep machinery; the minimal
// corrupting programs per configuration, the safe ones, the policy x configuration table
// (docs/search.md). Exit 0 when every run ran, 1 when a run failed or the oracle found a
// generated program racy (a generator bug), 2 on bad input (nothing runs then).
#include <filesystem>
#include <iostream>

#include <unistd.h>

#include "app/cli.h"
#include "search/search.h"
#include "search/space.h"

namespace mtsim::app {

namespace po = boost::program_options;

int cmd_search(const std::vector<std::string>& args) {
    po::options_description opts("mtsim search SPACE.yaml");
    opts.add_options()("space", po::value<std::string>()->required(), "the space file")(
        "jobs", po::value<std::string>()->default_value("2"), "simulations in parallel (1..64)")(
        "shard", po::value<std::string>()->default_value("0/1"),
        "search only shard I of N (0 <= I < N): the configurations whose index % N == I")(
        "outdir", po::value<std::string>()->default_value(""),
        "output folder (default: search-NAME, NAME the space's name); a re-run resumes")(
        "no-prune", po::bool_switch(),
        "brute force: every program of every length, no renaming, commuting or fence rule");
    po::positional_options_description pos;
    pos.add("space", 1);
    const auto vm = parse_args(args, opts, &pos);
    const auto jobs =
        static_cast<unsigned>(parse_count("jobs", vm["jobs"].as<std::string>(), 1, 64));
    const std::string shard_text = vm["shard"].as<std::string>();
    const auto slash = shard_text.find('/');
    if (slash == std::string::npos)
        throw cli_error("--shard: '" + shard_text + "' is not I/N (e.g. 0/4)");
    const auto shards =
        static_cast<unsigned>(parse_count("shard", shard_text.substr(slash + 1), 1, 100000));
    const auto shard =
        static_cast<unsigned>(parse_count("shard", shard_text.substr(0, slash), 0, shards - 1));

    const search::space s = search::load_space(vm["space"].as<std::string>());
    search::search_options o;
    o.outdir = vm["outdir"].as<std::string>();
    if (o.outdir.empty()) o.outdir = "search-" + s.name;
    o.exe = std::filesystem::read_symlink("/proc/self/exe").string();
    o.command_line = "mtsim search";
    for (const auto& a : args) o.command_line += " " + a;
    o.jobs = jobs;
    o.shard = shard;
    o.shards = shards;
    o.prune = !vm["no-prune"].as<bool>();
    o.tty = isatty(STDERR_FILENO) != 0;
    // Each run a fork of this process (nothing here elaborates): no program start per run.
    o.in_process = run_in_process;
    search::search_summary r;
    try {
        r = search::run_search(s, o);
    } catch (const std::invalid_argument& e) {
        throw cli_error(e.what());
    }
    std::cout << search::write_report(s, o, r);
    std::cerr << "report: " << o.outdir << "/report.txt\n";
    return r.races.empty() && r.errors.empty() ? 0 : 1;
}

} // namespace mtsim::app
