#include "bench/runner.h"

#include "model/child_process.h"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <stdexcept>
#include <sys/wait.h>

namespace mtsim::bench {

namespace {

// Runs argv[0] with argv, returns its standard output; throws unless it exits with status 0.
std::string run_child(const std::vector<std::string>& argv) {
    child_process c = spawn_child(argv);
    int status = 0;
    std::string out = collect_child(c, status);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string cmd;
        for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
        throw std::runtime_error("benchmark child failed (" + cmd + ")");
    }
    return out;
}

// time(4N) / time(N) of the scenario-ops program (bench/scenario_ops.cpp): the full run over
// the quarter-length run; 0 when either was not run.
double scenario_ops_growth(const std::vector<row>& rows) {
    const row *full = nullptr, *quarter = nullptr;
    for (const auto& r : rows) {
        if (r.w->name == "scenario-ops") full = &r;
        if (r.w->name == "scenario-ops-quarter") quarter = &r;
    }
    if (!full || !quarter || quarter->best.host_seconds <= 0) return 0.0;
    return full->best.host_seconds / quarter->best.host_seconds;
}

} // namespace

std::vector<row> run_all(const std::string& exe, const bench_config& cfg, unsigned repeats) {
    if (repeats == 0) throw std::invalid_argument("repeats must be >= 1");
    std::vector<row> rows;
    for (const auto& w : workloads()) rows.push_back(row{&w, {}, {}, 0.0});
    // Round by round, every workload once per round: the host's speed drifts (other tenants,
    // frequency), and running all repeats of one workload back to back would compare the bare
    // loop of one stretch with a workload of another.
    for (unsigned i = 0; i < repeats; ++i) {
        for (row& r : rows) {
            const std::string out =
                run_child({exe, "bench", "--workload", std::string(r.w->name), "--accesses",
                           std::to_string(cfg.accesses), "--llc-mib",
                           std::to_string(cfg.memory.llc.size_bytes / MiB)});
            result one;
            try {
                one = result_from_json(nlohmann::json::parse(out));
            } catch (const nlohmann::json::exception& e) {
                throw std::runtime_error("benchmark child for '" + std::string(r.w->name) +
                                         "' printed no result line: " + e.what());
            }
            r.runs.push_back(one.accesses_per_s());
            if (i == 0 || one.accesses_per_s() > r.best.accesses_per_s()) r.best = one;
        }
    }
    const double bare = rows.front().best.accesses_per_s();
    for (auto& r : rows) r.ratio_to_bare = bare > 0 ? r.best.accesses_per_s() / bare : 0.0;
    return rows;
}

static std::string selection(unsigned repeats) {
    return fmt::format("best of {} runs per workload, each run in its own process, the "
                       "workloads taking turns; only sc_start is timed",
                       repeats);
}

nlohmann::json to_json(const std::vector<row>& rows, const bench_config& cfg, unsigned repeats) {
    nlohmann::json ws = nlohmann::json::object();
    for (const auto& r : rows) {
        ws[std::string(r.w->name)] = {{"accesses_per_s", r.best.accesses_per_s()},
                                      {"ratio_to_bare", r.ratio_to_bare},
                                      {"target_ratio", r.w->target_ratio > 0
                                                           ? nlohmann::json(r.w->target_ratio)
                                                           : nlohmann::json(nullptr)},
                                      {"simulated_ns", r.best.simulated_ns},
                                      {"runs", r.runs}};
    }
    return {{"accesses", cfg.accesses},
            {"llc_bytes", cfg.memory.llc.size_bytes},
            {"repeats", repeats},
            {"scenario_ops_time_4n_over_n", scenario_ops_growth(rows)},
            {"selection", selection(repeats)},
            {"workloads", ws}};
}

std::string to_table(const std::vector<row>& rows, const bench_config& cfg, unsigned repeats) {
    std::string out =
        fmt::format("{} accesses per workload, simulated LLC {} MiB; {}\n\n", cfg.accesses,
                    cfg.memory.llc.size_bytes / MiB, selection(repeats));
    out += fmt::format("{:<11} {:>16} {:>14} {:>8}  {}\n", "workload", "accesses/s",
                       "ratio_to_bare", "target", "description");
    for (const auto& r : rows) {
        const std::string target =
            r.w->target_ratio > 0 ? fmt::format(">={:.3g}", r.w->target_ratio) : "-";
        out += fmt::format("{:<11} {:>16.0f} {:>14.3f} {:>8}  {}\n", r.w->name,
                           r.best.accesses_per_s(), r.ratio_to_bare, target, r.w->description);
    }
    if (const double g = scenario_ops_growth(rows); g > 0)
        out += fmt::format("\nscenario-ops: time(4N)/time(N) = {:.2f} (target <= 4.4)\n", g);
    return out;
}

} // namespace mtsim::bench
