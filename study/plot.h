// Plots of a sweep's CSV through gnuplot (docs/sweep.md, "Plots"). Contract: `plot_script`
// turns the rows into a gnuplot script with its data inline — a line chart of a numeric
// column against a column, one line per group (`by`), or, for `verdict`, a heat map of x x by
// with one colour per verdict and its name in each cell. It refuses (std::invalid_argument,
// naming the columns) a plot that would hide rows: two rows with the same x in one group that
// differ in another column of the study; rows with verdict `error` are left out. Running
// gnuplot is the caller's.
#pragma once

#include <string>
#include <vector>

#include "study/csv.h"

namespace mtsim::study {

struct plot_request {
    std::string x, y;               // columns
    std::vector<std::string> by;    // columns naming a line (or the heat map's rows)
    std::vector<std::string> where; // COLUMN=VALUE filters
    std::string out;                // .png or .svg
    std::string title;
    bool logx = false;
};

std::string plot_script(const csv_table& t, const plot_request& r);

// Runs gnuplot on plot_script's script: r.out and its script r.out + ".gp" appear whole (drawn
// to a temporary name, renamed). Throws std::invalid_argument for a bad request or when gnuplot
// is not on PATH, std::runtime_error when gnuplot fails.
void render_plot(const csv_table& t, const plot_request& r);

// The default plots of a sweep's output folder (docs/sweep.md): a verdict heat map (host x
// every other point column) and, for each numeric axis, cycles along it; those that would be
// unreadable (too many rows or lines) are left out. Returns the files written; needs gnuplot.
std::vector<std::string> default_plots(const std::string& outdir, std::size_t axes);

} // namespace mtsim::study
