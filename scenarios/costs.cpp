#include "scenarios/costs.h"

#include <sstream>

#include <fmt/format.h>

#include "scenarios/runner.h"

namespace mtsim::scenarios {

result_cost cost_of(const nlohmann::json& r) {
    result_cost c;
    if (r.contains("measure")) {
        c.us = r["measure"].at("us").get<double>();
        c.basis = "measure";
        return c;
    }
    if (!r.contains("agents")) return c;
    for (const auto& [name, a] : r["agents"].items()) {
        const double us = a.at("busy_ns").get<double>() / 1e3;
        if (c.basis.empty() || us > c.us) {
            c.us = us;
            c.basis = "busy:" + name;
        }
    }
    return c;
}

std::string format_us(double us) {
    const char* f = us >= 100  ? "{:.0f}µs"
                    : us >= 10 ? "{:.1f}µs"
                    : us >= 1  ? "{:.2f}µs"
                               : "{:.3f}µs";
    return fmt::format(fmt::runtime(f), us);
}

std::map<std::string, std::string> agent_columns(const nlohmann::json& agents) {
    std::map<std::string, std::string> cols;
    for (const auto& [name, a] : agents.items()) {
        cols[name + ".cycles"] = std::to_string(a.at("cycles").get<std::uint64_t>());
        cols[name + ".us"] = fmt::format("{:.6f}", a.at("ns").get<double>() / 1e3);
        cols[name + ".busy_us"] = fmt::format("{:.6f}", a.at("busy_ns").get<double>() / 1e3);
        for (const auto& [part, v] : a.at("parts").items())
            cols[name + "." + part + ".cycles"] =
                std::to_string(v.at("cycles").get<std::uint64_t>());
    }
    return cols;
}

std::string format_costs(const nlohmann::json& r) {
    std::ostringstream os;
    if (!r.contains("agents") || r["agents"].empty()) return "";
    os << "cost per agent, from the programs' start (cycles of the agent's own clock; µs; busy = "
          "total minus sync.wait):\n";
    for (const auto& [name, a] : r["agents"].items()) {
        const auto cycles = a.at("cycles").get<std::uint64_t>();
        const double ns = a.at("ns").get<double>();
        os << fmt::format("  {:<8} {:>12} cycles at {:g} MHz  {:>12.3f} µs  busy {:.3f} µs\n", name,
                          cycles, a.at("clock_mhz").get<double>(), ns / 1e3,
                          a.at("busy_ns").get<double>() / 1e3);
        for (const auto& [part, v] : a.at("parts").items()) {
            const double pns = v.at("ns").get<double>();
            os << fmt::format("    {:<30} {:>12} cycles  {:>12.3f} µs  {:5.1f}%\n", part,
                              v.at("cycles").get<std::uint64_t>(), pns / 1e3,
                              ns > 0 ? 100.0 * pns / ns : 0.0);
        }
    }
    if (r.contains("measure")) {
        const auto& m = r["measure"];
        os << fmt::format("measure: {} from '{}' to '{}': {} cycles, {:.3f} µs\n",
                          m["agent"].get<std::string>(), m["from"].get<std::string>(),
                          m["to"].get<std::string>(), m["cycles"].get<long long>(),
                          m["us"].get<double>());
    }
    return os.str();
}

} // namespace mtsim::scenarios
