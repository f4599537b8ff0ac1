#include "search/generate.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace mtsim::search {

bool independent(const space& s, int a, int b) {
    const letter &x = s.alphabet[std::size_t(a)], &y = s.alphabet[std::size_t(b)];
    return x.agent == y.agent && x.buffer >= 0 && y.buffer >= 0 && x.buffer != y.buffer;
}

namespace {

// The lexicographically least sequence among those that commute to p: the greedy choice of
// the least letter whose dependent predecessors are all placed (the lexicographic normal
// form of a Mazurkiewicz trace).
program lex_normal(const space& s, const program& p) {
    std::vector<bool> used(p.size(), false);
    program out;
    for (std::size_t step = 0; step < p.size(); ++step) {
        int best = -1;
        for (std::size_t i = 0; i < p.size(); ++i) {
            if (used[i]) continue;
            bool free = true;
            for (std::size_t j = 0; j < i && free; ++j)
                if (!used[j] && !independent(s, p[j], p[i])) free = false;
            if (free && (best < 0 || p[i] < p[std::size_t(best)])) best = int(i);
        }
        used[std::size_t(best)] = true;
        out.push_back(p[std::size_t(best)]);
    }
    return out;
}

// Every permutation of the buffers that maps each to one of its symmetry class.
std::vector<std::vector<int>> renamings(const space& s) {
    std::vector<int> id(s.buffers.size());
    std::iota(id.begin(), id.end(), 0);
    std::vector<std::vector<int>> out;
    std::vector<int> perm = id;
    do {
        bool ok = true;
        for (std::size_t i = 0; i < perm.size() && ok; ++i)
            ok = s.buffers[i].symmetry_class() == s.buffers[std::size_t(perm[i])].symmetry_class();
        if (ok) out.push_back(perm);
    } while (std::next_permutation(perm.begin(), perm.end()));
    return out;
}

int renamed(const space& s, int letter_index, const std::vector<int>& perm) {
    const letter& l = s.alphabet[std::size_t(letter_index)];
    if (l.buffer < 0) return letter_index;
    // Letters of one op on every buffer are consecutive in the alphabet, by buffer.
    return letter_index - l.buffer + perm[std::size_t(l.buffer)];
}

} // namespace

program canonical(const space& s, const program& p) {
    static thread_local const space* cached = nullptr;
    static thread_local std::vector<std::vector<int>> perms;
    if (cached != &s) {
        perms = renamings(s);
        cached = &s;
    }
    program best;
    for (const auto& perm : perms) {
        program q;
        for (int l : p) q.push_back(renamed(s, l, perm));
        q = lex_normal(s, q);
        if (best.empty() || q < best) best = q;
    }
    return best;
}

bool fence_after_fence(const space& s, const program& p) {
    for (std::size_t i = 1; i < p.size(); ++i) {
        const letter &a = s.alphabet[std::size_t(p[i - 1])], &b = s.alphabet[std::size_t(p[i])];
        if (a.fence && b.fence && a.agent == b.agent) return true;
    }
    return false;
}

bool writes(const space& s, const program& p) {
    return std::any_of(p.begin(), p.end(),
                       [&](int i) { return s.alphabet[std::size_t(i)].writes; });
}

bool ends_in_read(const space& s, const program& p) {
    return !p.empty() && s.alphabet[std::size_t(p.back())].reads;
}

std::vector<program> programs(const space& s, unsigned n, bool prune, level_count* count) {
    std::vector<program> out;
    level_count c;
    program p(n, 0);
    const int a = int(s.alphabet.size());
    // Odometer over every sequence, the last letter fastest.
    while (true) {
        ++c.all;
        const bool canon = !prune || canonical(s, p) == p;
        if (canon) ++c.canonical;
        if (canon && (!prune || (ends_in_read(s, p) && writes(s, p) && !fence_after_fence(s, p)))) {
            ++c.kept;
            out.push_back(p);
        }
        int i = int(n) - 1;
        while (i >= 0 && ++p[std::size_t(i)] == a) p[std::size_t(i--)] = 0;
        if (i < 0) break;
    }
    if (count) *count = c;
    return out;
}

std::string describe(const space& s, const program& p) {
    std::string out;
    for (int i : p) {
        const letter& l = s.alphabet[std::size_t(i)];
        if (!out.empty()) out += ' ';
        out += l.agent + "." + l.op;
        if (l.buffer >= 0) out += "(" + s.buffers[std::size_t(l.buffer)].name + ")";
    }
    return out;
}

unsigned distinct_ops(const space& s, const program& p) {
    std::set<std::string> ops;
    for (int i : p)
        ops.insert(s.alphabet[std::size_t(i)].agent + "." + s.alphabet[std::size_t(i)].op);
    return unsigned(ops.size());
}

namespace {

YAML::Node memory_args(const space& s, const letter& l) {
    YAML::Node a;
    a.SetStyle(YAML::EmitterStyle::Flow);
    a["buffer"] = s.buffers[std::size_t(l.buffer)].name;
    a["len"] = s.len;
    return a;
}

YAML::Node op_node(const space& s, const letter& l) {
    static const std::map<std::string, std::string> names{{"nt_store", "nt_fill"}};
    const auto it = names.find(l.op);
    const std::string name = it == names.end() ? l.op : it->second;
    if (l.buffer < 0) return YAML::Node(name);
    YAML::Node n;
    n[name] = memory_args(s, l);
    return n;
}

YAML::Node named(const char* op, const std::string& name) {
    YAML::Node n;
    n[op] = name;
    return n;
}

} // namespace

std::string scenario_yaml(const space& s, const program& p) {
    YAML::Node root =
        s.scenario_yaml.empty() ? YAML::Node(YAML::NodeType::Map) : YAML::Load(s.scenario_yaml);
    if (!root["description"]) root["description"] = "search " + s.name + ": " + describe(s, p);
    YAML::Node bufs(YAML::NodeType::Sequence);
    for (const auto& b : s.buffers) {
        YAML::Node n;
        n.SetStyle(YAML::EmitterStyle::Flow);
        n["name"] = b.name;
        n["kind"] = b.kind;
        n["gpa"] = b.gpa;
        n["size"] = b.size;
        n["pat"] = b.pats.front();
        bufs.push_back(n);
    }
    root["guest"]["buffers"] = bufs;

    const std::string bell = s.agents.front(); // the first CPU agent rings every doorbell
    std::map<std::string, YAML::Node> prog;
    for (const auto& a : s.agents) prog[a] = YAML::Node(YAML::NodeType::Sequence);
    std::string cur;
    unsigned handoff = 0;
    auto to_gpu = [&](const std::string& from) {
        if (!from.empty() && from != bell) {
            const std::string h = fmt::format("h{}", ++handoff);
            prog[from].push_back(named("signal", h));
            prog[bell].push_back(named("wait", h));
        }
        prog[bell].push_back(YAML::Node("doorbell"));
        prog["gpu"].push_back(YAML::Node("wait_doorbell"));
    };
    // `migrate` moves a vCPU between the pCPU it starts on (vcpuN on pCPU N) and the next one,
    // back and forth (KVM reschedules it: kvm_arch_vcpu_load on the new pCPU); the platform
    // needs pCPU N+1.
    std::map<std::string, bool> moved;
    for (int i : p) {
        const letter& l = s.alphabet[std::size_t(i)];
        if (l.agent == "gpu" && (cur.empty() || cur != "gpu"))
            to_gpu(cur);
        else if (!cur.empty() && cur != l.agent) {
            const std::string h = fmt::format("h{}", ++handoff);
            prog[cur].push_back(named(cur == "gpu" ? "interrupt" : "signal", h));
            prog[l.agent].push_back(named("wait", h));
        }
        if (l.op == "migrate") {
            const unsigned home = unsigned(std::stoul(l.agent.substr(4)));
            const bool away = !moved[l.agent];
            moved[l.agent] = away;
            YAML::Node n;
            n["migrate"] = away ? home + 1 : home;
            prog[l.agent].push_back(n);
        } else {
            prog[l.agent].push_back(op_node(s, l));
        }
        cur = l.agent;
    }
    YAML::Node programs(YAML::NodeType::Map);
    for (const auto& a : s.agents)
        if (prog[a].size() > 0) programs[a] = prog[a];
    root["programs"] = programs;
    YAML::Emitter e;
    e << root;
    return "# generated by mtsim search (docs/search.md): " + describe(s, p) + "\n" + e.c_str() +
           "\n";
}

} // namespace mtsim::search
