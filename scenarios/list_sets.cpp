#include "scenarios/list_sets.h"

#include <fmt/format.h>

namespace mtsim::scenarios::detail {

namespace {

[[noreturn]] void bad(const list_set& s, const std::string& key, const std::string& msg) {
    throw config_error("--set " + s.text, 0, key, msg);
}

// "NAME[INDEX]" at the start of `rest`: the name, the bracketed text and what follows.
bool split_bracket(const std::string& rest, std::string& name, std::string& inside,
                   std::string& after) {
    const auto open = rest.find('[');
    const auto close = rest.find(']', open == std::string::npos ? 0 : open);
    if (open == std::string::npos || close == std::string::npos || close == open + 1) return false;
    name = rest.substr(0, open);
    inside = rest.substr(open + 1, close - open - 1);
    after = rest.substr(close + 1);
    return true;
}

list_set parse_one(const std::string& text) {
    list_set s;
    s.text = text;
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
        throw config_error("--set " + text, 0, "", "expected key=value");
    s.key = text.substr(0, eq);
    s.value = text.substr(eq + 1);
    std::string name, inside, after;
    if (s.key.rfind("guest.buffers", 0) == 0) {
        s.buffer = true;
        if (!split_bracket(s.key.substr(6), name, inside, after) || name != "buffers" ||
            after.size() < 2 || after[0] != '.' || after.find('.', 1) != std::string::npos)
            bad(s, s.key, "expected guest.buffers[NAME].FIELD (a buffer by its name)");
        s.name = inside;
        s.field = after.substr(1);
        return s;
    }
    // programs.AGENT[INDEX].OP[.FIELD]
    if (!split_bracket(s.key.substr(9), name, inside, after) || name.empty() ||
        inside.find_first_not_of("0123456789") != std::string::npos || inside.size() > 6 ||
        after.size() < 2 || after[0] != '.')
        bad(s, s.key, "expected programs.AGENT[INDEX].OP.FIELD or programs.AGENT[INDEX].OP");
    s.name = name;
    s.index = std::stoul(inside);
    const auto dot = after.find('.', 1);
    s.op = after.substr(1, dot == std::string::npos ? std::string::npos : dot - 1);
    if (dot != std::string::npos) {
        s.field = after.substr(dot + 1);
        if (s.field.empty() || s.field.find('.') != std::string::npos)
            bad(s, s.key, "expected programs.AGENT[INDEX].OP.FIELD");
    }
    s.loader_key = fmt::format("programs.{}[{}].{}", s.name, s.index, s.op);
    return s;
}

void apply_buffer(const std::string& file, const YAML::Node& root, list_set& s) {
    const YAML::Node guest = root["guest"];
    if (!guest || !guest.IsMap() || !guest["buffers"] || !guest["buffers"].IsSequence()) return;
    YAML::Node list = guest["buffers"];
    for (std::size_t i = 0; i < list.size(); ++i) {
        YAML::Node b = list[i];
        const YAML::Node& cb = b; // reads through a const node insert nothing
        if (!cb.IsMap() || !cb["name"] || !cb["name"].IsScalar() ||
            cb["name"].as<std::string>() != s.name)
            continue;
        if (s.applied)
            throw config_error(file, unsigned(b.Mark().line + 1), "guest.buffers",
                               "buffer '" + s.name + "' is declared more than once");
        b[s.field] = s.value;
        s.loader_key = fmt::format("guest.buffers[{}].{}", i, s.field);
        s.applied = true;
    }
}

void apply_op(const std::string& file, const YAML::Node& root, list_set& s) {
    const YAML::Node progs = root["programs"];
    if (!progs || !progs.IsMap() || !progs[s.name]) return;
    const YAML::Node prog = progs[s.name];
    YAML::Node ops = prog.IsMap() ? prog["ops"] : prog;
    const std::string agent_key = "programs." + s.name;
    if (!ops || !ops.IsSequence()) return; // the loader reports the malformed program
    if (s.index >= ops.size())
        throw config_error(file, unsigned(ops.Mark().line + 1),
                           fmt::format("{}[{}]", agent_key, s.index),
                           fmt::format("--set {}: the program of {} has {} ops (indices 0..{})",
                                       s.text, s.name, ops.size(), ops.size() - 1));
    YAML::Node op = ops[s.index];
    std::string name;
    if (op.IsScalar())
        name = op.as<std::string>();
    else if (op.IsMap())
        for (auto it = op.begin(); it != op.end(); ++it)
            if (it->first.as<std::string>() != "line") name = it->first.as<std::string>();
    if (name != s.op)
        throw config_error(file, unsigned(op.Mark().line + 1),
                           fmt::format("{}[{}]", agent_key, s.index),
                           fmt::format("--set {}: this op is '{}', not '{}'", s.text, name, s.op));
    if (op.IsScalar()) {
        YAML::Node m(YAML::NodeType::Map);
        if (s.field.empty())
            m[name] = s.value;
        else
            m[name][s.field] = s.value;
        ops[s.index] = m;
    } else if (s.field.empty())
        op[name] = s.value;
    else if (op[name].IsMap())
        op[name][s.field] = s.value;
    else {
        YAML::Node arg(YAML::NodeType::Map);
        arg[s.field] = s.value;
        op[name] = arg;
    }
    s.applied = true;
}

} // namespace

bool is_list_set(const std::string& a) {
    return a.rfind("guest.buffers", 0) == 0 || a.rfind("programs.", 0) == 0;
}

std::vector<list_set> parse_list_sets(const std::vector<std::string>& assignments) {
    std::vector<list_set> out;
    for (const auto& a : assignments)
        if (is_list_set(a)) out.push_back(parse_one(a));
    return out;
}

void apply_list_sets(const std::string& file, YAML::Node& root, std::vector<list_set>& sets,
                     bool main) {
    for (auto& s : sets) {
        if (s.buffer)
            apply_buffer(file, root, s);
        else if (main && !s.applied)
            apply_op(file, root, s);
    }
}

void check_list_sets_applied(const std::vector<list_set>& sets, const std::string& buffers,
                             const std::string& agents) {
    for (const auto& s : sets) {
        if (s.applied) continue;
        if (s.buffer)
            bad(s, "guest.buffers[" + s.name + "]",
                "no buffer named '" + s.name + "'; buffers: " + buffers);
        bad(s, "programs." + s.name, "no program for agent '" + s.name + "'; agents: " + agents);
    }
}

void rethrow_for_set(const config_error& e, const std::vector<list_set>& sets) {
    // A node the --set created has no mark (line 0); a replaced value keeps its line.
    if (e.line() == 0)
        for (const auto& s : sets)
            if (s.applied && !s.loader_key.empty() && e.key().rfind(s.loader_key, 0) == 0)
                throw config_error("--set " + s.text, 0, e.key(), e.message());
    throw e;
}

} // namespace mtsim::scenarios::detail
