#include "search/search.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include <fmt/format.h>

#include "model/child_process.h"
#include "study/csv.h"
#include "study/sweep.h"

namespace mtsim::search {

namespace fs = std::filesystem;

namespace {

std::vector<config_result> all_configs(const space& s) {
    std::vector<config_result> out;
    std::vector<std::size_t> at(s.base.axes.size(), 0);
    for (std::size_t h = 0; h < s.base.hosts.size(); ++h) {
        std::fill(at.begin(), at.end(), 0);
        while (true) {
            config_result c;
            c.index = out.size();
            c.host = s.base.hosts[h];
            c.host_arg = s.base.host_args[h];
            for (std::size_t a = 0; a < at.size(); ++a) {
                const auto& p = s.base.axes[a].params.front();
                c.axis_values.push_back(p.values[at[a]]);
                c.sets.push_back(p.path + "=" + p.values[at[a]]);
            }
            c.sets.push_back("run.seed=0");
            out.push_back(c);
            std::size_t a = at.size();
            while (a > 0 && ++at[a - 1] == s.base.axes[a - 1].size()) at[--a] = 0;
            if (a == 0) break;
        }
    }
    return out;
}

// "vcpu0.store.b0_gpu.read.b0": the program's letters.
std::string file_name(const space& s, const program& p) {
    std::string out;
    for (int i : p) {
        const letter& l = s.alphabet[std::size_t(i)];
        out += (out.empty() ? "" : "_") + l.agent + "." + l.op;
        if (l.buffer >= 0) out += "." + s.buffers[std::size_t(l.buffer)].name;
    }
    return out;
}

bool corrupting(const std::string& v) {
    return v != "clean" && v != "race" && v != "refused" && v != "error";
}

std::string label(const config_result& c) {
    std::string l = c.host;
    for (const auto& v : c.axis_values) l += "_" + v;
    for (auto& ch : l)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' && ch != '_')
            ch = '-';
    return l;
}

} // namespace

search_summary run_search(const space& s, const search_options& o) {
    search_summary r;
    const auto t0 = std::chrono::steady_clock::now();
    auto configs = all_configs(s);
    const std::size_t nconf = configs.size();
    for (auto& c : configs)
        if (c.index % o.shards == o.shard) r.configs.push_back(c);
    unsigned vcpus = 0;
    for (const auto& a : s.agents) vcpus += a.rfind("vcpu", 0) == 0;
    vcpus = std::max(vcpus, 1u);
    std::map<std::size_t, std::string> verdict_of_refused; // configs KVM refuses

    for (unsigned n = 1; n <= s.k; ++n) {
        level_stats ls;
        ls.n = n;
        const auto progs = programs(s, n, o.prune, &ls.count);
        std::vector<config_result*> active;
        for (auto& c : r.configs)
            if (c.min_len == 0 && !verdict_of_refused.count(c.index)) active.push_back(&c);
        if (active.empty() || progs.empty()) {
            r.levels.push_back(ls);
            if (active.empty()) break;
            continue;
        }
        const fs::path pdir = fs::path(o.outdir) / "programs";
        fs::create_directories(pdir);
        std::vector<study::point> pts;
        for (std::size_t i = 0; i < progs.size(); ++i) {
            // Named by its letters, so that a resumed row always belongs to the same program.
            const std::string name = file_name(s, progs[i]);
            const std::string file = (pdir / (name + ".yaml")).string();
            study::write_file_atomic(file, scenario_yaml(s, progs[i]));
            for (const auto* c : active) {
                study::point p;
                p.index = i * nconf + c->index;
                p.scenario_file = file;
                p.scenario = name;
                p.host = c->host;
                p.host_arg = c->host_arg;
                p.axis_values = c->axis_values;
                p.sets = c->sets;
                pts.push_back(p);
            }
        }
        ls.points = pts.size();
        // Every configuration loads (hosts, axes) before anything runs: its first program.
        if (n == 1) {
            std::vector<study::point> first;
            for (const auto& p : pts)
                if (p.index < nconf) first.push_back(p);
            study::validate_points(s.base, first);
        }
        study::sweep_options so;
        so.exe = o.exe;
        so.outdir = (fs::path(o.outdir) / fmt::format("level-{}", n)).string();
        so.command_line = o.command_line;
        so.jobs = o.jobs;
        so.tty = o.tty;
        so.in_process = o.in_process;
        const auto sw = study::run_sweep(s.base, pts, vcpus, so);
        ls.ran = sw.ran;
        ls.resumed = sw.resumed;
        ls.failed = sw.failed;
        ls.seconds = sw.wall_seconds;

        const auto t = study::read_csv((fs::path(so.outdir) / "results.csv").string(), false);
        const auto col = [&](const char* name) {
            return std::size_t(std::find(t.header.begin(), t.header.end(), name) -
                               t.header.begin());
        };
        const std::size_t vc = col("verdict"), ec = col("error"), cc = col("config");
        std::map<std::size_t, std::vector<std::pair<std::size_t, std::string>>> found;
        std::map<std::size_t, std::size_t> refused;
        for (const auto& row : t.rows) {
            const std::size_t idx = std::stoull(row[0]);
            const std::size_t pi = idx / nconf, ci = idx % nconf;
            const std::string& v = row[vc];
            const auto cit = std::find_if(r.configs.begin(), r.configs.end(),
                                          [&](const auto& c) { return c.index == ci; });
            if (cit != r.configs.end()) ++cit->runs;
            if (v == "race")
                r.races.push_back(
                    fmt::format("{} under {}: race", describe(s, progs[pi]), label(configs[ci])));
            else if (v == "error")
                r.errors.push_back(fmt::format("{} under {}: {}", describe(s, progs[pi]),
                                               label(configs[ci]), row[ec]));
            else if (v == "refused")
                ++refused[ci];
            else if (corrupting(v))
                found[ci].push_back({pi, v + "\x1f" + row[cc]});
        }
        for (const auto& [ci, count] : refused)
            if (count == progs.size()) verdict_of_refused[ci] = "refused";
        std::vector<std::vector<std::string>> reruns;
        std::vector<std::string> rerun_json;
        for (auto& c : r.configs) {
            const auto f = found.find(c.index);
            if (f == found.end()) continue;
            c.min_len = n;
            auto list = f->second;
            std::stable_sort(list.begin(), list.end(), [&](const auto& a, const auto& b) {
                return distinct_ops(s, progs[a.first]) < distinct_ops(s, progs[b.first]);
            });
            const fs::path fdir = fs::path(o.outdir) / "findings" / label(c);
            fs::create_directories(fdir);
            for (std::size_t j = 0; j < list.size(); ++j) {
                const auto sep = list[j].second.find('\x1f');
                finding fi;
                fi.prog = progs[list[j].first];
                fi.verdict = list[j].second.substr(0, sep);
                const std::string resolved = list[j].second.substr(sep + 1);
                // The first few of each class get their own runnable file and cause chain.
                if (j < 8 && !resolved.empty()) {
                    const fs::path dst = fdir / fmt::format("{}-{}.yaml", n, j + 1);
                    fs::copy_file(fs::path(so.outdir) / resolved, dst,
                                  fs::copy_options::overwrite_existing);
                    fi.file = fs::relative(dst, o.outdir).string();
                    reruns.push_back({o.exe, "run", dst.string(), "--json"});
                    rerun_json.push_back(dst.string() + ".json");
                }
                c.minimal.push_back(fi);
            }
        }
        // The cause chains: each finding's file run once more with --json beside it.
        run_children(reruns, o.jobs, [&](std::size_t i, child_output& out) {
            study::write_file_atomic(rerun_json[i], out.out);
        });
        r.levels.push_back(ls);
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

} // namespace mtsim::search
