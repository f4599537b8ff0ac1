// The PCIe link of one device, without the SystemC kernel: two directions, each a busy-until
// calendar in absolute cycles of the device clock. Callers must offer TLPs to one direction in
// non-decreasing `ready` order (a calendar, not a gap-filling scheduler).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>

#include "gpu/gpu_config.h"
#include "model/cycles.h"

namespace mtsim::gpu {

class pcie_link {
public:
    explicit pcie_link(const pcie_link_config& cfg) : m_cfg(cfg) {}

    // A TLP with `payload` data bytes, ready at `ready`; returns the cycle it arrives at the
    // far end.
    cycles send_up(cycles ready, std::uint64_t payload) {
        return send(m_up_busy, m_up_busy_cycles, ready, payload, m_cfg.up_bytes_per_cycle);
    }
    cycles send_down(cycles ready, std::uint64_t payload) {
        return send(m_down_busy, m_down_busy_cycles, ready, payload, m_cfg.down_bytes_per_cycle);
    }

    // Cycles each direction spent serializing TLPs.
    // The last TLP's serialization: from last_start() to the direction's busy-until.
    cycles last_start() const { return m_last_start; }
    cycles up_busy_until() const { return m_up_busy; }
    cycles down_busy_until() const { return m_down_busy; }
    std::uint64_t up_busy_cycles() const { return m_up_busy_cycles; }
    std::uint64_t down_busy_cycles() const { return m_down_busy_cycles; }

private:
    cycles send(cycles& busy, std::uint64_t& busy_total, cycles ready, std::uint64_t payload,
                std::uint64_t bytes_per_cycle) {
        const std::uint64_t bytes = payload + m_cfg.tlp_header_bytes;
        const cycles occupancy{(bytes + bytes_per_cycle - 1) / bytes_per_cycle};
        const cycles start = std::max(ready, busy);
        m_last_start = start;
        busy = start + occupancy;
        busy_total += occupancy.n;
        return busy + m_cfg.latency;
    }

    pcie_link_config m_cfg;
    cycles m_last_start{0};
    cycles m_up_busy{0};
    cycles m_down_busy{0};
    std::uint64_t m_up_busy_cycles = 0;
    std::uint64_t m_down_busy_cycles = 0;
};

// The outstanding-request limit: at most `capacity` requests between issue and completion.
// slot(t) returns the earliest cycle >= t at which a request may issue; add() records the
// completion of the request just issued.
class request_window {
public:
    explicit request_window(unsigned capacity) : m_capacity(capacity) {}

    cycles slot(cycles t) {
        retire(t);
        if (m_done.size() < m_capacity) return t;
        const cycles freed = m_done.front();
        m_done.pop_front();
        return std::max(t, freed);
    }
    void add(cycles completion) {
        // Completions mostly arrive in order (the downstream link serializes reads), so the
        // sorted insert is almost always a push_back.
        if (m_done.empty() || m_done.back() <= completion)
            m_done.push_back(completion);
        else
            m_done.insert(std::upper_bound(m_done.begin(), m_done.end(), completion), completion);
        m_max_in_flight = std::max<std::uint64_t>(m_max_in_flight, m_done.size());
    }
    // The cycle every recorded request has completed by (at least t); empties the window.
    cycles drain(cycles t) {
        if (!m_done.empty()) t = std::max(t, m_done.back());
        m_done.clear();
        return t;
    }
    std::uint64_t max_in_flight() const { return m_max_in_flight; }

private:
    void retire(cycles t) {
        while (!m_done.empty() && m_done.front() <= t) m_done.pop_front();
    }

    unsigned m_capacity;
    std::deque<cycles> m_done; // completions of requests in flight, sorted
    std::uint64_t m_max_in_flight = 0;
};

} // namespace mtsim::gpu
