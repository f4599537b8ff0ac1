// A PCIe GPU DMA engine: a BAR with ring, doorbell, status, fence and Device Control registers;
// a command ring in memory whose 32-byte descriptors (gpu/descriptor.h) it fetches with DMA
// reads; device-internal VRAM; memory requests of at most request_bytes that never cross
// 4 KiB, with at most max_outstanding in flight, over a PCIe link with a busy-until calendar
// per direction (gpu/pcie_link.h).
//
// Sockets:
// - `bar` (target, LT, never waits): 4- or 8-byte register accesses at the offsets of
//   gpu::reg, addressed relative to the BAR; mmio_latency is added to the delay. Unknown
//   offsets or sizes complete with TLM_ADDRESS_ERROR_RESPONSE / TLM_BURST_ERROR_RESPONSE.
// - `mem` (initiator): bind to an IOMMU's `in` (addresses are IOVAs) or to the memory
//   system's `dma` port (host-physical). Every request carries access_ext with op dma_read /
//   dma_write, who = {device, bdf} and no_snoop = descriptor NS AND Device Control bit 11.
//
// Behaviour promised:
// - Writing RING_BASE or RING_SIZE resets head and tail to 0 (program the ring while idle).
// - A doorbell write (tail) takes effect at the writer's local time; the engine executes
//   descriptors head..tail-1 in order, one at a time. Descriptor fetches ask No Snoop when
//   RING_CTL bit 0 is set (gated by Device Control like every request), else are snooped.
// - Requests of one command are pipelined: each issues when a slot of the outstanding window
//   is free; a read completes when its data has crossed the downstream link; a write
//   completes when memory has accepted it. A copy moves max_outstanding chunks per batch:
//   reads first, each chunk's write when its read completed.
// - fence_write and interrupt first wait until every earlier request completed; the engine
//   then synchronizes its quantum keeper, so the fence value in memory, the FENCE register,
//   fence_event() and interrupt_event() appear at the simulated time of completion.
// - A request answered with an error (an IOMMU fault) stops its command: no later request of
//   that command is issued, STATUS gets status_error with error_code::dma_fault, ERROR_INDEX
//   the descriptor, and the engine halts until STATUS.error is written 1 (head already
//   points past the failed descriptor). Invalid descriptors halt it with bad_descriptor.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "gpu/descriptor.h"
#include "gpu/gpu_config.h"
#include "gpu/pcie_link.h"
#include "gpu/vram.h"
#include "model/access_ext.h"
#include "model/accounting.h"
#include "model/cycles.h"
#include "model/perturb.h"
#include "model/stats.h"

namespace mtsim::gpu {

// One decoded descriptor, in cycles of the device clock: start is the first request's earliest
// issue (after the fetch and decode), end the last completion. A failed fetch or an
// undecodable descriptor leaves no record, only STATUS and ERROR_INDEX.
struct command_record {
    std::uint32_t index = 0;
    descriptor_op op = descriptor_op::copy;
    cycles start{0};
    cycles end{0};
    error_code status = error_code::none;
};

// Counters of one engine, dumped as "<engine>.<counter>".
struct dma_engine_counters {
    explicit dma_engine_counters(const sc_core::sc_object* owner) : m_owner(owner) {}
    const sc_core::sc_object* m_owner;

    counter doorbells{m_owner, "doorbells", "doorbell (ring tail) writes", "writes"};
    counter descriptors{m_owner, "descriptors", "descriptors fetched and executed", "descriptors"};
    counter read_requests{m_owner, "read_requests", "memory read requests issued", "requests"};
    counter write_requests{m_owner, "write_requests", "memory write requests issued", "requests"};
    counter read_bytes{m_owner, "read_bytes", "bytes read from memory", "bytes"};
    counter write_bytes{m_owner, "write_bytes", "bytes written to memory", "bytes"};
    counter no_snoop_requests{m_owner, "no_snoop_requests", "requests sent with No Snoop set",
                              "requests"};
    counter snooped_requests{m_owner, "snooped_requests", "requests sent without No Snoop",
                             "requests"};
    counter no_snoop_suppressed{m_owner, "no_snoop_suppressed",
                                "requests whose descriptor asked No Snoop but Device Control "
                                "Enable No Snoop was clear",
                                "requests"};
    counter faults{m_owner, "faults", "requests completed with an error response", "requests"};
    counter bad_descriptors{m_owner, "bad_descriptors", "descriptors refused as invalid",
                            "descriptors"};
    counter fences{m_owner, "fences", "fence values written", "fences"};
    counter interrupts{m_owner, "interrupts", "interrupts raised", "interrupts"};
    counter window_stall_cycles{m_owner, "window_stall_cycles",
                                "cycles requests waited for an outstanding-request slot", "cycles"};
};

class gpu_dma_engine : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<gpu_dma_engine> bar;
    tlm_utils::simple_initiator_socket<gpu_dma_engine> mem;

    SC_HAS_PROCESS(gpu_dma_engine);
    // Throws std::invalid_argument when validate(cfg) does.
    gpu_dma_engine(const sc_core::sc_module_name& name, const dma_engine_config& cfg = {});
    ~gpu_dma_engine() override;

    const dma_engine_config& config() const { return m_cfg; }
    const mtsim::clock& clk() const { return m_clock; }

    // The BAR's registers for the VMM and tests, same behaviour as `bar` without its latency.
    // `at` is the writer's local time offset (a doorbell takes effect then). Unknown offsets
    // or sizes throw std::invalid_argument.
    std::uint64_t read_reg(std::uint64_t offset, unsigned size = 4) const;
    void write_reg(std::uint64_t offset, std::uint64_t value, unsigned size = 4,
                   const sc_core::sc_time& at = sc_core::SC_ZERO_TIME);

    // Shorthands over write_reg/read_reg.
    void program_ring(std::uint64_t base, std::uint32_t entries);
    void set_enable_no_snoop(bool on);
    // Timing perturbation (docs/litmus.md): with a seed other than 0 each command starts
    // uniformly in [0, link.latency] cycles after its decode.
    void set_perturbation(std::uint64_t seed) { m_jitter = perturb_stream(seed, "gpu"); }
    void ring_doorbell(std::uint32_t tail, const sc_core::sc_time& at = sc_core::SC_ZERO_TIME);
    std::uint32_t status() const { return static_cast<std::uint32_t>(read_reg(reg::status)); }
    error_code error() const { return m_error; }
    std::uint64_t fence_value() const { return m_fence; }
    std::uint32_t head() const { return m_head; }

    // True when every doorbell written so far has been served (or the engine halted) and the
    // engine has synchronized with simulated time.
    bool idle() const { return m_idle; }
    // From a process: returns once idle() (waiting for idle_event() as needed).
    void wait_idle();
    const sc_core::sc_event& idle_event() const { return m_idle_event; }
    const sc_core::sc_event& fence_event() const { return m_fence_event; }
    const sc_core::sc_event& interrupt_event() const { return m_irq_event; }
    // Called from the engine's process at the interrupt's simulated time.
    void on_interrupt(std::function<void(std::uint32_t vector)> f) { m_irq_callback = f; }
    std::uint64_t interrupts() const { return m_irq_count; }

    // Device-internal memory (gpu/vram.h: zero until written, allocated per page on first
    // write), untimed, for the VMM, tests and checkers. A range beyond vram_bytes throws
    // std::out_of_range naming it.
    void write_vram(std::uint64_t offset, const std::uint8_t* data, std::uint64_t len) {
        m_vram.write(offset, data, len);
    }
    std::vector<std::uint8_t> vram_bytes(std::uint64_t offset, std::uint64_t len) const {
        return m_vram.bytes(offset, len);
    }
    // 4 KiB VRAM pages holding storage.
    std::size_t vram_touched_pages() const { return m_vram.touched_pages(); }

    const std::vector<command_record>& completed() const { return m_log; }
    // Where the engine's time went (model/accounting.h), from set_account_start to its last
    // completion. The engine pipelines requests, so the account follows its completion
    // horizon: a request that moves the horizon later is charged the stretch it added, to the
    // level that served it; the command latency is executing; the horizon moving to a doorbell
    // the idle engine waited for is sync.wait.
    void set_account_start(const sc_core::sc_time& t) { m_account_start = t; }
    cost_account account() const;
    const dma_engine_counters& counters() const { return m_counters; }
    // The largest number of requests that were in flight at once.
    std::uint64_t max_in_flight() const { return m_window.max_in_flight(); }
    std::uint64_t link_up_busy_cycles() const { return m_link.up_busy_cycles(); }
    std::uint64_t link_down_busy_cycles() const { return m_link.down_busy_cycles(); }

private:
    struct issued {
        cycles issue{0};
        cycles done{0};
        bool ok = true;
    };
    struct doorbell {
        std::uint32_t tail;
        sc_core::sc_time at; // absolute
    };

    void bar_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    void run();
    bool next_work();
    void execute(std::uint32_t index);
    bool valid(const descriptor& d) const;
    // The command bodies: advance t, record the last completion in end; false on a fault.
    bool transfer(const descriptor& d, cycles& t, cycles& end);
    bool copy(const descriptor& d, cycles& t, cycles& end);
    bool fence_write(const descriptor& d, cycles& t, cycles& end);
    void interrupt(const descriptor& d, cycles& t);
    void halt(std::uint32_t index, error_code e);
    issued issue(cycles ready, bool write, std::uint64_t addr, std::uint8_t* data, unsigned len,
                 bool ns_requested);
    // Largest request at addr with `left` bytes to go: request_bytes, not crossing 4 KiB.
    unsigned chunk(std::uint64_t addr, std::uint64_t left) const;
    cycles now() const { return m_clock.to_cycles(m_qk.get_current_time()); }
    // Moves the engine's local time to c (syncing when the quantum is used up) / to c and
    // syncs. Both recompute m_check_at.
    void advance_to(cycles c);
    void sync_at(cycles c);
    void refresh_check() { m_check_at = m_clock.to_cycles(m_qk.next_sync_point()); }
    // The completion horizon moves to c (when later), the stretch charged to p.
    void extend(cycles c, cost_part p);

    dma_engine_config m_cfg;
    perturb_stream m_jitter;
    mtsim::clock m_clock;
    pcie_link m_link;
    std::string m_link_up_track, m_link_down_track; // the link's timeline tracks
    request_window m_window;
    // A quantum keeper that tells when its quantum ends, so requests inside the quantum need
    // not consult it (the hot path).
    struct quantum_keeper : tlm_utils::tlm_quantumkeeper {
        sc_core::sc_time next_sync_point() const { return m_next_sync_point; }
    };
    quantum_keeper m_qk;
    cycles m_check_at{0}; // first issue cycle at which the quantum keeper must be consulted
    sparse_vram m_vram;
    std::vector<std::uint8_t> m_staging; // copy batches; one VRAM request
    tlm::tlm_generic_payload m_gp;
    access_ext m_ext;

    // registers
    std::uint64_t m_ring_base = 0;
    std::uint32_t m_ring_size = 0;
    std::uint32_t m_head = 0;
    std::uint32_t m_tail = 0;
    std::uint64_t m_fence = 0;
    std::uint32_t m_devctl = 0;
    std::uint32_t m_ring_ctl = 0;
    std::uint32_t m_error_index = 0;
    std::uint64_t m_irq_count = 0;
    error_code m_error = error_code::none;

    std::deque<doorbell> m_doorbells; // written, not yet visible to the engine
    bool m_idle = true;
    sc_core::sc_event m_doorbell_event;
    sc_core::sc_event m_idle_event;
    sc_core::sc_event m_fence_event;
    sc_core::sc_event m_irq_event;
    std::function<void(std::uint32_t)> m_irq_callback;
    std::vector<command_record> m_log;
    sc_core::sc_time m_account_start;
    cost_account m_acct;
    cycles m_horizon{0};
    dma_engine_counters m_counters{this};
    derived_stat m_link_up_stat{this, "link_up_busy_cycles",
                                "cycles the upstream link direction serialized TLPs", "cycles",
                                [this] { return double(m_link.up_busy_cycles()); }};
    derived_stat m_link_down_stat{this, "link_down_busy_cycles",
                                  "cycles the downstream link direction serialized TLPs", "cycles",
                                  [this] { return double(m_link.down_busy_cycles()); }};
    derived_stat m_in_flight_stat{this, "max_in_flight", "most requests in flight at once",
                                  "requests", [this] { return double(m_window.max_in_flight()); }};
};

} // namespace mtsim::gpu
