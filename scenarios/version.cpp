// mtsim_version(): the only includer of the generated mtsim_git_describe.h (written at build
// time by cmake/git_describe.cmake), so a new commit recompiles this file alone.
#include <string>

#include "mtsim_git_describe.h"
#include "scenarios/runner.h"

namespace mtsim::scenarios {

std::string mtsim_version() {
    const std::string git = MTSIM_GIT_DESCRIBE;
    return git.empty() ? MTSIM_PROJECT_VERSION : MTSIM_PROJECT_VERSION " (" + git + ")";
}

} // namespace mtsim::scenarios
