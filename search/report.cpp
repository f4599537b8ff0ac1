// The report of a search: text, CSV tables and the heat map (docs/search.md, "Output").
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include "model/child_process.h"
#include "search/search.h"
#include "study/csv.h"
#include "study/sweep.h"

namespace mtsim::search {

namespace fs = std::filesystem;

namespace {

std::string config_name(const space& s, const config_result& c) {
    std::string out;
    for (std::size_t a = 0; a < c.axis_values.size(); ++a) {
        std::string path = s.base.axes[a].params.front().path;
        // guest.buffers[b0].pat -> b0.pat; platform.cache.self_snoop -> self_snoop
        if (path.rfind("guest.buffers[", 0) == 0)
            path = path.substr(14, path.find(']') - 14) + ".pat";
        else if (path.find('.') != std::string::npos)
            path = path.substr(path.rfind('.') + 1);
        out += (out.empty() ? "" : " ") + path + "=" + c.axis_values[a];
    }
    return out.empty() ? "-" : out;
}

// The first cause's one-line finding of a finding's --json run.
std::string first_cause(const std::string& json_file) {
    std::ifstream in(json_file);
    if (!in) return "";
    try {
        const auto j = nlohmann::json::parse(in);
        if (j.contains("causes") && !j["causes"].empty())
            return j["causes"][0].value("finding", "");
    } catch (const nlohmann::json::exception&) {
    }
    return "";
}

std::string find_gnuplot() {
    const char* path = std::getenv("PATH");
    std::stringstream ss(path ? path : "/usr/bin:/bin");
    for (std::string d; std::getline(ss, d, ':');)
        if (!d.empty() && fs::exists(fs::path(d) / "gnuplot"))
            return (fs::path(d) / "gnuplot").string();
    return "";
}

std::string q(const std::string& s) {
    std::string o = "'";
    for (char c : s) o += c == '\'' ? std::string("''") : std::string(1, c);
    return o + "'";
}

} // namespace

std::string write_report(const space& s, const search_options& o, const search_summary& r) {
    std::string t;
    const unsigned long long a = s.alphabet.size();
    t += fmt::format("search {}: k = {}, {} letters in the alphabet, {} configuration(s){}\n",
                     s.name, s.k, a, r.configs.size(),
                     o.shards > 1 ? fmt::format(" (shard {}/{})", o.shard, o.shards) : "");
    t += fmt::format("pruning: {}\n", o.prune ? "on" : "off (brute force)");
    unsigned long long brute = 0, ran = 0;
    std::size_t ran_now = 0;
    for (const auto& l : r.levels) {
        brute += l.count.all * r.configs.size();
        ran += l.points;
        ran_now += l.ran;
        t += fmt::format("  length {}: {} programs, {} canonical, {} kept{}; {} runs, {:.1f} s\n",
                         l.n, l.count.all, l.count.canonical, l.count.kept,
                         o.prune ? " (write, end in a read, no fence after a fence)" : "", l.points,
                         l.seconds);
    }
    t += fmt::format("space: {} program x configuration pairs before pruning, {} run; {} runs "
                     "in this invocation, {:.1f} s, {:.1f} runs/s\n",
                     brute, ran, ran_now, r.seconds,
                     r.seconds > 0 ? double(ran_now) / r.seconds : 0);

    // Per configuration.
    std::string table_csv =
        study::csv_line({"host", "configuration", "min_length", "verdict", "program", "file"});
    std::string minimal_csv =
        study::csv_line({"host", "configuration", "length", "distinct_ops", "verdict", "program"});
    t += "\nper configuration:\n";
    for (const auto& c : r.configs) {
        const std::string cfg = config_name(s, c);
        if (c.min_len == 0) {
            t += fmt::format("  {:<22} {:<28} safe up to k={} ({} programs)\n", c.host, cfg, s.k,
                             c.runs);
            table_csv += study::csv_line({c.host, cfg, "", fmt::format("safe<={}", s.k), "", ""});
            continue;
        }
        const auto& best = c.minimal.front();
        t += fmt::format("  {:<22} {:<28} minimal length {} ({} program(s)): {} -> {}  [{}]\n",
                         c.host, cfg, c.min_len, c.minimal.size(), describe(s, best.prog),
                         best.verdict, best.file);
        const std::string why = first_cause((fs::path(o.outdir) / best.file).string() + ".json");
        if (!why.empty()) t += "      " + why.substr(0, 300) + "\n";
        table_csv += study::csv_line({c.host, cfg, std::to_string(c.min_len), best.verdict,
                                      describe(s, best.prog), best.file});
        for (const auto& f : c.minimal)
            minimal_csv += study::csv_line({c.host, cfg, std::to_string(c.min_len),
                                            std::to_string(distinct_ops(s, f.prog)), f.verdict,
                                            describe(s, f.prog)});
    }

    // The policy x configuration table.
    std::vector<std::string> hosts, cfgs;
    std::map<std::pair<std::string, std::string>, std::string> cell;
    std::map<std::pair<std::string, std::string>, unsigned> value;
    for (const auto& c : r.configs) {
        const std::string cfg = config_name(s, c);
        if (std::find(hosts.begin(), hosts.end(), c.host) == hosts.end()) hosts.push_back(c.host);
        if (std::find(cfgs.begin(), cfgs.end(), cfg) == cfgs.end()) cfgs.push_back(cfg);
        cell[{c.host, cfg}] = c.min_len ? std::to_string(c.min_len) : fmt::format("safe<={}", s.k);
        value[{c.host, cfg}] = c.min_len ? c.min_len : s.k + 1;
    }
    t += "\npolicy x configuration: minimal corrupting length (or safe<=k)\n";
    std::size_t w = 10;
    for (const auto& c : cfgs) w = std::max(w, c.size() + 2);
    t += fmt::format("  {:<22}", "host");
    for (const auto& c : cfgs) t += fmt::format("{:<{}}", c, w);
    t += "\n";
    for (const auto& h : hosts) {
        t += fmt::format("  {:<22}", h);
        for (const auto& c : cfgs) t += fmt::format("{:<{}}", cell[{h, c}], w);
        t += "\n";
    }
    if (!r.races.empty()) {
        t += fmt::format("\nGENERATOR BUG: {} program(s) the oracle found racy (every generated "
                         "program should be race-free):\n",
                         r.races.size());
        for (std::size_t i = 0; i < r.races.size() && i < 20; ++i) t += "  " + r.races[i] + "\n";
    }
    if (!r.errors.empty()) {
        t += fmt::format("\n{} run(s) failed:\n", r.errors.size());
        for (std::size_t i = 0; i < r.errors.size() && i < 20; ++i) t += "  " + r.errors[i] + "\n";
    }

    study::write_file_atomic((fs::path(o.outdir) / "table.csv").string(), table_csv);
    study::write_file_atomic((fs::path(o.outdir) / "minimal.csv").string(), minimal_csv);

    // The heat map: hosts x configurations, colour = minimal length, k+1 = safe.
    std::string gp = "set terminal pngcairo size " +
                     fmt::format("{},{}", 300 + 110 * cfgs.size(), 160 + 28 * hosts.size()) +
                     " font ',9'\nset output " + q((fs::path(o.outdir) / "table.png").string()) +
                     "\n";
    gp += "set title " +
          q(fmt::format("{}: minimal corrupting program length (k = {})", s.name, s.k)) + "\n";
    gp += fmt::format("set cbrange [0.5:{}.5]\nset palette defined (1 '#d7301f', {} '#fdcc8a', {} "
                      "'#1a9850')\nunset colorbox\n",
                      s.k + 1, std::max(2u, s.k), s.k + 1);
    gp +=
        "set xtics rotate by -30 left\nset yrange [-0.5:" + fmt::format("{}.5]", hosts.size() - 1) +
        "\nset xrange [-0.5:" + fmt::format("{}.5]\n", cfgs.size() - 1);
    std::string xt, yt;
    for (std::size_t i = 0; i < cfgs.size(); ++i)
        xt += fmt::format("{}{} {}", i ? ", " : "", q(cfgs[i]), i);
    for (std::size_t i = 0; i < hosts.size(); ++i)
        yt += fmt::format("{}{} {}", i ? ", " : "", q(hosts[i]), i);
    gp += "set xtics (" + xt + ")\nset ytics (" + yt + ")\n$d << EOD\n";
    for (std::size_t y = 0; y < hosts.size(); ++y)
        for (std::size_t x = 0; x < cfgs.size(); ++x)
            gp += fmt::format("{} {} {} \"{}\"\n", x, y, value[{hosts[y], cfgs[x]}],
                              cell[{hosts[y], cfgs[x]}]);
    gp += "EOD\nplot $d using 1:2:3 with image notitle, $d using 1:2:4 with labels notitle\n";
    const std::string script = (fs::path(o.outdir) / "table.png.gp").string();
    study::write_file_atomic(script, gp);
    if (const std::string g = find_gnuplot(); !g.empty() && !hosts.empty()) {
        int status = 0;
        run_children({{g, script}}, 1,
                     [&](std::size_t, child_output& out) { status = out.status; });
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            t += "\nheat map: table.png\n";
        else
            t += "\nheat map: gnuplot failed on table.png.gp\n";
    } else
        t += "\nheat map: gnuplot not found (table.png.gp is its script)\n";
    study::write_file_atomic((fs::path(o.outdir) / "report.txt").string(), t);
    return t;
}

} // namespace mtsim::search
