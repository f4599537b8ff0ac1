// The layout of a herdtools7 litmus file, split into its parts before any instruction is read
// (litmus/herd.h has the contract). Internal to litmus/.
//
// The layout (herdtools7's litmus format, as herd7 and litmus7 read it):
//   X86 NAME                          arch and name
//   "doc"                             optional
//   Key=Value                         optional info lines (mtsim reads Expect= and Types=)
//   { x=0; 0:EAX=0; }                 initial state
//    P0          | P1          ;      the columns
//    MOV [x],$1  | MOV [y],$1  ;      one row per line, cells separated by '|', ending ';'
//   locations [x;y;]                  optional
//   exists (0:EAX=0 /\ 1:EAX=0)       or ~exists, forall; to the end of the file
// Comments are OCaml's (* ... *), and may span lines.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mtsim::litmus::detail {

struct herd_cell {
    std::string text; // trimmed; empty for an empty cell
    unsigned line = 0;
};

struct herd_init {
    std::string lhs; // "x" or "0:EAX"
    std::string value;
    unsigned line = 0;
};

struct herd_text {
    std::string file;
    std::string arch; // X86 | X86_64
    std::string name;
    std::string doc;
    std::map<std::string, std::pair<std::string, unsigned>> info; // key -> (value, line)
    std::vector<herd_init> init;
    std::vector<std::string> columns; // P0, P1, ..., GPU
    unsigned columns_line = 0;
    std::vector<std::vector<herd_cell>> rows; // rows[r][column]
    std::vector<std::string> locations;       // from `locations [...]`
    std::string quantifier;                   // exists | ~exists | forall
    std::string condition;                    // the body, without the quantifier
    unsigned condition_line = 0;
};

// Throws config_error naming file:line.
herd_text split_herd(const std::string& text, const std::string& file);

std::string trim(const std::string& s);

} // namespace mtsim::litmus::detail
