// Output conventions shared by the commands (app/cli.h).
#include "app/cli.h"

namespace mtsim::app {

void exclusive_switches(const boost::program_options::variables_map& vm,
                        const std::vector<std::string>& flags) {
    std::string given;
    unsigned n = 0;
    for (const auto& f : flags)
        if (vm.count(f) && vm[f].as<bool>()) {
            given += (n++ ? " and --" : "--") + f;
        }
    if (n > 1) throw cli_error(given + " conflict: choose one output format");
}

std::string json_text(const nlohmann::json& j) {
    return j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

} // namespace mtsim::app
