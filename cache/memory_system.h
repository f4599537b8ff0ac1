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
//   one buffer (the oldest) when a store needs a buffer and all are busy.
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
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "cache/cache_array.h"
#include "cache/cache_config.h"
#include "cache/protocol.h"
#include "cache/snoop_filter.h"
#include "model/access_ext.h"
#include "model/cycles.h"
#include "model/lt_target.h"
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
    counter wc_full_evictions{m_owner, "wc_full_evictions",
                              "drains forced because every WC buffer was busy", "buffers"};
    counter dma_snooped{m_owner, "dma_snooped", "snooped DMA line requests", "requests"};
    counter dma_non_snooped{m_owner, "dma_non_snooped", "non-snooped DMA line requests",
                            "requests"};
    counter wbinvd_lines_walked{m_owner, "wbinvd_lines_walked",
                                "frames walked by WBINVD/WBNOINVD/INVD", "lines"};
    counter wbinvd_writebacks{m_owner, "wbinvd_writebacks",
                              "dirty lines WBINVD/WBNOINVD wrote to DRAM", "lines"};
    counter invd_dirty_lost{m_owner, "invd_dirty_lost", "dirty lines INVD dropped", "lines"};
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

class memory_system : public sc_core::sc_module {
public:
    // One per pCPU, each bound to a port object of the memory system (model/lt_target.h: LT
    // only, no DMI, every access goes through the caches).
    sc_core::sc_vector<tlm::tlm_target_socket<>> cpu;
    tlm_utils::simple_target_socket<memory_system> dma; // device-facing (IOMMU output)
    tlm_utils::simple_initiator_socket<memory_system> to_dram;

    memory_system(const sc_core::sc_module_name& name, const memory_system_config& cfg = {});
    ~memory_system() override;

    const memory_system_config& config() const { return m_cfg; }
    const mtsim::clock& clk() const { return m_clock; }

    // Drains pCPU p's WC buffers (VM exit, interrupt, serializing instruction), adding the
    // time to delay.
    void serialize(unsigned pcpu, sc_core::sc_time& delay);

    // The protocol table the data path uses; a test may patch a cell to prove checkers fire.
    protocol_table& protocol() { return m_protocol; }
    const transition_counts& protocol_counts() const { return m_counts; }
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
    class cpu_port final : public lt_target {
    public:
        cpu_port(memory_system& m, unsigned p) : m_mem(m), m_p(p) {}
        void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) override;
        unsigned int transport_dbg(tlm::tlm_generic_payload& gp) override;

    private:
        std::string lt_target_name() const override;
        memory_system& m_mem;
        unsigned m_p;
    };
    std::vector<std::unique_ptr<cpu_port>> m_cpu_ports;

    struct wc_buffer {
        bool valid = false;
        bool coherent = false;  // holds streaming-store data to cacheable memory
        std::uint64_t base = 0; // address of the buffer's first byte
        std::uint64_t age = 0;  // allocation order, for oldest-first draining
        std::vector<std::uint8_t> data;
        std::vector<std::uint8_t> mask; // 1 = byte written
    };
    // The arrays are held in place (std::optional only defers construction until the
    // configuration is validated): reaching one is an address computation, not a pointer load.
    struct pcpu_caches {
        std::optional<cache_array> l1;
        std::optional<cache_array> l2;
        std::vector<wc_buffer> wc;
        unsigned wc_used = 0;
    };
    struct private_copy {
        cache_line* l1 = nullptr;
        cache_line* l2 = nullptr; // holds the state; nullptr when the pCPU has no copy
    };

    // socket entry points, dispatch, DRAM access (memory_system.cpp)
    void cpu_b_transport(unsigned p, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    void dma_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    unsigned int dma_transport_dbg(tlm::tlm_generic_payload& gp);
    // The checks every data access (READ/WRITE) passes, the L1D fast path included: byte
    // enables and streaming widths are not modelled, op and command must agree, source cd
    // comes with UC. Throws std::invalid_argument naming the fault.
    // Inline: the L1D fast path runs it on every access; the message is built out of line.
    void check_data_access(const access_ext& ext, const tlm::tlm_generic_payload& gp) const {
        const bool write = gp.get_command() == tlm::TLM_WRITE_COMMAND;
        const bool op_ok = ext.op == op_kind::load ? !write
                           : ext.op == op_kind::store || ext.op == op_kind::nt_store
                               ? write
                               : ext.op == op_kind::locked_rmw;
        if (!op_ok || gp.get_byte_enable_ptr() != nullptr ||
            gp.get_streaming_width() < gp.get_data_length() ||
            (ext.source == type_source::cd && ext.type != memtype::uc))
            refuse_data_access(ext, gp);
    }
    // Throws std::invalid_argument naming which check a data access failed.
    [[noreturn]] [[gnu::cold]] [[gnu::noinline]] void
    refuse_data_access(const access_ext& ext, const tlm::tlm_generic_payload& gp) const;
    // A checked data access, split per line and dispatched by memory type.
    void data_access(unsigned p, const access_ext& ext, tlm::tlm_generic_payload& gp,
                     sc_core::sc_time& delay);
    // DRAM through to_dram; mask (0/1 per byte) may be nullptr. The DRAM annotates delay.
    void dram_read(std::uint64_t addr, std::uint8_t* dst, unsigned len, sc_core::sc_time& delay);
    void dram_write(std::uint64_t addr, const std::uint8_t* src, const std::uint8_t* mask,
                    unsigned len, sc_core::sc_time& delay);
    void dram_dbg(std::uint64_t addr, std::uint8_t* dst, std::size_t len) const;
    [[noreturn]] [[gnu::cold]] [[gnu::noinline]] void dram_failed(const char* what,
                                                                  std::uint64_t addr) const;

    // the protocol step and the home agent (ms_home.cpp)
    // Looks up (state of pc, ev), counts it, throws protocol_error when undefined, copies the
    // line to wb_out when the cell writes back, installs the next state (updating pc and the
    // snoop filter).
    const transition& step(unsigned p, std::uint64_t la, private_copy& pc, proto_event ev,
                           std::uint8_t* wb_out);
    const transition& lookup(unsigned p, std::uint64_t la, mesi s, proto_event ev);
    // The error paths are out of line (noinline: the flattened access paths would otherwise
    // carry their string building, which cost a miss some 70 instructions of set-up).
    [[noreturn]] [[gnu::cold]] [[gnu::noinline]] void undefined(unsigned p, std::uint64_t la,
                                                                mesi s, proto_event ev) const;
    [[noreturn]] [[gnu::cold]] [[gnu::noinline]] void
    broken(unsigned p, std::uint64_t la, mesi s, proto_event ev, const char* what) const;
    // A broken structural invariant (std::logic_error): a model bug, not bad input.
    [[noreturn]] [[gnu::cold]] [[gnu::noinline]] void inconsistent(unsigned p, std::uint64_t la,
                                                                   const char* what) const;
    private_copy find_private(unsigned p, std::uint64_t la);
    // Applies ev to every holder of la except pCPU `except` (-1: all); dirty data found is
    // copied to wb and got_dirty set. Returns how many copies were snooped.
    unsigned snoop_others(std::uint64_t la, int except, proto_event ev, std::uint8_t* wb,
                          bool& got_dirty);
    // snoop_others() once it found holders: out of line, so that the common no-holder case
    // does not carry the snoop loop in the flattened access paths.
    [[gnu::noinline]] unsigned snoop_holders(std::uint64_t la, std::uint64_t holders,
                                             proto_event ev, std::uint8_t* wb, bool& got_dirty);
    void llc_port(sc_core::sc_time& delay);
    // The line from home (home: its LLC frame, nullptr when the LLC misses) into dst.
    void home_fetch(std::uint64_t la, cache_line* home, std::uint8_t* dst, sc_core::sc_time& delay);
    // Victim and snoop write-backs are buffered: `when` only feeds DRAM's calendar.
    cache_line* llc_allocate(std::uint64_t la, sc_core::sc_time when);
    void evict_llc(cache_line* l, sc_core::sc_time when);
    // evict_llc() without freeing the frame: back-invalidation (inclusive LLC) and write-back.
    void release_llc(cache_line* l, sc_core::sc_time when);
    void writeback_to_llc(std::uint64_t la, const std::uint8_t* data, sc_core::sc_time when);
    void writeback_to_dram(std::uint64_t la, const std::uint8_t* data, sc_core::sc_time& delay);
    // A memory write that passes the home agent: merges into the LLC copy (which is then
    // written to DRAM whole and clean) or writes DRAM directly.
    void write_memory(std::uint64_t addr, const std::uint8_t* src, const std::uint8_t* mask,
                      unsigned len, sc_core::sc_time& delay);

    // cached paths (ms_cached.cpp)
    // l1_missed: the caller already looked the line up in the L1D and did not find it.
    private_copy private_lookup(unsigned p, std::uint64_t la, sc_core::sc_time& delay,
                                bool l1_missed);
    void copy_to_l1(unsigned p, std::uint64_t la, private_copy& pc);
    void evict_private(unsigned p, cache_line* l2line, sc_core::sc_time when);
    private_copy fill_private(unsigned p, std::uint64_t la, const std::uint8_t* data,
                              sc_core::sc_time when);
    // Returns how many copies were snooped.
    unsigned snoop_for_request(unsigned p, std::uint64_t la, proto_event ev,
                               sc_core::sc_time& delay);
    // The home agent's part of a private miss (get_s with snoop_read, get_m with snoop_inv):
    // snoops the other holders, then fetches the line into dst. Returns the copies snooped.
    unsigned request_line(unsigned p, std::uint64_t la, proto_event ev, std::uint8_t* dst,
                          sc_core::sc_time& delay);
    void cached_load(unsigned p, std::uint64_t addr, std::uint8_t* dst, unsigned len,
                     sc_core::sc_time& delay, bool l1_missed = false);
    // src == nullptr with len 0: take ownership only (locked read).
    void cached_store(unsigned p, std::uint64_t addr, const std::uint8_t* src, unsigned len,
                      sc_core::sc_time& delay, bool l1_missed = false);
    void wt_wp_store(unsigned p, proto_event ev, std::uint64_t addr, const std::uint8_t* src,
                     unsigned len, sc_core::sc_time& delay);

    // uncached paths and WC buffers (ms_uncached.cpp)
    // The snoops of an uncached access at the fabric (the own caches when snoop_own, the
    // other pCPUs' when snoop_rest), dirty data written to DRAM first; returns the copies hit.
    unsigned snoop_uncached(unsigned p, std::uint64_t la, proto_event ev, bool snoop_own,
                            bool snoop_rest, sc_core::sc_time& delay);
    void uncached_read(unsigned p, bool snoop_own, bool snoop_rest, std::uint64_t addr,
                       std::uint8_t* dst, unsigned len, sc_core::sc_time& delay);
    void uncached_write(unsigned p, bool snoop_own, bool snoop_rest, std::uint64_t addr,
                        const std::uint8_t* src, const std::uint8_t* mask, unsigned len,
                        sc_core::sc_time& delay);
    void no_fill_access(unsigned p, bool write, std::uint64_t addr, std::uint8_t* ptr, unsigned len,
                        sc_core::sc_time& delay);
    void wc_store(unsigned p, bool coherent, std::uint64_t addr, const std::uint8_t* src,
                  unsigned len, sc_core::sc_time& delay);
    // The oldest valid buffer of pCPU p overlapping [lo, hi), or nullptr.
    wc_buffer* oldest_wc(unsigned p, std::uint64_t lo, std::uint64_t hi);
    void drain_wc_buffer(unsigned p, wc_buffer& b, sc_core::sc_time& delay);
    void drain_wc(unsigned p, sc_core::sc_time& delay);
    void drain_wc_range(unsigned p, std::uint64_t addr, unsigned len, sc_core::sc_time& delay);

    // cache-control ops (ms_ops.cpp)
    void cache_op(unsigned p, const access_ext& ext, std::uint64_t addr, sc_core::sc_time& delay);
    void line_op(std::uint64_t la, proto_event ev, sc_core::sc_time& delay);
    void whole_cache_op(unsigned p, proto_event ev, sc_core::sc_time& delay);

    // device port (ms_dma.cpp)
    void dma_read(std::uint64_t addr, std::uint8_t* dst, unsigned len, sc_core::sc_time& delay);
    void dma_write(std::uint64_t addr, const std::uint8_t* src, unsigned len,
                   sc_core::sc_time& delay);

    sc_core::sc_time t(cycles c) const { return m_clock.to_time(c); }
    // Copies one whole line. A miss copies several; with the default 64-byte line the size is
    // a constant, so the compiler emits a few vector moves instead of a libc call.
    void copy_line(std::uint8_t* dst, const std::uint8_t* src) const {
        if (m_cfg.line_size == 64)
            std::memcpy(dst, src, 64);
        else
            std::memcpy(dst, src, m_cfg.line_size);
    }
    // Copies an access's bytes. The sizes loads and stores have (8, 4, 2, 1) become fixed-size
    // moves the compiler inlines: a memcpy of a variable length is a library call on every
    // access, hit or miss.
    static void copy_access(std::uint8_t* dst, const std::uint8_t* src, unsigned len) {
        switch (len) {
        case 8:
            std::memcpy(dst, src, 8);
            return;
        case 4:
            std::memcpy(dst, src, 4);
            return;
        case 2:
            std::memcpy(dst, src, 2);
            return;
        case 1:
            *dst = *src;
            return;
        default:
            std::memcpy(dst, src, len);
        }
    }
    std::uint64_t line_of(std::uint64_t addr) const { return addr >> m_line_shift; }
    std::uint64_t base_of(std::uint64_t la) const { return la << m_line_shift; }

    memory_system_config m_cfg;
    mtsim::clock m_clock;
    unsigned m_line_shift;
    std::uint64_t m_line_mask;
    std::vector<pcpu_caches> m_pcpu;
    std::optional<cache_array> m_llc;
    snoop_filter m_dir;
    std::vector<sc_core::sc_time> m_port_busy; // absolute time each LLC port frees up
    std::uint64_t m_wc_age = 0;
    protocol_table m_protocol;
    transition_counts m_counts{};
    memory_system_stats m_stats{this};
    // One derived stat per defined protocol cell: "<name>.protocol.<state>_<event>".
    std::vector<std::unique_ptr<derived_stat>> m_cell_stats;
    // The fixed latencies, converted once through m_clock.
    struct latencies {
        sc_core::sc_time l1, l2, llc, port, snoop, wc_store;
    } m_time;
    // The one payload the memory system sends to DRAM, reused; it carries m_dram_ext.
    tlm::tlm_generic_payload m_dram_gp;
    access_ext m_dram_ext;
};

} // namespace mtsim
