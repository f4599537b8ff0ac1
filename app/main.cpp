// mtsim: the command line. Thin by design: each subcommand parses its flags and calls a block.
#include <charconv>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <new>
#include <nlohmann/json.hpp>
#include <systemc>
#include <yaml-cpp/yaml.h>

#include "app/cli.h"
#include "model/child_process.h"
#include "model/config.h"
#include "model/not_modelled.h"
#include "scenarios/runner.h"

namespace mtsim::app {

const std::vector<command>& commands() {
    static const std::vector<command> cmds{
        {"memtype", "explain how an effective memory type is resolved, step by step", cmd_memtype},
        {"list", "list policies, scenarios, hosts, params or stats", cmd_list},
        {"bench", "simulated accesses per host second, relative to a bare TLM loop", cmd_bench},
        {"stress", "random coherence tester: SWMR and data-value checks after every op",
         cmd_stress},
        {"run", "run one scenario under one host: verdict, corruptions and their causes", cmd_run},
        {"litmus", "a litmus test run many times with seeded timings: outcome histogram, Ok/No",
         cmd_litmus},
        {"matrix", "every scenario under every host, each in its own process: a table", cmd_matrix},
        {"walk", "one vCPU's 2-D page walk step by step: entries, types, cycles, exit", cmd_walk},
        {"sweep", "a what-if study: its points in child processes, a CSV row each", cmd_sweep},
        {"merge", "join the output folders of a study's shards into one", cmd_merge},
        {"plot", "a chart of a sweep's CSV through gnuplot: lines or a verdict heat map", cmd_plot},
        {"search",
         "every program of a small space under every configuration: the minimal "
         "corrupting ones",
         cmd_search},
        {"minimize", "delta debugging: a corrupting scenario shrunk to a 1-minimal one",
         cmd_minimize},
    };
    return cmds;
}

namespace po = boost::program_options;

po::variables_map parse_args(const std::vector<std::string>& args,
                             const po::options_description& opts,
                             const po::positional_options_description* pos) {
    if (!opts.find_nothrow("help", false))
        for (const auto& a : args)
            if (a == "--help" || a == "-h") {
                std::cout << opts;
                throw help_shown{};
            }
    po::variables_map vm;
    try {
        po::command_line_parser p(args);
        p.options(opts).style(po::command_line_style::unix_style ^
                              po::command_line_style::allow_guessing);
        if (pos) p.positional(*pos);
        const auto parsed = p.run();
        if (!pos)
            for (const auto& o : parsed.options)
                if (o.position_key >= 0 && !o.value.empty())
                    throw cli_error("unexpected word '" + o.value.front() +
                                    "'; this command takes only --flags");
        po::store(parsed, vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw cli_error(e.what());
    }
    return vm;
}

std::uint64_t parse_count(const std::string& flag, const std::string& text, std::uint64_t lo,
                          std::uint64_t hi) {
    std::uint64_t v = 0;
    const char* end = text.data() + text.size();
    const auto [p, ec] = std::from_chars(text.data(), end, v);
    const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    if (text.empty() || ec != std::errc() || p != end || v < lo || v > hi)
        throw cli_error("--" + flag + ": '" + text + "' is not a whole number in " + range);
    return v;
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
    os << "\n`mtsim COMMAND --help` (or `mtsim help COMMAND`) describes a command's options;\n"
          "`mtsim --version` prints the version.\n";
}

// --- the error boundary --------------------------------------------------------------------
// An exception thrown inside an SC_THREAD does not reach sc_start's caller as itself:
// sc_core::sc_handle_exception (SystemC 2.3 kernel/sc_except.cpp) rethrows it inside a
// try block and turns it into SC_REPORT_ERROR(SC_ID_SIMULATION_UNCAUGHT_EXCEPTION_, what()),
// E549, which sc_start then throws as an sc_report. The report handler below runs inside that
// catch block, where std::current_exception() is still the original exception: it keeps it so
// that the command boundary can rethrow the original type and classify it. It also keeps
// SystemC from printing anything on stdout (an sc_stop's "Info: ... stopped by user" would land
// in front of a --json object): info reports are dropped, warnings go to stderr, and errors are
// only thrown, to be reported once by the boundary.
namespace {

std::exception_ptr g_thread_exception; // the original of the last E549 report

void report_handler(const sc_core::sc_report& rep, const sc_core::sc_actions& actions) {
    if (rep.get_severity() == sc_core::SC_INFO) return;
    if (rep.get_severity() == sc_core::SC_WARNING) {
        std::cerr << "mtsim: SystemC warning: " << rep.get_msg() << "\n";
        return;
    }
    if (std::string(rep.get_msg_type()) == sc_core::SC_ID_SIMULATION_UNCAUGHT_EXCEPTION_)
        g_thread_exception = std::current_exception();
    // Fatal reports abort by default; throw them too, so that the boundary reports them.
    (void)actions;
    sc_core::sc_report_handler::default_handler(rep, sc_core::SC_THROW);
}

} // namespace

[[noreturn]] void rethrow_thread_exception(const sc_core::sc_report& report) {
    if (!g_thread_exception) throw report;
    std::exception_ptr original = g_thread_exception;
    g_thread_exception = nullptr;
    std::rethrow_exception(original);
}

namespace {

// Runs one command; every exception ends here. Exit 2: bad input (flags, FILE:LINE: key, YAML
// syntax, numbers, I/O on an input file, JSON) and what the model does not implement. Exit 3:
// anything else, which is a bug of mtsim.
int guarded(const command& c, const std::vector<std::string>& args) {
    const std::string name = c.name;
    auto input = [&](const std::string& what) {
        std::cerr << "mtsim " << name << ": " << what << "\n";
        return 2;
    };
    auto internal = [&](const std::string& what) {
        std::string invocation = "mtsim " + name;
        for (const auto& a : args) invocation += " " + a;
        std::cerr << "mtsim " << name << ": internal error: " << what
                  << "\nplease report this with the command and its files: " << invocation << "\n";
        return 3;
    };
    try {
        try {
            // A test-only hook (kept out of --help): proves that a bug is exit 3.
            if (std::getenv("MTSIM_TEST_INTERNAL_ERROR"))
                throw std::logic_error("an internal error on purpose (MTSIM_TEST_INTERNAL_ERROR)");
            return c.run(args);
        } catch (const help_shown&) {
            return 0;
        } catch (const sc_core::sc_report& r) {
            rethrow_thread_exception(r);
        }
    } catch (const cli_error& e) {
        return input(e.what());
    } catch (const config_error& e) {
        return input(e.what());
    } catch (const not_modelled& e) {
        return input(e.what());
    } catch (const YAML::Exception& e) {
        return input(std::string("YAML: ") + e.what());
    } catch (const nlohmann::json::parse_error& e) {
        return input(std::string("JSON: ") + e.what());
    } catch (const std::filesystem::filesystem_error& e) {
        return input(e.what());
    } catch (const std::ios_base::failure& e) {
        return input(std::string("I/O: ") + e.what());
    } catch (const std::invalid_argument& e) {
        return input(e.what()); // std::stoul and the blocks' validate() functions
    } catch (const std::out_of_range& e) {
        // std::stoul and friends name themselves; any other out_of_range is a bug.
        if (std::string(e.what()).rfind("sto", 0) == 0)
            return input(std::string("number out of range (") + e.what() + ")");
        return internal(e.what());
    } catch (const std::bad_alloc&) {
        return input("out of host memory; the configuration asks for more than this machine "
                     "has (reduce sizes, counts or repeats)");
    } catch (const sc_core::sc_report& e) {
        return internal(std::string("SystemC: ") + e.what());
    } catch (const std::exception& e) {
        return internal(e.what());
    } catch (...) {
        return internal("an exception of unknown type");
    }
}

} // namespace

int run_in_process(const std::vector<std::string>& args) {
    for (const auto& c : commands())
        if (!args.empty() && args.front() == c.name)
            return guarded(c, {args.begin() + 1, args.end()});
    std::cerr << "mtsim: no command '" << (args.empty() ? "" : args.front()) << "'\n";
    return 2;
}

} // namespace mtsim::app

int sc_main(int argc, char* argv[]) {
    using namespace mtsim::app;
    if (argc < 2) {
        usage(std::cerr);
        return 2;
    }
    const std::string name = argv[1];
    if (name == "--version" || name == "-V") {
        std::cout << "mtsim " << mtsim::scenarios::mtsim_version() << "\n";
        return 0;
    }
    // `mtsim help COMMAND` is `mtsim COMMAND --help`.
    if (name == "help" && argc == 3) {
        for (const auto& c : commands())
            if (c.name == std::string(argv[2])) return guarded(c, {"--help"});
    }
    if (name == "--help" || name == "-h" || name == "help") {
        usage(std::cout);
        return name == "help" && argc > 2 ? 2 : 0;
    }
    std::vector<std::string> args(argv + 2, argv + argc);
    for (const auto& c : commands()) {
        if (name != c.name) continue;
        return guarded(c, args);
    }
    std::cerr << "mtsim: unknown command '" << name << "'; valid commands:";
    for (const auto& c : commands()) std::cerr << " " << c.name;
    std::cerr << "\n";
    return 2;
}

// SystemC's banner would otherwise land in front of every command's output.
int main(int argc, char* argv[]) {
    mtsim::parent_death_kills_me();
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    sc_core::sc_report_handler::set_handler(mtsim::app::report_handler);
    return sc_core::sc_elab_and_sim(argc, argv);
}
