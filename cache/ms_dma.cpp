// The device port of the home agent. Snooped requests see the newest data wherever it is;
// non-snooped requests go straight to DRAM and see only what DRAM holds.
#include <algorithm>
#include <cstring>

#include "cache/memory_system.h"
#include "model/not_modelled.h"

namespace mtsim {

void memory_system::dma_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    const access_ext* ext = gp.get_extension<access_ext>();
    if (!ext) throw std::invalid_argument(std::string(name()) + ": dma request without access_ext");
    if (gp.get_byte_enable_ptr() != nullptr) throw not_modelled("byte enables on DMA", name());
    if (gp.get_streaming_width() < gp.get_data_length())
        throw not_modelled("streaming DMA (width < length)", name());
    const bool write = gp.get_command() == tlm::TLM_WRITE_COMMAND;
    if (!write && gp.get_command() != tlm::TLM_READ_COMMAND)
        throw std::invalid_argument(std::string(name()) + ": DMA command must be read or write");

    // Every line of a burst is issued at the request's time; the burst completes with the
    // last line, so DRAM's channel calendars (not this loop) decide how lines overlap.
    const sc_core::sc_time start = delay;
    sc_core::sc_time done = delay;
    std::uint64_t addr = gp.get_address();
    std::uint8_t* ptr = gp.get_data_ptr();
    unsigned left = gp.get_data_length();
    while (left > 0) {
        const unsigned piece =
            std::min<unsigned>(left, m_cfg.line_size - static_cast<unsigned>(addr & m_line_mask));
        sc_core::sc_time d = start;
        if (ext->no_snoop) {
            ++m_stats.dma_non_snooped;
            if (write)
                dram_write(addr, ptr, nullptr, piece, d);
            else
                dram_read(addr, ptr, piece, d);
        } else {
            ++m_stats.dma_snooped;
            if (write)
                dma_write(addr, ptr, piece, d);
            else
                dma_read(addr, ptr, piece, d);
        }
        done = std::max(done, d);
        addr += piece;
        ptr += piece;
        left -= piece;
    }
    delay = done;
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

void memory_system::dma_read(std::uint64_t addr, std::uint8_t* dst, unsigned len,
                             sc_core::sc_time& delay) {
    const std::uint64_t la = line_of(addr);
    llc_port(delay);
    std::array<std::uint8_t, max_line_size> wb;
    bool dirty = false;
    if (snoop_others(la, -1, proto_event::snoop_read, wb.data(), dirty) > 0) delay += m_time.snoop;
    if (dirty) writeback_to_llc(la, wb.data(), delay);
    if (const cache_line* l = m_llc->find(la))
        std::memcpy(dst, l->data + (addr & m_line_mask), len);
    else
        dram_read(addr, dst, len, delay);
}

void memory_system::dma_write(std::uint64_t addr, const std::uint8_t* src, unsigned len,
                              sc_core::sc_time& delay) {
    const std::uint64_t la = line_of(addr);
    llc_port(delay);
    std::array<std::uint8_t, max_line_size> line;
    bool have_line = false;
    if (snoop_others(la, -1, proto_event::snoop_inv, line.data(), have_line) > 0)
        delay += m_time.snoop;
    if (cache_line* l = m_llc->find(la)) {
        if (!have_line && l->dirty) {
            copy_line(line.data(), l->data);
            have_line = true;
        }
        m_llc->invalidate(l);
    }
    if (have_line) {
        // A partial write merges with the dirty line so the rest of it is not lost.
        std::memcpy(line.data() + (addr & m_line_mask), src, len);
        dram_write(base_of(la), line.data(), nullptr, m_cfg.line_size, delay);
    } else {
        dram_write(addr, src, nullptr, len, delay);
    }
}

} // namespace mtsim
