// Every parameter of the memory system and its default, in one place (model/params.h
// conventions: the member initializers are the defaults, describe() names each one once).
#pragma once

#include <cstdint>
#include <string>

#include "cache/replacement/replacement.h"
#include "model/cycles.h"
#include "model/params.h"

namespace mtsim {

// Longest line the model supports (the miss paths keep line temporaries on the stack).
inline constexpr unsigned max_line_size = 256;

struct cache_level_config {
    std::uint64_t size_bytes = 32 * KiB;
    unsigned ways = 8;
    cycles latency{4};
    replacement_kind replacement = replacement_kind::lru;
    std::uint64_t seed = 1; // used by replacement policies that draw random numbers
    // CPUID.(EAX=4):EDX[0] of this level, inverted (SDM Vol. 2A, CPUID leaf 04H: "0 = WBINVD/
    // INVD from threads sharing this cache acts upon lower level caches for threads sharing
    // this cache; 1 = ... is not guaranteed to act upon lower level caches of non-originating
    // threads"). true: EDX[0] = 0, a WBINVD/WBNOINVD/INVD on one pCPU also writes back (and
    // invalidates) the lower-level caches of every pCPU sharing this cache; false: only its
    // own. The private levels are shared by one pCPU (no SMT in the model), so only the LLC's
    // value changes anything: its sharers are the pCPUs of one socket, never the other socket.
    bool wbinvd_sharers = true;

    void describe(param_visitor& v) {
        v.size("size", size_bytes, "capacity (sets = size / (ways * line size), a power of two)",
               64, 1 * GiB);
        v.uint("ways", ways, "associativity", "ways", 1, 64);
        v.cycles("latency", latency, "tag and data lookup time, paid by every access reaching it");
        // The choices are the registered policies (cache/replacement/).
        std::string repl(replacement.name);
        v.choice("replacement", repl, "victim choice in a full set", replacement_names());
        if (const replacement_factory* f = find_replacement(repl)) replacement = {f->name()};
        v.uint("seed", seed, "seed of the random replacement policy", "");
        v.flag("wbinvd_sharers", wbinvd_sharers,
               "CPUID.4:EDX[0]=0: a WBINVD/INVD on one pCPU also acts on the lower-level caches "
               "of every pCPU sharing this cache (the LLC: the pCPUs of its socket); false: "
               "EDX[0]=1, only the issuing pCPU's");
    }
};

struct memory_system_config {
    unsigned pcpus = 2;
    // Sockets (packages): pCPUs are split evenly, pCPU p on socket p / (pcpus / sockets). Each
    // socket has its own LLC (llc.* sizes one socket's) and home agent with its LLC ports; the
    // snoop filter spans the sockets (a directory of private copies), and the sockets are
    // joined by a coherent link. A line is cached in one socket at a time: a request from the
    // other socket takes it over the link (snoop-invalidate there, move the LLC copy with its
    // dirty state), paying socket_link_latency once.
    unsigned sockets = 1;
    // One cross-socket snoop with its data transfer over the inter-socket link (UPI/QPI).
    // Stated assumption: 300 cycles = 100 ns at 3 GHz, the order of the remote-socket cache
    // hit latencies published for Xeon Scalable parts (about 100-150 ns against some 20 ns for
    // a local LLC hit).
    cycles socket_link_latency{300};
    unsigned line_size = 64;
    double clock_mhz = 3000.0;
    cache_level_config l1d{32 * KiB, 8, cycles{4}, replacement_kind::lru, 1};
    cache_level_config l2{1 * MiB, 16, cycles{14}, replacement_kind::lru, 2};
    cache_level_config llc{8 * MiB, 16, cycles{40}, replacement_kind::lru, 3};
    // Inclusive: evicting (or WBINVD/INVD-ing) an LLC line back-invalidates every private
    // copy of its socket (so llc.wbinvd_sharers must be true). Non-inclusive (non-exclusive):
    // private copies outlive the LLC line; the snoop filter still tracks them.
    bool llc_inclusive = true;
    unsigned llc_ports = 1;
    cycles llc_port_occupancy{1};
    cycles snoop_latency{30};
    // A snooped DMA request's snoop-filter lookup, after it got an LLC port. Stated
    // assumption (no published figure): 0 by default, the lookup overlapping the LLC tag
    // lookup (llc.latency) in a home agent that keeps the filter beside the LLC tags; set it
    // to model a directory looked up after the LLC.
    cycles snoop_filter_latency{0};
    unsigned wc_buffers = 4;
    unsigned wc_buffer_size = 64;
    cycles wc_store_latency{1};
    // A WC buffer drains on its own this long after it was allocated, when no ordering event
    // drained it first (SDM Vol. 3A §11.3.1: WC buffer writes to memory are delayed and may
    // happen in any order; Intel publishes no bound). Stated assumption: 10,000 cycles (3.3 us
    // at 3 GHz): longer than a driver takes to write a frame's WC stores, so combining is not
    // cut short, and a forgotten fence costs microseconds instead of a hang. 0: only ordering
    // events and evictions drain a buffer.
    cycles wc_drain_delay{10000};
    cycles wbinvd_cycles_per_line{1};
    // CPUID.1:EDX.SS: the issuing pCPU snoops its own caches for its UC/WC accesses.
    bool self_snoop = true;
    // UC/WC accesses reaching the fabric are snooped by the other pCPUs' caches and the LLC.
    bool fabric_snoops_uncached = true;
    // arm64 Device memory on the uncached path (Arm ARM DDI 0487 B2.8.2: G gathering, R
    // reordering, E early write acknowledgement; docs/reference/costs.md). Device-GRE gathers
    // in the WC buffers like Normal-NC; a Device-nG store is its own transaction. With R a
    // store may be one of `device_outstanding` in flight and costs its requester
    // `device_issue_latency` (or the wait for the oldest of them); without R it waits for its
    // acknowledgement: the early one at the home agent (E, the point a posted write is
    // accepted, as an x86 UC store), or the endpoint's response (nE) `device_completion_latency`
    // after the write reached it.
    cycles device_issue_latency{4};
    unsigned device_outstanding = 4;
    cycles device_completion_latency{1500};

    void describe(param_visitor& v) {
        v.uint("pcpus", pcpus, "physical CPUs, each with a private L1D and L2", "pCPUs", 1, 64);
        v.uint("sockets", sockets,
               "sockets, each with its own LLC and home agent; pcpus split evenly among them",
               "sockets", 1, 8);
        v.cycles("socket_link_latency", socket_link_latency,
                 "a cross-socket snoop and line transfer over the inter-socket link (assumption: "
                 "100 ns at 3 GHz, the order of published UPI remote cache hits)");
        v.uint("line_size", line_size, "cache line size (a power of two)", "bytes", 16,
               max_line_size);
        v.real("clock_mhz", clock_mhz, "memory-system clock", "MHz", 1.0, 100000.0);
        v.section("l1d", l1d);
        v.section("l2", l2);
        v.section("llc", llc);
        v.flag("llc_inclusive", llc_inclusive,
               "LLC eviction, WBINVD and INVD also invalidate the socket's other private copies");
        v.uint("llc_ports", llc_ports, "LLC access ports, each with a busy-until calendar", "ports",
               1, 64);
        v.cycles("llc_port_occupancy", llc_port_occupancy, "cycles one access occupies a port", 0,
                 1000);
        v.cycles("snoop_latency", snoop_latency, "one round of snoops to private caches");
        v.cycles("snoop_filter_latency", snoop_filter_latency,
                 "snoop-filter lookup a snooped DMA request pays after its LLC port (assumption: "
                 "0, overlapped with the LLC tag lookup)",
                 0, 1000);
        v.uint("wc_buffers", wc_buffers, "write-combining buffers per pCPU", "buffers", 1, 64);
        v.uint("wc_buffer_size", wc_buffer_size,
               "bytes one WC buffer covers (a power of two, at most a line)", "bytes", 8,
               max_line_size);
        v.cycles("wc_store_latency", wc_store_latency, "a store combining into a WC buffer");
        v.cycles("wc_drain_delay", wc_drain_delay,
                 "a WC buffer drains on its own this long after its allocation (assumption: "
                 "3.3 us at 3 GHz; Intel publishes no bound); 0: only on ordering events");
        v.cycles("wbinvd_cycles_per_line", wbinvd_cycles_per_line,
                 "WBINVD/WBNOINVD/INVD walk cost per line frame");
        v.flag("self_snoop", self_snoop,
               "CPUID.1:EDX.SS: UC/WC accesses also snoop the issuing pCPU's caches");
        v.flag("fabric_snoops_uncached", fabric_snoops_uncached,
               "UC/WC accesses are snooped by other pCPUs' caches and the LLC");
        v.cycles("device_issue_latency", device_issue_latency,
                 "arm64 Device-R store issue when a slot is free (assumption: 4 cycles, one "
                 "store-queue hand-off)",
                 0, 1000);
        v.uint("device_outstanding", device_outstanding,
               "arm64 Device-R stores in flight at once per pCPU (assumption: 4)", "stores", 1, 64);
        v.cycles("device_completion_latency", device_completion_latency,
                 "arm64 Device-nE store: the endpoint's write response back to the core "
                 "(assumption: 0.5 us at 3 GHz, a PCIe non-posted round trip)",
                 0, 1000000);
    }
};

// Throws std::invalid_argument naming the parameter when cfg cannot describe a memory system.
void validate(const memory_system_config& cfg);

} // namespace mtsim
