// The engine's bounded poll: a driver spinning on a fence or status word (cpu/program.h
// op_code::poll). Each iteration is an ordinary load of the value through the agent's
// translation and port (so a WB mapping spins in its own cache while a WC or UC one reads
// memory each time) plus the issue latency; before each load the agent syncs its quantum
// keeper (a flag read is a synchronization), so the other agents' writes land while it spins
// at the time they happen. The poll ends when the loaded bytes equal the awaited ones, or when the
// budget has passed since the first load. The observer hears every load (on_load) and then the end
// (on_poll_end); the last value is the op's result.
#include <algorithm>

#include "cpu/agent.h"

namespace mtsim::cpu {

void agent::poll(const op& o) {
    std::uint8_t got[8] = {};
    const sc_core::sc_time start = now();
    const sc_core::sc_time budget = m_clock.to_time(o.wait);
    bool seen = false;
    for (;;) {
        // Each load of the flag is a synchronization (an acquire when it sees the value): the
        // agent syncs its quantum keeper first, so what it sees does not depend on how far the
        // quantum let it run ahead of the writer (DESIGN.md §2 rule 5).
        m_qk.sync();
        load(o, o.addr, o.len, got);
        seen = std::equal(got, got + o.len, o.data.begin());
        if (seen || now() - start >= budget) break;
        m_qk.inc(m_issue_time);
        retire_due();
    }
    if (m_observer) m_observer->on_poll_end(*this, o, m_index, seen);
    keep_result(o, std::vector<std::uint8_t>(got, got + o.len));
}

} // namespace mtsim::cpu
