// Per-agent accounting: where an agent's time went, in its own clock and in nanoseconds.
//
// Contract: an agent opens its account when its program starts (after set-up) and closes it
// when the program ends. Between the two, every picosecond of the agent's time belongs to
// exactly one part, so the parts sum to the total by construction: a part is either added
// explicitly (`add`, for a stretch the agent knows the cause of: a memory access served by
// the level the memory system reports, an exit's exit/entry cost, a flush, a drain) or is the
// remainder of the agent's time since the last `close_gap` (`close_gap(part)`: what was not
// added explicitly since then belongs to `part`). Adding more than the time that passed is
// a bug and throws std::logic_error, never a silently negative part.
//
// Cycles: each part's cycles are the differences of the cumulative sums rounded up to whole
// cycles (the agent's total rounds up the same way, model/cycles.h to_cycles), so the parts'
// cycles sum to the total's exactly.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>
#include <systemc>

#include "model/access_ext.h"
#include "model/cycles.h"
#include "model/enum_names.h"
#include "model/vm_exit.h"

namespace mtsim {

enum class cost_part : std::uint8_t {
    executing,    // issue latency, TLB lookups, forwarding, the GPU's command latency
    mem_l1,       // accesses the L1D served (the memory system says where: served_level)
    mem_l2,       // ... the L2
    mem_llc,      // ... the LLC (or a snoop of a peer's copy)
    mem_dram,     // ... DRAM (an LLC miss; every non-snooped DMA request)
    mem_uncached, // UC accesses at the fabric (and MMIO behind it)
    mem_wc_drain, // WC buffers written out (fences, exits, serializing ops, vm_pause)
    flush_wbinvd, // WBINVD/WBNOINVD/INVD: lines walked and written back (IPIs included)
    flush_line,   // CLFLUSH, and CLFLUSHOPT/CLWB the agent waited for
    sync_wait,    // waits for a signal, an interrupt or a doorbell
    vcpu_load,    // KVM's vcpu_load work at the start and on migration
    exit_first,   // then two parts per exit_reason: exit/entry, KVM's handling
};

inline constexpr unsigned exit_reason_count = enum_names<exit_reason>.size();
inline constexpr unsigned cost_part_count =
    static_cast<unsigned>(cost_part::exit_first) + 2 * exit_reason_count;

// The exit/entry part (kvm = false) or KVM's handling part (kvm = true) of an exit reason.
constexpr cost_part exit_part(exit_reason r, bool kvm) {
    return static_cast<cost_part>(static_cast<unsigned>(cost_part::exit_first) +
                                  2 * static_cast<unsigned>(r) + (kvm ? 1 : 0));
}

// "executing", "memory.l1", ..., "exit.wbinvd.exit_entry", "exit.wbinvd.kvm".
std::string cost_part_name(unsigned part);

// The part an access served at level `l` is charged to (none: executing).
constexpr cost_part memory_part(served_level l) {
    switch (l) {
    case served_level::none:
        return cost_part::executing;
    case served_level::l1:
        return cost_part::mem_l1;
    case served_level::l2:
        return cost_part::mem_l2;
    case served_level::llc:
        return cost_part::mem_llc;
    case served_level::dram:
        return cost_part::mem_dram;
    case served_level::uncached:
        return cost_part::mem_uncached;
    case served_level::wc_drain:
        return cost_part::mem_wc_drain;
    }
    return cost_part::executing;
}

class cost_account {
public:
    // Opens the account at absolute time t (the program's start). Reopening starts over.
    void open(const sc_core::sc_time& t);
    bool is_open() const { return m_open; }
    // A stretch of `d` the agent spent on `p`; ignored while the account is not open (a walk
    // before the simulation, `mtsim walk`).
    void add(cost_part p, const sc_core::sc_time& d) {
        if (!m_open || d == sc_core::SC_ZERO_TIME) return;
        m_parts[static_cast<unsigned>(p)] += d;
        m_pending += d;
    }
    // The agent's time is `now`: what passed since the last close_gap and was not added
    // explicitly belongs to p.
    void close_gap(cost_part p, const sc_core::sc_time& now);
    // Closes the account at `end` (the remainder to `p`); total() is end - open time.
    void close(cost_part p, const sc_core::sc_time& end);

    sc_core::sc_time total() const { return m_total; }
    sc_core::sc_time part(cost_part p) const { return m_parts[static_cast<unsigned>(p)]; }
    sc_core::sc_time part(unsigned i) const { return m_parts[i]; }

    // {clock_mhz, cycles, ns, busy_ns, parts: {NAME: {cycles, ns}}} (parts that are zero are
    // left out; busy = total minus sync.wait).
    nlohmann::json to_json(const clock& c) const;

private:
    bool m_open = false;
    sc_core::sc_time m_start;
    sc_core::sc_time m_last;    // the last close_gap
    sc_core::sc_time m_pending; // added explicitly since m_last
    sc_core::sc_time m_total;
    std::array<sc_core::sc_time, cost_part_count> m_parts{};
};

} // namespace mtsim
