// A vector clock over the oracle's agents (Lamport/Fidge-Mattern). Agent i's component counts
// i's synchronization epochs; a component beyond the stored size reads as 0, so clocks taken
// before an agent was registered compare correctly with clocks taken after.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mtsim {

using agent_id = std::uint32_t;
using epoch = std::uint32_t;

class vector_clock {
public:
    epoch get(agent_id a) const { return a < m_c.size() ? m_c[a] : 0; }

    void set(agent_id a, epoch e) {
        if (a >= m_c.size()) m_c.resize(a + 1, 0);
        m_c[a] = e;
    }

    // Advances a's own component: later events of a are no longer covered by clocks that
    // were copied from this one before.
    void tick(agent_id a) { set(a, get(a) + 1); }

    // Component-wise maximum: after acquire, everything the other side knew is known here.
    void join(const vector_clock& o) {
        if (o.m_c.size() > m_c.size()) m_c.resize(o.m_c.size(), 0);
        for (std::size_t i = 0; i < o.m_c.size(); ++i) m_c[i] = std::max(m_c[i], o.m_c[i]);
    }

    // True when every component is <= the other's: this clock happens-before-or-equals o.
    bool leq(const vector_clock& o) const {
        for (std::size_t i = 0; i < m_c.size(); ++i)
            if (m_c[i] > o.get(static_cast<agent_id>(i))) return false;
        return true;
    }

    bool concurrent_with(const vector_clock& o) const { return !leq(o) && !o.leq(*this); }

    std::size_t size() const { return m_c.size(); }

private:
    std::vector<epoch> m_c;
};

} // namespace mtsim
