// Running a search (docs/search.md): every configuration of a space (host x axes) against the
// programs of length 1, 2, ... k, each level through the sweep machinery (study/sweep.h: one
// child process per program and configuration, resumable, in OUTDIR/level-N), and the report:
// per configuration its minimal corrupting programs (shortest, then fewest distinct ops) as
// runnable files with their verdict and cause chain, or "safe up to k"; the policy x
// configuration table as text, CSV and a heat map.
// Contract: a configuration stops at the first length where a program corrupts (no longer
// program can be minimal); a `race` verdict is reported as a generator bug; `--shard I/N`
// takes the configurations whose index % N == I, so each shard's report is whole for its
// configurations.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "search/generate.h"
#include "search/space.h"

namespace mtsim::search {

struct search_options {
    std::string exe, outdir, command_line;
    unsigned jobs = 2, shard = 0, shards = 1;
    bool prune = true;
    bool tty = false;
    // Runs `mtsim run ...` in a forked child instead of an exec (study/sweep.h in_process).
    std::function<int(const std::vector<std::string>&)> in_process;
};

struct finding {
    program prog;
    std::string verdict, file; // the runnable scenario (relative to the outdir)
};

struct config_result {
    std::size_t index = 0;
    std::string host, host_arg;
    std::vector<std::string> axis_values, sets;
    unsigned min_len = 0;         // 0: safe up to k
    std::vector<finding> minimal; // sorted: fewest distinct ops first
    unsigned long long runs = 0;  // programs run under this configuration
};

struct level_stats {
    unsigned n = 0;
    level_count count;
    std::size_t points = 0, ran = 0, resumed = 0, failed = 0;
    double seconds = 0;
};

struct search_summary {
    std::vector<config_result> configs; // this shard's
    std::vector<level_stats> levels;
    std::vector<std::string> races, errors; // generator bugs and failed runs
    double seconds = 0;
};

search_summary run_search(const space& s, const search_options& o);

// The report files in o.outdir (report.txt, table.csv, minimal.csv, table.png): returns the
// report's text.
std::string write_report(const space& s, const search_options& o, const search_summary& r);

} // namespace mtsim::search
