#include "model/dram.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace mtsim {

namespace {

bool is_pow2(std::uint64_t v) {
    return v != 0 && (v & (v - 1)) == 0;
}

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
    return (a + b - 1) / b;
}

} // namespace

void validate(const dram_config& cfg) {
    if (!(cfg.clock_mhz > 0.0)) throw std::invalid_argument("dram.clock_mhz must be > 0");
    if (cfg.channels == 0) throw std::invalid_argument("dram.channels must be >= 1");
    if (!is_pow2(cfg.interleave_bytes))
        throw std::invalid_argument("dram.interleave must be a power of two");
    if (cfg.bytes_per_cycle == 0) throw std::invalid_argument("dram.bytes_per_cycle must be >= 1");
    if (cfg.size_bytes == 0) throw std::invalid_argument("dram.size_bytes must be >= 1");
}

dram::channel_stats::channel_stats(const std::string& path)
    : reads(path, "reads", "read accesses (or parts of one) served", "accesses"),
      writes(path, "writes", "write accesses (or parts of one) served", "accesses"),
      bytes(path, "bytes", "bytes moved", "bytes"),
      busy_cycles(path, "busy_cycles", "cycles the channel spent transferring data", "cycles") {}

dram::dram(const sc_core::sc_module_name& name, const dram_config& cfg)
    : sc_core::sc_module(name), tsock("tsock"), m_cfg(cfg), m_clock(cfg.clock_mhz) {
    validate(m_cfg);
    while ((std::uint64_t(1) << m_interleave_shift) < m_cfg.interleave_bytes) ++m_interleave_shift;
    if (is_pow2(m_cfg.channels)) m_channel_mask = m_cfg.channels - 1;
    if (is_pow2(m_cfg.bytes_per_cycle)) {
        m_transfer_pow2 = true;
        while ((std::uint64_t(1) << m_transfer_shift) < m_cfg.bytes_per_cycle) ++m_transfer_shift;
    }
    m_line_path = m_channel_mask != 0 || m_cfg.channels == 1;
    m_line_span_mask = std::min(m_cfg.interleave_bytes, page_bytes) - 1;
    m_line_last_offset = m_line_span_mask + 1 - line_bytes;
    m_line_transfer = cycles{ceil_div(line_bytes, m_cfg.bytes_per_cycle)};
    m_busy_until.assign(m_cfg.channels, cycles{0});
    for (unsigned ch = 0; ch < m_cfg.channels; ++ch)
        m_stats.push_back(std::make_unique<channel_stats>(std::string(this->name()) + ".ch" +
                                                          std::to_string(ch)));
    tsock.bind(*this);
}

unsigned dram::channel_of(std::uint64_t addr) const {
    const std::uint64_t granule = addr >> m_interleave_shift;
    return static_cast<unsigned>(m_channel_mask != 0 || m_cfg.channels == 1
                                     ? granule & m_channel_mask
                                     : granule % m_cfg.channels);
}

void dram::look_up_page(std::uint64_t number) const {
    auto it = m_pages.find(number);
    m_last_page = it == m_pages.end() ? nullptr : it->second.get();
    m_last_page_number = number;
}

dram::page& dram::touch_page(std::uint64_t addr) {
    auto& p = m_pages[addr / page_bytes];
    if (!p) {
        p = std::make_unique<page>();
        p->fill(0);
        m_last_page_number = ~std::uint64_t(0);
    }
    return *p;
}

void dram::peek(std::uint64_t addr, unsigned char* dst, std::size_t len) const {
    while (len > 0) {
        const std::uint64_t off = addr % page_bytes;
        const std::size_t n = std::min<std::uint64_t>(len, page_bytes - off);
        if (const page* p = find_page(addr))
            std::memcpy(dst, p->data() + off, n);
        else
            std::memset(dst, 0, n);
        addr += n;
        dst += n;
        len -= n;
    }
}

void dram::poke(std::uint64_t addr, const unsigned char* src, std::size_t len) {
    while (len > 0) {
        const std::uint64_t off = addr % page_bytes;
        const std::size_t n = std::min<std::uint64_t>(len, page_bytes - off);
        std::memcpy(touch_page(addr).data() + off, src, n);
        addr += n;
        src += n;
        len -= n;
    }
}

bool dram::accept(tlm::tlm_generic_payload& gp) const {
    if (!gp.is_read() && !gp.is_write()) {
        gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
        return false;
    }
    const std::uint64_t addr = gp.get_address();
    const std::uint64_t len = gp.get_data_length();
    if (len == 0 || addr >= m_cfg.size_bytes || len > m_cfg.size_bytes - addr) {
        gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return false;
    }
    if (gp.get_streaming_width() != 0 && gp.get_streaming_width() < len) {
        gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
        return false;
    }
    return true;
}

// A whole cache line without byte enables inside one page, the common case: fixed-size copies
// the compiler inlines, in the caller. Returns false when the payload is something else.
[[gnu::always_inline]] inline bool dram::move_line(tlm::tlm_generic_payload& gp) {
    const std::uint64_t addr = gp.get_address();
    if (gp.get_data_length() != line_bytes || addr % page_bytes + line_bytes > page_bytes ||
        (gp.get_byte_enable_ptr() != nullptr && gp.get_byte_enable_length() != 0))
        return false;
    copy_line(gp.is_write(), addr, gp.get_data_ptr());
    return true;
}

[[gnu::always_inline]] inline void dram::copy_line(bool write, std::uint64_t addr,
                                                   unsigned char* data) {
    const std::uint64_t off = addr % page_bytes;
    if (!write) {
        if (const page* p = find_page(addr))
            std::memcpy(data, p->data() + off, line_bytes);
        else
            std::memset(data, 0, line_bytes);
    } else {
        page* p = find_page(addr);
        std::memcpy((p ? *p : touch_page(addr)).data() + off, data, line_bytes);
    }
}

void dram::move_data(tlm::tlm_generic_payload& gp) {
    if (move_line(gp)) return;
    const std::uint64_t addr = gp.get_address();
    const std::size_t len = gp.get_data_length();
    unsigned char* data = gp.get_data_ptr();
    const unsigned char* be = gp.get_byte_enable_ptr();
    const std::size_t be_len = gp.get_byte_enable_length();
    if (be == nullptr || be_len == 0) {
        if (gp.is_read())
            peek(addr, data, len);
        else
            poke(addr, data, len);
        return;
    }
    // Byte enables repeat with period be_len; disabled bytes are left untouched both ways.
    for (std::size_t i = 0; i < len; ++i) {
        if (be[i % be_len] != TLM_BYTE_ENABLED) continue;
        if (gp.is_read())
            peek(addr + i, data + i, 1);
        else
            poke(addr + i, data + i, 1);
    }
}

inline cycles dram::occupy(unsigned ch, bool write, std::uint64_t bytes, cycles transfer,
                           cycles arrival) {
    const cycles start = std::max(arrival, m_busy_until[ch]);
    m_busy_until[ch] = start + transfer;
    channel_stats& s = *m_stats[ch];
    ++(write ? s.writes : s.reads);
    s.bytes += bytes;
    s.busy_cycles += transfer.n;
    // A write is posted: it completes when the controller has its data (the write queue
    // takes it); only a read waits for the command-to-data latency.
    return write ? m_busy_until[ch] : m_busy_until[ch] + m_cfg.latency;
}

// The general path below with its per-granule loop folded into constants: the same checks
// (command, range, streaming width, byte enables), timing and counters.
[[gnu::always_inline]] inline bool dram::line_access(tlm::tlm_generic_payload& gp,
                                                     const sc_core::sc_time& now,
                                                     sc_core::sc_time& delay) {
    const std::uint64_t addr = gp.get_address();
    const tlm::tlm_command cmd = gp.get_command();
    const unsigned sw = gp.get_streaming_width();
    if (!m_line_path || gp.get_data_length() != line_bytes ||
        (cmd != tlm::TLM_READ_COMMAND && cmd != tlm::TLM_WRITE_COMMAND) ||
        (addr & m_line_span_mask) > m_line_last_offset || addr > m_cfg.size_bytes - line_bytes ||
        (sw != 0 && sw < line_bytes) ||
        (gp.get_byte_enable_ptr() != nullptr && gp.get_byte_enable_length() != 0))
        return false;
    const bool write = cmd == tlm::TLM_WRITE_COMMAND;
    const unsigned ch = static_cast<unsigned>((addr >> m_interleave_shift) & m_channel_mask);
    const cycles completion =
        occupy(ch, write, line_bytes, m_line_transfer, m_clock.to_cycles(now + delay));
    copy_line(write, addr, gp.get_data_ptr());
    delay = m_clock.to_time(completion) - now;
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return true;
}

void dram::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    // The simulation context of this module, read directly: sc_time_stamp() looks the
    // context up on every call, and the DRAM is on every miss path.
    const sc_core::sc_time now = simcontext()->time_stamp();
    if (line_access(gp, now, delay)) return;
    if (!accept(gp)) return;
    const cycles arrival = m_clock.to_cycles(now + delay);
    const bool write = gp.is_write();

    cycles completion = arrival;
    std::uint64_t addr = gp.get_address();
    std::uint64_t left = gp.get_data_length();
    while (left > 0) {
        const std::uint64_t in_granule =
            m_cfg.interleave_bytes - (addr & (m_cfg.interleave_bytes - 1));
        const std::uint64_t n = std::min(left, in_granule);
        const cycles transfer{m_transfer_pow2 ? (n + m_cfg.bytes_per_cycle - 1) >> m_transfer_shift
                                              : ceil_div(n, m_cfg.bytes_per_cycle)};
        completion = std::max(completion, occupy(channel_of(addr), write, n, transfer, arrival));
        addr += n;
        left -= n;
    }

    if (!move_line(gp)) move_data(gp);
    delay = m_clock.to_time(completion) - now;
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int dram::transport_dbg(tlm::tlm_generic_payload& gp) {
    if (!accept(gp)) return 0;
    move_data(gp);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return gp.get_data_length();
}

} // namespace mtsim
