// The resolved configuration: one scenario exactly as it runs, as data. Contract: `resolved_json`
// holds every parameter of the describe() tree (run, platform, host with its name, devices,
// guest, vmm) after includes, the host, --set and derivation, plus the parts that are lists:
// guest buffers and raw_pte, raw_ept, every agent's program (each op with its arguments
// resolved: len, repeat, stride; a CPU agent's pCPU) and expect. It is the `config` of a
// result, and `write_resolved` writes the same tree as a scenario file (YAML, the host inline)
// that loads back to the same scenario: `mtsim run` of it reproduces the run. A later output
// folder's config.yaml is this writer's file.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "scenarios/scenario.h"

namespace mtsim::scenarios {

nlohmann::json resolved_json(const scenario& s);
// The YAML text of resolved_json (a reloadable scenario file).
std::string resolved_yaml(const scenario& s);
// Writes resolved_yaml to `path` through a temporary file in the same folder and a rename, so
// that a reader never sees half a file. Throws std::runtime_error naming the path.
void write_resolved(const scenario& s, const std::string& path);

} // namespace mtsim::scenarios
