// mtsim: the command line. Thin by design: each subcommand parses its flags and calls a block.
#include <cstdlib>
#include <iostream>
#include <systemc>

#include "app/cli.h"

namespace mtsim::app {

const std::vector<command>& commands() {
    static const std::vector<command> cmds{
        {"memtype", "explain how an effective memory type is resolved, step by step", cmd_memtype},
        {"list", "list policies, scenarios, hosts, params or stats", cmd_list},
        {"bench", "simulated accesses per host second, relative to a bare TLM loop", cmd_bench},
        {"stress", "random coherence tester: SWMR and data-value checks after every op",
         cmd_stress},
        {"run", "run one scenario under one host: verdict, corruptions and their causes", cmd_run},
        {"matrix", "every scenario under every host, each in its own process: a table", cmd_matrix},
        {"walk", "one vCPU's 2-D page walk step by step: entries, types, cycles, exit", cmd_walk},
    };
    return cmds;
}

namespace po = boost::program_options;

po::variables_map parse_args(const std::vector<std::string>& args,
                             const po::options_description& opts,
                             const po::positional_options_description* pos) {
    po::variables_map vm;
    try {
        po::command_line_parser p(args);
        p.options(opts).style(po::command_line_style::unix_style ^
                              po::command_line_style::allow_guessing);
        if (pos) p.positional(*pos);
        po::store(p.run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw cli_error(e.what());
    }
    return vm;
}

bool parse_bit(const std::string& flag, const std::string& value) {
    if (value == "0") return false;
    if (value == "1") return true;
    throw cli_error("--" + flag + ": '" + value + "' is not valid; use 0 or 1");
}

static void usage(std::ostream& os) {
    os << "usage: mtsim COMMAND [options]\n\ncommands:\n";
    for (const auto& c : commands())
        os << "  " << c.name << std::string(10 - std::string(c.name).size(), ' ') << c.summary
           << "\n";
    os << "\n`mtsim COMMAND --help` describes a command's options.\n";
}

} // namespace mtsim::app

int sc_main(int argc, char* argv[]) {
    using namespace mtsim::app;
    if (argc < 2) {
        usage(std::cerr);
        return 2;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        usage(std::cout);
        return 0;
    }
    std::vector<std::string> args(argv + 2, argv + argc);
    for (const auto& c : commands()) {
        if (name != c.name) continue;
        try {
            return c.run(args);
        } catch (const cli_error& e) {
            std::cerr << "mtsim " << name << ": " << e.what() << "\n";
            return 2;
        }
    }
    std::cerr << "mtsim: unknown command '" << name << "'; valid commands:";
    for (const auto& c : commands()) std::cerr << " " << c.name;
    std::cerr << "\n";
    return 2;
}

// SystemC's banner would otherwise land in front of every command's output.
int main(int argc, char* argv[]) {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    return sc_core::sc_elab_and_sim(argc, argv);
}
