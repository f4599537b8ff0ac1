// mtsim sweep STUDY.yaml [--jobs N] [--shard I/N] [--outdir DIR] [--emit-slurm N]: every point
// of a what-if study, one simulation per child process, into an output folder (docs/sweep.md).
// Exit 0 when every point ran (whatever its verdict), 1 when a point failed (its row says
// why), 2 on bad input (the study or any point's configuration; nothing runs then).
#include <filesystem>
#include <iostream>

#include <unistd.h>

#include "app/cli.h"
#include "model/config.h"
#include "study/plot.h"
#include "study/shards.h"
#include "study/study.h"
#include "study/sweep.h"

namespace mtsim::app {

namespace po = boost::program_options;

int cmd_sweep(const std::vector<std::string>& args) {
    po::options_description opts("mtsim sweep STUDY.yaml");
    opts.add_options()("study", po::value<std::string>()->required(), "the study file")(
        "jobs", po::value<std::string>()->default_value("2"), "simulations in parallel (1..64)")(
        "shard", po::value<std::string>()->default_value("0/1"),
        "run only shard I of N (0 <= I < N): the points whose index % N == I")(
        "outdir", po::value<std::string>()->default_value(""),
        "output folder (default: sweep-NAME, NAME the study's name)")(
        "emit-slurm", po::value<std::string>()->default_value(""),
        "print an sbatch script running the study as a job array of this many shards; runs "
        "nothing");
    po::positional_options_description pos;
    pos.add("study", 1);
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

    const std::string file = vm["study"].as<std::string>();
    const study::study s = study::load_study(file, MTSIM_CATALOGUE_DIR);
    const auto pts = study::points(s);
    std::string outdir = vm["outdir"].as<std::string>();
    if (outdir.empty()) outdir = "sweep-" + s.name;
    const std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();

    if (const std::string n = vm["emit-slurm"].as<std::string>(); !n.empty()) {
        const auto array = static_cast<unsigned>(parse_count("emit-slurm", n, 1, 100000));
        study::validate_points(s, pts);
        std::cout << study::slurm_script(exe, file, s.name, array, jobs, outdir);
        return 0;
    }
    // Every point's configuration is checked before the first runs.
    const unsigned vcpus = study::validate_points(s, pts);
    study::sweep_options o;
    o.exe = exe;
    o.outdir = outdir;
    o.command_line = "mtsim sweep";
    for (const auto& a : args) o.command_line += " " + a;
    o.jobs = jobs;
    o.shard = shard;
    o.shards = shards;
    o.tty = isatty(STDERR_FILENO) != 0;
    study::sweep_summary r;
    try {
        r = study::run_sweep(s, pts, vcpus, o);
    } catch (const std::invalid_argument& e) {
        throw cli_error(e.what());
    }
    std::cerr << s.name << ": " << r.points << " points";
    if (shards > 1) std::cerr << " (shard " << shard << "/" << shards << ": " << r.in_shard << ")";
    std::cerr << ", " << r.resumed << " already done, " << r.ran << " ran, " << r.failed
              << " failed, " << r.wall_seconds << " s; " << outdir << "/results.csv\n";
    // The default plots; a plot that cannot be drawn never fails the sweep.
    try {
        for (const auto& f : study::default_plots(outdir, s.axis_columns().size()))
            std::cerr << "plot: " << f << "\n";
    } catch (const std::exception& e) {
        std::cerr << "no default plots: " << e.what() << "\n";
    }
    return r.failed ? 1 : 0;
}

} // namespace mtsim::app
