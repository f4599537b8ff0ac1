#include "litmus/condition.h"

#include <algorithm>
#include <cctype>
#include <tuple>

#include <fmt/format.h>

namespace mtsim::litmus {

namespace {

// vcpuN sorts by N, before vmm, before gpu.
std::tuple<int, unsigned long, std::string> agent_rank(const std::string& a) {
    if (a.rfind("vcpu", 0) == 0 && a.size() > 4 &&
        a.find_first_not_of("0123456789", 4) == std::string::npos)
        return {0, std::stoul(a.substr(4)), ""};
    if (a == "vmm") return {1, 0, ""};
    if (a == "gpu") return {2, 0, ""};
    return {3, 0, a};
}

class parser {
public:
    explicit parser(const std::string& t) : m_t(t) {}

    std::unique_ptr<cond_node> whole() {
        auto n = disj();
        skip();
        if (m_i != m_t.size()) fail("unexpected text; expected /\\, \\/ or the end");
        return n;
    }

private:
    [[noreturn]] void fail(const std::string& msg) const { throw condition_error(m_i, msg); }
    void skip() {
        while (m_i < m_t.size() && std::isspace(static_cast<unsigned char>(m_t[m_i]))) ++m_i;
    }
    bool eat(const char* tok) {
        skip();
        const std::string_view s(tok);
        if (m_t.compare(m_i, s.size(), s) != 0) return false;
        m_i += s.size();
        return true;
    }
    static std::unique_ptr<cond_node> join(cond_node::kind k, std::unique_ptr<cond_node> a,
                                           std::unique_ptr<cond_node> b) {
        auto n = std::make_unique<cond_node>();
        n->k = k;
        n->at = a->at;
        n->kids.push_back(std::move(a));
        n->kids.push_back(std::move(b));
        return n;
    }
    std::unique_ptr<cond_node> disj() {
        auto n = conj();
        while (eat("\\/")) n = join(cond_node::kind::or_, std::move(n), conj());
        return n;
    }
    std::unique_ptr<cond_node> conj() {
        auto n = unary();
        while (eat("/\\")) n = join(cond_node::kind::and_, std::move(n), unary());
        return n;
    }
    std::string ident() {
        skip();
        const std::size_t b = m_i;
        while (m_i < m_t.size() &&
               (std::isalnum(static_cast<unsigned char>(m_t[m_i])) || m_t[m_i] == '_'))
            ++m_i;
        return m_t.substr(b, m_i - b);
    }
    std::unique_ptr<cond_node> unary() {
        skip();
        auto n = std::make_unique<cond_node>();
        n->at = m_i;
        if (eat("~")) {
            n->k = cond_node::kind::not_;
            n->kids.push_back(unary());
            return n;
        }
        if (eat("(")) {
            n = disj();
            if (!eat(")")) fail("expected ')'");
            return n;
        }
        const bool bracket = eat("[");
        std::string first = ident();
        if (first.empty()) fail("expected a register (P:reg), a location, ~ or (");
        if (bracket) {
            if (!eat("]")) fail("expected ']'");
            n->name = first;
        } else if (!bracket && (first == "true" || first == "false")) {
            n->k = first == "true" ? cond_node::kind::true_ : cond_node::kind::false_;
            return n;
        } else if (eat(":")) {
            const std::string reg = ident();
            if (reg.empty()) fail("expected a register name after ':'");
            if (first == "vmm" || first == "gpu")
                n->agent = first;
            else if (first.find_first_not_of("0123456789") == std::string::npos &&
                     first.size() <= 4)
                n->agent = "vcpu" + std::to_string(std::stoul(first));
            else
                throw condition_error(n->at, "'" + first +
                                                 "' is not a processor: a vCPU number, vmm "
                                                 "or gpu");
            n->name = reg;
        } else {
            if (std::isdigit(static_cast<unsigned char>(first[0])))
                throw condition_error(n->at, "'" + first + "' is not a location name");
            n->name = first;
        }
        if (eat("<>"))
            n->k = cond_node::kind::ne;
        else if (eat("="))
            n->k = cond_node::kind::eq;
        else
            fail("expected '=' or '<>'");
        skip();
        const std::size_t b = m_i;
        int base = 10;
        if (m_t.compare(m_i, 2, "0x") == 0 || m_t.compare(m_i, 2, "0X") == 0) {
            base = 16;
            m_i += 2;
        }
        const std::size_t digits = m_i;
        while (m_i < m_t.size() && std::isxdigit(static_cast<unsigned char>(m_t[m_i])) &&
               (base == 16 || std::isdigit(static_cast<unsigned char>(m_t[m_i]))))
            ++m_i;
        if (m_i == digits) {
            m_i = b;
            fail("expected a value (decimal or 0x hex)");
        }
        try {
            std::size_t used = 0;
            n->value = std::stoull(m_t.substr(digits, m_i - digits), &used, base);
        } catch (const std::out_of_range&) {
            m_i = b;
            fail("value does not fit 64 bits");
        }
        return n;
    }

    const std::string& m_t;
    std::size_t m_i = 0;
};

bool eval(const cond_node& n, const outcome& o) {
    switch (n.k) {
    case cond_node::kind::true_:
        return true;
    case cond_node::kind::false_:
        return false;
    case cond_node::kind::not_:
        return !eval(*n.kids[0], o);
    case cond_node::kind::and_:
        return eval(*n.kids[0], o) && eval(*n.kids[1], o);
    case cond_node::kind::or_:
        return eval(*n.kids[0], o) || eval(*n.kids[1], o);
    case cond_node::kind::eq:
    case cond_node::kind::ne: {
        const std::uint64_t* v = nullptr;
        if (!n.agent.empty()) {
            for (const auto& r : o.registers)
                if (r.agent == n.agent && r.name == n.name) v = &r.value;
        } else {
            for (const auto& l : o.locations)
                if (l.first == n.name) v = &l.second;
        }
        if (!v)
            throw std::logic_error("litmus condition names " +
                                   (n.agent.empty() ? n.name : reg_key(n.agent, n.name)) +
                                   ", which the outcome does not hold");
        return (*v == n.value) == (n.k == cond_node::kind::eq);
    }
    }
    return false;
}

void collect(const cond_node& n, std::vector<const cond_node*>& out) {
    if (n.k == cond_node::kind::eq || n.k == cond_node::kind::ne) out.push_back(&n);
    for (const auto& k : n.kids) collect(*k, out);
}

} // namespace

void sort_registers(std::vector<reg_value>& regs) {
    std::stable_sort(regs.begin(), regs.end(), [](const reg_value& a, const reg_value& b) {
        return std::make_tuple(agent_rank(a.agent), a.name) <
               std::make_tuple(agent_rank(b.agent), b.name);
    });
}

outcome outcome_from_json(const nlohmann::json& registers, const nlohmann::json& locations) {
    outcome o;
    if (registers.is_object())
        for (const auto& [agent, regs] : registers.items())
            for (const auto& [name, v] : regs.items())
                o.registers.push_back({agent, name, v.get<std::uint64_t>()});
    sort_registers(o.registers);
    if (locations.is_object())
        for (const auto& [name, v] : locations.items())
            o.locations.emplace_back(name, v.get<std::uint64_t>()); // object: by name
    return o;
}

std::string reg_key(const std::string& agent, const std::string& name) {
    if (agent.rfind("vcpu", 0) == 0) return agent.substr(4) + ":" + name;
    return agent + ":" + name;
}

std::string format_outcome(const outcome& o) {
    std::string s;
    for (const auto& r : o.registers)
        s += fmt::format("{}{}={};", s.empty() ? "" : " ", reg_key(r.agent, r.name), r.value);
    for (const auto& l : o.locations)
        s += fmt::format("{}{}={};", s.empty() ? "" : " ", l.first, l.second);
    return s;
}

const char* to_string(quantifier q) {
    switch (q) {
    case quantifier::exists:
        return "exists";
    case quantifier::not_exists:
        return "~exists";
    case quantifier::forall:
        return "forall";
    }
    return "?";
}

bool condition::satisfied_by(const outcome& o) const {
    return body ? eval(*body, o) : true;
}

std::vector<const cond_node*> condition::atoms() const {
    std::vector<const cond_node*> out;
    if (body) collect(*body, out);
    return out;
}

condition parse_condition(quantifier q, const std::string& text) {
    condition c;
    c.q = q;
    c.text = text;
    c.body = parser(text).whole();
    return c;
}

} // namespace mtsim::litmus
