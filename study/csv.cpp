#include "study/csv.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mtsim::study {

std::string csv_field(const std::string& s) {
    const bool quote = s.find_first_of(",\"\r\n") != std::string::npos ||
                       (!s.empty() && (s.front() == ' ' || s.back() == ' '));
    if (!quote) return s;
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string csv_line(const std::vector<std::string>& fields) {
    std::string out;
    for (std::size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + csv_field(fields[i]);
    return out + "\n";
}

std::vector<std::string> parse_csv_line(const std::string& line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c != '"')
                out.back() += c;
            else if (i + 1 < line.size() && line[i + 1] == '"')
                out.back() += '"', ++i;
            else
                quoted = false;
        } else if (c == '"' && out.back().empty())
            quoted = true;
        else if (c == ',')
            out.emplace_back();
        else
            out.back() += c;
    }
    if (quoted) throw std::invalid_argument("unterminated quote");
    return out;
}

csv_table read_csv(const std::string& path, bool partial_tail_ok) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::invalid_argument(path + ": cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    csv_table t;
    std::size_t at = 0;
    unsigned line_no = 0;
    while (at < text.size()) {
        const auto nl = text.find('\n', at);
        ++line_no;
        if (nl == std::string::npos) {
            if (partial_tail_ok) break;
            throw std::invalid_argument(path + ":" + std::to_string(line_no) +
                                        ": the last row has no end of line (a cut file)");
        }
        std::vector<std::string> f;
        try {
            f = parse_csv_line(text.substr(at, nl - at));
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(path + ":" + std::to_string(line_no) + ": " + e.what());
        }
        at = nl + 1;
        if (line_no == 1) {
            t.header = std::move(f);
            continue;
        }
        if (f.size() != t.header.size())
            throw std::invalid_argument(path + ":" + std::to_string(line_no) + ": " +
                                        std::to_string(f.size()) + " fields, the header has " +
                                        std::to_string(t.header.size()));
        t.rows.push_back(std::move(f));
    }
    if (t.header.empty()) throw std::invalid_argument(path + ": empty (no header)");
    return t;
}

} // namespace mtsim::study
