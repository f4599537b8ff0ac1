// What every component of the memory system reads and nothing changes after construction
// (but the device ranges, set once before the run):
// the validated configuration, the clock and the fixed latencies converted once through it,
// the line geometry, the simulation context (for the current time without a look-up), the
// owner's name for messages, and the statistics the components count into. memory_system
// builds one; each component holds a reference to it. Also the line-copy helpers every
// component uses.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <systemc>

#include "cache/cache_config.h"
#include "cache/memory_stats.h"
#include "model/access_ext.h"
#include "model/cycles.h"

namespace mtsim {

struct ms_context {
    ms_context(const sc_core::sc_module& owner, const memory_system_config& config,
               memory_system_stats& stats);

    const sc_core::sc_module& owner;
    memory_system_config cfg; // validated (cache_config.h)
    mtsim::clock clock;
    unsigned line_shift;
    std::uint64_t line_mask;
    sc_core::sc_simcontext* sim;
    memory_system_stats& stats;
    // The fixed latencies, converted once through clock.
    struct latencies {
        sc_core::sc_time l1, l2, llc, port, snoop, wc_store, filter, link;
    } time;
    unsigned per_socket; // pCPUs per socket
    // The platform's device ranges (host-physical [base, end)) and the hook a cacheable access
    // to one of them calls (memory_system::set_device_memory, before the run).
    std::vector<std::pair<std::uint64_t, std::uint64_t>> device_ranges;
    std::function<void(const access_ext&, std::uint64_t addr, unsigned len)> on_machine_check;

    sc_core::sc_time t(cycles c) const { return clock.to_time(c); }
    unsigned socket_of(unsigned pcpu) const { return pcpu / per_socket; }
    // The pCPUs of socket s as a holder mask (bit p: pCPU p).
    std::uint64_t socket_mask(unsigned s) const {
        const std::uint64_t ones =
            per_socket >= 64 ? ~std::uint64_t(0) : (std::uint64_t(1) << per_socket) - 1;
        return ones << (s * per_socket);
    }
    std::uint64_t line_of(std::uint64_t addr) const { return addr >> line_shift; }
    std::uint64_t base_of(std::uint64_t la) const { return la << line_shift; }
    const char* name() const { return owner.name(); }
    // std::invalid_argument "<owner>: what".
    [[noreturn]] [[gnu::cold]] [[gnu::noinline]] void refuse(const std::string& what) const;

    // Copies one whole line. A miss copies several; with the default 64-byte line the size is
    // a constant, so the compiler emits a few vector moves instead of a libc call.
    void copy_line(std::uint8_t* dst, const std::uint8_t* src) const {
        if (cfg.line_size == 64)
            std::memcpy(dst, src, 64);
        else
            std::memcpy(dst, src, cfg.line_size);
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
};

} // namespace mtsim
