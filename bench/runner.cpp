#include "bench/runner.h"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace mtsim::bench {

namespace {

// Runs argv[0] with argv, returns its standard output; throws unless it exits with status 0.
std::string run_child(const std::vector<std::string>& argv) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string cmd;
        for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
        throw std::runtime_error("benchmark child failed (" + cmd + ")");
    }
    return out;
}

} // namespace

std::vector<row> run_all(const std::string& exe, const bench_config& cfg, unsigned repeats) {
    if (repeats == 0) throw std::invalid_argument("repeats must be >= 1");
    std::vector<row> rows;
    for (const auto& w : workloads()) {
        row r;
        r.w = &w;
        for (unsigned i = 0; i < repeats; ++i) {
            const std::string out = run_child({exe, "bench", "--workload", std::string(w.name),
                                               "--accesses", std::to_string(cfg.accesses)});
            result one;
            try {
                one = result_from_json(nlohmann::json::parse(out));
            } catch (const nlohmann::json::exception& e) {
                throw std::runtime_error("benchmark child for '" + std::string(w.name) +
                                         "' printed no result line: " + e.what());
            }
            r.runs.push_back(one.accesses_per_s());
            if (i == 0 || one.accesses_per_s() > r.best.accesses_per_s()) r.best = one;
        }
        rows.push_back(std::move(r));
    }
    const double bare = rows.front().best.accesses_per_s();
    for (auto& r : rows) r.ratio_to_bare = bare > 0 ? r.best.accesses_per_s() / bare : 0.0;
    return rows;
}

static std::string selection(unsigned repeats) {
    return fmt::format("best of {} runs per workload, each run in its own process; only "
                       "sc_start is timed",
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
            {"repeats", repeats},
            {"selection", selection(repeats)},
            {"workloads", ws}};
}

std::string to_table(const std::vector<row>& rows, const bench_config& cfg, unsigned repeats) {
    std::string out =
        fmt::format("{} accesses per workload; {}\n\n", cfg.accesses, selection(repeats));
    out += fmt::format("{:<10} {:>16} {:>14} {:>8}  {}\n", "workload", "accesses/s",
                       "ratio_to_bare", "target", "description");
    for (const auto& r : rows) {
        const std::string target =
            r.w->target_ratio > 0 ? fmt::format(">={:.2f}", r.w->target_ratio) : "-";
        out += fmt::format("{:<10} {:>16.0f} {:>14.3f} {:>8}  {}\n", r.w->name,
                           r.best.accesses_per_s(), r.ratio_to_bare, target, r.w->description);
    }
    return out;
}

} // namespace mtsim::bench
