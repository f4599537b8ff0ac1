// The translator behind litmus/herd.h: one herdtools7 test (herd_text.h, already split into
// its parts) into the scenario language's YAML. Reads the info lines, the initial state and
// each cell's instruction (Intel syntax for X86, AT&T for X86_64, both brought to Intel
// order), tracks the values registers hold so that XCHG, XADD and stores of a register store
// a known value, and checks the condition's names. Internal to litmus/.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "litmus/condition.h"
#include "litmus/herd_text.h"
#include "model/config.h"

namespace mtsim::litmus::detail {

// The guest-physical layout of a translated test: location i at loc_base + i pages, the GPU's
// command ring after them. Below the catalogue platform's 4 MiB of guest RAM.
inline constexpr std::uint64_t loc_base = 0x100000;
inline constexpr std::uint64_t page = 0x1000;
inline constexpr unsigned max_locations = 512;
inline constexpr const char* ring_name = "gpu_ring";

inline std::string upper(std::string s) {
    for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

inline bool is_ident(const std::string& s) {
    if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
}

// x86 general-purpose registers: width in bytes, and the name outcomes use. X86 tests (Intel
// syntax) name 32-bit registers (EAX); X86_64 tests (AT&T syntax, %eax) name the 64-bit
// register in conditions (rax), as herd7 does.
struct reg_info {
    unsigned width = 0;
    std::string canon;
};

inline std::optional<reg_info> reg_of(const std::string& raw, bool x86_64) {
    static const char* const base[] = {"ax", "bx", "cx", "dx", "si", "di", "bp"};
    if (!x86_64) {
        const std::string r = upper(raw);
        for (const char* b : base)
            if (r == "E" + upper(b)) return reg_info{4, r};
        return std::nullopt;
    }
    std::string r;
    for (const char c : raw) r += char(std::tolower(static_cast<unsigned char>(c)));
    for (const char* b : base) {
        const std::string s = b, canon = "r" + s;
        if (r == canon) return reg_info{8, canon};
        if (r == "e" + s) return reg_info{4, canon};
        if (r == s) return reg_info{2, canon};
        if (s.back() == 'x' && r == s.substr(0, 1) + "l") return reg_info{1, canon};
    }
    for (unsigned n = 8; n <= 15; ++n) {
        const std::string canon = "r" + std::to_string(n);
        if (r == canon) return reg_info{8, canon};
        if (r == canon + "d") return reg_info{4, canon};
        if (r == canon + "w") return reg_info{2, canon};
        if (r == canon + "b") return reg_info{1, canon};
    }
    return std::nullopt;
}

// An operand: a memory location [x], an immediate $n, or a register.
struct operand {
    enum kind_t { mem, imm, reg } kind = imm;
    std::string loc;         // mem
    std::uint64_t value = 0; // imm
    reg_info r;              // reg
};

// One instruction in Intel order (destination first), whatever the file's syntax.
struct insn {
    std::string text; // as written, for errors
    std::string mn;   // upper case, without LOCK and without an AT&T size suffix
    bool lock = false;
    unsigned size = 0; // from an AT&T suffix; 0: from a register, else 4
    std::vector<operand> ops;
    unsigned line = 0;
};

inline std::string lower(std::string s) {
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

inline std::string yaml_quote(const std::string& s) {
    std::string out = "'";
    for (const char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

class translator {
public:
    explicit translator(const herd_text& t) : m_t(t), m_x86_64(t.arch == "X86_64") {}

    std::string run() {
        read_info();
        read_init();
        for (const auto& l : m_t.locations) note_loc(l, m_t.condition_line, 4);
        const std::size_t ncol = m_t.columns.size();
        m_ops.resize(ncol);
        m_loaded.resize(ncol);
        m_consts.resize(ncol);
        unsigned cpus = 0;
        for (std::size_t c = 0; c < ncol; ++c) {
            const std::string& name = m_t.columns[c];
            if (name == "GPU") {
                if (m_gpu_col) fail(m_t.columns_line, "", "two GPU columns");
                m_gpu_col = c;
            } else if (name != "P" + std::to_string(cpus++))
                fail(m_t.columns_line, "",
                     fmt::format("column '{}': processors are P0, P1, ... in order (and one GPU "
                                 "column, an mtsim extension)",
                                 name));
        }
        if (cpus == 0) fail(m_t.columns_line, "", "no processor column (P0)");
        m_cpus = cpus;
        for (const auto& init : m_init_regs) {
            if (init.first >= ncol) fail(init.second.line, "", "no such processor");
            m_consts[init.first][init.second.reg] = init.second.value;
        }
        for (const auto& row : m_t.rows)
            for (std::size_t c = 0; c < ncol; ++c)
                if (!row[c].text.empty()) translate(c, parse(row[c]));
        check_device();
        const std::string cond = condition();
        // A malformed body is refused here, naming the .litmus file's condition line (the
        // YAML it becomes has lines of its own).
        try {
            litmus::parse_condition(litmus::quantifier::exists, cond);
        } catch (const litmus::condition_error& e) {
            fail(m_t.condition_line, "litmus." + m_t.quantifier,
                 fmt::format("{} at character {} of '{}'", e.what(), e.offset + 1, cond));
        }
        return emit(cond);
    }

private:
    struct reg_init {
        std::string reg;
        std::uint64_t value;
        unsigned line;
    };

    const herd_text& m_t;
    bool m_x86_64;
    std::vector<std::string> m_locs;          // in order of first appearance
    std::map<std::string, unsigned> m_sizes;  // location -> widest access, bytes
    std::map<std::string, std::string> m_pat; // location -> guest page type (Types=)
    std::vector<std::pair<std::size_t, reg_init>> m_init_regs;
    std::vector<std::vector<std::string>> m_ops; // per column: YAML flow items
    std::vector<std::set<std::string>> m_loaded; // per column: registers a load names
    std::vector<std::map<std::string, std::optional<std::uint64_t>>> m_consts; // known values
    std::optional<std::size_t> m_gpu_col;
    unsigned m_cpus = 0;
    unsigned m_doorbells = 0, m_gpu_waits = 0;
    bool m_any_ns = false;
    std::string m_expect;
    std::optional<std::size_t> m_doorbell_col;
    std::map<std::size_t, unsigned> m_irq_waits; // per column
    unsigned m_irqs = 0;

    [[noreturn]] void fail(unsigned line, const std::string& key, const std::string& msg) const {
        throw config_error(m_t.file, line, key, msg);
    }

    void note_loc(const std::string& l, unsigned line, unsigned size) {
        if (!is_ident(l)) fail(line, "", "'" + l + "' is not a location name");
        if (l == ring_name)
            fail(line, "",
                 std::string("the location name '") + ring_name +
                     "' is reserved (the GPU's command ring)");
        if (std::find(m_locs.begin(), m_locs.end(), l) == m_locs.end()) {
            if (m_locs.size() == max_locations)
                fail(line, "", fmt::format("more than {} locations", max_locations));
            m_locs.push_back(l);
        }
        m_sizes[l] = std::max(m_sizes[l], size);
    }

    std::uint64_t number(const std::string& s, unsigned line, const std::string& what) const {
        std::size_t pos = 0;
        std::uint64_t v = 0;
        try {
            v = std::stoull(s, &pos, 0);
        } catch (const std::exception&) {
            pos = 0;
        }
        if (pos == 0 || pos != s.size() || s[0] == '-')
            fail(line, "", what + ": '" + s + "' is not a non-negative number");
        return v;
    }

    void read_info() {
        for (const auto& [key, v] : m_t.info) {
            if (key == "Expect") {
                const std::string e = upper(v.first);
                if (e != "ALLOW" && e != "FORBID")
                    fail(v.second, "Expect", "expected Allow or Forbid");
                m_expect = e == "ALLOW" ? "allow" : "forbid";
            } else if (key == "Types") {
                std::string item;
                for (const char ch : v.first + " ") {
                    if (ch != ' ' && ch != ',' && ch != ';' && ch != '\t') {
                        item += ch;
                        continue;
                    }
                    if (item.empty()) continue;
                    const std::size_t colon = item.find(':');
                    const std::string type =
                        colon == std::string::npos ? "" : upper(item.substr(colon + 1));
                    static const std::set<std::string> types{"WB", "WT", "WC", "WP", "UC", "UC-"};
                    if (!types.count(type))
                        fail(v.second, "Types",
                             "'" + item +
                                 "': expected LOCATION:TYPE, TYPE one of WB WT WC WP UC UC-");
                    const std::string loc = item.substr(0, colon);
                    note_loc(loc, v.second, 4);
                    m_pat[loc] = type;
                    item.clear();
                }
            }
            // Other info lines (Hash=, Cycle=, Relax=, Safe=, Generator=, Com=, Orig=, ...)
            // describe how the test was made; herd7 ignores them, so does mtsim.
        }
    }

    void read_init() {
        for (const auto& e : m_t.init) {
            std::string lhs = e.lhs;
            // "int x" / "uint64_t x": a C type before the name.
            if (const std::size_t sp = lhs.find_last_of(" \t"); sp != std::string::npos)
                lhs = trim(lhs.substr(sp + 1));
            if (const std::size_t colon = lhs.find(':'); colon != std::string::npos) {
                const std::string p = lhs.substr(0, colon);
                std::string r = lhs.substr(colon + 1);
                if (m_x86_64 && !r.empty() && r[0] == '%') r = r.substr(1);
                const auto ri = reg_of(r, m_x86_64);
                if (!ri) fail(e.line, "", "initial state '" + e.lhs + "': not a register");
                const std::uint64_t v = number(e.value, e.line, "initial value of " + e.lhs);
                m_init_regs.push_back(
                    {p == "GPU" ? m_t.columns.size() : std::size_t(number(p, e.line, "processor")),
                     {ri->canon, v, e.line}});
                continue;
            }
            note_loc(lhs, e.line, 4);
            if (number(e.value, e.line, "initial value of " + lhs) != 0)
                fail(e.line, "",
                     fmt::format("initial value {} of '{}': guest memory starts zeroed; a test "
                                 "sets a location with a store instead",
                                 e.value, lhs));
        }
        // Processor numbers are checked against the columns once they are known.
        for (auto& [col, ri] : m_init_regs)
            if (col > 64) fail(ri.line, "", "no such processor");
    }

    operand parse_operand(const std::string& raw, const insn& i) const {
        const std::string s = trim(raw);
        operand o;
        if (s.size() > 2 && ((s.front() == '[' && s.back() == ']') ||
                             (m_x86_64 && s.front() == '(' && s.back() == ')'))) {
            o.kind = operand::mem;
            o.loc = trim(s.substr(1, s.size() - 2));
            if (!is_ident(o.loc))
                fail(i.line, "",
                     "'" + i.text + "': only [location] addresses are modelled, not '" + s + "'");
            return o;
        }
        if (!s.empty() && s.front() == '$') {
            o.kind = operand::imm;
            o.value = number(s.substr(1), i.line, "'" + i.text + "'");
            return o;
        }
        const bool pct = !s.empty() && s.front() == '%';
        if (pct == m_x86_64) {
            if (auto r = reg_of(pct ? s.substr(1) : s, m_x86_64)) {
                o.kind = operand::reg;
                o.r = *r;
                return o;
            }
        }
        fail(i.line, "",
             "'" + i.text + "': operand '" + s + "' is not " +
                 (m_x86_64 ? "(location), $value or %register"
                           : "[location], $value or a register"));
    }

    insn parse(const herd_cell& cell) const {
        insn i;
        i.text = cell.text;
        i.line = cell.line;
        std::string rest = cell.text;
        if (rest.find(':') != std::string::npos && rest.find(':') < rest.find_first_of(" \t[($%"))
            fail(i.line, "", "'" + i.text + "': labels and branches are not modelled");
        auto word = [&rest] {
            rest = trim(rest);
            const std::size_t sp = rest.find_first_of(" \t");
            std::string w = rest.substr(0, sp);
            rest = sp == std::string::npos ? "" : rest.substr(sp);
            return w;
        };
        std::string mn = upper(word());
        if (mn == "LOCK" || mn == "LOCK;") {
            i.lock = true;
            mn = upper(word());
        }
        if (m_x86_64 && !known(mn) && mn.size() > 1 && known(mn.substr(0, mn.size() - 1))) {
            static const std::map<char, unsigned> sizes{{'B', 1}, {'W', 2}, {'L', 4}, {'Q', 8}};
            if (auto s = sizes.find(mn.back()); s != sizes.end()) {
                i.size = s->second;
                mn.pop_back();
            }
        }
        if (!known(mn)) fail(i.line, "", "unsupported instruction '" + i.text + "'");
        i.mn = mn;
        rest = trim(rest);
        // Operands split at top-level commas.
        std::string cur;
        int depth = 0;
        for (const char c : rest) {
            if (c == '[' || c == '(') ++depth;
            if (c == ']' || c == ')') --depth;
            if (c == ',' && depth == 0) {
                i.ops.push_back(parse_operand(cur, i));
                cur.clear();
            } else
                cur += c;
        }
        if (!trim(cur).empty()) i.ops.push_back(parse_operand(cur, i));
        if (m_x86_64) std::reverse(i.ops.begin(), i.ops.end()); // AT&T: source first
        return i;
    }

    static bool known(const std::string& mn) {
        static const std::set<std::string> all{
            "MOV",    "XCHG",      "ADD",      "XADD",          "INC",    "MFENCE",
            "SFENCE", "LFENCE",    "CLFLUSH",  "CLFLUSHOPT",    "CLWB",   "MOVNTI",
            "WBINVD", "DOORBELL",  "WAIT-IRQ", "WAIT-DOORBELL", "DMA-RD", "DMA-RD-NS",
            "DMA-WR", "DMA-WR-NS", "IRQ"};
        return all.count(mn) > 0;
    }

    // The operand shapes of an instruction, e.g. "mr" (memory, then register).
    static std::string shape(const insn& i) {
        std::string s;
        for (const auto& o : i.ops)
            s += o.kind == operand::mem ? 'm' : o.kind == operand::reg ? 'r' : 'i';
        return s;
    }

    std::uint64_t value_of(std::size_t c, const insn& i, const operand& o) const {
        if (o.kind == operand::imm) return o.value;
        const auto it = m_consts[c].find(o.r.canon);
        if (it == m_consts[c].end() || !it->second)
            fail(i.line, "",
                 fmt::format("'{}': register {} holds a loaded value here; a store of it (a data "
                             "dependency) is not modelled, only stores of known values",
                             i.text, o.r.canon));
        return *it->second;
    }

    unsigned width(const insn& i) const {
        for (const auto& o : i.ops)
            if (o.kind == operand::reg) return o.r.width;
        return i.size ? i.size : 4;
    }

    std::string mem_args(const operand& m, unsigned len) {
        return fmt::format("buffer: {}, len: {}", m.loc, len);
    }

    void add(std::size_t c, const insn& i, const std::string& item) {
        m_ops[c].push_back(fmt::format("{{{}, line: {}}}", item, i.line));
    }

    void load_into(std::size_t c, const insn& i, const operand& r) {
        if (!m_loaded[c].insert(r.r.canon).second)
            fail(i.line, "",
                 fmt::format("'{}': register {} is loaded twice in this column; the outcome "
                             "names each register once",
                             i.text, r.r.canon));
        m_consts[c][r.r.canon] = std::nullopt;
    }

    void bad_operands(const insn& i) const {
        fail(i.line, "", "'" + i.text + "': operands not modelled for " + i.mn);
    }

    void translate(std::size_t c, const insn& i);
    void check_device() const;
    std::string condition() const;
    std::string emit(const std::string& cond) const;
};

} // namespace mtsim::litmus::detail
