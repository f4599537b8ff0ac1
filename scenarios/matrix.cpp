#include "scenarios/matrix.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "model/child_process.h"
#include "scenarios/costs.h"
#include "scenarios/scenario.h"

namespace mtsim::scenarios {

namespace fs = std::filesystem;

std::vector<std::string> collect_scenarios(const std::vector<std::string>& paths) {
    std::vector<std::string> out;
    for (const auto& p : paths) {
        if (fs::is_directory(p)) {
            std::vector<std::string> in;
            for (const auto& e : fs::directory_iterator(p))
                if (e.path().extension() == ".yaml") in.push_back(e.path().string());
            std::sort(in.begin(), in.end());
            out.insert(out.end(), in.begin(), in.end());
        } else if (fs::exists(p))
            out.push_back(p);
        else
            throw std::invalid_argument("no such scenario file or folder: " + p);
    }
    return out;
}

std::string find_scenario(const std::string& file_or_name, const std::string& catalogue_dir) {
    if (fs::exists(file_or_name)) return file_or_name;
    if (file_or_name.find('/') != std::string::npos || !fs::is_directory(catalogue_dir)) return "";
    for (const auto& e : fs::directory_iterator(catalogue_dir))
        if (e.path().extension() == ".yaml" && scenario_name(e.path().string()) == file_or_name)
            return e.path().string();
    return "";
}

namespace {
// One running cell: its child process and what it printed so far.
struct child {
    child_process p;
    std::string out;
    std::size_t cell = 0;
};
} // namespace

std::vector<matrix_cell> run_matrix(const std::string& exe, const std::vector<std::string>& files,
                                    const std::vector<std::string>& hosts, unsigned jobs,
                                    const std::vector<std::string>& sets) {
    std::vector<matrix_cell> cells;
    std::vector<std::vector<std::string>> argvs;
    std::vector<std::size_t> argv_cell; // the cell each argv fills
    for (const auto& f : files)
        for (const auto& h : hosts) {
            matrix_cell c;
            c.scenario = scenario_name(f);
            c.host = h;
            // A scenario of another architecture than the host's has no verdict there: n/a,
            // not an error, and no child.
            if (!arch_mismatch(load_scenario(f, h, sets)).empty()) {
                c.verdict = "n/a";
                cells.push_back(c);
                continue;
            }
            argv_cell.push_back(cells.size());
            cells.push_back(c);
            std::vector<std::string> a{exe, "run", f, "--host", h, "--json"};
            for (const auto& s : sets) {
                a.push_back("--set");
                a.push_back(s);
            }
            argvs.push_back(a);
        }
    std::vector<child> running;
    std::size_t next = 0;
    jobs = std::max(1u, jobs);
    while (next < argvs.size() || !running.empty()) {
        while (next < argvs.size() && running.size() < jobs) {
            child c{spawn_child(argvs[next]), {}, argv_cell[next]};
            ++next;
            running.push_back(c);
        }
        std::vector<pollfd> pf;
        for (const auto& c : running) pf.push_back({c.p.stdout_fd, POLLIN, 0});
        poll(pf.data(), pf.size(), -1);
        for (std::size_t i = running.size(); i-- > 0;) {
            if (!(pf[i].revents & (POLLIN | POLLHUP))) continue;
            char buf[65536];
            const ssize_t n = read(running[i].p.stdout_fd, buf, sizeof buf);
            if (n > 0) {
                running[i].out.append(buf, std::size_t(n));
                continue;
            }
            close(running[i].p.stdout_fd);
            int status = 0;
            waitpid(running[i].p.pid, &status, 0);
            matrix_cell& cell = cells[running[i].cell];
            if (WIFSIGNALED(status))
                cell.error = fmt::format("killed by signal {} ({})", WTERMSIG(status),
                                         strsignal(WTERMSIG(status)));
            else if (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 1)
                cell.error = fmt::format("exit {}", WEXITSTATUS(status));
            else {
                try {
                    const auto j = nlohmann::json::parse(running[i].out);
                    cell.verdict = j.at("verdict").get<std::string>();
                    cell.expected =
                        j.at("expected").is_null() ? "" : j["expected"].get<std::string>();
                    cell.expect_met = j.at("expect_met").get<bool>();
                    cell.corruptions = j.at("corruptions").get<std::uint64_t>();
                    cell.cycles = j.at("cycles").get<std::uint64_t>();
                    const result_cost cost = cost_of(j);
                    cell.cost_us = cost.us;
                    cell.cost_basis = cost.basis;
                    if (j.contains("agents")) cell.agents = j["agents"];
                    if (j.contains("measure")) cell.measure = j["measure"];
                } catch (const nlohmann::json::exception& e) {
                    cell.error = std::string("no result: ") + e.what();
                }
            }
            if (!cell.error.empty()) {
                cell.verdict = "error";
                cell.expect_met = false;
            }
            running.erase(running.begin() + long(i));
        }
    }
    return cells;
}

nlohmann::json matrix_json(const std::vector<matrix_cell>& cells) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : cells)
        out.push_back({{"scenario", c.scenario},
                       {"host", c.host},
                       {"verdict", c.verdict},
                       {"expected", c.expected},
                       {"corruptions", c.corruptions},
                       {"cycles", c.cycles},
                       {"cost_us", c.cost_us},
                       {"cost_basis", c.cost_basis},
                       {"agents", c.agents},
                       {"measure", c.measure},
                       {"error", c.error}});
    return out;
}

std::string matrix_csv(const std::vector<matrix_cell>& cells) {
    // Every agent's account as columns: the union over the cells, sorted; empty where a cell's
    // scenario has no such agent or part.
    std::vector<std::map<std::string, std::string>> per_cell;
    std::map<std::string, bool> names;
    for (const auto& c : cells) {
        per_cell.push_back(agent_columns(c.agents));
        for (const auto& [k, v] : per_cell.back()) names[k] = true;
    }
    std::string s =
        "scenario,host,verdict,expected,corruptions,cycles,cost_us,cost_basis,measure_us";
    for (const auto& [k, v] : names) s += "," + k;
    s += "\n";
    for (std::size_t i = 0; i < cells.size(); ++i) {
        const auto& c = cells[i];
        s += fmt::format(
            "{},{},{},{},{},{},{:.6f},{},{}", c.scenario, c.host, c.verdict, c.expected,
            c.corruptions, c.cycles, c.cost_us, c.cost_basis,
            c.measure.is_object() ? fmt::format("{:.6f}", c.measure["us"].get<double>()) : "");
        for (const auto& [k, v] : names) {
            const auto it = per_cell[i].find(k);
            s += "," + (it == per_cell[i].end() ? std::string() : it->second);
        }
        s += "\n";
    }
    return s;
}

namespace {
// Columns are padded by what a terminal shows: UTF-8 continuation bytes (the µ) take no room.
std::size_t shown_width(const std::string& s) {
    std::size_t n = 0;
    for (const unsigned char ch : s) n += (ch & 0xc0) != 0x80;
    return n;
}
} // namespace

std::string matrix_table(const std::vector<matrix_cell>& cells, bool markdown) {
    std::vector<std::string> scen, hosts;
    std::map<std::pair<std::string, std::string>, const matrix_cell*> at;
    for (const auto& c : cells) {
        if (std::find(scen.begin(), scen.end(), c.scenario) == scen.end())
            scen.push_back(c.scenario);
        if (std::find(hosts.begin(), hosts.end(), c.host) == hosts.end()) hosts.push_back(c.host);
        at[{c.scenario, c.host}] = &c;
    }
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> head{"scenario"};
    head.insert(head.end(), hosts.begin(), hosts.end());
    rows.push_back(head);
    for (const auto& s : scen) {
        std::vector<std::string> r{s};
        for (const auto& h : hosts) {
            const auto it = at.find({s, h});
            if (it == at.end()) {
                r.emplace_back();
                continue;
            }
            const matrix_cell& c = *it->second;
            r.push_back(c.verdict + (c.cost_basis.empty() ? "" : " " + format_us(c.cost_us)) +
                        (c.expect_met ? "" : " !"));
        }
        rows.push_back(r);
    }
    std::vector<std::size_t> w(head.size(), 0);
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], shown_width(r[i]));
    std::ostringstream os;
    for (std::size_t ri = 0; ri < rows.size(); ++ri) {
        for (std::size_t i = 0; i < rows[ri].size(); ++i) {
            os << (markdown ? "| " : "") << rows[ri][i]
               << std::string(w[i] - shown_width(rows[ri][i]), ' ') << (markdown ? " " : "  ");
        }
        os << (markdown ? "|" : "") << "\n";
        if (ri == 0 && markdown) {
            for (std::size_t i = 0; i < w.size(); ++i) os << "|" << std::string(w[i] + 2, '-');
            os << "|\n";
        }
    }
    if (std::any_of(cells.begin(), cells.end(), [](const auto& c) { return !c.expect_met; }))
        os << (markdown ? "\n" : "") << "! the verdict differs from the scenario's expect:\n";
    os << (markdown ? "\n" : "")
       << "µs: the scenario's `measure` phase when it declares one, else the slowest agent's busy "
          "time (total minus waits, from the programs' start)\n";
    return os.str();
}

} // namespace mtsim::scenarios
