// The matrix: every scenario under every host, each pair in its own child process
// (`EXE run FILE --host H --json`), at most `jobs` at once; tables in three formats.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mtsim::scenarios {

struct matrix_cell {
    std::string scenario, host, verdict, expected;
    bool expect_met = true;
    std::uint64_t corruptions = 0, cycles = 0;
    // The cost shown next to the verdict (scenarios/costs.h), every agent's account and the
    // measured phase, as the child's result carried them.
    double cost_us = 0;
    std::string cost_basis;
    nlohmann::json agents = nlohmann::json::object();
    nlohmann::json measure;
    // Why the cell has no verdict: its child exited with an error status, was killed by a
    // signal or printed no result ("exit 3", "killed by signal 9 (Killed)"); "" when it ran.
    std::string error;
};

// Scenario files from files and folders (a folder: its *.yaml, sorted).
std::vector<std::string> collect_scenarios(const std::vector<std::string>& paths);
// A scenario file from a path, or else from a catalogue name (`virtio-gpu-wc-upload`: the file
// of catalogue_dir whose scenario_name it is); "" when it is neither.
std::string find_scenario(const std::string& file_or_name, const std::string& catalogue_dir);
// A pair whose architectures differ (scenarios/scenario.h arch_mismatch) is the cell `n/a`,
// without a child. A child that fails becomes that cell's error (its own message went to
// stderr); the other cells still run. Throws std::runtime_error only when a child cannot be
// started.
std::vector<matrix_cell> run_matrix(const std::string& exe, const std::vector<std::string>& files,
                                    const std::vector<std::string>& hosts, unsigned jobs,
                                    const std::vector<std::string>& sets);
nlohmann::json matrix_json(const std::vector<matrix_cell>& cells);
std::string matrix_csv(const std::vector<matrix_cell>& cells);
// Scenarios as rows, hosts as columns; each cell the verdict and its cost in µs; a cell whose
// verdict differs from the file's expectation is marked with '!'.
std::string matrix_table(const std::vector<matrix_cell>& cells, bool markdown);

} // namespace mtsim::scenarios
