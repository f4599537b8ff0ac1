// One pCPU's write-combining buffers. A store (WC, or a streaming store) merges into the open
// buffer covering its bytes or opens one; when every buffer is busy the oldest (allocation
// order) drains first. A drain is an uncached write at the home agent (home_agent.h) of the
// bytes written (a full buffer without a mask): snooped by the own caches when self_snoop and
// by the others and the LLC when fabric_snoops_uncached, and by both always for streaming
// stores to cacheable memory (they are coherent). Buffered bytes are seen by no snoop, no DMA
// and no other pCPU until they drain. Timing: a store costs wc_store_latency; a drain is paid
// by whoever causes it (its uncached write's delay); a buffer that drains on its own timeline
// (wc_drain_delay) delays nobody, its write still occupies the fabric and DRAM.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <systemc>

#include "cache/home_agent.h"
#include "cache/ms_context.h"
#include "model/perturb.h"

namespace mtsim {

class wc_unit {
public:
    wc_unit(const ms_context& ctx, home_agent& home, unsigned pcpu);

    // Buffers holding data (0: nothing to drain).
    unsigned used() const { return m_used; }
    // coherent: streaming-store data to cacheable memory.
    void store(bool coherent, std::uint64_t addr, const std::uint8_t* src, unsigned len,
               sc_core::sc_time& delay);
    // Every buffer, oldest first.
    void drain(sc_core::sc_time& delay);
    // The buffers overlapping [addr, addr + len), oldest first.
    void drain_range(std::uint64_t addr, unsigned len, sc_core::sc_time& delay);
    // A buffer holds a written byte at addr.
    bool holds(std::uint64_t addr) const;
    // Own timeline: every buffer allocated at time t drains by itself at t + wc_drain_delay
    // (uniform in [0, 2 x wc_drain_delay] when perturbed). `arm(t)` is called with each new
    // buffer's due time; drain_due drains the buffers due by `now` and returns the earliest
    // due time left (sc_max_time when none).
    void set_timer(std::function<void(const sc_core::sc_time&)> arm, std::uint64_t perturb);
    sc_core::sc_time drain_due(const sc_core::sc_time& now);

private:
    struct buffer {
        bool valid = false;
        bool coherent = false;  // holds streaming-store data to cacheable memory
        std::uint64_t base = 0; // address of the buffer's first byte
        std::uint64_t age = 0;  // allocation order, for oldest-first draining
        sc_core::sc_time due;   // when it drains on its own (sc_max_time: never)
        std::vector<std::uint8_t> data;
        std::vector<std::uint8_t> mask; // 1 = byte written
    };
    // The oldest valid buffer overlapping [lo, hi), or nullptr.
    buffer* oldest(std::uint64_t lo, std::uint64_t hi);
    void drain_buffer(buffer& b, sc_core::sc_time& delay);

    const ms_context& m_ctx;
    home_agent& m_home;
    unsigned m_p;
    std::vector<buffer> m_buffers;
    unsigned m_used = 0;
    std::uint64_t m_age = 0;
    std::function<void(const sc_core::sc_time&)> m_arm;
    perturb_stream m_jitter;
};

} // namespace mtsim
