// Litmus outcomes and conditions (docs/litmus.md): the registers and final location values of
// one run, and the `exists` / `~exists` / `forall` condition over them in herd's syntax
// (herdtools7, "herd7 user manual": `0:r0=0 /\ 1:r0=0`, `x=2`, `~`, `\/`, parentheses). Pure
// data and text: no SystemC, no scenario. Contract: parse_condition refuses what it cannot
// read with the offset of the offending character; evaluating a condition against an outcome
// that lacks a name it refers to is a logic_error (the loader checks names before any run).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mtsim::litmus {

// A register value: agent ("vcpu0", "vmm", "gpu"), register name, value.
struct reg_value {
    std::string agent;
    std::string name;
    std::uint64_t value = 0;
};

// One run's observable state. Registers in canonical order (sort_registers), locations by
// name.
struct outcome {
    std::vector<reg_value> registers;
    std::vector<std::pair<std::string, std::uint64_t>> locations;
};

// vCPUs by number, then vmm, then gpu; by register name within an agent.
void sort_registers(std::vector<reg_value>& regs);
// herd's state line: "0:r0=0; 1:r0=1; x=1;" (vCPU P's registers as P:r).
std::string format_outcome(const outcome& o);
// From a result's `registers` ({agent: {reg: value}}) and `locations` ({name: value}).
outcome outcome_from_json(const nlohmann::json& registers, const nlohmann::json& locations);

// The condition's name of an agent's register: "0:r0", "vmm:r0", "gpu:r0".
std::string reg_key(const std::string& agent, const std::string& name);

enum class quantifier : std::uint8_t { exists, not_exists, forall };
const char* to_string(quantifier q); // "exists", "~exists", "forall"

struct condition_error : std::runtime_error {
    condition_error(std::size_t at, const std::string& msg) : std::runtime_error(msg), offset(at) {}
    std::size_t offset; // the offending character's offset in the condition's text
};

// The body of a condition, as a tree.
struct cond_node {
    enum class kind : std::uint8_t { eq, ne, not_, and_, or_, true_, false_ } k = kind::true_;
    // eq/ne: a register (agent non-empty) or a location (agent empty) against value.
    std::string agent, name;
    std::uint64_t value = 0;
    std::size_t at = 0; // offset of the atom in the text
    std::vector<std::unique_ptr<cond_node>> kids;
};

struct condition {
    quantifier q = quantifier::exists;
    std::string text; // as written
    std::shared_ptr<const cond_node> body;

    // Whether the outcome satisfies the body.
    bool satisfied_by(const outcome& o) const;
    // Every atom, in text order (for the loader's name checks).
    std::vector<const cond_node*> atoms() const;
};

// Parses herd's syntax (docs/litmus.md §1); throws condition_error.
condition parse_condition(quantifier q, const std::string& text);

} // namespace mtsim::litmus
