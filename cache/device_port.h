// The device port of the memory system (the IOMMU's output, or a device on a coherent
// platform): DMA reads and writes of any length, split per line. A request with
// access_ext.no_snoop = false is snooped at the home agent (home_agent.h) and pays what that
// costs: an LLC port shared with the CPUs' misses (it waits while the port is busy: the port
// calendar), the LLC lookup, the snoop-filter lookup (snoop_filter_latency), a snoop round
// when a pCPU holds the line, and DRAM when the LLC misses. A read takes the
// owner's dirty line (written back into the LLC, owner -> S), else the LLC copy, else DRAM;
// a write invalidates every copy, merges a partial line with the dirty data and writes DRAM.
// no_snoop = true goes straight to DRAM: the caches are not consulted, so a dirty line evicted
// later overwrites the device's bytes. Every line of a burst is issued at the request's time;
// the burst completes with its last line. A request without access_ext, a command other than
// read or write, byte enables or streaming widths are refused (not_modelled for the last two).
// transport_dbg reads what a snooped reader would get, with no timing.
#pragma once

#include <cstdint>
#include <string>

#include <tlm>

#include "cache/dram_port.h"
#include "cache/home_agent.h"
#include "cache/ms_context.h"
#include "model/lt_target.h"

namespace mtsim {

class device_port final : public lt_target {
public:
    device_port(const ms_context& ctx, home_agent& home, dram_port& dram);
    void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) override;
    unsigned int transport_dbg(tlm::tlm_generic_payload& gp) override;

private:
    std::string lt_target_name() const override;
    void snooped_read(std::uint64_t addr, std::uint8_t* dst, unsigned len, sc_core::sc_time& delay);
    void snooped_write(std::uint64_t addr, const std::uint8_t* src, unsigned len,
                       sc_core::sc_time& delay);

    // The socket whose root port the devices sit behind (stated assumption: socket 0; with
    // one socket, the only one). A snooped request takes the line to this socket.
    static constexpr unsigned device_socket = 0;
    const ms_context& m_ctx;
    home_agent& m_home;
    dram_port& m_dram;
};

} // namespace mtsim
