// A what-if study (docs/sweep.md is its reference): scenarios x hosts x axes x seeds, as data.
// Contract: `load_study` reads a study file and checks everything it can see in it — keys,
// axis paths' shape, list/range/zip values, scenario and host names — each error a
// config_error naming FILE:LINE and the key; `points` enumerates the cross product in one
// deterministic order (scenario, host, axes in the file's order with the first outermost,
// seed), so that a point's index names the same point in every run, shard and merge of the
// same study. Nothing here loads a scenario or runs anything (sweep.h does).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mtsim::study {

// One parameter an axis moves: its path (a `--set` key) and its values, as --set text.
struct axis_param {
    std::string path;
    std::vector<std::string> values;
    std::string key;   // where the study declares it: "axes[2].param", "axes[0].zip[1].param"
    unsigned line = 0; // and its line
};

// One dimension of the cross product: one parameter, or several zipped (equal lengths, moved
// together). `only` (scenario names) limits where it applies; elsewhere it has one empty value.
struct axis {
    std::vector<axis_param> params;
    std::vector<std::string> only;
    std::size_t size() const { return params.front().values.size(); }
    bool applies_to(const std::string& scenario_name) const;
};

struct study {
    std::string file;                   // as given
    std::string name;                   // `name:`, else the file's stem
    std::string description;            // first line
    std::vector<std::string> scenarios; // scenario files, folders expanded (sorted)
    std::vector<std::string> hosts;     // as the study names them (the CSV's host column)
    std::vector<std::string> host_args; // what --host gets: the name, or the host file's path
    std::vector<std::string> sets;      // `set:`: --set assignments for every point
    std::vector<axis> axes;
    std::vector<std::uint64_t> seeds;
    // Every axis parameter path in order: the CSV's axis columns.
    std::vector<std::string> axis_columns() const;
};

struct point {
    std::size_t index = 0;
    std::string scenario_file, scenario, host;
    std::string host_arg;                 // --host: the host's name, or its file
    std::vector<std::string> axis_values; // one per axis_columns(), "" where it does not apply
    std::uint64_t seed = 0;
    // The --set assignments of this point: the study's `set:`, then the axis values, then
    // run.seed.
    std::vector<std::string> sets;
};

// catalogue_dir: where catalogue names (`virtio-gpu-wc-upload`) are looked up.
study load_study(const std::string& file, const std::string& catalogue_dir);
std::vector<point> points(const study& s);

// Values of a range {from, to, step|factor}: integers (sizes keep their unit when `from`
// has one: 4KiB, 8KiB, ...) or reals; throws std::invalid_argument with the reason.
std::vector<std::string> range_values(const std::string& from, const std::string& to,
                                      const std::string& step, bool factor);

} // namespace mtsim::study
