#include "litmus/herd_text.h"

#include <cctype>

#include "model/config.h"

namespace mtsim::litmus::detail {

std::string trim(const std::string& s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

namespace {

struct numbered_line {
    std::string text;
    unsigned line;
};

// The file's lines with (* ... *) comments blanked (nested, as OCaml's), numbered from 1.
std::vector<numbered_line> lines_of(const std::string& text, const std::string& file) {
    std::vector<numbered_line> out;
    std::string cur;
    unsigned line = 1, depth = 0, open_line = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '(' && i + 1 < text.size() && text[i + 1] == '*') {
            if (depth++ == 0) open_line = line;
            ++i;
            cur += "  ";
            continue;
        }
        if (depth > 0 && c == '*' && i + 1 < text.size() && text[i + 1] == ')') {
            --depth;
            ++i;
            cur += "  ";
            continue;
        }
        if (c == '\n') {
            out.push_back({cur, line++});
            cur.clear();
            continue;
        }
        cur += depth > 0 ? ' ' : c;
    }
    if (depth > 0) throw config_error(file, open_line, "", "a (* comment is never closed");
    out.push_back({cur, line});
    return out;
}

[[noreturn]] void fail(const std::string& file, unsigned line, const std::string& msg) {
    throw config_error(file, line, "", msg);
}

bool starts_with(const std::string& s, const char* p) {
    return s.rfind(p, 0) == 0;
}

} // namespace

herd_text split_herd(const std::string& text, const std::string& file) {
    herd_text t;
    t.file = file;
    const auto lines = lines_of(text, file);
    std::size_t i = 0;
    auto skip_blank = [&] {
        while (i < lines.size() && trim(lines[i].text).empty()) ++i;
    };
    skip_blank();
    if (i == lines.size()) fail(file, 1, "empty file: expected 'X86 NAME' on the first line");
    {
        const std::string head = trim(lines[i].text);
        const std::size_t sp = head.find_first_of(" \t");
        t.arch = head.substr(0, sp);
        t.name = sp == std::string::npos ? "" : trim(head.substr(sp));
        if (t.arch != "X86" && t.arch != "X86_64")
            fail(file, lines[i].line,
                 "architecture '" + t.arch + "' is not modelled; expected X86 or X86_64");
        if (t.name.empty() || t.name.find_first_of(" \t") != std::string::npos)
            fail(file, lines[i].line, "expected 'X86 NAME' (one word for the name)");
        ++i;
    }
    // Doc string and info lines, up to the initial state's '{'.
    for (skip_blank(); i < lines.size(); ++i, skip_blank()) {
        if (i == lines.size()) break;
        const std::string l = trim(lines[i].text);
        if (l.front() == '{') break;
        if (l.front() == '"') {
            if (l.size() < 2 || l.back() != '"')
                fail(file, lines[i].line, "unterminated doc string");
            t.doc = l.substr(1, l.size() - 2);
            continue;
        }
        const std::size_t eq = l.find('=');
        if (eq == std::string::npos || eq == 0)
            fail(
                file, lines[i].line,
                "expected the initial state '{ ... }', a \"doc string\" or an info line Key=Value");
        t.info[trim(l.substr(0, eq))] = {trim(l.substr(eq + 1)), lines[i].line};
    }
    if (i == lines.size()) fail(file, lines.back().line, "no initial state '{ ... }'");
    // The initial state: entries separated by ';' up to the matching '}'.
    {
        std::string entry;
        unsigned entry_line = lines[i].line;
        bool closed = false;
        std::size_t col = lines[i].text.find('{') + 1;
        for (; i < lines.size() && !closed; ++i, col = 0) {
            const std::string& l = lines[i].text;
            for (std::size_t c = col; c < l.size(); ++c) {
                if (l[c] == '}' || l[c] == ';') {
                    const std::string e = trim(entry);
                    if (!e.empty()) {
                        const std::size_t eq = e.find('=');
                        if (eq == std::string::npos)
                            fail(file, entry_line, "initial state entry '" + e + "': expected A=V");
                        t.init.push_back(
                            {trim(e.substr(0, eq)), trim(e.substr(eq + 1)), entry_line});
                    }
                    entry.clear();
                    if (l[c] == '}') {
                        if (!trim(l.substr(c + 1)).empty())
                            fail(file, lines[i].line, "text after the initial state's '}'");
                        closed = true;
                        break;
                    }
                    continue;
                }
                if (trim(entry).empty()) entry_line = lines[i].line;
                entry += l[c];
            }
            entry += ' ';
        }
        if (!closed) fail(file, entry_line, "the initial state's '{' is never closed");
    }
    // The columns and rows.
    skip_blank();
    if (i == lines.size()) fail(file, lines.back().line, "no program: expected ' P0 | P1 ;'");
    auto cells_of = [&](const numbered_line& nl) {
        std::string l = trim(nl.text);
        if (l.empty() || l.back() != ';')
            fail(file, nl.line, "a program line ends with ';' (columns separated by '|')");
        l.pop_back();
        std::vector<herd_cell> cells;
        std::size_t from = 0;
        for (;;) {
            const std::size_t bar = l.find('|', from);
            cells.push_back({trim(l.substr(from, bar - from)), nl.line});
            if (bar == std::string::npos) break;
            from = bar + 1;
        }
        return cells;
    };
    t.columns_line = lines[i].line;
    for (const auto& c : cells_of(lines[i])) {
        if (c.text.empty()) fail(file, c.line, "a column without a name");
        t.columns.push_back(c.text);
    }
    ++i;
    auto is_tail = [](const std::string& l) {
        return starts_with(l, "exists") || starts_with(l, "~exists") || starts_with(l, "forall") ||
               starts_with(l, "locations") || starts_with(l, "filter") || starts_with(l, "~");
    };
    for (skip_blank(); i < lines.size(); ++i, skip_blank()) {
        if (i == lines.size()) break;
        const std::string l = trim(lines[i].text);
        if (is_tail(l)) break;
        auto cells = cells_of(lines[i]);
        if (cells.size() != t.columns.size())
            fail(file, lines[i].line,
                 "a row has " + std::to_string(cells.size()) + " cells, the test has " +
                     std::to_string(t.columns.size()) + " columns");
        t.rows.push_back(std::move(cells));
    }
    // locations, filter, then the final condition to the end of the file.
    for (; i < lines.size(); ++i) {
        const std::string l = trim(lines[i].text);
        if (l.empty()) continue;
        if (starts_with(l, "locations")) {
            const std::size_t a = l.find('['), b = l.rfind(']');
            if (a == std::string::npos || b == std::string::npos || b < a)
                fail(file, lines[i].line, "expected 'locations [x; y;]'");
            std::string item;
            for (const char c : l.substr(a + 1, b - a - 1) + ";") {
                if (c != ';') {
                    item += c;
                    continue;
                }
                if (!trim(item).empty()) t.locations.push_back(trim(item));
                item.clear();
            }
            continue;
        }
        if (starts_with(l, "filter"))
            fail(file, lines[i].line, "'filter' is not modelled (mtsim reports every outcome)");
        for (const char* q : {"~exists", "exists", "forall"}) {
            if (starts_with(l, q)) {
                t.quantifier = q;
                t.condition_line = lines[i].line;
                std::string body = l.substr(std::string(q).size());
                for (++i; i < lines.size(); ++i) body += " " + trim(lines[i].text);
                t.condition = trim(body);
                break;
            }
        }
        if (t.quantifier.empty())
            fail(file, lines[i].line,
                 "expected 'exists', '~exists' or 'forall' (or 'locations [...]') after the "
                 "program");
        break;
    }
    if (t.quantifier.empty()) {
        unsigned last = 1;
        for (const auto& l : lines)
            if (!trim(l.text).empty()) last = l.line;
        fail(file, last, "no final condition (exists, ~exists or forall) after the program");
    }
    if (t.condition.empty()) fail(file, t.condition_line, "an empty condition");
    return t;
}

} // namespace mtsim::litmus::detail
