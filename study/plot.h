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

} // namespace mtsim::study
