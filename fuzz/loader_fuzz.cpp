// libFuzzer harness for the scenario loader: parse, includes, the host, derivation and every
// check that runs before the simulation, then the resolved configuration (resolved_json and
// the reloadable YAML of `--resolved`) — everything `mtsim run` does before it elaborates,
// in-process and without SystemC, so that it runs ~10^3-10^4 inputs a second.
//
// A finding is what `mtsim run` would turn into a crash or into exit 3: a signal, a sanitizer
// report, or an exception the command boundary classifies as internal (fuzz_support.h).
// Answers to bad input (config_error naming FILE:LINE: key, not_modelled, ...) are the
// expected outcome for most inputs.
#include <cstdio>
#include <cstdlib>

#include "fuzz/fuzz_support.h"
#include "scenarios/resolved.h"
#include "scenarios/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = mtsim::fuzz::write_input(data, size);
    try {
        const mtsim::scenarios::scenario s = mtsim::scenarios::load_scenario(path, "", {});
        (void)mtsim::scenarios::resolved_json(s);
        (void)mtsim::scenarios::resolved_yaml(s);
    } catch (...) {
        std::string what;
        if (!mtsim::fuzz::is_input_error(std::current_exception(), what)) {
            std::fprintf(stderr, "mtsim loader fuzz: the loader threw %s\n", what.c_str());
            std::abort();
        }
    }
    return 0;
}

// libsystemc.so needs an sc_main; the loader never elaborates, so it is never called.
int sc_main(int, char*[]) {
    return 0;
}
