// The static wait/signal check: an abstract run of the programs over their synchronization
// ops only. Signals are flags that stay set (builder.cpp platform::signal), the k-th CPU
// doorbell releases the GPU's k-th wait_doorbell, a GPU interrupt sets its name once the GPU
// reaches it, vm_pause sets `vm-pause`; every other op always completes. Each agent advances
// until it reaches a wait whose flag is not set (or a wait_doorbell not rung yet); when no agent
// can advance, a CPU agent still waiting would wait forever in the run as well, since timing
// only orders what this run lets happen.
#include <set>

#include <fmt/format.h>

#include "scenarios/validate.h"

namespace mtsim::scenarios {

void validate_sync(const scenario& s) {
    const std::size_t n = s.programs.size();
    std::vector<std::size_t> pc(n, 0);
    std::set<std::string> set;
    std::uint64_t rung = 0, taken = 0; // doorbells rung by CPUs, wait_doorbells passed
    for (bool moved = true; moved;) {
        moved = false;
        for (std::size_t a = 0; a < n; ++a) {
            const auto& ops = s.programs[a].ops;
            for (; pc[a] < ops.size(); ++pc[a], moved = true) {
                const scenario_op& op = ops[pc[a]];
                if (op.type == op_type::wait && !set.count(op.name)) break;
                if (op.type == op_type::gpu_wait_doorbell) {
                    if (taken >= rung) break;
                    ++taken;
                }
                if (op.type == op_type::signal || op.type == op_type::gpu_interrupt)
                    set.insert(op.name);
                if (op.type == op_type::vm_pause) set.insert("vm-pause");
                if (op.type == op_type::doorbell) ++rung;
            }
        }
    }
    // Who could have set a flag, for the message.
    auto setters = [&](const std::string& name) {
        std::string out;
        for (const auto& p : s.programs)
            for (const auto& op : p.ops)
                if ((op.type == op_type::signal || op.type == op_type::gpu_interrupt) &&
                    op.name == name)
                    out +=
                        fmt::format("{}{} at line {}", out.empty() ? "" : ", ", p.agent, op.line);
        return out;
    };
    std::string stuck;
    const scenario_op* first = nullptr;
    std::string first_key;
    for (std::size_t a = 0; a < n; ++a) {
        const auto& p = s.programs[a];
        if (p.agent == "gpu" || pc[a] == p.ops.size()) continue;
        const scenario_op& op = p.ops[pc[a]];
        const std::string who = setters(op.name);
        stuck += fmt::format(
            "{}{} `wait: {}` at line {} ({})", stuck.empty() ? "" : "; ", p.agent, op.name, op.line,
            who.empty() ? "no agent signals it"
                        : "signalled only by " + who + ", which the programs never reach");
        if (!first) {
            first = &op;
            first_key = fmt::format("programs.{}[{}].wait", p.agent, pc[a]);
        }
    }
    if (!first) return;
    for (std::size_t a = 0; a < n; ++a) {
        const auto& p = s.programs[a];
        if (p.agent == "gpu" && pc[a] < p.ops.size())
            stuck += fmt::format("; the GPU stops at `wait_doorbell` at line {} (doorbell {} is "
                                 "never rung)",
                                 p.ops[pc[a]].line, taken + 1);
    }
    throw config_error(s.file, first->line, first_key,
                       "these waits can never be satisfied, the run would stop with agents "
                       "still waiting: " +
                           stuck);
}

} // namespace mtsim::scenarios
