// mtsim plot CSV|DIR --x COLUMN --y COLUMN [--by COLUMN]... [--where COLUMN=VALUE]...
// [--out FILE.png|svg] [--logx]: a chart of a sweep's CSV through gnuplot (study/plot.h): a
// line per group, or a verdict heat map for --y verdict. Writes FILE and its gnuplot script
// FILE.gp (both whole or not at all). Exit 2 on bad input or without gnuplot.
#include <filesystem>
#include <iostream>

#include "app/cli.h"
#include "study/plot.h"

namespace mtsim::app {

namespace po = boost::program_options;
namespace fs = std::filesystem;

int cmd_plot(const std::vector<std::string>& args) {
    po::options_description opts("mtsim plot CSV|DIR");
    opts.add_options()("csv", po::value<std::string>()->required(),
                       "a sweep's results.csv, or its output folder")(
        "x", po::value<std::string>()->required(), "the column along x (an axis, host, ...)")(
        "y", po::value<std::string>()->required(),
        "a numeric column (cycles, stats.dram_writes, ...), or verdict for a heat map")(
        "by", po::value<std::vector<std::string>>()->composing(),
        "columns naming a line, or the heat map's rows (default: host)")(
        "where", po::value<std::vector<std::string>>()->composing(),
        "plot only rows with COLUMN=VALUE")("out", po::value<std::string>()->default_value(""),
                                            "the image, .png or .svg (default: beside the CSV)")(
        "logx", po::bool_switch(), "logarithmic x (base 2)");
    po::positional_options_description pos;
    pos.add("csv", 1);
    const auto vm = parse_args(args, opts, &pos);
    std::string csv = vm["csv"].as<std::string>();
    if (fs::is_directory(csv)) csv = (fs::path(csv) / "results.csv").string();
    study::plot_request r;
    r.x = vm["x"].as<std::string>();
    r.y = vm["y"].as<std::string>();
    r.by =
        vm.count("by") ? vm["by"].as<std::vector<std::string>>() : std::vector<std::string>{"host"};
    if (vm.count("where")) r.where = vm["where"].as<std::vector<std::string>>();
    r.logx = vm["logx"].as<bool>();
    r.out = vm["out"].as<std::string>();
    if (r.out.empty())
        r.out = (fs::path(csv).parent_path() / "plots" / (r.y + "-by-" + r.x + ".png")).string();
    const std::string ext = fs::path(r.out).extension().string();
    if (ext != ".png" && ext != ".svg")
        throw cli_error("--out: '" + r.out + "' is not .png or .svg");
    r.title = r.y + " by " + r.x;
    try {
        study::render_plot(study::read_csv(csv, false), r);
    } catch (const std::invalid_argument& e) {
        throw cli_error(e.what());
    }
    std::cerr << r.out << "\n";
    return 0;
}

} // namespace mtsim::app
