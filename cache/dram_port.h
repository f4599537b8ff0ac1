// The memory system's requests to the DRAM controller (model/dram.h), through the to_dram
// socket. One payload, reused, carries an access_ext of source `fixed`; a read or write of
// any length within DRAM, with an optional 0/1 byte mask (a WC buffer's) turned into TLM byte
// enables. The DRAM annotates the delay (its channel calendars); a failed response is a
// std::invalid_argument naming the address. dbg() reads through transport_dbg: no timing.
#pragma once

#include <cstddef>
#include <cstdint>

#include <systemc>
#include <tlm>

#include "cache/ms_context.h"
#include "model/access_ext.h"

namespace mtsim {

class dram_port {
public:
    dram_port(const ms_context& ctx, tlm::tlm_initiator_socket<>& socket);
    ~dram_port();
    dram_port(const dram_port&) = delete;
    dram_port& operator=(const dram_port&) = delete;

    void read(std::uint64_t addr, std::uint8_t* dst, unsigned len, sc_core::sc_time& delay);
    // mask (0/1 per byte) may be nullptr.
    void write(std::uint64_t addr, const std::uint8_t* src, const std::uint8_t* mask, unsigned len,
               sc_core::sc_time& delay);
    void dbg(std::uint64_t addr, std::uint8_t* dst, std::size_t len) const;

private:
    [[noreturn]] [[gnu::cold]] [[gnu::noinline]] void failed(const char* what,
                                                             std::uint64_t addr) const;
    const ms_context& m_ctx;
    tlm::tlm_initiator_socket<>& m_socket;
    tlm::tlm_generic_payload m_gp;
    access_ext m_ext;
};

} // namespace mtsim
