// The invariants the random tester checks after every transaction, against a shadow memory
// kept in simulation execution order (b_transport never waits, so the order in which calls
// return is the order in which the memory system performed them):
// - SWMR: per line, at most one pCPU holds it E or M, and never alongside another pCPU's S.
// - directory: every pCPU holding a copy is in the snoop filter's sharers, and an E/M holder
//   is the owner the filter names (a missing bit would let a snoop miss a copy).
// - inclusion (inclusive LLC only): a line some pCPU holds is in the LLC. The home agent
//   skips the snoop filter when an inclusive LLC misses, so a broken inclusion would let a
//   private miss ignore another pCPU's copy.
// - data-value: every load and DMA read returns the bytes of the last write to each byte.
// - copy-value: every valid private copy (a pCPU's freshest level) holds the shadow bytes,
//   and a snooped reader (read_coherent) would get them, so a lost write is caught when it
//   happens, not only when someone reads the line.
// - cache-control postconditions, for the operations x86 orders at once (SDM vol. 2):
//   after CLFLUSH no cache holds the line and DRAM holds its last written bytes; after
//   WBINVD the issuing pCPU and its socket's LLC hold no line of the set (nor any pCPU of
//   that socket when the LLC's WBINVD reaches its sharers: llc.wbinvd_sharers), after
//   WBNOINVD none of them holds one dirty. CLFLUSHOPT and CLWB are
//   weakly ordered until a fence, so their effect is not checked at issue; a lost write-back
//   still shows up as a data-value or copy-value violation.
// A violation carries the line's last operations and its copies at detection time. A broken
// (line, invariant) counts once until a later check finds it holding again.
// Cost: after each op the checker checks the lines the op touched and the lines that may still
// have a cached copy (the "live" lines: touched since a check last found them in no cache and
// with every invariant holding), so an op costs O(lines touched + lines the caches can hold),
// not O(address set). A line in no cache with DRAM equal to the shadow stays so until an op
// touches it: the tester's agents use WB memory and snooped DMA only (no WC buffer or
// non-snooped write can change it behind the caches). Whole-cache ops (fences, WBINVD) enter
// the history of the live lines only.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "cache/memory_system.h"
#include "model/access_ext.h"

namespace mtsim::stress {

struct op_record {
    std::uint64_t seq = 0;
    std::string agent; // "cpu0", "dma1"
    int pcpu = -1;     // issuing pCPU of a CPU agent, -1 for DMA
    op_kind op = op_kind::load;
    std::uint64_t addr = 0; // 0 for whole-cache ops and fences
    unsigned len = 0;
    std::uint64_t cycle = 0;        // completion, memory-system cycles
    std::vector<std::uint8_t> data; // stored bytes, or the bytes a read returned
};

std::string to_string(const op_record& r);

struct violation {
    std::string kind; // swmr, directory, inclusion, data-value, copy-value, liveness, model-error
    std::uint64_t line = 0; // line address, when the violation is about one
    std::uint64_t seq = 0;  // the operation after which it was detected
    std::string message;
    std::vector<std::string> history; // the line's last operations, oldest first
    std::vector<std::string> copies;  // the line's copies at detection time
};

class checker {
public:
    struct config {
        std::uint64_t base = 0;
        unsigned lines = 1;
        unsigned line_size = 64;
        unsigned history = 16;
        unsigned max_reported = 10;
        bool wbinvd_sharers = true; // the LLC's CPUID.4:EDX[0]=0 (cache_config.h)
    };

    checker(const memory_system& mem, const config& cfg);

    // The op has been performed by the memory system; records it, updates the shadow for
    // writes, compares reads, then checks every line of the address set.
    void after(const op_record& op);
    // A failure that is not about bytes (liveness, an exception from the model).
    void fail(const std::string& kind, std::uint64_t line, std::uint64_t seq,
              const std::string& message);

    std::uint64_t violations() const { return m_count; }
    const std::vector<violation>& reported() const { return m_reported; }
    std::uint64_t first_line() const { return m_cfg.base / m_cfg.line_size; }
    bool in_set(std::uint64_t addr) const;

private:
    // Checks one line; returns whether any cache still holds it.
    bool check_line(std::uint64_t line_addr, std::uint64_t seq);
    void make_live(std::uint64_t line_addr);
    // The postcondition of op (a CLFLUSH, WBINVD or WBNOINVD) on one line; "" when it holds.
    std::string postcondition(const op_record& op, std::uint64_t line_addr) const;
    void record(std::uint64_t line_addr, const op_record& op);
    void report(violation v);
    std::vector<std::string> copies_of(std::uint64_t line_addr) const;
    const std::uint8_t* shadow(std::uint64_t addr) const { return &m_shadow[addr - m_cfg.base]; }
    std::uint8_t* shadow(std::uint64_t addr) { return &m_shadow[addr - m_cfg.base]; }

    const memory_system& m_mem;
    config m_cfg;
    std::vector<std::uint8_t> m_shadow; // the address set as a coherent memory would hold it
    std::vector<std::deque<std::string>> m_history; // per line of the set
    // A (line, invariant) pair already reported and not yet seen holding again: one broken
    // line counts as one violation until it is repaired, not one per later check.
    struct taint {
        bool swmr = false, directory = false, inclusion = false, copy_value = false,
             data_value = false, cache_op = false;
    };
    std::vector<taint> m_tainted;
    std::vector<std::uint32_t> m_live; // indices of the live lines, in the order they became live
    std::vector<bool> m_is_live;
    std::uint64_t m_count = 0;
    std::vector<violation> m_reported;
};

} // namespace mtsim::stress
