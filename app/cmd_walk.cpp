// mtsim walk SCENARIO --vcpu N --gva ADDR --access read|write|fetch [--host NAME] [--set k=v]...
// [--json]: one 2-D translation shown step by step (scenarios/walk.h). Exit 0 when the walk was
// shown (translated or an exit), 2 on bad input: flags, an unknown vCPU, a gva the scenario's
// guest tables do not map, or a scenario the model refuses.
#include <iostream>
#include <new>
#include <stdexcept>
#include <systemc>

#include "app/cli.h"
#include "model/params.h"
#include "scenarios/walk.h"

namespace mtsim::app {

namespace po = boost::program_options;

int cmd_walk(const std::vector<std::string>& args) {
    po::options_description opts("mtsim walk SCENARIO");
    opts.add_options()("file", po::value<std::string>()->required(), "scenario file")(
        "vcpu", po::value<unsigned>()->required(), "the vCPU that translates (N of vcpuN)")(
        "gva", po::value<std::string>()->required(), "guest-linear address")(
        "access", po::value<std::string>()->required(), "read, write or fetch")(
        "set", po::value<std::vector<std::string>>()->composing(), "override a parameter: a.b.c=v")(
        "host", po::value<std::string>()->default_value(""), "host (scenarios/hosts/NAME.yaml)")(
        "json", po::bool_switch(), "print the walk as one JSON object");
    po::positional_options_description pos;
    pos.add("file", 1);
    const auto vm = parse_args(args, opts, &pos);
    scenarios::walk_request r;
    r.vcpu = vm["vcpu"].as<unsigned>();
    const std::string gva = vm["gva"].as<std::string>();
    const auto g = parse_uint(gva);
    if (!g) throw cli_error("--gva: '" + gva + "' is not an address");
    r.gva = *g;
    const std::string acc = vm["access"].as<std::string>();
    if (acc == "read")
        r.kind = cpu::access_kind::read;
    else if (acc == "write")
        r.kind = cpu::access_kind::write;
    else if (acc == "fetch")
        r.kind = cpu::access_kind::fetch;
    else
        throw cli_error("--access: '" + acc + "' is not valid; use read, write or fetch");
    const auto sets =
        vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
    scenarios::scenario s;
    try {
        s = scenarios::load_scenario(vm["file"].as<std::string>(), vm["host"].as<std::string>(),
                                     sets);
    } catch (const config_error& e) {
        throw cli_error(e.what());
    }
    if (r.vcpu >= scenarios::vcpu_count(s))
        throw cli_error("--vcpu: vcpu" + std::to_string(r.vcpu) +
                        " does not exist (the scenario has " +
                        std::to_string(scenarios::vcpu_count(s)) + ")");
    if (!scenarios::guest_maps(s, r.gva))
        throw cli_error("--gva: " + gva +
                        " is not mapped by the scenario's guest page tables (no guest buffer or "
                        "GPU BAR page holds it)");
    nlohmann::json w;
    try {
        try {
            w = scenarios::walk_scenario(s, r);
        } catch (const sc_core::sc_report& rep) {
            rethrow_thread_exception(rep); // the model's own exception, not SystemC's E549 text
        }
    } catch (const config_error& e) {
        throw cli_error(e.what());
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::logic_error&) {
        throw; // a bug of mtsim (exit 3), or invalid_argument (exit 2): the boundary decides
    } catch (const std::exception& e) {
        throw cli_error(std::string("the model refused the walk: ") + e.what());
    }
    if (vm["json"].as<bool>())
        std::cout << json_text(w);
    else
        std::cout << scenarios::format_walk(w);
    return 0;
}

} // namespace mtsim::app
