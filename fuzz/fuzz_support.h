// What the harnesses share: where an input is written so that the loader can read it as a
// file (with the catalogue's common folder and the tests' data parts beside it, so that seeds
// that include them load whole), and which exceptions are the loader's answers to bad input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

namespace mtsim::fuzz {

// Writes the input to FOLDER/input.yaml, FOLDER a per-process folder under /dev/shm (or
// $TMPDIR) made on the first call, and returns the file's path.
std::string write_input(const std::uint8_t* data, std::size_t size);

// The exception the loader threw, classified as `mtsim` classifies it at its command boundary
// (app/main.cpp, guarded()): true when it is an answer to bad input (exit 2); false when it
// would be an internal error (exit 3). `what` receives its type and message.
bool is_input_error(const std::exception_ptr& e, std::string& what);

// This process's coverage counters (clang's inline 8-bit counters; coverage_counters.cpp).
std::uint8_t* counters_begin();
std::size_t counters_size();

} // namespace mtsim::fuzz
