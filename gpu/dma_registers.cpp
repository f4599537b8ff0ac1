// The BAR of gpu_dma_engine: register reads and writes, shared by the `bar` socket and the
// C++ interface, and the doorbell's hand-over to the engine's process.
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>

#include "gpu/dma_engine.h"
#include "model/trace.h"

namespace mtsim::gpu {

namespace {

bool power_of_two(std::uint64_t v) {
    return v != 0 && (v & (v - 1)) == 0;
}

[[noreturn]] void bad_register(std::uint64_t offset, unsigned size, const char* what) {
    std::ostringstream o;
    o << "gpu_dma_engine: " << what << " register access at BAR offset 0x" << std::hex << offset
      << std::dec << " size " << size;
    throw std::invalid_argument(o.str());
}

} // namespace

std::uint64_t gpu_dma_engine::read_reg(std::uint64_t offset, unsigned size) const {
    if (size == 8) {
        if (offset == reg::ring_base) return m_ring_base;
        if (offset == reg::fence) return m_fence;
        bad_register(offset, size, "unknown 64-bit");
    }
    if (size != 4) bad_register(offset, size, "unsupported-size");
    switch (offset) {
    case reg::ring_base:
        return m_ring_base & 0xffffffffu;
    case reg::ring_base + 4:
        return m_ring_base >> 32;
    case reg::ring_size:
        return m_ring_size;
    case reg::doorbell:
        return m_tail;
    case reg::ring_head:
        return m_head;
    case reg::status:
        return (m_idle ? 0 : status_busy) |
               (m_error != error_code::none
                    ? status_error | (std::uint32_t(static_cast<std::uint8_t>(m_error)) << 8)
                    : 0);
    case reg::fence:
        return m_fence & 0xffffffffu;
    case reg::fence + 4:
        return m_fence >> 32;
    case reg::dev_ctl:
        return m_devctl;
    case reg::error_index:
        return m_error_index;
    case reg::irq_count:
        return static_cast<std::uint32_t>(m_irq_count);
    case reg::ring_ctl:
        return m_ring_ctl;
    default:
        bad_register(offset, size, "unknown");
    }
}

void gpu_dma_engine::write_reg(std::uint64_t offset, std::uint64_t value, unsigned size,
                               const sc_core::sc_time& at) {
    if (size == 8) {
        if (offset != reg::ring_base) bad_register(offset, size, "unknown 64-bit writable");
        m_ring_base = value;
        m_head = m_tail = 0;
        return;
    }
    if (size != 4) bad_register(offset, size, "unsupported-size");
    const std::uint32_t v = static_cast<std::uint32_t>(value);
    switch (offset) {
    case reg::ring_base:
        m_ring_base = (m_ring_base & ~0xffffffffull) | v;
        m_head = m_tail = 0;
        return;
    case reg::ring_base + 4:
        m_ring_base = (m_ring_base & 0xffffffffull) | (std::uint64_t(v) << 32);
        m_head = m_tail = 0;
        return;
    case reg::ring_size:
        m_ring_size = v;
        m_head = m_tail = 0;
        return;
    case reg::doorbell: {
        ++m_counters.doorbells;
        const bool ring_ok =
            m_ring_size >= 2 && power_of_two(m_ring_size) && m_ring_base % descriptor_bytes == 0;
        if (!ring_ok || v >= m_ring_size) {
            m_error = error_code::bad_doorbell;
            m_error_index = m_head;
            return;
        }
        m_doorbells.push_back({v, sc_core::sc_time_stamp() + at});
        if (trace::on(trace::category::doorbell))
            trace::cold([&] {
                trace::instant(name(), trace::category::doorbell, "doorbell",
                               sc_core::sc_time_stamp() + at, {{"tail", v}});
            });
        m_idle = false;
        m_doorbell_event.notify(at);
        return;
    }
    case reg::status:
        if ((v & status_error) && m_error != error_code::none) {
            m_error = error_code::none;
            if (!m_doorbells.empty() || m_head != m_tail) {
                m_idle = false;
                m_doorbell_event.notify(at);
            }
        }
        return;
    case reg::dev_ctl:
        m_devctl = v & 0xffffu;
        return;
    case reg::ring_ctl:
        m_ring_ctl = v & ring_ctl_no_snoop;
        return;
    case reg::ring_head:
    case reg::fence:
    case reg::fence + 4:
    case reg::error_index:
    case reg::irq_count:
        return; // read-only: writes are ignored, as PCIe devices do
    default:
        bad_register(offset, size, "unknown");
    }
}

void gpu_dma_engine::program_ring(std::uint64_t base, std::uint32_t entries) {
    write_reg(reg::ring_base, base, 8);
    write_reg(reg::ring_size, entries);
}

void gpu_dma_engine::set_enable_no_snoop(bool on) {
    write_reg(reg::dev_ctl,
              on ? (m_devctl | devctl_enable_no_snoop) : (m_devctl & ~devctl_enable_no_snoop));
}

void gpu_dma_engine::ring_doorbell(std::uint32_t tail, const sc_core::sc_time& at) {
    write_reg(reg::doorbell, tail, 4, at);
}

void gpu_dma_engine::wait_idle() {
    while (!m_idle) sc_core::wait(m_idle_event);
}

void gpu_dma_engine::bar_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    const unsigned len = gp.get_data_length();
    const std::uint64_t off = gp.get_address();
    if ((len != 4 && len != 8) || off % len != 0 || gp.get_byte_enable_ptr() != nullptr ||
        gp.get_streaming_width() < len) {
        gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
        return;
    }
    try {
        if (gp.is_write()) {
            std::uint64_t v = 0;
            std::memcpy(&v, gp.get_data_ptr(), len); // x86 hosts: little-endian
            write_reg(off, v, len, delay);
        } else if (gp.is_read()) {
            const std::uint64_t v = read_reg(off, len);
            std::memcpy(gp.get_data_ptr(), &v, len);
        } else {
            gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
            return;
        }
    } catch (const std::invalid_argument&) {
        gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    delay += m_clock.to_time(m_cfg.mmio_latency);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

} // namespace mtsim::gpu
