// The host bridge: decodes the host-physical address of every access the memory system sends
// past its caches (UC and WC accesses, drained WC buffers, write-backs, fills). Contract: an
// access inside a device window goes to that device's register socket with the address made
// relative to the window; everything else goes to DRAM unchanged. There is one window, the
// pass-through GPU's BAR (a host-MMIO range, scenarios/address_plan.h); with no window set
// every access goes to DRAM. The bridge also holds the address map's other device ranges (the
// legacy VGA window), which the memory system checks cacheable accesses against.
//
// A write into the window with byte enables (a drained WC buffer, 0xff per enabled byte) is
// split into its runs of enabled bytes, and each run into aligned DWORDs, the granularity of
// PCIe byte enables: each DWORD reaches the device as one 4-byte register write, in address
// order (a 64-bit register takes its two halves). A piece the device refuses (a partial
// DWORD, an unknown register) fails the whole access with the device's response, which the
// memory system reports. A write without byte enables (a UC store) is passed as it is. After each
// run the device accepted, the `on_device_write` hook gets its offset, bytes and size, at the
// caller's time plus `delay` (the platform's oracle acquires a doorbell there). Reads are forwarded
// as they are. Debug transport of a window answers no bytes: registers are not memory.
//
// Cost: the bridge adds none of its own; the memory system charges the fabric (LLC port and
// latency) and the device its register access (gpu mmio_latency). The PCIe flight of an MMIO
// write is not charged (a posted write; see gpu/README.md for what the link models).
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

namespace mtsim::scenarios {

class host_bridge : public sc_core::sc_module {
public:
    // Bound by the memory system's to_dram and by the VMM's device emulation (the host
    // driver's register accesses, which bypass the caches).
    tlm_utils::multi_passthrough_target_socket<host_bridge> in;
    tlm_utils::simple_initiator_socket<host_bridge> memory; // to DRAM
    tlm_utils::simple_initiator_socket<host_bridge> device; // to the GPU's BAR

    explicit host_bridge(const sc_core::sc_module_name& n);

    // The device window [base, base + bytes); bytes == 0: none. Set before the run.
    void set_window(std::uint64_t base, std::uint64_t bytes) {
        m_base = base;
        m_bytes = bytes;
    }
    bool in_window(std::uint64_t a) const { return m_bytes && a >= m_base && a - m_base < m_bytes; }
    // Device memory whose bytes the model keeps in DRAM at their own addresses (the legacy VGA
    // window): accesses are routed to DRAM, but the range is decoded as device memory.
    void add_device_memory(std::uint64_t base, std::uint64_t bytes) {
        m_device_memory.emplace_back(base, bytes);
    }
    // The address map's device ranges (base, bytes): the window and the device memory. A
    // cacheable access to one is a machine check (cache/memory_system.h set_device_memory).
    std::vector<std::pair<std::uint64_t, std::uint64_t>> device_ranges() const {
        auto r = m_device_memory;
        if (m_bytes) r.emplace_back(m_base, m_bytes);
        return r;
    }
    using write_hook =
        std::function<void(std::uint64_t offset, const std::uint8_t* data, unsigned size)>;
    void on_device_write(write_hook f) { m_on_write = std::move(f); }

private:
    void b_transport(int from, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    unsigned transport_dbg(int from, tlm::tlm_generic_payload& gp);
    void device_access(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);

    std::uint64_t m_base = 0;
    std::uint64_t m_bytes = 0;
    write_hook m_on_write;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> m_device_memory;
};

} // namespace mtsim::scenarios
