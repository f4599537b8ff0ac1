// The parameters of a CPU agent (vCPU or VMM thread) and of its store buffer, as the loader,
// `mtsim list params` and the resolved configuration see them.
#include "cpu/agent.h"

namespace mtsim::cpu {

void store_buffer_config::describe(param_visitor& v) {
    v.uint("entries", entries, "store buffer entries (one per store piece)", "stores", 1, 4096);
    v.choice("policy", policy,
             "when buffered stores and deferred CLFLUSHOPT/CLWB complete on their own: timed "
             "(after retire_delay / flush_delay) or lazy (only when an ordering event forces "
             "them)",
             {{"timed", retire_policy::timed}, {"lazy", retire_policy::lazy}});
    v.cycles("retire_delay", retire_delay,
             "policy timed: a store retires this long after it executed at the earliest");
    v.cycles("flush_delay", flush_delay,
             "policy timed: a deferred CLFLUSHOPT/CLWB completes this long after it executed");
    v.uint("fill_buffers", fill_buffers,
           "lines whose cacheable store misses overlap when stores retire (1: one at a time)",
           "lines", 1, 64);
}

void agent_config::describe(param_visitor& v) {
    v.real("clock_mhz", clock_mhz, "core clock", "MHz", 1.0, 100000.0);
    v.uint("line_size", line_size, "line CLFLUSH* act on", "bytes", 16, 256);
    v.uint("fill_width", fill_width,
           "bytes per store (and load) of fill and copy, never crossing a line: 8 models "
           "rep stosq / 64-bit moves, the line size full-line vector stores",
           "bytes", 1, 256);
    v.cycles("issue_latency", issue_latency, "pipeline cost of issuing any operation");
    v.cycles("forward_latency", forward_latency,
             "a load served entirely by store-to-load forwarding");
    v.section("store_buffer", store_buffer);
    v.choice(
        "keep_loads", keep,
        "which load results the agent keeps for checkers (the observer hook sees all)",
        {{"all", keep_loads::all}, {"labelled", keep_loads::labelled}, {"none", keep_loads::none}});
}

} // namespace mtsim::cpu
