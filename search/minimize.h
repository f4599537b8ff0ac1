// Delta debugging of one scenario (docs/search.md, "mtsim minimize"): the scenario under its
// host, resolved (scenarios/resolved.h), shrunk to a 1-minimal one with the same verdict —
// ddmin (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input", IEEE TSE
// 28(2), 2002) over, in turn, whole agents, ops, buffers, configuration differences from the
// defaults, then halving the bytes each op and buffer touch.
// Contract: every candidate is loaded in this process first (one that does not load is not
// interesting, no run); the others run in a child (`EXE run FILE --json`), one simulation per
// process; "interesting" means the child's verdict equals the original's. The result is
// 1-minimal in each unit: removing any single remaining op, agent, buffer or configuration
// difference changes the verdict or makes the scenario invalid. Throws std::invalid_argument
// when the original's verdict is clean, race or refused (nothing to keep).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace mtsim::search {

struct minimize_options {
    std::string exe, file, host, outdir;
    std::vector<std::string> sets;
    bool verbose = false;
};

struct minimize_result {
    std::string verdict;
    std::string reduced; // the file written (outdir/reduced.yaml)
    unsigned ops_before = 0, ops_after = 0, agents_before = 0, agents_after = 0;
    unsigned buffers_before = 0, buffers_after = 0, diffs_before = 0, diffs_after = 0;
    unsigned long long bytes_before = 0, bytes_after = 0; // bytes the ops touch
    unsigned tests = 0, runs = 0;                         // candidates; of them, run
    std::vector<std::string> kept_diffs;                  // the configuration left
};

minimize_result minimize(const minimize_options& o);

// ddmin: the 1-minimal subset of `units` (indices kept, in order) for which `test` holds;
// `test(units)` must hold. `test` of the empty set is tried last.
std::vector<int> ddmin(std::vector<int> units,
                       const std::function<bool(const std::vector<int>&)>& test);

} // namespace mtsim::search
