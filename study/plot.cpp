#include "study/plot.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sys/wait.h>

#include "model/child_process.h"
#include "model/params.h"
#include "study/sweep.h"

namespace mtsim::study {

namespace {

std::size_t column(const csv_table& t, const std::string& name, const char* flag) {
    const auto it = std::find(t.header.begin(), t.header.end(), name);
    if (it == t.header.end()) {
        std::string valid;
        for (const auto& h : t.header) valid += (valid.empty() ? "" : ", ") + h;
        throw std::invalid_argument(
            fmt::format("--{}: no column '{}'; columns: {}", flag, name, valid));
    }
    return std::size_t(it - t.header.begin());
}

// A cell as a number: a size (4KiB), a whole number or a real.
std::optional<double> number(const std::string& s) {
    if (const auto v = parse_size(s)) return double(*v);
    if (const auto v = parse_real(s)) return *v;
    return std::nullopt;
}

// gnuplot single-quoted string: a quote doubled.
std::string q(const std::string& s) {
    std::string out = "'";
    for (const char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

// The colour of each verdict (ColorBrewer Set1, which reads in grey too): the heat map's
// palette index, in the order of severity the README lists.
const std::vector<std::pair<std::string, std::string>>& verdict_colours() {
    static const std::vector<std::pair<std::string, std::string>> c{
        {"clean", "#4daf4a"},          {"race", "#ffff33"},          {"refused", "#bdbdbd"},
        {"stale-read", "#ff7f00"},     {"torn", "#e41a1c"},          {"lost-write", "#984ea3"},
        {"hang", "#a65628"},           {"machine-check", "#f781bf"}, {"malfunction", "#377eb8"},
        {"corrupt-unknown", "#000000"}};
    return c;
}

std::string header(const plot_request& r, unsigned w, unsigned h) {
    const bool svg = r.out.size() > 4 && r.out.substr(r.out.size() - 4) == ".svg";
    std::string s = fmt::format("set terminal {} size {},{} noenhanced font 'sans,10'\n",
                                svg ? "svg" : "pngcairo", w, h);
    s += "set output " + q(r.out) + "\n";
    if (!r.title.empty()) s += "set title " + q(r.title) + "\n";
    return s;
}

} // namespace

std::string plot_script(const csv_table& t, const plot_request& r) {
    const std::size_t xc = column(t, r.x, "x");
    const std::size_t yc = column(t, r.y, "y");
    std::vector<std::size_t> bc;
    for (const auto& b : r.by) bc.push_back(column(t, b, "by"));
    std::vector<std::pair<std::size_t, std::string>> filters;
    for (const auto& w : r.where) {
        const auto eq = w.find('=');
        if (eq == std::string::npos)
            throw std::invalid_argument("--where: '" + w + "' is not COLUMN=VALUE");
        filters.emplace_back(column(t, w.substr(0, eq), "where"), w.substr(eq + 1));
    }
    const std::size_t vc = column(t, "verdict", "y");
    const std::size_t seed_c = column(t, "seed", "x");

    // The rows plotted, by group and x; a second row at the same place must not differ in a
    // column that defines a point (scenario .. seed), or the plot would hide it.
    struct cell {
        std::string y;
        std::size_t row;
    };
    std::map<std::string, std::map<std::string, cell>> groups;
    std::vector<std::string> group_order, xs;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        const auto& row = t.rows[i];
        if (row[vc] == "error" || row[xc].empty()) continue;
        if (std::any_of(filters.begin(), filters.end(),
                        [&](const auto& f) { return row[f.first] != f.second; }))
            continue;
        std::string g;
        for (std::size_t k = 0; k < bc.size(); ++k) g += (k ? " " : "") + row[bc[k]];
        if (!groups.count(g)) group_order.push_back(g);
        if (std::find(xs.begin(), xs.end(), row[xc]) == xs.end()) xs.push_back(row[xc]);
        auto& at = groups[g];
        const auto [it, fresh] = at.emplace(row[xc], cell{row[yc], i});
        if (fresh) continue;
        const auto& other = t.rows[it->second.row];
        for (std::size_t c = 1; c <= seed_c; ++c)
            if (c != xc && other[c] != row[c])
                throw std::invalid_argument(fmt::format(
                    "points {} and {} are at the same place ({} = {}{}) but differ in '{}' "
                    "({} / {}): add it to --by or choose one with --where {}=VALUE",
                    other[0], row[0], r.x, row[xc], g.empty() ? "" : ", group " + g, t.header[c],
                    other[c], row[c], t.header[c]));
    }
    if (groups.empty()) throw std::invalid_argument("no rows to plot (all filtered or error)");

    // x: numeric when every value is a number (sizes keep their text as tic labels).
    const bool numeric_x = std::all_of(xs.begin(), xs.end(),
                                       [](const std::string& s) { return number(s).has_value(); });
    if (numeric_x)
        std::sort(xs.begin(), xs.end(), [](const std::string& a, const std::string& b) {
            return *number(a) < *number(b);
        });
    auto xpos = [&](const std::string& x) {
        return numeric_x ? *number(x) : double(std::find(xs.begin(), xs.end(), x) - xs.begin());
    };
    std::string tics;
    if (!numeric_x || xs.size() <= 24) {
        for (const auto& x : xs)
            tics += fmt::format("{}{} {}", tics.empty() ? "" : ", ", q(x), xpos(x));
        tics = "set xtics (" + tics + ")" + (numeric_x ? "" : " rotate by -25") + "\n";
    }

    if (r.y == "verdict") {
        const auto& colours = verdict_colours();
        std::string s = header(r, unsigned(std::max<std::size_t>(640, 320 + 120 * xs.size())),
                               unsigned(std::max<std::size_t>(320, 140 + 34 * group_order.size())));
        std::string palette, ytics, data;
        for (std::size_t i = 0; i < colours.size(); ++i)
            palette += fmt::format("{}{} {}", i ? ", " : "", i, q(colours[i].second));
        for (std::size_t g = 0; g < group_order.size(); ++g) {
            ytics += fmt::format("{}{} {}", g ? ", " : "", q(group_order[g]), g);
            for (const auto& [x, c] : groups[group_order[g]]) {
                const auto it = std::find_if(colours.begin(), colours.end(),
                                             [&](const auto& v) { return v.first == c.y; });
                if (it == colours.end())
                    throw std::invalid_argument("unknown verdict '" + c.y + "'");
                data += fmt::format("{} {} {} \"{}\"\n",
                                    std::find(xs.begin(), xs.end(), x) - xs.begin(), g,
                                    it - colours.begin(), c.y);
            }
        }
        tics.clear();
        for (std::size_t i = 0; i < xs.size(); ++i)
            tics += fmt::format("{}{} {}", i ? ", " : "", q(xs[i]), i);
        s += "set xtics (" + tics + ") rotate by -25\nset ytics (" + ytics + ")\n";
        s += fmt::format("set xrange [-0.5:{}.5]\nset yrange [-0.5:{}.5]\n", xs.size() - 1,
                         group_order.size() - 1);
        s += fmt::format("set cbrange [-0.5:{}.5]\nset palette defined ({}) maxcolors {}\n",
                         colours.size() - 1, palette, colours.size());
        s += "unset colorbox\nset xlabel " + q(r.x) + "\n";
        if (!r.by.empty()) s += "set ylabel " + q(fmt::format("{}", fmt::join(r.by, " "))) + "\n";
        s += "$cells << EOD\n" + data + "EOD\n";
        s += "plot $cells using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 0.9 border lc "
             "'white' lc palette notitle, \\\n     $cells using 1:2:4 with labels notitle\n";
        return s;
    }

    std::string s = header(r, 960, 600);
    s += "set xlabel " + q(r.x) + "\nset ylabel " + q(r.y) + "\nset grid\n";
    s += "set key outside right top\n" + tics;
    if (r.logx) s += "set logscale x 2\n";
    std::string plot;
    for (std::size_t g = 0; g < group_order.size(); ++g) {
        std::vector<std::pair<double, double>> pts;
        for (const auto& [x, c] : groups[group_order[g]]) {
            const auto y = number(c.y);
            if (!y)
                throw std::invalid_argument(fmt::format("--y {}: '{}' is not a number (point {})",
                                                        r.y, c.y, t.rows[c.row][0]));
            pts.emplace_back(xpos(x), *y);
        }
        std::sort(pts.begin(), pts.end());
        s += fmt::format("$g{} << EOD\n", g);
        for (const auto& [x, y] : pts) s += fmt::format("{} {}\n", x, y);
        s += "EOD\n";
        plot += fmt::format("{}$g{} using 1:2 with linespoints lw 2 pt 7 title {}",
                            g ? ", \\\n     " : "plot ", g,
                            q(group_order[g].empty() ? r.y : group_order[g]));
    }
    return s + plot + "\n";
}

namespace {

std::string find_gnuplot() {
    const char* path = std::getenv("PATH");
    std::stringstream ss(path ? path : "/usr/bin:/bin");
    for (std::string d; std::getline(ss, d, ':');)
        if (!d.empty() && std::filesystem::exists(std::filesystem::path(d) / "gnuplot"))
            return (std::filesystem::path(d) / "gnuplot").string();
    throw std::invalid_argument("gnuplot not found on PATH (Debian: apt-get install gnuplot-nox)");
}

} // namespace

void render_plot(const csv_table& t, const plot_request& r) {
    namespace fs = std::filesystem;
    const std::string ext = fs::path(r.out).extension().string();
    if (ext != ".png" && ext != ".svg")
        throw std::invalid_argument("--out: '" + r.out + "' is not .png or .svg");
    const std::string script = plot_script(t, r);
    const std::string gnuplot = find_gnuplot();
    if (fs::path(r.out).has_parent_path()) fs::create_directories(fs::path(r.out).parent_path());
    const std::string tmp_out = r.out + ".tmp" + ext;
    std::string run_script = script;
    const auto at = run_script.find("set output ");
    run_script.replace(at, run_script.find('\n', at) - at, "set output " + q(tmp_out));
    write_file_atomic(r.out + ".run.gp", run_script);
    std::string err;
    int status = 0;
    run_children({{gnuplot, r.out + ".run.gp"}}, 1, [&](std::size_t, child_output& o) {
        err = o.err;
        status = o.status;
    });
    fs::remove(r.out + ".run.gp");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !fs::exists(tmp_out)) {
        fs::remove(tmp_out);
        throw std::runtime_error("gnuplot failed: " + err);
    }
    fs::rename(tmp_out, r.out);
    write_file_atomic(r.out + ".gp", script);
}

std::vector<std::string> default_plots(const std::string& outdir, std::size_t axes) {
    const csv_table t = read_csv(outdir + "/results.csv", false);
    std::vector<std::string> out;
    if (t.rows.empty()) return out;
    // The columns that define a point: scenario, host, the axes, seed.
    std::vector<std::string> point_cols(t.header.begin() + 1, t.header.begin() + 4 + long(axes));
    auto distinct = [&](const std::string& col) {
        const auto c =
            std::size_t(std::find(t.header.begin(), t.header.end(), col) - t.header.begin());
        std::vector<std::string> v;
        for (const auto& row : t.rows)
            if (std::find(v.begin(), v.end(), row[c]) == v.end()) v.push_back(row[c]);
        return v;
    };
    // Only the columns that vary name the heat map's rows.
    std::vector<std::string> by;
    for (const auto& c : point_cols)
        if (c != "host" && distinct(c).size() > 1) by.push_back(c);
    if (by.empty()) by.push_back("scenario");
    plot_request heat;
    heat.x = "host";
    heat.y = "verdict";
    heat.by = by;
    heat.title = "verdict by host";
    heat.out = outdir + "/plots/verdicts.png";
    if (t.rows.size() / std::max<std::size_t>(1, distinct("host").size()) <= 200) {
        render_plot(t, heat);
        out.push_back(heat.out);
    }
    for (std::size_t a = 0; a < axes; ++a) {
        const std::string x = t.header[3 + a];
        auto xs = distinct(x);
        xs.erase(std::remove(xs.begin(), xs.end(), std::string()), xs.end());
        if (xs.size() < 2 ||
            !std::all_of(xs.begin(), xs.end(), [](const auto& v) { return number(v).has_value(); }))
            continue;
        plot_request r;
        r.x = x;
        r.y = "cycles";
        r.title = "cycles by " + x;
        for (const auto& c : point_cols)
            if (c != x && distinct(c).size() > 1) r.by.push_back(c);
        // Lines: the distinct groups among the rows where this axis applies.
        const auto xc = std::size_t(3 + a);
        std::vector<std::string> groups;
        for (const auto& row : t.rows) {
            if (row[xc].empty()) continue;
            std::string g;
            for (const auto& c : r.by)
                g += row[std::size_t(std::find(t.header.begin(), t.header.end(), c) -
                                     t.header.begin())] +
                     '\x1f';
            if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
        }
        if (groups.size() > 12) continue;
        r.out = outdir + "/plots/cycles-by-" + x + ".png";
        try {
            render_plot(t, r);
            out.push_back(r.out);
        } catch (const std::invalid_argument&) {
            // a chart that would hide rows (plot_script refuses it): left out
        }
    }
    return out;
}

} // namespace mtsim::study
