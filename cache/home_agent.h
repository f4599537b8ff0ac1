// The home agent: the one place a line's coherence state changes, and the shared side of the
// memory system. It owns the MESI (state, event) table and its counts, the snoop filter (who
// holds a line privately), the LLC with its port calendars, and the requests that reach the
// fabric: a private miss's get_s / get_m (snoop the other holders, then the LLC, then DRAM),
// uncached reads and writes (UC, WC loads, WC drains) with the snoops the platform asks for,
// memory writes that merge into the LLC, CLFLUSH/CLWB at home and the LLC walk of WBINVD /
// WBNOINVD / INVD. Every private line changes state through step(), which looks the pair up
// (an undefined pair throws protocol_error), copies a written-back line out, and installs the
// next state in the pCPU's L2 frame and in the snoop filter. It changes the private arrays
// only through step(); what a private hierarchy does with a line it holds is its own business
// (private_hierarchy.h). Timing: the LLC latency and the port wait are added by llc_port();
// snoop_latency once per request that snooped anybody; DRAM's delay as the DRAM annotates it.
// Victim write-backs reach DRAM's calendar at `when` and do not delay the requester.
//
// Sockets (memory_system_config::sockets): each socket has its own LLC and LLC ports; the
// snoop filter spans them. A line is cached in one socket at a time: before a request from
// socket s touches a line, claim() takes it from the other sockets (their private copies are
// snoop-invalidated, their LLC copy moves into s's LLC with its dirty state) and pays
// socket_link_latency. WBINVD's LLC walk covers the issuing pCPU's socket only.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include <systemc>

#include "cache/cache_array.h"
#include "cache/dram_port.h"
#include "cache/ms_context.h"
#include "cache/protocol.h"
#include "cache/snoop_filter.h"

namespace mtsim {

class private_hierarchy;

// One pCPU's copy of a line: its L1D frame (if any) and its L2 frame, which holds the state.
struct private_copy {
    cache_line* l1 = nullptr;
    cache_line* l2 = nullptr; // nullptr when the pCPU has no copy
};

class home_agent {
public:
    home_agent(const ms_context& ctx, dram_port& dram, std::vector<private_hierarchy>& pcpus);

    protocol_table& protocol() { return m_protocol; }
    const transition_counts& counts() const { return m_counts; }
    // Counts a pair served without a step (a private hit that keeps its state).
    void count(mesi s, proto_event ev) {
        ++m_counts[static_cast<unsigned>(s)][static_cast<unsigned>(ev)];
    }
    // Socket s's LLC.
    cache_array& llc(unsigned s = 0) { return s == 0 ? m_llc : m_remote_llc[s - 1]; }
    const cache_array& llc(unsigned s = 0) const { return s == 0 ? m_llc : m_remote_llc[s - 1]; }
    unsigned sockets() const { return m_ctx.cfg.sockets; }
    const snoop_filter& filter() const { return m_dir; }
    dram_port& dram() { return m_dram; }

    // --- the protocol step (home_agent.cpp) ---
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

    // --- the LLC and requests from the private hierarchies (home_agent.cpp) ---
    // Waits for the least busy LLC port of socket s and adds the LLC latency.
    void llc_port(unsigned s, sc_core::sc_time& delay);
    // Takes line la for socket s from every other socket (see the contract above); returns
    // whether anything was there. Free when there is one socket.
    bool claim(unsigned s, std::uint64_t la, sc_core::sc_time& delay) {
        return m_ctx.cfg.sockets > 1 && claim_remote(s, la, delay);
    }
    // Snoops every other holder with ev; dirty data found goes to the LLC (the requester reads
    // it from there). Adds the snoop latency when anybody was snooped; returns how many.
    unsigned snoop_for_request(unsigned p, std::uint64_t la, proto_event ev,
                               sc_core::sc_time& delay);
    // The home agent's part of a private miss (get_s with snoop_read, get_m with snoop_inv):
    // snoops the other holders, then fetches the line into dst. Returns the copies snooped.
    unsigned request_line(unsigned p, std::uint64_t la, proto_event ev, std::uint8_t* dst,
                          sc_core::sc_time& delay);
    // Victim and snoop write-backs are buffered: `when` only feeds DRAM's calendar.
    // Into socket s's LLC (the socket of the pCPU whose data it is).
    void writeback_to_llc(unsigned s, std::uint64_t la, const std::uint8_t* data,
                          sc_core::sc_time when);
    void writeback_to_dram(std::uint64_t la, const std::uint8_t* data, sc_core::sc_time& delay);
    // A memory write that passes the home agent: merges into the LLC copy (which is then
    // written to DRAM whole and clean) or writes DRAM directly.
    void write_memory(std::uint64_t addr, const std::uint8_t* src, const std::uint8_t* mask,
                      unsigned len, sc_core::sc_time& delay);
    // Host-cache prefetch of the LLC set a coming fill reads (no model state changes).
    void prefetch_fill(std::uint64_t la) const { m_llc.prefetch_fill(la); }

    // --- uncached requests and cache-control ops at the fabric (home_fabric.cpp) ---
    // The snoops of an uncached access (the own caches when snoop_own, the other pCPUs' when
    // snoop_rest), dirty data written to DRAM first; returns the copies hit.
    unsigned snoop_uncached(unsigned p, std::uint64_t la, proto_event ev, bool snoop_own,
                            bool snoop_rest, sc_core::sc_time& delay);
    void uncached_read(unsigned p, bool snoop_own, bool snoop_rest, std::uint64_t addr,
                       std::uint8_t* dst, unsigned len, sc_core::sc_time& delay);
    void uncached_write(unsigned p, bool snoop_own, bool snoop_rest, std::uint64_t addr,
                        const std::uint8_t* src, const std::uint8_t* mask, unsigned len,
                        sc_core::sc_time& delay);
    // CLFLUSH(OPT) / DC CIVAC (ev flush), CLWB / DC CVAC (ev clean) and DC IVAC (ev drop: dirty
    // bytes are discarded) act on every cache of the coherence domain: every socket's caches;
    // p is the issuing pCPU.
    void line_op(unsigned p, std::uint64_t la, proto_event ev, sc_core::sc_time& delay);
    // The LLC's part of WBINVD (flush), WBNOINVD (clean), INVD (drop) on socket s.
    void walk_llc(unsigned s, proto_event ev, sc_core::sc_time& delay);
    // The private caches of the other pCPUs sharing p's LLC (llc.wbinvd_sharers); returns the
    // frames walked.
    std::uint64_t walk_sharers(unsigned p, proto_event ev, sc_core::sc_time& delay);
    // --- arm64 exclusive monitors, one per pCPU (cpu_port_arm64.cpp) ---
    // LDXR arms pCPU p's monitor on line la; any step that takes the line from p (a snoop
    // invalidation by another writer, an eviction, a flush) disarms it.
    void arm_monitor(unsigned p, std::uint64_t la) { m_monitor[p] = la + 1; }
    // True when p's monitor still holds la; disarms it either way (STXR, CLREX semantics).
    bool take_monitor(unsigned p, std::uint64_t la) {
        const bool ok = m_monitor[p] == la + 1;
        m_monitor[p] = 0;
        return ok;
    }
    // What a snooped reader would get now (memory_system::read_coherent).
    std::vector<std::uint8_t> read_coherent(std::uint64_t addr, std::size_t len) const;

private:
    // snoop_others() once it found holders: out of line, so that the common no-holder case
    // does not carry the snoop loop in the flattened access paths.
    [[gnu::noinline]] unsigned snoop_holders(std::uint64_t la, std::uint64_t holders,
                                             proto_event ev, std::uint8_t* wb, bool& got_dirty);
    // The line from home (home: its LLC frame, nullptr when the LLC misses) into dst.
    void home_fetch(unsigned s, std::uint64_t la, cache_line* home, std::uint8_t* dst,
                    sc_core::sc_time& delay);
    cache_line* llc_allocate(unsigned s, std::uint64_t la, sc_core::sc_time when);
    // An LLC frame of socket s leaves: back-invalidation (inclusive LLC) and write-back; the
    // frame is left for the caller to reuse.
    void release_llc(unsigned s, cache_line* l, sc_core::sc_time when);
    // claim() when there is more than one socket.
    [[gnu::noinline]] bool claim_remote(unsigned s, std::uint64_t la, sc_core::sc_time& delay);
    // The LLC copy of la in any socket (a line is cached in one socket at a time).
    cache_line* find_llc(std::uint64_t la);

    const ms_context& m_ctx;
    dram_port& m_dram;
    std::vector<private_hierarchy>& m_pcpu;
    cache_array m_llc;                    // socket 0
    std::deque<cache_array> m_remote_llc; // sockets 1..sockets-1
    snoop_filter m_dir;
    // Absolute time each LLC port frees up, socket s's at [s * llc_ports, (s + 1) * llc_ports).
    std::vector<sc_core::sc_time> m_port_busy;
    protocol_table m_protocol;
    transition_counts m_counts{};
    std::vector<std::uint64_t> m_monitor; // line + 1 per pCPU, 0: disarmed
};

} // namespace mtsim
