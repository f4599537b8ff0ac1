#include "litmus/herd.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "litmus/herd_text.h"
#include "model/config.h"

namespace mtsim::litmus {

using detail::herd_cell;
using detail::herd_text;
using detail::trim;

namespace {

// The guest-physical layout of a translated test: location i at loc_base + i pages, the GPU's
// command ring after them. Below the catalogue platform's 4 MiB of guest RAM.
constexpr std::uint64_t loc_base = 0x100000;
constexpr std::uint64_t page = 0x1000;
constexpr unsigned max_locations = 512;
constexpr const char* ring_name = "gpu_ring";

std::string upper(std::string s) {
    for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

bool is_ident(const std::string& s) {
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

std::optional<reg_info> reg_of(const std::string& raw, bool x86_64) {
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

std::string lower(std::string s) {
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string yaml_quote(const std::string& s) {
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

std::size_t column_of_cpu(const herd_text& t, unsigned p) {
    return std::size_t(std::find(t.columns.begin(), t.columns.end(), "P" + std::to_string(p)) -
                       t.columns.begin());
}

void translator::translate(std::size_t c, const insn& i) {
    const bool on_gpu = m_gpu_col && *m_gpu_col == c;
    const std::string& mn = i.mn;
    const std::string sh = shape(i);
    static const std::set<std::string> device_ops{"WAIT-DOORBELL", "DMA-RD",    "DMA-RD-NS",
                                                  "DMA-WR",        "DMA-WR-NS", "IRQ"};
    if (on_gpu != (device_ops.count(mn) > 0))
        fail(i.line, "",
             fmt::format("'{}' is {} instruction, in the {} column", i.text,
                         on_gpu ? "a CPU" : "a device (GPU column)", m_t.columns[c]));
    const bool rmw = mn == "ADD" || mn == "XADD" || mn == "INC";
    if (i.lock && !rmw && mn != "XCHG")
        fail(i.line, "", "'" + i.text + "': the LOCK prefix is modelled on ADD, XADD, INC, XCHG");
    if (rmw && !i.lock)
        fail(i.line, "",
             "'" + i.text +
                 "': a read-modify-write without LOCK (two accesses, not atomic) is "
                 "not modelled; LOCK " +
                 mn + " is");
    const unsigned w = width(i);
    for (const auto& o : i.ops)
        if (o.kind == operand::mem) note_loc(o.loc, i.line, w);
    const auto& ops = i.ops;
    auto reg_name = [](const operand& o) { return o.r.canon; };
    if (mn == "MOV") {
        if (sh == "mi" || sh == "mr")
            add(c, i,
                fmt::format("store: {{{}, value: {}}}", mem_args(ops[0], w),
                            value_of(c, i, ops[1])));
        else if (sh == "rm") {
            load_into(c, i, ops[0]);
            add(c, i, fmt::format("load: {{{}, reg: {}}}", mem_args(ops[1], w), reg_name(ops[0])));
        } else if (sh == "ri" || sh == "rr")
            m_consts[c][reg_name(ops[0])] = value_of(c, i, ops[1]);
        else
            bad_operands(i);
    } else if (mn == "XCHG") {
        if (sh != "mr" && sh != "rm") bad_operands(i);
        const operand& m = ops[sh == "mr" ? 0 : 1];
        const operand& r = ops[sh == "mr" ? 1 : 0];
        const std::uint64_t v = value_of(c, i, r);
        load_into(c, i, r);
        add(c, i, fmt::format("xchg: {{{}, value: {}, reg: {}}}", mem_args(m, w), v, reg_name(r)));
    } else if (mn == "ADD") {
        if (sh != "mi" && sh != "mr") bad_operands(i);
        add(c, i,
            fmt::format("lock_add: {{{}, value: {}}}", mem_args(ops[0], w),
                        value_of(c, i, ops[1])));
    } else if (mn == "XADD") {
        if (sh != "mr") bad_operands(i);
        const std::uint64_t v = value_of(c, i, ops[1]);
        load_into(c, i, ops[1]);
        add(c, i,
            fmt::format("lock_add: {{{}, value: {}, reg: {}}}", mem_args(ops[0], w), v,
                        reg_name(ops[1])));
    } else if (mn == "INC") {
        if (sh != "m") bad_operands(i);
        add(c, i, fmt::format("lock_add: {{{}, value: 1}}", mem_args(ops[0], w)));
    } else if (mn == "MFENCE" || mn == "SFENCE" || mn == "WBINVD") {
        if (!sh.empty()) bad_operands(i);
        add(c, i, lower(mn) + ": null");
    } else if (mn == "LFENCE") {
        // The model's loads complete in program order and LFENCE neither drains the store
        // buffer nor orders CLFLUSHOPT/CLWB (SDM Vol. 3A §9.2.2, Vol. 2A LFENCE), so it adds
        // no ordering the engine does not already have: it compiles to nothing.
        if (!sh.empty()) bad_operands(i);
    } else if (mn == "CLFLUSH" || mn == "CLFLUSHOPT" || mn == "CLWB") {
        if (sh != "m") bad_operands(i);
        add(c, i, fmt::format("{}: {{{}}}", lower(mn), mem_args(ops[0], 1)));
    } else if (mn == "MOVNTI") {
        if (sh != "mr" && sh != "mi") bad_operands(i);
        add(c, i,
            fmt::format("nt_fill: {{{}, value: {}}}", mem_args(ops[0], w), value_of(c, i, ops[1])));
    } else if (mn == "DOORBELL") {
        if (!sh.empty()) bad_operands(i);
        if (m_doorbell_col && *m_doorbell_col != c)
            fail(i.line, "", "doorbells from two columns: one driver (column) rings the GPU");
        m_doorbell_col = c;
        ++m_doorbells;
        add(c, i, "doorbell: null");
    } else if (mn == "WAIT-IRQ") {
        if (!sh.empty()) bad_operands(i);
        add(c, i, fmt::format("wait: irq{}", ++m_irq_waits[c]));
    } else if (mn == "WAIT-DOORBELL") {
        if (!sh.empty()) bad_operands(i);
        ++m_gpu_waits;
        add(c, i, "wait_doorbell: null");
    } else if (mn == "IRQ") {
        if (!sh.empty()) bad_operands(i);
        add(c, i, fmt::format("interrupt: irq{}", ++m_irqs));
    } else { // DMA-RD, DMA-WR, with or without -NS
        const bool ns = mn.size() > 3 && mn.compare(mn.size() - 3, 3, "-NS") == 0;
        m_any_ns = m_any_ns || ns;
        if (mn.rfind("DMA-RD", 0) == 0) {
            if (sh != "rm") bad_operands(i);
            load_into(c, i, ops[0]);
            add(c, i,
                fmt::format("read: {{{}, reg: {}, no_snoop: {}}}", mem_args(ops[1], w),
                            reg_name(ops[0]), ns));
        } else {
            if (sh != "mi" && sh != "mr") bad_operands(i);
            add(c, i,
                fmt::format("write: {{{}, value: {}, no_snoop: {}}}", mem_args(ops[0], w),
                            value_of(c, i, ops[1]), ns));
        }
    }
    if (on_gpu && m_ops[c].size() == 1 && mn != "WAIT-DOORBELL")
        fail(i.line, "",
             "the GPU column starts with WAIT-DOORBELL (the device runs commands a "
             "doorbell hands it)");
}

void translator::check_device() const {
    if (m_doorbells != m_gpu_waits)
        fail(m_t.columns_line, "",
             fmt::format("{} DOORBELL(s) in the processor columns, {} WAIT-DOORBELL(s) in the GPU "
                         "column: each doorbell hands the device one batch",
                         m_doorbells, m_gpu_waits));
    unsigned waits = 0;
    for (const auto& [c, n] : m_irq_waits) waits = std::max(waits, n);
    if (waits > m_irqs)
        fail(m_t.columns_line, "",
             fmt::format("a column waits for {} interrupt(s), the GPU raises {}", waits, m_irqs));
}

// The condition in the scenario language's syntax (herd's): GPU:REG becomes gpu:REG, X86_64
// registers their 64-bit names; every register must be one a load names, every other name a
// location.
std::string translator::condition() const {
    const std::string& s = m_t.condition;
    const std::string key = "litmus." + m_t.quantifier;
    auto word_char = [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '%';
    };
    std::string out;
    for (std::size_t k = 0; k < s.size();) {
        if (!word_char(s[k])) {
            out += s[k++];
            continue;
        }
        std::size_t e = k;
        while (e < s.size() && word_char(s[e])) ++e;
        const std::string a = s.substr(k, e - k);
        k = e;
        if (k < s.size() && s[k] == ':') {
            std::size_t f = k + 1;
            while (f < s.size() && word_char(s[f])) ++f;
            std::string r = s.substr(k + 1, f - k - 1);
            k = f;
            std::size_t col = m_t.columns.size();
            if (a == "GPU" && m_gpu_col)
                col = *m_gpu_col;
            else if (!a.empty() && std::all_of(a.begin(), a.end(), ::isdigit) && a.size() < 5)
                col = column_of_cpu(m_t, unsigned(std::stoul(a)));
            if (col >= m_t.columns.size())
                fail(m_t.condition_line, key, "'" + a + ":" + r + "': no such processor");
            if (m_x86_64 && !r.empty() && r[0] == '%') r = r.substr(1);
            const auto ri = reg_of(r, m_x86_64);
            if (!ri || !m_loaded[col].count(ri->canon))
                fail(m_t.condition_line, key,
                     fmt::format("'{}:{}': no load of {} names this register", a, r,
                                 m_t.columns[col]));
            out += (a == "GPU" ? std::string("gpu") : a) + ":" + ri->canon;
            continue;
        }
        if (std::isdigit(static_cast<unsigned char>(a[0])) || a == "true" || a == "false") {
            out += a;
            continue;
        }
        if (std::find(m_locs.begin(), m_locs.end(), a) == m_locs.end())
            fail(m_t.condition_line, key, "'" + a + "' is not a location of the test");
        out += a;
    }
    return out;
}

std::string translator::emit(const std::string& cond) const {
    std::string y;
    y += fmt::format("# Translated from the herdtools7 {} test {} (litmus/herd.h).\n", m_t.arch,
                     m_t.name);
    y += "name: " + yaml_quote(m_t.name) + "\n";
    y += "description: " +
         yaml_quote(m_t.doc.empty() ? "herdtools7 " + m_t.arch + " test " + m_t.name : m_t.doc) +
         "\n";
    // The catalogue's small caches (fast runs); one pCPU per processor, at least two.
    y += "platform:\n";
    y += fmt::format("  cache: {{pcpus: {}, l1d: {{size: 4KiB, ways: 4}}, l2: {{size: 32KiB, "
                     "ways: 8}}, llc: {{size: 256KiB, ways: 16}}, self_snoop: true, "
                     "fabric_snoops_uncached: true}}\n",
                     std::max(2u, m_cpus));
    if (m_gpu_col) {
        // No snoop control, so that a request's No-Snoop attribute is honoured (VT-d ECAP.SC).
        y += "  iommu: {ecap_sc: false}\n";
        y +=
            fmt::format("devices:\n  gpu: {{mode: vfio, no_snoop: {}, kvm_vfio: true, ring: {}}}\n",
                        m_any_ns, ring_name);
    }
    y += "guest:\n  ram: 4MiB\n  buffers:\n";
    std::uint64_t gpa = loc_base;
    for (const auto& l : m_locs) {
        const auto p = m_pat.find(l);
        y += fmt::format("    - {{name: {}, gpa: {:#x}, size: 4KiB, pat: {}}}\n", l, gpa,
                         p == m_pat.end() ? "WB" : p->second);
        gpa += page;
    }
    if (m_gpu_col)
        y += fmt::format("    - {{name: {}, gpa: {:#x}, size: 4KiB, pat: WB}}\n", ring_name, gpa);
    y += "programs:\n";
    for (std::size_t c = 0; c < m_t.columns.size(); ++c) {
        const bool on_gpu = m_gpu_col && *m_gpu_col == c;
        y += "  " + (on_gpu ? std::string("gpu") : "vcpu" + m_t.columns[c].substr(1)) + ":";
        std::vector<std::string> ops = m_ops[c];
        if (m_doorbell_col && *m_doorbell_col == c) {
            // The driver has touched its BAR before (KVM built the BAR's EPT leaf then) and
            // writes the command ring first, so that nothing but the doorbell follows the test.
            ops.insert(ops.begin(),
                       fmt::format("{{write_descriptors: null, line: {}}}", m_t.columns_line));
            ops.insert(ops.begin(),
                       fmt::format("{{read_status: null, line: {}}}", m_t.columns_line));
        }
        if (ops.empty())
            y += " []\n";
        else {
            y += "\n";
            for (const auto& o : ops) y += "    - " + o + "\n";
        }
    }
    y += "litmus:\n  locations: {";
    for (std::size_t k = 0; k < m_locs.size(); ++k)
        y += fmt::format("{}{}: {}", k ? ", " : "", m_locs[k],
                         m_sizes.at(m_locs[k]) ? m_sizes.at(m_locs[k]) : 4);
    y += "}\n";
    y += "  " + yaml_quote(m_t.quantifier) + ": " + yaml_quote(cond) + "\n";
    if (!m_expect.empty()) y += "  expect: " + m_expect + "\n";
    return y;
}

} // namespace

bool is_herd_file(const std::string& path) {
    const std::string ext = ".litmus";
    return path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
}

std::string herd_to_yaml(const std::string& text, const std::string& file) {
    const herd_text t = detail::split_herd(text, file);
    return translator(t).run();
}

} // namespace mtsim::litmus
