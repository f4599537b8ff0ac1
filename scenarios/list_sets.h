// `--set` for the parts of a scenario that are lists: a guest buffer by its name
// (`guest.buffers[blob].size=16KiB`) and an op of an agent's program by its index
// (`programs.vcpu0[2].fill.len=4KiB`, `programs.vcpu0[5].pause=200`). Contract: the assignment
// edits the YAML of the file that declares the buffer (the main file or an include) or the
// main file's program before the loader parses it, so the value goes through the same parser,
// checks and error messages as one written in the file; the resolved file shows the result.
// A path that does not exist (no such buffer, agent or op index, an op of another name) is a
// config_error naming the file, line and key where the file says otherwise, or the `--set`
// and the key when the file has nothing to point at. Internal to scenarios/.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "model/config.h"

namespace mtsim::scenarios::detail {

struct list_set {
    std::string text;  // the whole assignment, as given
    std::string key;   // the part before '='
    std::string value; // the part after '='
    bool buffer = false;
    std::string name; // buffer name, or the agent of a program op
    std::size_t index = 0;
    std::string op;         // program op: its name
    std::string field;      // buffer field, or the op's argument (empty: the op's whole argument)
    std::string loader_key; // the key the loader's messages use for the edited node
    bool applied = false;
};

// True for an assignment to `guest.buffers[...]` or `programs....`.
bool is_list_set(const std::string& assignment);
// Parses the list assignments; a malformed path is a config_error naming the --set.
std::vector<list_set> parse_list_sets(const std::vector<std::string>& assignments);
// Edits `root`, the parsed YAML of `file`, with every assignment that reaches into it
// (programs only when `main`). An op of another name at the index is a config_error at the
// op's line.
void apply_list_sets(const std::string& file, YAML::Node& root, std::vector<list_set>& sets,
                     bool main);
// After loading: an assignment that reached nothing is a config_error naming the --set and
// what exists (`buffers` and `programs` of the loaded scenario, described by the caller).
void check_list_sets_applied(const std::vector<list_set>& sets, const std::string& buffers,
                             const std::string& agents);
// The loader's error about a node that a --set created carries no line: name the --set.
[[noreturn]] void rethrow_for_set(const config_error& e, const std::vector<list_set>& sets);

} // namespace mtsim::scenarios::detail
