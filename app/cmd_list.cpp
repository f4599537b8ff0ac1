// mtsim list policies: every registered policy, its one-line description and its source.
#include <iostream>

#include "app/cli.h"
#include "kvm/policy.h"

namespace mtsim::app {

int cmd_list(const std::vector<std::string>& args) {
    static const char* kinds = "policies";
    if (args.size() != 1) throw cli_error(std::string("expected one of: ") + kinds);
    if (args[0] == "policies") {
        std::size_t w = 0;
        for (const auto* p : kvm::all_policies()) w = std::max(w, p->name().size());
        for (const auto* p : kvm::all_policies()) {
            std::cout << p->name() << std::string(w + 2 - p->name().size(), ' ') << p->description()
                      << "\n"
                      << std::string(w + 2, ' ') << "source: " << p->source() << "\n";
        }
        return 0;
    }
    throw cli_error("unknown list '" + args[0] + "'; valid: " + kinds);
}

} // namespace mtsim::app
