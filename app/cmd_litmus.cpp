// mtsim litmus FILE [--runs N] [--seed S] [--jobs J] [--host H] [--set k=v]... [--json]: a
// litmus test run N times with seeded timing perturbations (docs/litmus.md §3), the histogram
// of its outcomes and the verdict of its condition. The file is loaded and checked once, here;
// each run is a child forked from this process before anything is elaborated (SystemC
// elaborates once per process), with its run.perturb set; it sends back the part of its
// result the histogram needs. Exit 0 when `expect` agrees (or there is none), 1 when it
// disagrees or a run failed, 2 on bad input.
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <systemc>
#include <unistd.h>

#include "app/cli.h"
#include "litmus/report.h"
#include "scenarios/runner.h"

namespace mtsim::app {

namespace po = boost::program_options;

namespace {

struct child {
    pid_t pid = -1;
    int fd = -1;
    std::uint64_t run = 0, perturb = 0;
};

void write_all(int fd, const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
        const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n <= 0) return;
        off += std::size_t(n);
    }
}

// In the child: one run, its result's litmus part on fd, then _exit (no parent's atexit
// handlers, no second flush of the parent's buffered output).
[[noreturn]] void run_child(scenarios::scenario s, std::uint64_t perturb, int fd) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    s.run.perturb = perturb;
    nlohmann::json out;
    int status = 0;
    try {
        try {
            const nlohmann::json r = scenarios::run_scenario(s);
            for (const char* k : {"verdict", "registers", "locations", "litmus"})
                if (r.contains(k)) out[k] = r[k];
        } catch (const sc_core::sc_report& rep) {
            rethrow_thread_exception(rep);
        }
    } catch (const std::exception& e) {
        out = {{"error", e.what()}};
        status = 3;
    }
    write_all(fd, out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    ::close(fd);
    ::_exit(status);
}

std::string read_all(int fd) {
    std::string s;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        s.append(buf, std::size_t(n));
    }
    ::close(fd);
    return s;
}

} // namespace

int cmd_litmus(const std::vector<std::string>& args) {
    po::options_description opts("mtsim litmus FILE");
    opts.add_options()("file", po::value<std::string>()->required(),
                       "litmus scenario file (docs/litmus.md)")(
        "runs", po::value<std::string>()->default_value("100"),
        "runs, 1 to 1000000")("seed", po::value<std::string>()->default_value("1"),
                              "run i gets run.perturb = splitmix64(seed + i)")(
        "jobs", po::value<std::string>()->default_value("1"), "runs at once, 1 to 256")(
        "set", po::value<std::vector<std::string>>()->composing(), "override a parameter: a.b.c=v")(
        "host", po::value<std::string>()->default_value(""),
        "host: a name (scenarios/hosts/NAME.yaml) or a path with a '/' to a host file")(
        "json", po::bool_switch(), "print the summary as JSON (docs/litmus.md)");
    po::positional_options_description pos;
    pos.add("file", 1);
    const auto vm = parse_args(args, opts, &pos);
    const std::uint64_t runs = parse_count("--runs", vm["runs"].as<std::string>(), 1, 1000000);
    const std::uint64_t seed =
        parse_count("--seed", vm["seed"].as<std::string>(), 0, ~std::uint64_t{0});
    const auto jobs = unsigned(parse_count("--jobs", vm["jobs"].as<std::string>(), 1, 256));
    const auto sets =
        vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
    const std::string file = vm["file"].as<std::string>();
    scenarios::scenario s;
    try {
        s = scenarios::load_scenario(file, vm["host"].as<std::string>(), sets);
    } catch (const config_error& e) {
        throw cli_error(e.what());
    }
    if (!s.litmus.present)
        throw cli_error(file + ": key 'litmus': not a litmus test (no litmus: section; "
                               "docs/litmus.md)");

    litmus::exploration e;
    e.test = s.name;
    e.file = file;
    e.host = s.host_name;
    e.version = scenarios::mtsim_version();
    e.runs = runs;
    e.seed = seed;
    e.jobs = jobs;
    e.q = s.litmus.cond.q;
    e.condition = s.litmus.cond.text;
    e.expect = s.litmus.expect;

    std::cout.flush();
    std::cerr.flush();
    const auto t0 = std::chrono::steady_clock::now();
    std::map<pid_t, child> running;
    std::map<std::uint64_t, nlohmann::json> results; // by run index: the order does not
                                                     // depend on which child ended first
    std::uint64_t next = 0;
    while (next < runs || !running.empty()) {
        while (next < runs && running.size() < jobs) {
            int p[2];
            if (::pipe(p) != 0) throw std::runtime_error("pipe: " + std::string(strerror(errno)));
            child c;
            c.run = next;
            c.perturb = litmus::run_perturb_seed(seed, next);
            const pid_t pid = ::fork();
            if (pid < 0) throw std::runtime_error("fork: " + std::string(strerror(errno)));
            if (pid == 0) {
                ::close(p[0]);
                run_child(s, c.perturb, p[1]);
            }
            ::close(p[1]);
            c.pid = pid;
            c.fd = p[0];
            running[pid] = c;
            ++next;
        }
        // The oldest child: read to its end (whatever the size of its result), then reaped.
        child c = running.begin()->second;
        running.erase(running.begin());
        const std::string text = read_all(c.fd);
        int status = 0;
        while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
        }
        nlohmann::json r = nlohmann::json::parse(text, nullptr, false);
        if (r.is_discarded() || r.contains("error") || !r.contains("litmus")) {
            std::string why = r.is_object() && r.contains("error") ? r["error"].get<std::string>()
                              : WIFSIGNALED(status)
                                  ? "killed by signal " + std::to_string(WTERMSIG(status))
                                  : "exit status " + std::to_string(WEXITSTATUS(status));
            e.failed.push_back({{"run", c.run}, {"perturb", c.perturb}, {"error", why}});
            continue;
        }
        results[c.run] = std::move(r);
    }
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (auto& [i, r] : results) e.results.push_back(std::move(r));
    const nlohmann::json sum = litmus::summarize(e);
    if (vm["json"].as<bool>())
        std::cout << sum.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    else
        std::cout << litmus::format_summary(sum);
    const bool agrees = sum["agrees"].is_null() || sum["agrees"].get<bool>();
    return agrees && e.failed.empty() ? 0 : 1;
}

} // namespace mtsim::app
