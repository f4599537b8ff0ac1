// The herdtools7 X86 / X86_64 litmus format, read into the scenario language (docs/litmus.md,
// "The herdtools7 format" and "mtsim extensions").
//
// Contract: herd_to_yaml() turns the text of a `.litmus` file into the YAML text of a litmus
// scenario, which the ordinary scenario loader then reads, so a `.litmus` file and a YAML file
// run through one code path. Each processor column Pn becomes vcpuN on its own pCPU; each
// location a 4 KiB WB guest buffer of its own (its own line and page) unless a `Types=` line
// gives it another page type; the `GPU` column (an mtsim extension) the pass-through GPU's
// program. Every op carries `line:`, its line in the `.litmus` file, so the loader's and the
// oracle's findings cite the file the user wrote. What the model cannot run (an unknown
// instruction, a branch, a store of a loaded value, a non-zero initial location) throws
// config_error naming FILE:LINE and the instruction, before anything is built. Pure text to
// text: no block, no YAML library.
#pragma once

#include <string>

namespace mtsim::litmus {

// True when `path` names a herdtools7 file (its name ends in ".litmus").
bool is_herd_file(const std::string& path);

// `text` is the file's content, `file` its name for errors. Throws config_error.
std::string herd_to_yaml(const std::string& text, const std::string& file);

} // namespace mtsim::litmus
