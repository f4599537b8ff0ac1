// The bounds of clang's inline 8-bit coverage counters (-fsanitize-coverage=inline-8bit-counters
// places them in the section __sancov_cntrs; the linker defines its bounds). This file is
// compiled without coverage instrumentation (fuzz/CMakeLists.txt): in an instrumented file the
// coverage pass declares the same two symbols with another type, and the module constructor
// it emits there is handed null bounds.
#include "fuzz/fuzz_support.h"

extern "C" {
// NOLINTNEXTLINE(bugprone-reserved-identifier)
__attribute__((weak, visibility("hidden"))) extern std::uint8_t __start___sancov_cntrs[];
// NOLINTNEXTLINE(bugprone-reserved-identifier)
__attribute__((weak, visibility("hidden"))) extern std::uint8_t __stop___sancov_cntrs[];
}

namespace mtsim::fuzz {

std::uint8_t* counters_begin() {
    return __start___sancov_cntrs;
}

std::size_t counters_size() {
    return static_cast<std::size_t>(__stop___sancov_cntrs - __start___sancov_cntrs);
}

} // namespace mtsim::fuzz
