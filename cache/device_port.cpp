// The device port. Snooped requests see the newest data wherever it is; non-snooped requests
// go straight to DRAM and see only what DRAM holds.
#include "cache/device_port.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "model/access_ext.h"
#include "model/not_modelled.h"

namespace mtsim {

device_port::device_port(const ms_context& ctx, home_agent& home, dram_port& dram)
    : m_ctx(ctx), m_home(home), m_dram(dram) {}

std::string device_port::lt_target_name() const {
    return std::string(m_ctx.name()) + ".dma";
}

unsigned int device_port::transport_dbg(tlm::tlm_generic_payload& gp) {
    if (gp.get_command() != tlm::TLM_READ_COMMAND)
        throw not_modelled("debug writes (they would bypass coherence)", m_ctx.name());
    const auto v = m_home.read_coherent(gp.get_address(), gp.get_data_length());
    std::memcpy(gp.get_data_ptr(), v.data(), v.size());
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return static_cast<unsigned>(v.size());
}

void device_port::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    access_ext* ext = gp.get_extension<access_ext>();
    if (!ext) m_ctx.refuse("dma request without access_ext");
    if (gp.get_byte_enable_ptr() != nullptr)
        throw not_modelled("byte enables on DMA", m_ctx.name());
    if (gp.get_streaming_width() < gp.get_data_length())
        throw not_modelled("streaming DMA (width < length)", m_ctx.name());
    const bool write = gp.get_command() == tlm::TLM_WRITE_COMMAND;
    if (!write && gp.get_command() != tlm::TLM_READ_COMMAND)
        m_ctx.refuse("DMA command must be read or write");

    // Every line of a burst is issued at the request's time; the burst completes with the
    // last line, so DRAM's channel calendars (not this loop) decide how lines overlap.
    const sc_core::sc_time start = delay;
    sc_core::sc_time done = delay;
    const std::uint64_t dram_before =
        m_ctx.stats.dram_reads.value() + m_ctx.stats.dram_writes.value();
    std::uint64_t addr = gp.get_address();
    std::uint8_t* ptr = gp.get_data_ptr();
    unsigned left = gp.get_data_length();
    while (left > 0) {
        const unsigned piece = std::min<unsigned>(
            left, m_ctx.cfg.line_size - static_cast<unsigned>(addr & m_ctx.line_mask));
        sc_core::sc_time d = start;
        if (ext->no_snoop) {
            ++m_ctx.stats.dma_non_snooped;
            if (write)
                m_dram.write(addr, ptr, nullptr, piece, d);
            else
                m_dram.read(addr, ptr, piece, d);
        } else {
            ++m_ctx.stats.dma_snooped;
            if (write)
                snooped_write(addr, ptr, piece, d);
            else
                snooped_read(addr, ptr, piece, d);
        }
        done = std::max(done, d);
        addr += piece;
        ptr += piece;
        left -= piece;
    }
    delay = done;
    // For the requester's accounting (model/accounting.h): a snooped request that reached no
    // DRAM was served by the LLC or a CPU's cache; a non-snooped one always goes to DRAM.
    const bool reached_dram =
        m_ctx.stats.dram_reads.value() + m_ctx.stats.dram_writes.value() != dram_before;
    ext->served = ext->no_snoop || reached_dram ? served_level::dram : served_level::llc;
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

void device_port::snooped_read(std::uint64_t addr, std::uint8_t* dst, unsigned len,
                               sc_core::sc_time& delay) {
    const std::uint64_t la = m_ctx.line_of(addr);
    m_home.llc_port(device_socket, delay); // shared with the CPUs' misses: waits while busy
    m_home.claim(device_socket, la, delay);
    delay += m_ctx.time.filter;
    std::array<std::uint8_t, max_line_size> wb;
    bool dirty = false;
    if (m_home.snoop_others(la, -1, proto_event::snoop_read, wb.data(), dirty) > 0)
        delay += m_ctx.time.snoop;
    if (dirty) m_home.writeback_to_llc(device_socket, la, wb.data(), delay);
    if (const cache_line* l = m_home.llc(device_socket).find(la))
        std::memcpy(dst, l->data + (addr & m_ctx.line_mask), len);
    else
        m_dram.read(addr, dst, len, delay);
}

void device_port::snooped_write(std::uint64_t addr, const std::uint8_t* src, unsigned len,
                                sc_core::sc_time& delay) {
    const std::uint64_t la = m_ctx.line_of(addr);
    m_home.llc_port(device_socket, delay); // shared with the CPUs' misses: waits while busy
    m_home.claim(device_socket, la, delay);
    delay += m_ctx.time.filter;
    std::array<std::uint8_t, max_line_size> line;
    bool have_line = false;
    if (m_home.snoop_others(la, -1, proto_event::snoop_inv, line.data(), have_line) > 0)
        delay += m_ctx.time.snoop;
    if (cache_line* l = m_home.llc(device_socket).find(la)) {
        if (!have_line && l->dirty) {
            m_ctx.copy_line(line.data(), l->data);
            have_line = true;
        }
        m_home.llc(device_socket).invalidate(l);
    }
    if (have_line) {
        // A partial write merges with the dirty line so the rest of it is not lost.
        std::memcpy(line.data() + (addr & m_ctx.line_mask), src, len);
        m_dram.write(m_ctx.base_of(la), line.data(), nullptr, m_ctx.cfg.line_size, delay);
    } else {
        m_dram.write(addr, src, nullptr, len, delay);
    }
}

} // namespace mtsim
