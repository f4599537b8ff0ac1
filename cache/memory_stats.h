// What the memory system shows of itself without changing anything: its statistics (counters
// on the data path, rates derived at dump time; model/stats.h) and the views checkers get of
// one line (every cached copy) and of the snoop filter's entry for it.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <systemc>

#include "cache/protocol.h"
#include "model/stats.h"

namespace mtsim {

enum class cache_level : std::uint8_t { l1d, l2, llc };
std::string_view to_string(cache_level l);

// One cached copy of a line, for checkers.
struct line_view {
    int pcpu = -1; // -1 for the LLC
    cache_level level = cache_level::llc;
    // L1D/L2: the pCPU's MESI state. LLC: the snoop filter's summary of the private copies
    // (I none, S sharers only, E/M one owner in that state).
    mesi state = mesi::i;
    // L1D: newer than the pCPU's L2 copy; L2: state M; LLC: newer than DRAM.
    bool dirty = false;
    std::vector<std::uint8_t> data;
    unsigned socket = 0; // LLC: whose socket's LLC (pCPU copies: their pCPU's socket is implied)
};

// The snoop filter's entry for one line.
struct directory_view {
    std::uint64_t sharers = 0; // bit p: pCPU p holds the line (S, E or M)
    int owner = -1;            // pCPU holding it E or M, -1 when none
};

// The memory system's statistics, registered under its sc_object name (model/stats.h).
// Counters are plain increments on the data path; rates are derived at dump time.
struct memory_system_stats {
    explicit memory_system_stats(const sc_core::sc_object* owner) : m_owner(owner) {}
    const sc_core::sc_object* m_owner;

    counter l1_hits{m_owner, "l1d_hits", "L1D lookups that found the line", "accesses"};
    counter l1_misses{m_owner, "l1d_misses", "L1D lookups that did not", "accesses"};
    counter l2_hits{m_owner, "l2_hits", "L2 lookups that found the line", "accesses"};
    counter l2_misses{m_owner, "l2_misses", "L2 lookups that did not", "accesses"};
    counter llc_hits{m_owner, "llc_hits", "private misses the LLC served", "accesses"};
    counter llc_misses{m_owner, "llc_misses", "private misses that went to DRAM", "accesses"};
    counter snoops{m_owner, "snoops", "private copies snooped (any event)", "snoops"};
    counter back_invalidations{m_owner, "back_invalidations",
                               "private copies invalidated by an LLC eviction or walk", "lines"};
    counter dram_reads{m_owner, "dram_reads", "reads sent to DRAM", "requests"};
    counter dram_writes{m_owner, "dram_writes", "writes sent to DRAM", "requests"};
    counter uncached_reads{m_owner, "uncached_reads", "UC/WC line reads at the fabric", "requests"};
    counter uncached_writes{m_owner, "uncached_writes",
                            "UC line writes and WC buffer drains at the fabric", "requests"};
    counter wc_combines{m_owner, "wc_combines", "stores merged into an open WC buffer", "stores"};
    counter wc_allocations{m_owner, "wc_allocations", "stores that opened a WC buffer", "stores"};
    counter wc_drains{m_owner, "wc_drains", "WC buffers written to memory", "buffers"};
    counter wc_timed_drains{m_owner, "wc_timed_drains",
                            "WC buffers drained on their own timeline (wc_drain_delay)", "buffers"};
    counter wc_full_evictions{m_owner, "wc_full_evictions",
                              "drains forced because every WC buffer was busy", "buffers"};
    counter dma_snooped{m_owner, "dma_snooped", "snooped DMA line requests", "requests"};
    counter dma_non_snooped{m_owner, "dma_non_snooped", "non-snooped DMA line requests",
                            "requests"};
    counter wbinvd_lines_walked{m_owner, "wbinvd_lines_walked",
                                "frames walked by WBINVD/WBNOINVD/INVD", "lines"};
    counter wbinvd_writebacks{m_owner, "wbinvd_writebacks",
                              "dirty lines WBINVD/WBNOINVD wrote to DRAM", "lines"};
    counter invd_dirty_lost{m_owner, "invd_dirty_lost",
                            "dirty lines dropped unwritten (INVD, DC IVAC)", "lines"};
    counter device_transactions{m_owner, "device_transactions",
                                "arm64 Device-nG stores, each its own write transaction",
                                "requests"};
    counter exclusive_failures{m_owner, "exclusive_failures",
                               "arm64 STXR that failed (monitor lost, or no monitor)", "stores"};
    counter cross_socket_transfers{m_owner, "cross_socket_transfers",
                                   "requests that took a line from the other socket over the link",
                                   "requests"};
    counter llc_port_wait_cycles{m_owner, "llc_port_wait_cycles",
                                 "cycles requests waited for an LLC port", "cycles"};
    derived_stat l1_hit_rate{
        m_owner, "l1d_hit_rate", "l1d_hits / (l1d_hits + l1d_misses)", "ratio", [this] {
            return ratio(double(l1_hits.value()), double(l1_hits.value() + l1_misses.value()));
        }};
    derived_stat l2_hit_rate{
        m_owner, "l2_hit_rate", "l2_hits / (l2_hits + l2_misses)", "ratio", [this] {
            return ratio(double(l2_hits.value()), double(l2_hits.value() + l2_misses.value()));
        }};
};

} // namespace mtsim
