// The config_error a scenario file (with --set overrides) is refused with; a test fails when
// the file is accepted. Shared by the loader's tests.
#pragma once

#include <doctest/doctest.h>
#include <string>
#include <vector>

#include "model/config.h"
#include "scenarios/scenario.h"

namespace mtsim::scenarios::testing {

inline config_error load_error(const std::string& file, const std::string& host = "",
                               std::vector<std::string> sets = {}) {
    try {
        load_scenario(file, host, sets);
    } catch (const config_error& e) {
        return e;
    }
    FAIL("no config_error for " << file);
    return config_error("", 0, "", "");
}

} // namespace mtsim::scenarios::testing
