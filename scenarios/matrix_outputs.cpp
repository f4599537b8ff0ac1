// The matrix's labels and its TAP output (scenarios/matrix.h).
#include <filesystem>

#include <fmt/format.h>

#include "scenarios/matrix.h"

namespace mtsim::scenarios {

std::string join_sets(const std::vector<std::string>& sets, const std::string& sep) {
    std::string s;
    for (const auto& x : sets) s += (s.empty() ? "" : sep) + x;
    return s;
}

std::string csv_cell(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string q = "\"";
    for (const char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string cell_label(const matrix_cell& c) {
    return c.sets.empty() ? c.host : c.host + " + " + join_sets(c.sets, " + ");
}

std::string cell_dir(const std::string& outdir, const std::string& scenario,
                     const std::string& host) {
    return (std::filesystem::path(outdir) / scenario / host).string();
}

std::string matrix_tap(const std::vector<matrix_cell>& cells) {
    // TAP 13 (testanything.org/tap-version-13-specification.html): the version line, the plan,
    // then one line per test point; text after '#' that is not SKIP or TODO is commentary.
    // A test point's description must not hold '#'; a scenario name or override could.
    auto clean = [](std::string s) {
        for (char& c : s)
            if (c == '#' || c == '\n') c = ' ';
        return s;
    };
    std::string s = fmt::format("TAP version 13\n1..{}\n", cells.size());
    for (std::size_t i = 0; i < cells.size(); ++i) {
        const matrix_cell& c = cells[i];
        const bool ok = c.error.empty() && c.expect_met;
        std::string comment = c.verdict;
        if (!c.error.empty())
            comment = "error: " + clean(c.error);
        else if (!c.expect_met)
            comment += " (expected " + c.expected + ")";
        s += fmt::format("{} {} - {} under {} # {}\n", ok ? "ok" : "not ok", i + 1,
                         clean(c.scenario), clean(cell_label(c)), comment);
    }
    return s;
}

} // namespace mtsim::scenarios
