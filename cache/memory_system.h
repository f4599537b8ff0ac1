// The memory system of the host: private L1D and L2 per pCPU, a shared LLC whose home agent
// keeps MESI with a snoop filter, write-combining buffers per pCPU, a device port for snooped
// and non-snooped DMA, and the initiator socket to the DRAM controller. Lines hold data: a
// reader gets its bytes from the place that really holds them.
//
// Requests (all LT, the target never waits; delays are added to the annotated delay):
// - cpu[p]: generic payload READ/WRITE with data (any length; split per line), or
//   TLM_IGNORE_COMMAND for cache-control ops (clflush, clflushopt, clwb: the line of the
//   address; wbinvd, wbnoinvd, invd, sfence, mfence: no address). access_ext is mandatory and
//   access_ext.who.pcpu must equal p. Memory types follow SDM Table 11-2:
//     WB   read and write allocate;
//     WT   reads allocate; a store updates a hit line and always writes memory; a write miss
//          does not allocate;
//     WP   reads allocate; a store writes memory and invalidates every cached copy;
//     UC, UC-  go to memory, never allocate, drain this pCPU's WC buffers first;
//     UC with source cd (CR0.CD=1, NW=0: no-fill mode): read hits and write hits on an E/M
//          line are served by the caches, misses go to memory without allocating, every
//          cache is snooped (coherence is maintained);
//     WC   stores combine in WC buffers; loads read memory uncached (after draining this
//          pCPU's WC buffers that overlap the loaded bytes, so a pCPU sees its own stores).
//   op nt_store: to WC/WB/WT/WP memory goes through the WC buffers; the issuing pCPU's cached
//   copy of the line is flushed first (written back if dirty) as Intel documents for
//   streaming stores, and the drained data is snooped by all caches (a streaming store to
//   cacheable memory is coherent). To UC memory it is a UC store.
//   op locked_rmw: drains WC buffers, then a WB load (READ) or store (WRITE) with ownership.
//   A cacheable (WB/WT/WP) load or store first drains this pCPU's WC buffers that hold any of
//   its bytes: a processor sees its own NT or WC-alias stores; nobody else does until a drain.
// - Who sees an uncached (UC/WC) access at the fabric: the other pCPUs' caches and the LLC
//   when fabric_snoops_uncached (reads take their dirty data, writes invalidate them after
//   their dirty data went to DRAM); the issuing pCPU's own caches when self_snoop, or for UC
//   whose type came from the page tables. Data in a WC buffer is seen by no snoop, no DMA.
// - WC buffers drain oldest-first (allocation order) on SFENCE, MFENCE, locked op, UC access,
//   WBINVD/WBNOINVD/INVD, serialize() (VM exit, interrupt, serializing instruction), and
//   one buffer (the oldest) when a store needs a buffer and all are busy, and each buffer on
//   its own wc_drain_delay after it was allocated (a process of the memory system: nobody
//   waits for it, its write occupies the fabric and DRAM as any other).
// - WBINVD/WBNOINVD/INVD on pCPU p: p's L1D and L2 and its socket's LLC, plus the private
//   caches of the pCPUs sharing that LLC when llc.wbinvd_sharers (CPUID.4:EDX[0]=0); never
//   another socket's caches (memory_system_config::sockets: one LLC and home agent per socket,
//   a line cached in one socket at a time, socket_link_latency to take it across).
// - dma: access_ext.no_snoop = false: reads return the newest data (a dirty private line is
//   written back first), writes write back and invalidate every copy, then write DRAM.
//   no_snoop = true: straight to DRAM; the caches are not consulted, so a dirty line evicted
//   later overwrites the device's bytes.
// - Timing: an L1 hit costs exactly l1d.latency; a miss costs the sum along the path
//   (l1d + l2 [+ llc + port wait] [+ snoop_latency] [+ DRAM's annotated delay]); an uncached
//   access costs llc.latency + port wait [+ snoop_latency] + DRAM's delay; WBINVD/WBNOINVD/
//   INVD cost (L1D+L2 frames of this pCPU + LLC frames) * wbinvd_cycles_per_line plus the
//   DRAM delay of each dirty line written back. Victim write-backs are buffered: they reach
//   DRAM's calendar but do not delay the requester.
//
// Inside, the memory system is a set of components, each with its own header and contract:
// cpu_port.h (a pCPU's socket: checks and dispatch by memory type), private_hierarchy.h (a
// pCPU's L1D and L2), wc_unit.h (a pCPU's WC buffers), home_agent.h (the protocol step, snoop
// filter, LLC, LLC ports, uncached requests at the fabric), device_port.h (DMA), dram_port.h
// (requests to the DRAM controller) and ms_context.h (what they all read). None of them is
// visible through this header.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "cache/cache_config.h"
#include "cache/memory_stats.h"
#include "cache/protocol.h"
#include "model/access_ext.h" // what every request carries
#include "model/cycles.h"

namespace mtsim {

class memory_system : public sc_core::sc_module {
public:
    SC_HAS_PROCESS(memory_system);
    // One per pCPU, each bound to a port object of the memory system (model/lt_target.h: LT
    // only, no DMI, every access goes through the caches).
    sc_core::sc_vector<tlm::tlm_target_socket<>> cpu;
    tlm::tlm_target_socket<> dma; // device-facing (IOMMU output); LT only, like cpu
    tlm_utils::simple_initiator_socket<memory_system> to_dram;

    memory_system(const sc_core::sc_module_name& name, const memory_system_config& cfg = {});
    ~memory_system() override;

    const memory_system_config& config() const;
    const mtsim::clock& clk() const;

    // Drains pCPU p's WC buffers (VM exit, interrupt, serializing instruction), adding the
    // time to delay.
    void serialize(unsigned pcpu, sc_core::sc_time& delay);
    // Timing perturbation seed (docs/litmus.md): each WC buffer's own drain delay is drawn
    // uniformly in [0, 2 x wc_drain_delay]. Before the simulation starts.
    void set_perturbation(std::uint64_t seed);

    // The platform's device memory (host-physical [base, base + bytes) ranges the host bridge
    // decodes as MMIO, scenarios/address_plan.h). A cacheable (WB/WT/WP) CPU data access that
    // touches one is a machine check on Intel (SDM Vol. 3A §11.3: WB, WT and WP are for system
    // memory; memory-mapped I/O must be UC or WC): the memory system calls `hook` with the
    // access (its type and the type's source) and lets it proceed, so the run can report it.
    // Set before the run.
    void set_device_memory(std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges,
                           std::function<void(const access_ext&, std::uint64_t, unsigned)> hook);

    // The protocol table the data path uses; a test may patch a cell to prove checkers fire.
    protocol_table& protocol();
    const transition_counts& protocol_counts() const;
    const memory_system_stats& stats() const { return m_stats; }

    // Introspection for tests and checkers: no state change, no timing, no counters.
    std::vector<line_view> copies(std::uint64_t addr) const;
    directory_view directory(std::uint64_t addr) const;
    bool in_wc_buffer(unsigned pcpu, std::uint64_t addr) const;
    // What a snooped reader would get now: a pCPU's M copy, else the LLC copy, else DRAM.
    // WC buffers are ignored.
    std::vector<std::uint8_t> read_coherent(std::uint64_t addr, std::size_t len) const;
    // DRAM's bytes only (through the DRAM's transport_dbg).
    std::vector<std::uint8_t> read_dram(std::uint64_t addr, std::size_t len) const;

private:
    struct parts; // the components (memory_system.cpp)
    // The WC buffers' own timeline: wakes at the earliest due time and drains what is due.
    void wc_timeline();
    sc_core::sc_event m_wc_timer;
    memory_system_stats m_stats{this};
    std::unique_ptr<parts> m_parts;
    // One derived stat per defined protocol cell: "<name>.protocol.<state>_<event>".
    std::vector<std::unique_ptr<derived_stat>> m_cell_stats;
};

} // namespace mtsim
