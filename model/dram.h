// DRAM controller: a TLM target holding real bytes, with per-channel busy-until calendars so
// contention costs cycles. It never wait()s: it only adds to the annotated delay.
//
// Timing of one access (all in cycles of the DRAM's own clock):
//   arrival    = (now + incoming delay), rounded up to a whole cycle
//   start      = max(arrival, channel busy_until)
//   busy_until = start + ceil(bytes on that channel / bytes_per_cycle)
//   completion = busy_until + latency   (a read)
//   completion = busy_until             (a write: posted)
// The channel is occupied only while data moves; the command-to-data latency overlaps with
// other requests (pipelined), so N back-to-back reads of B bytes complete after
// N*B/bytes_per_cycle + latency cycles. A write completes when the controller has its data:
// a memory controller acknowledges a write once it sits in its write pending queue, which
// Intel's ADR already counts in the persistence domain (Intel's persistent-memory
// programming documentation, "ADR and eADR"). So a UC store, which waits for its completion,
// costs the uncore round trip and not a DRAM latency. An access that spans several
// interleave granules is split per granule; each part queues on its own channel and the
// access completes when the last part does.
//
// Backing store: sparse, 4 KiB pages allocated on first write. Untouched memory reads as
// zero (as after a platform's memory-clearing boot) and a read never allocates a page.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <systemc>
#include <tlm>

#include "model/cycles.h"
#include "model/lt_target.h"
#include "model/params.h"
#include "model/stats.h"

namespace mtsim {

// Every DRAM parameter and its default, in one place (model/params.h conventions).
struct dram_config {
    double clock_mhz = 1600.0;
    cycles latency{40};
    unsigned channels = 2;
    std::uint64_t interleave_bytes = 4 * KiB;
    std::uint64_t bytes_per_cycle = 16;
    std::uint64_t size_bytes = 64 * GiB;

    void describe(param_visitor& v) {
        v.real("clock_mhz", clock_mhz, "DRAM controller clock", "MHz", 1.0, 100000.0);
        v.cycles("latency", latency, "command-to-first-data latency of one access");
        v.uint("channels", channels, "independent channels", "channels", 1, 64);
        v.size("interleave", interleave_bytes, "channel-interleave granularity (a power of two)",
               64, 1 * GiB);
        v.uint("bytes_per_cycle", bytes_per_cycle, "data bandwidth of one channel", "bytes/cycle",
               1, 4096);
        v.size("size", size_bytes, "addressable capacity; accesses beyond it are errors", 1 * MiB);
    }
};

// Throws std::invalid_argument naming the parameter when cfg cannot describe a controller.
void validate(const dram_config& cfg);

// The controller implements the forward interface itself (model/lt_target.h): LT only, no DMI
// (every access must meet the channel calendars).
class dram : public sc_core::sc_module, public lt_target {
public:
    tlm::tlm_target_socket<> tsock;

    static constexpr std::uint64_t page_bytes = 4096;
    static constexpr unsigned line_bytes = 64; // the access size with a fast path

    // Counters of one channel, dumped as "<dram>.ch<N>.<counter>". An access that spans
    // several interleave granules counts once on each channel it touches.
    struct channel_stats {
        counter reads, writes, bytes, busy_cycles;
        explicit channel_stats(const std::string& path);
    };

    dram(const sc_core::sc_module_name& name, const dram_config& cfg = {});

    const dram_config& config() const { return m_cfg; }
    const mtsim::clock& clk() const { return m_clock; }
    // Channel that holds addr.
    unsigned channel_of(std::uint64_t addr) const;
    // Number of 4 KiB pages that hold storage (pages ever written).
    std::size_t touched_pages() const { return m_pages.size(); }
    const channel_stats& channel(unsigned ch) const { return *m_stats.at(ch); }
    // Cycle until which channel ch is busy transferring data.
    cycles busy_until(unsigned ch) const { return m_busy_until.at(ch); }

    // Untimed backdoor, e.g. for tests and checkers: no counters, no calendar.
    void peek(std::uint64_t addr, unsigned char* dst, std::size_t len) const;
    void poke(std::uint64_t addr, const unsigned char* src, std::size_t len);

    // tlm_fw_transport_if (nb_transport_fw and DMI: lt_target)
    void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) override;
    unsigned int transport_dbg(tlm::tlm_generic_payload& gp) override;

private:
    std::string lt_target_name() const override { return name(); }
    // Aligned to the host's cache lines (the default allocation is 16-byte aligned), so that a
    // model line occupies one host line instead of straddling two.
    struct alignas(64) page : std::array<unsigned char, page_bytes> {};

    // Checks command, range and streaming width; sets the error response and returns false
    // when the payload is not something this controller serves.
    bool accept(tlm::tlm_generic_payload& gp) const;
    // Moves the payload's bytes (honouring byte enables) without timing.
    void move_data(tlm::tlm_generic_payload& gp);
    bool move_line(tlm::tlm_generic_payload& gp);
    void copy_line(bool write, std::uint64_t addr, unsigned char* data);
    // The timed access of one whole line inside one granule and one page, without byte
    // enables: what every miss and write-back sends. Returns false for anything else.
    bool line_access(tlm::tlm_generic_payload& gp, const sc_core::sc_time& now,
                     sc_core::sc_time& delay);
    // Queues `bytes` on channel ch after arrival and counts them; returns the completion.
    cycles occupy(unsigned ch, bool write, std::uint64_t bytes, cycles transfer, cycles arrival);
    // Inline: the line path calls it on every access; only a new page costs a hash lookup.
    page* find_page(std::uint64_t addr) const {
        if (addr / page_bytes != m_last_page_number) look_up_page(addr / page_bytes);
        return m_last_page;
    }
    void look_up_page(std::uint64_t number) const;
    page& touch_page(std::uint64_t addr);

    dram_config m_cfg;
    mtsim::clock m_clock;
    // Derived from m_cfg once: the access path then shifts and masks instead of dividing.
    unsigned m_interleave_shift = 0;
    std::uint64_t m_channel_mask = 0; // channels - 1 when channels is a power of two, else 0
    unsigned m_transfer_shift = 0;    // log2(bytes_per_cycle) when a power of two
    bool m_transfer_pow2 = false;
    // line_access(): usable when the channel is a mask; a line stays inside the granule and
    // the page when (addr & m_line_span_mask) <= m_line_last_offset.
    bool m_line_path = false;
    std::uint64_t m_line_span_mask = 0;
    std::uint64_t m_line_last_offset = 0;
    cycles m_line_transfer;
    // The last page find_page() looked up (nullptr: not allocated), so that a stream of line
    // accesses to one page does one hash lookup per page. touch_page() resets it.
    mutable std::uint64_t m_last_page_number = ~std::uint64_t(0);
    mutable page* m_last_page = nullptr;
    std::unordered_map<std::uint64_t, std::unique_ptr<page>> m_pages;
    std::vector<cycles> m_busy_until;
    std::vector<std::unique_ptr<channel_stats>> m_stats;
};

} // namespace mtsim
