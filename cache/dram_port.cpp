#include "cache/dram_port.h"

#include <array>
#include <sstream>

#include "cache/cache_config.h"

namespace mtsim {

dram_port::dram_port(const ms_context& ctx, tlm::tlm_initiator_socket<>& socket)
    : m_ctx(ctx), m_socket(socket) {
    m_gp.set_extension(&m_ext);
    m_ext.source = type_source::fixed;
}

dram_port::~dram_port() {
    m_gp.clear_extension(&m_ext);
}

void dram_port::failed(const char* what, std::uint64_t addr) const {
    std::ostringstream o;
    o << "DRAM " << what << " failed at 0x" << std::hex << addr << ": "
      << m_gp.get_response_string();
    m_ctx.refuse(o.str());
}

void dram_port::read(std::uint64_t addr, std::uint8_t* dst, unsigned len, sc_core::sc_time& delay) {
    m_gp.set_command(tlm::TLM_READ_COMMAND);
    m_gp.set_address(addr);
    m_gp.set_data_ptr(dst);
    m_gp.set_data_length(len);
    m_gp.set_streaming_width(len);
    m_gp.set_byte_enable_ptr(nullptr);
    m_gp.set_byte_enable_length(0);
    m_gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    m_ext.op = op_kind::load;
    m_socket->b_transport(m_gp, delay);
    if (!m_gp.is_response_ok()) failed("read", addr);
    ++m_ctx.stats.dram_reads;
}

void dram_port::write(std::uint64_t addr, const std::uint8_t* src, const std::uint8_t* mask,
                      unsigned len, sc_core::sc_time& delay) {
    // Byte enables in TLM are 0xff per enabled byte; the WC mask is 0/1, so translate.
    std::array<std::uint8_t, max_line_size> be;
    m_gp.set_command(tlm::TLM_WRITE_COMMAND);
    m_gp.set_address(addr);
    m_gp.set_data_ptr(const_cast<std::uint8_t*>(src));
    m_gp.set_data_length(len);
    m_gp.set_streaming_width(len);
    if (mask) {
        for (unsigned i = 0; i < len; ++i) be[i] = mask[i] ? 0xff : 0x00;
        m_gp.set_byte_enable_ptr(be.data());
        m_gp.set_byte_enable_length(len);
    } else {
        m_gp.set_byte_enable_ptr(nullptr);
        m_gp.set_byte_enable_length(0);
    }
    m_gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    m_ext.op = op_kind::store;
    m_socket->b_transport(m_gp, delay);
    m_gp.set_byte_enable_ptr(nullptr);
    m_gp.set_byte_enable_length(0);
    if (!m_gp.is_response_ok()) failed("write", addr);
    ++m_ctx.stats.dram_writes;
}

void dram_port::dbg(std::uint64_t addr, std::uint8_t* dst, std::size_t len) const {
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(addr);
    gp.set_data_ptr(dst);
    gp.set_data_length(static_cast<unsigned>(len));
    gp.set_streaming_width(static_cast<unsigned>(len));
    if (m_socket->transport_dbg(gp) != len) m_ctx.refuse("DRAM debug read returned short");
}

} // namespace mtsim
