// The command-line surface shared by every `mtsim` subcommand: bad input is a cli_error,
// which main() reports on stderr and turns into exit status 2.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace sc_core {
class sc_report;
}

namespace mtsim::app {

struct cli_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Thrown by parse_args after it printed a command's options for --help/-h (for commands whose
// options do not declare "help" themselves); the command boundary turns it into exit 0.
struct help_shown {};

// Parses args (the words after the subcommand) against opts; positional words are allowed
// only when pos is given (a stray word is a cli_error). Unknown or malformed flags become a
// cli_error naming the flag. --help or -h, when opts does not declare "help", prints opts on
// stdout and throws help_shown.
boost::program_options::variables_map
parse_args(const std::vector<std::string>& args,
           const boost::program_options::options_description& opts,
           const boost::program_options::positional_options_description* pos = nullptr);

// A whole number for --flag within [lo, hi], from its text: a sign, a fraction, trailing text
// or a value outside the range is a cli_error naming the flag and the range (boost's own
// conversion accepts "-1" for an unsigned and wraps it).
std::uint64_t parse_count(const std::string& flag, const std::string& text, std::uint64_t lo,
                          std::uint64_t hi);

// A 0|1 flag value, with a cli_error naming the flag for anything else.
bool parse_bit(const std::string& flag, const std::string& value);

// --- app/cli_output.cpp ---
// At most one of the given boolean switches (output formats); a cli_error naming the ones given.
void exclusive_switches(const boost::program_options::variables_map& vm,
                        const std::vector<std::string>& flags);
// The one JSON style of every command's output: indented by one space, UTF-8 with invalid
// bytes replaced by U+FFFD (names come from files as bytes; RFC 8259 §8.1), a final newline.
std::string json_text(const nlohmann::json& j);

// A SystemC report that carries an exception thrown inside a simulation thread (E549) is
// rethrown as that original exception, so that a command reports the model's own message and
// the boundary classifies its type; any other report is rethrown as is.
[[noreturn]] void rethrow_thread_exception(const sc_core::sc_report& report);

using command_fn = int (*)(const std::vector<std::string>& args);

struct command {
    const char* name;
    const char* summary;
    command_fn run;
};

// Every subcommand, one line each; defined in main.cpp.
const std::vector<command>& commands();
// One command (args[0] its name) inside this process, through the same boundary as main():
// its exit status, exceptions reported on stderr (a forked child of `mtsim search`).
int run_in_process(const std::vector<std::string>& args);

int cmd_memtype(const std::vector<std::string>& args);
int cmd_list(const std::vector<std::string>& args);
int cmd_bench(const std::vector<std::string>& args);
int cmd_stress(const std::vector<std::string>& args);
int cmd_run(const std::vector<std::string>& args);
int cmd_litmus(const std::vector<std::string>& args);
int cmd_matrix(const std::vector<std::string>& args);
int cmd_walk(const std::vector<std::string>& args);
int cmd_sweep(const std::vector<std::string>& args);
int cmd_merge(const std::vector<std::string>& args);
int cmd_plot(const std::vector<std::string>& args);
int cmd_search(const std::vector<std::string>& args);
int cmd_minimize(const std::vector<std::string>& args);

} // namespace mtsim::app
