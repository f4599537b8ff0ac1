#include "study/sweep.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <deque>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/accounting.h"
#include "model/child_process.h"
#include "model/config.h"
#include "scenarios/costs.h"
#include "scenarios/runner.h"
#include "scenarios/scenario.h"
#include "study/csv.h"

namespace mtsim::study {

namespace fs = std::filesystem;

const std::vector<std::string>& stat_columns() {
    // The keys of a run's `stats` (scenarios/result_stats.cpp), in a fixed order; a test
    // checks that a run reports no key missing here.
    static const std::vector<std::string> cols{
        "exits_ept_violation", "exits_wbinvd",   "wbinvd_nops",
        "mmio_exits",          "pci_hole_reads", "zaps",
        "noncoherent_count",   "dram_writes",    "wc_drains",
        "dma_non_snooped",     "dma_snooped",    "wbinvd_writebacks"};
    return cols;
}

std::vector<std::string> csv_header(const study& s, unsigned vcpus) {
    std::vector<std::string> h{"point", "scenario", "host"};
    for (const auto& c : s.axis_columns()) h.push_back(c);
    for (const char* c : {"seed", "verdict", "expected", "expect_met", "corruptions", "cycles"})
        h.emplace_back(c);
    for (unsigned i = 0; i < vcpus; ++i) h.push_back(fmt::format("cycles.vcpu{}", i));
    h.emplace_back("cycles.vmm");
    h.emplace_back("cycles.gpu");
    // Costs (scenarios/costs.h): the matrix's cost, the measured phase, and every agent's
    // account, each part in cycles of the agent's clock (model/accounting.h).
    for (const char* c : {"cost_us", "cost_basis", "measure_us"}) h.emplace_back(c);
    std::vector<std::string> agents;
    for (unsigned i = 0; i < vcpus; ++i) agents.push_back(fmt::format("vcpu{}", i));
    agents.emplace_back("vmm");
    agents.emplace_back("gpu");
    for (const auto& a : agents) {
        h.push_back(a + ".us");
        h.push_back(a + ".busy_us");
        for (unsigned k = 0; k < cost_part_count; ++k)
            h.push_back(a + "." + cost_part_name(k) + ".cycles");
    }
    for (const auto& c : stat_columns()) h.push_back("stats." + c);
    for (const char* c : {"version", "config", "error"}) h.emplace_back(c);
    return h;
}

unsigned validate_points(const study& s, const std::vector<point>& pts) {
    unsigned vcpus = 1;
    // Points that differ only in their seed load alike (run.seed, their last assignment, is a
    // whole number load_study checked): one load each.
    std::set<std::string> seen;
    for (const auto& p : pts) {
        std::string key = p.scenario_file + '\n' + p.host_arg;
        for (std::size_t i = 0; i + 1 < p.sets.size(); ++i) key += '\n' + p.sets[i];
        if (!seen.insert(key).second) continue;
        scenarios::scenario sc;
        try {
            sc = scenarios::load_scenario(p.scenario_file, p.host_arg, p.sets);
        } catch (const config_error& e) {
            const std::string where =
                fmt::format("point {}: {} under {}", p.index, p.scenario, p.host);
            // An error about an axis's --set names the axis in the study file.
            for (const auto& a : s.axes)
                for (const auto& prm : a.params)
                    if (e.file().rfind("--set " + prm.path + "=", 0) == 0)
                        throw config_error(s.file, prm.line, prm.key,
                                           fmt::format("{} ({}, {}: key '{}')", e.message(), where,
                                                       e.file(), e.key()));
            throw config_error(e.file(), e.line(), e.key(),
                               fmt::format("{} ({} of {})", e.message(), where, s.file));
        }
        unsigned n = 0;
        for (const auto& prog : sc.programs) n += prog.agent.rfind("vcpu", 0) == 0;
        vcpus = std::max(vcpus, n);
    }
    return vcpus;
}

void write_file_atomic(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) throw std::runtime_error("cannot write " + tmp);
        f << text;
        if (!f.flush()) throw std::runtime_error("cannot write " + tmp);
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw std::runtime_error("cannot rename " + tmp + " to " + path);
    }
}

std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

namespace {

// The identity of a row for resume: every cell before `verdict` but the point index.
std::string row_key(const std::vector<std::string>& row, std::size_t verdict_col) {
    std::string k;
    for (std::size_t i = 1; i < verdict_col; ++i) k += row[i] + '\x1f';
    return k;
}

std::string one_line(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    for (auto& c : s)
        if (c == '\n' || c == '\r') c = '|';
    return s;
}

std::string cell(const nlohmann::json& j) {
    if (j.is_null()) return "";
    if (j.is_string()) return j.get<std::string>();
    return j.dump();
}

// One point's row from its child's output.
std::vector<std::string> row_of(const point& p, const std::vector<std::string>& header,
                                const child_output& o, const std::string& config) {
    std::map<std::string, std::string> v;
    v["point"] = std::to_string(p.index);
    v["scenario"] = p.scenario;
    v["host"] = p.host;
    v["seed"] = std::to_string(p.seed);
    const int code = WIFEXITED(o.status) ? WEXITSTATUS(o.status) : -1;
    nlohmann::json j;
    std::string error;
    if (code == 0 || code == 1) {
        try {
            j = nlohmann::json::parse(o.out);
        } catch (const nlohmann::json::exception& e) {
            error = std::string("the run printed no JSON result: ") + e.what();
        }
    } else if (WIFSIGNALED(o.status))
        error = fmt::format("killed by signal {}: {}", WTERMSIG(o.status), one_line(o.err));
    else
        error = fmt::format("exit {}: {}", code, one_line(o.err));
    if (!error.empty()) {
        v["verdict"] = "error";
        v["error"] = error;
    } else {
        for (const char* k : {"verdict", "expected", "corruptions", "cycles", "version"})
            v[k] = cell(j.value(k, nlohmann::json()));
        v["expect_met"] = j.value("expect_met", true) ? "true" : "false";
        for (const auto& [k, c] : j["cycles_per_agent"].items()) v["cycles." + k] = cell(c);
        for (const auto& [k, c] : j["stats"].items()) v["stats." + k] = cell(c);
        const scenarios::result_cost cost = scenarios::cost_of(j);
        v["cost_us"] = fmt::format("{:.6f}", cost.us);
        v["cost_basis"] = cost.basis;
        if (j.contains("measure"))
            v["measure_us"] = fmt::format("{:.6f}", j["measure"]["us"].get<double>());
        if (j.contains("agents"))
            for (const auto& [k, c] : scenarios::agent_columns(j["agents"])) v[k] = c;
    }
    if (!config.empty()) v["config"] = config;
    std::vector<std::string> row;
    const auto axes = header.begin() + 3;
    std::size_t ai = 0;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it >= axes && ai < p.axis_values.size()) {
            row.push_back(p.axis_values[ai++]);
            continue;
        }
        const auto f = v.find(*it);
        row.push_back(f == v.end() ? "" : f->second);
    }
    return row;
}

std::string eta(double seconds) {
    const auto s = static_cast<long>(seconds + 0.5);
    return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                     : fmt::format("{}:{:02}", s / 60, s % 60);
}

// run_children's contract with fork in place of exec: each child calls fn(argv without its
// first word) with its standard output and error on pipes, then _exits with its result.
void fork_children(const std::vector<std::vector<std::string>>& argvs, unsigned jobs,
                   const std::function<int(const std::vector<std::string>&)>& fn,
                   const std::function<void(std::size_t, child_output&)>& done) {
    struct kid {
        pid_t pid;
        int out, err;
        std::size_t i;
        std::chrono::steady_clock::time_point t0;
    };
    std::deque<kid> running;
    std::size_t next = 0;
    std::cout.flush();
    std::cerr.flush();
    auto reap_all = [&] {
        for (auto& k : running) {
            ::kill(k.pid, SIGKILL);
            ::close(k.out);
            ::close(k.err);
            int st = 0;
            while (::waitpid(k.pid, &st, 0) < 0 && errno == EINTR) {
            }
        }
        running.clear();
    };
    try {
        while (next < argvs.size() || !running.empty()) {
            while (next < argvs.size() && running.size() < jobs) {
                int po[2], pe[2];
                if (::pipe(po) != 0) throw std::runtime_error("pipe failed");
                if (::pipe(pe) != 0) {
                    ::close(po[0]);
                    ::close(po[1]);
                    throw std::runtime_error("pipe failed");
                }
                std::fflush(nullptr);
                const auto t0 = std::chrono::steady_clock::now();
                const pid_t pid = ::fork();
                if (pid < 0) throw std::runtime_error("fork failed");
                if (pid == 0) {
                    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
                    ::dup2(po[1], STDOUT_FILENO);
                    ::dup2(pe[1], STDERR_FILENO);
                    for (int fd : {po[0], po[1], pe[0], pe[1]}) ::close(fd);
                    int code = 3;
                    try {
                        code = fn({argvs[next].begin() + 1, argvs[next].end()});
                    } catch (...) {
                    }
                    std::cout.flush();
                    std::cerr.flush();
                    std::fflush(nullptr);
                    ::_exit(code);
                }
                ::close(po[1]);
                ::close(pe[1]);
                running.push_back({pid, po[0], pe[0], next++, t0});
            }
            // The oldest child: both pipes read to their ends, then reaped.
            kid k = running.front();
            running.pop_front();
            child_output o;
            pollfd fds[2] = {{k.out, POLLIN, 0}, {k.err, POLLIN, 0}};
            std::string* into[2] = {&o.out, &o.err};
            int open_fds = 2;
            char buf[65536];
            while (open_fds > 0) {
                if (::poll(fds, 2, -1) < 0) {
                    if (errno == EINTR) continue;
                    break;
                }
                for (int j = 0; j < 2; ++j) {
                    if (fds[j].fd < 0 || !(fds[j].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                    const ssize_t n = ::read(fds[j].fd, buf, sizeof buf);
                    if (n > 0)
                        into[j]->append(buf, std::size_t(n));
                    else if (n == 0 || errno != EINTR) {
                        ::close(fds[j].fd);
                        fds[j].fd = -1;
                        --open_fds;
                    }
                }
            }
            while (::waitpid(k.pid, &o.status, 0) < 0 && errno == EINTR) {
            }
            o.seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - k.t0).count();
            done(k.i, o);
        }
    } catch (...) {
        reap_all();
        throw;
    }
}

} // namespace

sweep_summary run_sweep(const study& s, const std::vector<point>& pts, unsigned vcpus,
                        const sweep_options& o) {
    sweep_summary sum;
    sum.points = pts.size();
    const auto header = csv_header(s, vcpus);
    const std::size_t verdict_col =
        std::size_t(std::find(header.begin(), header.end(), "verdict") - header.begin());
    fs::create_directories(fs::path(o.outdir) / "points");
    {
        std::ifstream in(s.file, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        write_file_atomic((fs::path(o.outdir) / "study.yaml").string(), text.str());
    }
    const std::string csv = (fs::path(o.outdir) / "results.csv").string();
    const std::string partial = csv + ".partial";

    // Rows already there: the last complete run's and an interrupted run's.
    std::map<std::string, std::vector<std::string>> done;
    for (const auto& [path, tail_ok] : {std::pair{csv, false}, std::pair{partial, true}}) {
        if (!fs::exists(path)) continue;
        csv_table t = read_csv(path, tail_ok);
        if (t.header != header)
            throw std::invalid_argument(path + ": its columns are another study's; use another "
                                               "--outdir (or remove the folder)");
        for (auto& r : t.rows)
            if (r[verdict_col] != "error") done[row_key(r, verdict_col)] = std::move(r);
    }

    // This shard's points: resumed ones are kept, the others run.
    std::vector<std::vector<std::string>> rows;
    std::vector<const point*> pending;
    for (const auto& p : pts) {
        if (p.index % o.shards != o.shard) continue;
        ++sum.in_shard;
        const auto key_row = row_of(p, header, child_output{}, "");
        const auto it = done.find(row_key(key_row, verdict_col));
        // A row kept from an edited study whose point moved would name another point's
        // points/ file: such a point runs again.
        if (it != done.end() && it->second[0] == std::to_string(p.index)) {
            rows.push_back(it->second);
            ++sum.resumed;
        } else
            pending.push_back(&p);
    }

    // The partial file restarts with the rows kept, so that it alone is a full record.
    {
        std::string text = csv_line(header);
        for (const auto& r : rows) text += csv_line(r);
        write_file_atomic(partial, text);
    }
    const int fd = ::open(partial.c_str(), O_WRONLY | O_APPEND);
    if (fd < 0) throw std::runtime_error("cannot append to " + partial);

    std::vector<std::vector<std::string>> argvs;
    std::vector<std::string> configs;
    for (const point* p : pending) {
        const std::string cfg = fmt::format("points/{:06}.yaml", p->index);
        configs.push_back(cfg);
        std::vector<std::string> a{
            o.exe,       "run",    p->scenario_file, "--host",
            p->host_arg, "--json", "--resolved",     (fs::path(o.outdir) / cfg).string()};
        for (const auto& set : p->sets) {
            a.push_back("--set");
            a.push_back(set);
        }
        argvs.push_back(std::move(a));
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto progress = [&](const point& p, const std::string& verdict) {
        const double el =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double rate = el > 0 ? double(sum.ran) / el : 0;
        const std::size_t left = pending.size() - sum.ran;
        if (o.tty)
            std::cerr << fmt::format("\r{}: {}/{} points, {:.1f}/s, ETA {}{}   ", s.name, sum.ran,
                                     pending.size(), rate,
                                     rate > 0 ? eta(double(left) / rate) : "?",
                                     sum.failed ? fmt::format(", {} failed", sum.failed) : "")
                      << std::flush;
        else
            std::cerr << fmt::format("{}: [{}/{}] point {}: {} under {}: {}\n", s.name, sum.ran,
                                     pending.size(), p.index, p.scenario, p.host, verdict);
    };
    try {
        const auto each = [&](std::size_t i, child_output& out) {
            const point& p = *pending[i];
            const bool have_cfg = fs::exists(fs::path(o.outdir) / configs[i]);
            auto row = row_of(p, header, out, have_cfg ? configs[i] : "");
            const std::string line = csv_line(row);
            if (::write(fd, line.data(), line.size()) != ssize_t(line.size()))
                throw std::runtime_error("cannot append to " + partial);
            ++sum.ran;
            sum.child_seconds += out.seconds;
            if (row[verdict_col] == "error") ++sum.failed;
            progress(p, row[verdict_col]);
            rows.push_back(std::move(row));
        };
        if (o.in_process)
            fork_children(argvs, o.jobs, o.in_process, each);
        else
            run_children(argvs, o.jobs, each);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
    if (o.tty && !pending.empty()) std::cerr << "\n";
    sum.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return std::stoull(a[0]) < std::stoull(b[0]); });
    std::string text = csv_line(header);
    for (const auto& r : rows) text += csv_line(r);
    write_file_atomic(csv, text);
    fs::remove(partial);

    nlohmann::json m;
    m["mtsim_version"] = scenarios::mtsim_version();
    m["command_line"] = o.command_line;
    m["date"] = utc_now();
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    m["host"] = host;
    m["study"] = s.file;
    m["name"] = s.name;
    m["points"] = sum.points;
    m["shard"] = fmt::format("{}/{}", o.shard, o.shards);
    m["points_in_shard"] = sum.in_shard;
    m["resumed"] = sum.resumed;
    m["ran"] = sum.ran;
    m["failed"] = sum.failed;
    m["jobs"] = o.jobs;
    m["wall_seconds"] = sum.wall_seconds;
    m["child_seconds_sum"] = sum.child_seconds;
    write_file_atomic((fs::path(o.outdir) / "manifest.json").string(), m.dump(1) + "\n");
    return sum;
}

} // namespace mtsim::study
