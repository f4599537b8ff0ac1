// Running a study (docs/sweep.md): every point of one shard, each one simulation in its own
// child process (`EXE run FILE --host H --set ... --json --resolved points/N.yaml`, through
// model/child_process.h's pool), into an output folder. Contract:
// - every point's configuration is loaded (parsed and checked, not run) before the first
//   runs: a bad point is a config_error naming the point, nothing runs;
// - a failing point is a row whose verdict is `error` with the child's message, never an
//   aborted sweep;
// - a row's cells depend only on the point and the model (no time, no host name), so a
//   sharded run merged (shards.h) gives the unsharded CSV byte for byte;
// - files appear complete or not at all: rows go to results.csv.partial as each point ends
//   (a resume reads them back), and results.csv, study.yaml and manifest.json are written to
//   a temporary name and renamed; a re-run skips the points whose row is already there
//   (verdict other than `error`).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "study/study.h"

namespace mtsim::study {

struct sweep_options {
    std::string exe;          // the mtsim binary the children run
    std::string outdir;       // the output folder (created)
    std::string command_line; // recorded in the manifest
    unsigned jobs = 2;
    unsigned shard = 0, shards = 1; // this run's slice: the points with index % shards == shard
    bool tty = false;               // progress as one rewritten line (else a line per point)
    // When set, each point runs in a child forked from this process that calls it with the
    // run's arguments (`run FILE --host ...`, without the program) and its standard output and
    // error on pipes, instead of a child that execs `exe`: the same rows, without starting
    // the program once per point (`mtsim search`; this process must not have elaborated).
    std::function<int(const std::vector<std::string>&)> in_process;
};

struct sweep_summary {
    std::size_t points = 0;   // of the whole study
    std::size_t in_shard = 0; // of this shard
    std::size_t resumed = 0;  // rows already in the output folder
    std::size_t ran = 0, failed = 0;
    double wall_seconds = 0;  // of the runs (after validation)
    double child_seconds = 0; // the sum of the children's own wall times
};

// The CSV header of a study whose points have at most `vcpus` vCPUs.
std::vector<std::string> csv_header(const study& s, unsigned vcpus);
// The statistics columns (a run's `stats` keys, in this order).
const std::vector<std::string>& stat_columns();

// Loads every point's scenario; returns the largest vCPU count. Throws config_error naming
// the point when one does not load.
unsigned validate_points(const study& s, const std::vector<point>& pts);

sweep_summary run_sweep(const study& s, const std::vector<point>& pts, unsigned vcpus,
                        const sweep_options& o);

// Writes `text` to `path` through a temporary file in the same folder and a rename.
void write_file_atomic(const std::string& path, const std::string& text);
// "2026-12-03T13:20:00Z"
std::string utc_now();

} // namespace mtsim::study
