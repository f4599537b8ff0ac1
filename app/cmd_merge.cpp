// mtsim merge DIR... --outdir OUT: the output folders of a study's shards joined into the one
// an unsharded run writes (study/shards.h). Exit 1 when points are missing, 2 on bad input.
#include <algorithm>
#include <iostream>

#include "app/cli.h"
#include "study/plot.h"
#include "study/shards.h"

namespace mtsim::app {

namespace po = boost::program_options;

int cmd_merge(const std::vector<std::string>& args) {
    po::options_description opts("mtsim merge DIR...");
    opts.add_options()("dirs", po::value<std::vector<std::string>>()->composing()->required(),
                       "output folders of shards of one study")(
        "outdir", po::value<std::string>()->required(), "the merged output folder");
    po::positional_options_description pos;
    pos.add("dirs", -1);
    const auto vm = parse_args(args, opts, &pos);
    std::string cl = "mtsim merge";
    for (const auto& a : args) cl += " " + a;
    study::merge_summary r;
    try {
        r = study::merge_outputs(vm["dirs"].as<std::vector<std::string>>(),
                                 vm["outdir"].as<std::string>(), cl);
    } catch (const std::invalid_argument& e) {
        throw cli_error(e.what());
    }
    std::cerr << "merged " << r.rows << " of " << r.points << " points into "
              << vm["outdir"].as<std::string>() << "/results.csv\n";
    // The default plots of the merged folder, as a sweep draws them.
    try {
        const std::string out = vm["outdir"].as<std::string>();
        const auto h = study::read_csv(out + "/results.csv", false).header;
        const auto axes = std::size_t(std::find(h.begin(), h.end(), "seed") - h.begin()) - 3;
        for (const auto& f : study::default_plots(out, axes)) std::cerr << "plot: " << f << "\n";
    } catch (const std::exception& e) {
        std::cerr << "no default plots: " << e.what() << "\n";
    }
    if (r.rows < r.points) {
        std::cerr << "mtsim merge: " << r.points - r.rows << " points are missing (a shard not "
                  << "given or not run)\n";
        return 1;
    }
    return 0;
}

} // namespace mtsim::app
