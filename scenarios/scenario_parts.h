// The scenario loader's parts (scenario.cpp applies files with them): YAML helpers that name
// file:line and key in every error, and the parsers of the list-valued sections — guest buffers,
// raw page-table entries, programs and their ops, expect. Contract: each parser checks what it
// can see in its own section (names, ranges, references to buffers) and appends to the
// scenario; it builds nothing and knows no block. Internal to scenarios/.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "scenarios/scenario.h"

namespace mtsim::scenarios::detail {

[[noreturn]] void fail(const std::string& file, const YAML::Node& n, const std::string& key,
                       const std::string& msg);
YAML::Node parse_file(const std::string& file);
// A mapping without the keys the describe() tree does not own.
YAML::Node without(const YAML::Node& n, const std::set<std::string>& drop);
std::string scalar(const std::string& file, const YAML::Node& n, const std::string& key);
std::uint64_t number(const std::string& file, const YAML::Node& n, const std::string& key);

memtype type_of(const std::string& file, const YAML::Node& n, const std::string& key);
void parse_buffers(const std::string& file, const YAML::Node& list, scenario& s);
void parse_raw(const std::string& file, const YAML::Node& list, const std::string& key,
               const char* addr_key, unsigned max_level, std::vector<raw_entry>& out);
void parse_programs(const std::string& file, const YAML::Node& progs, scenario& s);
void parse_expect(const std::string& file, const YAML::Node& e, scenario& s);
// Op arguments (scenario_op_args.cpp): a register name ([A-Za-z_][A-Za-z0-9_]*, docs/litmus.md),
// `poll: {buffer, offset, len, until, max_cycles}`, `wrmsr: {msr, value}`.
std::string register_name(const std::string& file, const YAML::Node& n, const std::string& k);
void parse_poll(const std::string& file, const YAML::Node& arg, const std::string& ka,
                const scenario& s, scenario_op& op);
void parse_wrmsr(const std::string& file, const YAML::Node& arg, const std::string& ka,
                 scenario_op& op);
// `litmus:` (docs/litmus.md), after the buffers and programs it refers to.
void parse_litmus(const std::string& file, const YAML::Node& n, scenario& s);
// `measure: {agent, from, to}` (scenarios/measure.cpp), after the programs: the agent must be
// a CPU agent with a program, from and to labels of its program.
void parse_measure(const std::string& file, const YAML::Node& m, scenario& s);

} // namespace mtsim::scenarios::detail
