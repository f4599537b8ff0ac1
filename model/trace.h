// A timeline of one simulation in the Trace Event Format that chrome://tracing and Perfetto's UI
// open (Google, "Trace Event Format", the JSON object form: `traceEvents`, complete events
// `ph: X` with `ts`/`dur` in microseconds, instant events `ph: i`, metadata `ph: M` naming
// processes and threads). One track (a "thread") per agent under the process "agents" and one
// per shared resource (LLC ports, DRAM channels, IOMMU walker, PCIe link directions) under the
// process "shared resources".
//
// Contract:
// - Off by default. A hook tests `trace::on(category)` — one load and one predictable branch —
//   and builds nothing when it is false. enable() is called before elaboration; one simulation
//   per process, so the recorder is process-global like the stat registry (model/stats.h).
// - Slices on one track must nest (a walk inside the op that caused it); a hook that cannot
//   promise nesting records on a track of its own. Times are absolute simulated times: the
//   initiator's local time under its quantum keeper, so events of one track are recorded out of
//   order across agents and are sorted per track when the document is built.
// - At most `max_events` events are kept; past that, recording stops and the document's
//   metadata says how many were dropped (never a silently shortened timeline).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <systemc>
#include <vector>

namespace mtsim::trace {

enum class category : unsigned {
    op,         // one program operation of an agent, with its source line
    vmexit,     // a VM exit with its reason and handling
    walk,       // a 2-D page walk
    flush,      // CLFLUSH/CLFLUSHOPT/CLWB, WBINVD/WBNOINVD/INVD
    dma,        // a device's DMA request
    snoop,      // a snoop the home agent sends to private caches
    wc,         // a write-combining buffer drain
    doorbell,   // a doorbell reaching the device, an interrupt
    corruption, // a read the oracle found corrupt, with its cause
    dram,       // a DRAM channel's occupancy
    llc,        // an LLC port's occupancy
    iommu,      // the IOMMU walker's occupancy, IOTLB misses
    link,       // the PCIe link's occupancy per direction
    count_
};

constexpr unsigned category_count = unsigned(category::count_);
std::string_view to_string(category c);
// Every category's name, comma-separated (for --help and errors).
std::string category_names();
// A mask from "a,b,c"; an unknown name is std::invalid_argument naming it and the valid ones.
unsigned parse_filter(std::string_view csv);
constexpr unsigned all_categories = (1u << category_count) - 1;

namespace detail {
extern unsigned g_mask;
}

inline bool on(category c) {
    return (detail::g_mask >> unsigned(c)) & 1u;
}
inline bool enabled() {
    return detail::g_mask != 0;
}

enum class group : int { agents = 1, shared = 2 };

// Starts recording the categories of mask, forgetting anything recorded before.
void enable(unsigned mask, std::size_t max_events = 4'000'000);
void disable();

// A track, created on first use; declaring it makes it appear even without events.
void declare_track(std::string_view track, group g);

// Record only when on(c). A slice from begin to end (end >= begin) on track.
void slice(std::string_view track, category c, std::string name, sc_core::sc_time begin,
           sc_core::sc_time end, nlohmann::json args = nullptr);
// A slice on the first of track's lanes ("track", "track #2", ...) free at begin, for work that
// overlaps (a device's pipelined commands); calls for one track come in order of begin.
void slice_in_lane(std::string_view track, category c, std::string name, sc_core::sc_time begin,
                   sc_core::sc_time end, nlohmann::json args = nullptr);
void instant(std::string_view track, category c, std::string name, sc_core::sc_time at,
             nlohmann::json args = nullptr);

// Runs f out of line: a hook writes `if (trace::on(c)) trace::cold([&] { trace::slice(...); });`
// so that building the event's strings stays off its caller's hot path (and out of its
// inlining budget).
template <class F>
[[gnu::cold]] [[gnu::noinline]] void cold(F&& f) {
    f();
}

std::size_t event_count();
// The whole document: {"traceEvents": [...], "displayTimeUnit": "ns", "otherData": {...}}.
nlohmann::json document();

} // namespace mtsim::trace
