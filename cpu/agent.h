// The execution engine shared by the CPU agents (cpu/vcpu.h, cpu/host_cpu.h): one SC_THREAD
// runs a program (cpu/program.h) under x86-TSO, issuing every memory access through
// port[current pCPU] with an access_ext (type and source from the subclass's translation, op,
// requester). The subclass supplies translation and what whole-cache operations, migration and
// the program's end mean for it.
//
// Memory-ordering model (promises):
// - Loads and stores execute in program order. A store enters the store buffer after it was
//   translated; a load takes its bytes from the buffer when every byte is buffered (youngest
//   store per byte), waits for the overlapping stores to retire when only some are, and reads
//   memory otherwise: a load never bypasses an older buffered store to the same bytes.
// - Stores retire oldest first, one at a time. When: (a) on their own once `retire_delay`
//   cycles passed since they executed (policy `timed`; never on their own with `lazy`); (b)
//   the oldest retires when a store finds the buffer full; (c) all retire on MFENCE, SFENCE,
//   locked operations, CLFLUSH, UC loads, UC stores (the store itself included: UC is strongly
//   ordered), callbacks (a synchronization point stands for a doorbell or flag write, which
//   TSO orders after older stores), exits, WBINVD, migration and the end of the program.
//   Retiring in the background does not delay the agent; a forced drain waits until the last
//   retired store completed. Stores become visible in program order (each completes no
//   earlier than the one before), but the misses of cacheable (WB/WT/WP) stores overlap: up
//   to `fill_buffers` lines may be in flight, a store to the line of the newest one merges
//   into it, and a store to a new line waits only for the oldest buffer to free (x86 cores
//   prefetch ownership for queued stores). Every other store starts after the previous one
//   completed.
// - CLFLUSH drains the store buffer, then flushes. CLFLUSHOPT and CLWB retire the buffered
//   stores up to the youngest one to the same line, then wait in a deferral queue: they may
//   complete before older stores to other lines are visible. A deferred flush completes on
//   SFENCE, MFENCE, a locked operation, serialization (exit, WBINVD, migration, the end), before
//   a younger store to its line retires, or on its own `flush_delay` cycles after it executed
//   (policy `timed`; with `lazy` only on those events). Reference: docs/reference/memory-types.md
//   §6.
// - Time runs while the agent waits: when the program blocks in a callback (a wait for a
//   signal, an interrupt, a pause of the VM), a second process of the agent completes the
//   deferred CLFLUSHOPT/CLWB at their own ready times (the callback drained the store buffer
//   already), as the core does while its thread is stalled: a weakly ordered flush needs no
//   fence to complete, only to be ordered (SDM Vol. 2A, CLFLUSHOPT).
// - Fences, locked operations, callbacks, exits and migration synchronize the quantum keeper,
//   so a scenario whose verdict rests on them does not depend on the quantum.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "cpu/ept.h"
#include "cpu/program.h"
#include "cpu/store_buffer.h"
#include "model/access_ext.h"
#include "model/accounting.h"
#include "model/cycles.h"
#include "model/params.h"
#include "model/perturb.h"
#include "model/stats.h"

namespace mtsim::cpu {

enum class retire_policy : std::uint8_t { timed, lazy };

struct store_buffer_config {
    unsigned entries = 56;
    retire_policy policy = retire_policy::timed;
    cycles retire_delay{20};
    cycles flush_delay{50};
    unsigned fill_buffers = 10; // lines whose cacheable store misses may be in flight at once
    void describe(param_visitor& v);
};

// Which load results loads() keeps (the observer sees every load regardless).
enum class keep_loads : std::uint8_t { all, labelled, none };

struct agent_config {
    double clock_mhz = 3000.0;
    unsigned line_size = 64;   // the line CLFLUSH* act on
    unsigned fill_width = 64;  // bytes per store (and load) that fill and copy issue
    cycles issue_latency{1};   // pipeline cost of issuing any op
    cycles forward_latency{4}; // a load served entirely by the store buffer
    store_buffer_config store_buffer;
    keep_loads keep = keep_loads::all;
    void describe(param_visitor& v);
};

// Who the agent is and where it starts.
struct agent_setup {
    unsigned id = 0;    // vCPU index; VMM thread index
    unsigned pcpus = 1; // physical CPUs of the platform: port[0..pcpus)
    unsigned pcpu = 0;  // where the program starts
};

// What the engine reports for one access piece (a piece never crosses a 4 KiB page).
struct access_record {
    std::size_t op_index = 0;
    const op* source = nullptr;
    op_kind kind = op_kind::load;
    std::uint64_t linear = 0;
    std::uint64_t hpa = 0; // 0 when emulated
    memtype type = memtype::wb;
    type_source source_of_type = type_source::fixed;
    const std::uint8_t* data = nullptr; // the bytes loaded, or stored
    unsigned len = 0;
    bool forwarded = false; // a load served by the store buffer
    bool emulated = false;  // completed by the hypervisor (MMIO)
    sc_core::sc_time at;    // the agent's local time when it executed
};

// Optional hooks for the scenario layer (oracle, traces). on_store is called when a store
// executes (in program order, when it enters the store buffer), not when it becomes visible.
class agent_observer {
public:
    virtual ~agent_observer() = default;
    virtual void on_load(const agent& a, const access_record& r) = 0;
    virtual void on_store(const agent& a, const access_record& r) = 0;
    // After a poll op (every load of it was reported by on_load first): whether its last load
    // saw the awaited value.
    virtual void on_poll_end(const agent& a, const op& o, std::size_t op_index, bool seen) {
        (void)a, (void)o, (void)op_index, (void)seen;
    }
};

// The result of a load op, or the old value of a locked op.
struct load_result {
    std::size_t op_index = 0;
    std::string label;
    std::uint64_t addr = 0;
    std::vector<std::uint8_t> bytes;
    sc_core::sc_time at;
};

// A `mark` op reached: its label and the agent's time there.
struct mark_record {
    std::string label;
    sc_core::sc_time at;
};

// Drains pCPU p's WC buffers (memory_system::serialize), adding its time to delay.
using serialize_fn = std::function<void(unsigned pcpu, sc_core::sc_time& delay)>;

class pcpu_bus;

class agent : public sc_core::sc_module {
public:
    using port_socket = tlm_utils::simple_initiator_socket<agent>;
    sc_core::sc_vector<port_socket> port; // port[p]: requests while on pCPU p

    // Before the simulation starts. The serializer is mandatory.
    void set_program(program p);
    // The program starts at this absolute time (default 0): what the host set up before the
    // guest runs (device attach, IOMMU tables) took the time before it. The agent's cycles
    // count from its start.
    void set_start_time(const sc_core::sc_time& t) { m_start_time = t; }
    void set_serializer(serialize_fn f) { m_serialize = std::move(f); }
    void set_observer(agent_observer* o) { m_observer = o; }
    // Timing perturbation (docs/litmus.md): with a seed other than 0, each store's retire
    // delay and each deferred flush's delay are drawn uniformly in [0, 2 x the parameter].
    void set_perturbation(std::uint64_t seed) { m_jitter = perturb_stream(seed, name()); }

    unsigned pcpu() const { return m_pcpu; }
    unsigned id() const { return m_setup.id; }
    requester who() const;
    bool finished() const { return m_finished; }
    const sc_core::sc_event& finished_event() const { return m_finished_event; }
    const std::vector<load_result>& loads() const { return m_loads; }
    // The first load result labelled `label`; throws when there is none.
    const load_result& load_labelled(const std::string& label) const;
    const agent_config& config() const { return m_cfg; }
    const mtsim::clock& clk() const { return m_clock; }
    const store_buffer& buffered() const { return m_sb; }
    std::size_t deferred_flushes() const { return m_deferred.size(); }
    // The agent's current time (simulation time plus the quantum keeper's local offset).
    sc_core::sc_time now() const;
    // Where the agent's time went (model/accounting.h), complete once finished(). Every
    // stretch the engine knows the cause of is charged to its part; the rest of the time
    // since the last close_gap goes to the part close_gap names (a synchronization hook calls
    // close_gap(cost_part::sync_wait) after its wait; the engine closes gaps as executing).
    const cost_account& account() const { return m_acct; }
    void close_gap(cost_part p) { m_acct.close_gap(p, now()); }
    const std::vector<mark_record>& marks() const { return m_marks; }

    counter& ops(op_code c) { return *m_ops[static_cast<unsigned>(c)]; }
    counter m_loads_issued{this, "loads", "load pieces executed (per page)", "accesses"};
    counter m_stores_issued{this, "stores", "store pieces executed (per page)", "accesses"};
    counter m_load_bytes{this, "load_bytes", "bytes loaded", "bytes"};
    counter m_store_bytes{this, "store_bytes", "bytes stored", "bytes"};
    counter m_forwarded{this, "forwarded_loads", "loads served by the store buffer", "accesses"};
    counter m_forward_stalls{this, "forward_stalls",
                             "loads that waited for partially overlapping buffered stores",
                             "accesses"};
    counter m_full_stalls{this, "store_buffer_full", "stores that found the buffer full", "stores"};
    counter m_retired{this, "stores_retired", "stores written from the buffer to memory", "stores"};
    counter m_flushes_deferred{this, "flushes_deferred",
                               "CLFLUSHOPT/CLWB put in the deferral queue", "ops"};
    counter m_emulated{this, "emulated_accesses", "access pieces completed by the hypervisor",
                       "accesses"};
    counter m_cycles{this, "cycles", "from program start to its end", "cycles"};

protected:
    agent(const sc_core::sc_module_name& name, const agent_config& cfg, const agent_setup& setup,
          requester_kind kind);
    ~agent() override;

    struct xlate {
        std::uint64_t hpa = 0;
        memtype type = memtype::wb;
        type_source source = type_source::fixed;
        arm_device device = arm_device::none; // arm64: the Device type (type is uc then)
    };
    enum class xlate_status : std::uint8_t {
        translated, // out holds the translation: perform the access
        emulated,   // the hypervisor completed the access (a load's bytes are in data)
        retry,      // translate again
    };
    // Translates one access piece [la, la + len) (never crossing a 4 KiB page). data points at
    // the store's bytes or the load's destination (nullptr for cache-line ops, len 0), for an
    // emulating hypervisor.
    virtual xlate_status translate(std::uint64_t la, access_kind kind, std::uint8_t* data,
                                   unsigned len, xlate& out) = 0;
    virtual void whole_cache_op(op_code c) = 0; // WBINVD, WBNOINVD, INVD
    virtual void on_start() {}
    // After the agent drained and serialized on `from`, before it issues on `to`.
    virtual void on_migrate(unsigned from, unsigned to) = 0;
    // After the last op, its stores drained and flushes completed.
    virtual void on_finish() {}
    virtual void before_start_check() const {}

    // Engine services for the subclasses.
    tlm_utils::tlm_quantumkeeper& keeper() { return m_qk; }
    // Store buffer and deferred flushes empty, the agent's time past their completion.
    void drain_all();
    // WC buffers of the current pCPU drained (VM exit, serializing instruction).
    void serialize_wc();
    // A data or cache-control request on the current pCPU's port at the agent's time.
    void transport(tlm::tlm_command cmd, op_kind k, std::uint64_t hpa, std::uint8_t* data,
                   unsigned len, memtype type, type_source source, bool page_walk = false,
                   arm_device device = arm_device::none);
    // The same with an explicit delay (page walks account their own time); returns where the
    // memory system served it.
    served_level transport_at(tlm::tlm_command cmd, op_kind k, std::uint64_t hpa,
                              std::uint8_t* data, unsigned len, memtype type, type_source source,
                              bool page_walk, sc_core::sc_time& delay,
                              arm_device device = arm_device::none);
    // Charges d of the agent's time, which the caller just added, to p.
    void account(cost_part p, const sc_core::sc_time& d) { m_acct.add(p, d); }
    std::size_t current_op() const { return m_index; }

private:
    struct deferred_flush {
        std::uint64_t line = 0; // line base (host-physical)
        op_kind kind = op_kind::clflushopt;
        memtype type = memtype::wb;
        type_source source = type_source::fixed;
        sc_core::sc_time ready;
    };

    void end_of_elaboration() override;
    void start_of_simulation() override;
    void run();
    // The second process: retires due work while run() is blocked in a callback.
    void background();
    // The earliest ready time of the buffered stores and deferred flushes (sc_max_time if none).
    sc_core::sc_time next_ready() const;
    void execute(const op& o);
    // Timeline (model/trace.h): the op as a slice on this agent's track; the track itself.
    void trace_op(const op& o, sc_core::sc_time issued) const;
    void start_of_simulation_trace() const;
    void load(const op& o, std::uint64_t la, std::uint64_t len, std::uint8_t* dst);
    void store(const op& o, std::uint64_t la, const std::uint8_t* src, std::uint64_t len,
               op_kind k);
    void locked(const op& o);
    void poll(const op& o); // cpu/agent_poll.cpp
    void line_flush(const op& o);
    void fence(op_kind k);
    void migrate(unsigned to);
    // Translates with retries; false when the hypervisor emulated the piece.
    bool resolve(std::uint64_t la, access_kind kind, std::uint8_t* data, unsigned len, xlate& x);
    void memory_load(const op& o, std::uint64_t la, std::uint8_t* dst, unsigned len,
                     const xlate& x);

    sc_core::sc_time retire_ready(cycles delay);
    void retire_due() {
        if (m_sb.empty() && m_deferred.empty()) return; // nothing to retire: skip reading the time
        retire_due_now();
    }
    void retire_due_now();
    void retire_oldest(bool forced);
    void retire_stores(std::size_t n); // forced, the agent waits for them
    void complete_flushes(std::uint64_t line, bool all, bool forced);
    // The agent waits until abs_done (no earlier than now), the wait charged to p.
    void wait_for(const sc_core::sc_time& abs_done, cost_part p);
    void keep_result(const op& o, std::vector<std::uint8_t> bytes);
    void report(bool is_load, const op& o, std::uint64_t la, const xlate* x,
                const std::uint8_t* data, unsigned len, bool forwarded) {
        if (m_observer) notify_observer(is_load, o, la, x, data, len, forwarded);
    }
    void notify_observer(bool is_load, const op& o, std::uint64_t la, const xlate* x,
                         const std::uint8_t* data, unsigned len, bool forwarded);
    friend void bind_ports(agent& a, pcpu_bus& bus);

    agent_config m_cfg;
    agent_setup m_setup;
    requester_kind m_kind;
    mtsim::clock m_clock;
    unsigned m_pcpu;
    program m_program;
    serialize_fn m_serialize;
    agent_observer* m_observer = nullptr;
    perturb_stream m_jitter;
    tlm_utils::tlm_quantumkeeper m_qk;
    sc_core::sc_time m_start_time;   // set_start_time
    sc_core::sc_time m_issue_time;   // issue_latency
    sc_core::sc_time m_forward_time; // forward_latency
    // Where port[p]'s requests go, resolved at the start of simulation: the target behind the
    // pCPU bus when the agent was wired with bind_ports (the bus's hop is a pass-through that
    // adds nothing, so the agent calls its out(p) target directly), else port[p]'s target.
    pcpu_bus* m_bus = nullptr;
    std::vector<tlm::tlm_fw_transport_if<>*> m_fw;
    store_buffer m_sb;
    std::deque<deferred_flush> m_deferred;
    sc_core::sc_time m_sb_free; // absolute time the last retired store completed
    cost_part m_sb_free_part = cost_part::executing; // where that store was served
    // Line fill buffers: the lines of the last cacheable stores retired and when each is done.
    struct fill_slot {
        std::uint64_t line = ~std::uint64_t{0};
        sc_core::sc_time done;
    };
    std::vector<fill_slot> m_fill;
    unsigned m_fill_next = 0;      // the slot the next new line takes (round robin = oldest)
    sc_core::sc_time m_flush_done; // absolute time the last deferred flush completed
    std::uint64_t m_store_seq = 0;
    std::size_t m_index = 0;
    bool m_finished = false;
    sc_core::sc_event m_finished_event;
    std::vector<load_result> m_loads;
    tlm::tlm_generic_payload m_gp;
    access_ext m_ext;
    // The background process's own payload: run() may be blocked inside a use of m_gp.
    tlm::tlm_generic_payload m_bg_gp;
    access_ext m_bg_ext;
    bool m_blocked = false;       // run() is inside a callback, synchronized, possibly waiting
    bool m_in_background = false; // background() is the caller
    sc_core::sc_event m_bg_kick;  // run() blocked with work pending
    std::array<std::unique_ptr<counter>, op_code_count> m_ops;
    cost_account m_acct;
    std::vector<mark_record> m_marks;
};

// Binds a.port[p] to bus.in(p) for every pCPU (the platform builder's wiring of an agent).
void bind_ports(agent& a, pcpu_bus& bus);

} // namespace mtsim::cpu
