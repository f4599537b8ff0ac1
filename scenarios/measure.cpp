// `measure:` — the phase of one agent's program a study compares: {agent, from, to}, two
// labels of that agent's program (`label: NAME` ops). Checked at load, after the programs,
// so every error names the file, the line and the key before anything runs.
#include <algorithm>

#include "scenarios/scenario_parts.h"

namespace mtsim::scenarios::detail {

void parse_measure(const std::string& file, const YAML::Node& m, scenario& s) {
    if (!m.IsMap()) fail(file, m, "measure", "expected {agent: NAME, from: LABEL, to: LABEL}");
    measure_spec spec;
    spec.line = unsigned(m.Mark().line + 1);
    for (auto it = m.begin(); it != m.end(); ++it) {
        const std::string k = it->first.as<std::string>();
        if (k != "agent" && k != "from" && k != "to")
            fail(file, it->first, "measure." + k, "unknown key; valid: agent, from, to");
    }
    for (const char* k : {"agent", "from", "to"})
        if (!m[k]) fail(file, m, std::string("measure.") + k, "missing");
    spec.agent = scalar(file, m["agent"], "measure.agent");
    spec.from = scalar(file, m["from"], "measure.from");
    spec.to = scalar(file, m["to"], "measure.to");
    const auto prog = std::find_if(s.programs.begin(), s.programs.end(),
                                   [&](const agent_program& p) { return p.agent == spec.agent; });
    std::string agents;
    for (const auto& p : s.programs)
        if (p.agent != "gpu") agents += (agents.empty() ? "" : ", ") + p.agent;
    if (prog == s.programs.end() || spec.agent == "gpu")
        fail(file, m["agent"], "measure.agent",
             "no CPU agent '" + spec.agent +
                 "' with a program (labels are CPU ops); agents: " + agents);
    std::vector<std::string> labels;
    for (const auto& op : prog->ops)
        if (op.type == op_type::label) labels.push_back(op.name);
    std::string known;
    for (const auto& l : labels) known += (known.empty() ? "" : ", ") + l;
    if (known.empty()) known = "none";
    for (const char* k : {"from", "to"}) {
        const std::string& l = std::string(k) == "from" ? spec.from : spec.to;
        if (std::find(labels.begin(), labels.end(), l) == labels.end())
            fail(file, m[k], std::string("measure.") + k,
                 "no `label: " + l + "` in " + spec.agent + "'s program; its labels: " + known);
    }
    s.measure = spec;
}

} // namespace mtsim::scenarios::detail
