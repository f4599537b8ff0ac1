#include "litmus/report.h"

#include <map>

#include <fmt/format.h>

#include "model/perturb.h"

namespace mtsim::litmus {

std::uint64_t run_perturb_seed(std::uint64_t seed, std::uint64_t i) {
    const std::uint64_t s = splitmix64(seed + i);
    return s == 0 ? 1 : s;
}

nlohmann::json summarize(const exploration& e) {
    struct bucket {
        std::uint64_t count = 0;
        bool satisfied = false;
        nlohmann::json registers, locations;
    };
    std::map<std::string, bucket> hist; // by outcome text: a stable order
    std::map<std::string, std::uint64_t> verdicts;
    std::uint64_t pos = 0, neg = 0;
    for (const auto& r : e.results) {
        const auto& l = r.at("litmus");
        bucket& b = hist[l.at("outcome").get<std::string>()];
        ++b.count;
        b.satisfied = l.at("satisfied").get<bool>();
        b.registers = r.value("registers", nlohmann::json::object());
        b.locations = r.value("locations", nlohmann::json::object());
        (b.satisfied ? pos : neg)++;
        ++verdicts[r.at("verdict").get<std::string>()];
    }
    nlohmann::json h = nlohmann::json::array();
    for (const auto& [text, b] : hist)
        h.push_back({{"outcome", text},
                     {"count", b.count},
                     {"satisfied", b.satisfied},
                     {"registers", b.registers},
                     {"locations", b.locations}});
    bool ok = false;
    bool about_seen = false; // the outcomes the condition is about were observed
    switch (e.q) {
    case quantifier::exists:
        ok = pos > 0;
        about_seen = pos > 0;
        break;
    case quantifier::not_exists:
        ok = pos == 0;
        about_seen = pos > 0;
        break;
    case quantifier::forall:
        ok = neg == 0;
        about_seen = neg > 0;
        break;
    }
    const bool any = !e.results.empty();
    nlohmann::json agrees = nullptr;
    if (!e.expect.empty() && any) agrees = (e.expect == "allow") == about_seen;
    nlohmann::json j = {
        {"schema_version", summary_schema_version},
        {"test", e.test},
        {"file", e.file},
        {"host", e.host},
        {"runs", e.runs},
        {"seed", e.seed},
        {"jobs", e.jobs},
        {"quantifier", to_string(e.q)},
        {"condition", e.condition},
        {"expect", e.expect.empty() ? nlohmann::json() : nlohmann::json(e.expect)},
        {"histogram", h},
        {"states", hist.size()},
        {"positive", pos},
        {"negative", neg},
        {"result", ok && any ? "Ok" : "No"},
        {"observation", pos == 0   ? "Never"
                        : neg == 0 ? "Always"
                                   : "Sometimes"},
        {"agrees", agrees},
        {"verdicts", verdicts},
        {"failed", e.failed},
        {"seconds", e.seconds},
        {"runs_per_second", e.seconds > 0 ? double(e.results.size()) / e.seconds : 0.0},
        {"version", e.version}};
    return j;
}

std::string format_summary(const nlohmann::json& j) {
    std::string s;
    const std::string test = j["test"].get<std::string>();
    const std::string q = j["quantifier"].get<std::string>();
    if (!j["expect"].is_null()) {
        const bool allow = j["expect"] == "allow";
        s += fmt::format("Test {} {}\n", test,
                         allow           ? "Allowed"
                         : q == "forall" ? "Required"
                                         : "Forbidden");
    }
    s += fmt::format("Histogram ({} states)\n", j["states"].get<std::uint64_t>());
    for (const auto& b : j["histogram"])
        s += fmt::format("{:<6}{}{}\n", b["count"].get<std::uint64_t>(),
                         b["satisfied"].get<bool>() ? "*>" : ":>", b["outcome"].get<std::string>());
    s += j["result"].get<std::string>() + "\n\nWitnesses\n";
    const auto pos = j["positive"].get<std::uint64_t>(), neg = j["negative"].get<std::uint64_t>();
    s += fmt::format("Positive: {}, Negative: {}\n", pos, neg);
    s += fmt::format("Condition {} ({})\n", q, j["condition"].get<std::string>());
    s += fmt::format("Observation {} {} {} {}\n", test, j["observation"].get<std::string>(), pos,
                     neg);
    if (!j["expect"].is_null())
        s += fmt::format("Expect {}: {}\n", j["expect"].get<std::string>(),
                         j["agrees"].is_null()     ? "no run"
                         : j["agrees"].get<bool>() ? "agrees"
                                                   : "DISAGREES");
    for (const auto& [v, n] : j["verdicts"].items())
        s += fmt::format("Verdict {} {}\n", v, n.get<std::uint64_t>());
    for (const auto& f : j["failed"])
        s += fmt::format("Failed run {} (run.perturb={}): {}\n", f["run"].get<std::uint64_t>(),
                         f["perturb"].get<std::uint64_t>(), f["error"].get<std::string>());
    s += fmt::format("Time {} {:.2f}\n", test, j["seconds"].get<double>());
    return s;
}

} // namespace mtsim::litmus
