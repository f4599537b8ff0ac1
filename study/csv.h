// The sweep's CSV (docs/sweep.md lists the columns): RFC 4180 fields, one row per line (a field
// never holds a line break: sweep.cpp folds them), and the reader that resume and merge use.
#pragma once

#include <string>
#include <vector>

namespace mtsim::study {

// A field as RFC 4180 writes it: quoted when it holds a comma, a quote or a blank at an end.
std::string csv_field(const std::string& s);
std::string csv_line(const std::vector<std::string>& fields); // with the final '\n'
// One line (without its '\n') back into fields; throws std::invalid_argument on a bad quote.
std::vector<std::string> parse_csv_line(const std::string& line);

struct csv_table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
};
// Reads a CSV file written by csv_line. A last line without its '\n' (a row being written
// when the writer died) is dropped when `partial_tail_ok`, an error otherwise. A row with
// another number of fields than the header is an error naming FILE:LINE.
csv_table read_csv(const std::string& path, bool partial_tail_ok);

} // namespace mtsim::study
