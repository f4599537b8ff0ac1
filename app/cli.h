// The command-line surface shared by every `mtsim` subcommand: bad input is a cli_error,
// which main() reports on stderr and turns into exit status 2.
#pragma once

#include <boost/program_options.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace mtsim::app {

struct cli_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Parses args (the words after the subcommand) against opts; positional words are allowed
// only when pos is given. Unknown or malformed flags become a cli_error naming the flag.
boost::program_options::variables_map
parse_args(const std::vector<std::string>& args,
           const boost::program_options::options_description& opts,
           const boost::program_options::positional_options_description* pos = nullptr);

// A 0|1 flag value, with a cli_error naming the flag for anything else.
bool parse_bit(const std::string& flag, const std::string& value);

using command_fn = int (*)(const std::vector<std::string>& args);

struct command {
    const char* name;
    const char* summary;
    command_fn run;
};

// Every subcommand, one line each; defined in main.cpp.
const std::vector<command>& commands();

int cmd_memtype(const std::vector<std::string>& args);
int cmd_list(const std::vector<std::string>& args);
int cmd_bench(const std::vector<std::string>& args);
int cmd_stress(const std::vector<std::string>& args);
int cmd_run(const std::vector<std::string>& args);
int cmd_matrix(const std::vector<std::string>& args);
int cmd_walk(const std::vector<std::string>& args);

} // namespace mtsim::app
