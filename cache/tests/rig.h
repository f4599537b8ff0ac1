// Test rig: a memory system wired to a fixed-latency backing memory, with one initiator socket
// per pCPU and one for the device port. Tests elaborate one rig, call start(), then issue
// requests directly from the test body (targets never wait, so no process is needed).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "cache/memory_system.h"

namespace mtsim::test {

// Sparse bytes, a fixed latency per access in cycles of its own clock, byte enables honoured.
class test_memory : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<test_memory> tsock;
    mtsim::clock clk{1000.0};
    cycles latency{100};
    std::uint64_t reads = 0, writes = 0;

    explicit test_memory(const sc_core::sc_module_name& n) : sc_module(n), tsock("tsock") {
        tsock.register_b_transport(this, &test_memory::b_transport);
        tsock.register_transport_dbg(this, &test_memory::transport_dbg);
    }

    std::uint8_t& byte(std::uint64_t a) { return m_bytes[a]; }
    std::uint8_t peek(std::uint64_t a) const {
        auto it = m_bytes.find(a);
        return it == m_bytes.end() ? 0 : it->second;
    }

private:
    void move(tlm::tlm_generic_payload& gp) {
        const std::uint64_t a = gp.get_address();
        unsigned char* d = gp.get_data_ptr();
        const unsigned char* be = gp.get_byte_enable_ptr();
        for (unsigned i = 0; i < gp.get_data_length(); ++i) {
            if (gp.is_write()) {
                if (!be || be[i % gp.get_byte_enable_length()]) m_bytes[a + i] = d[i];
            } else {
                d[i] = peek(a + i);
            }
        }
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
    }
    void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
        (gp.is_write() ? writes : reads)++;
        move(gp);
        delay += clk.to_time(latency);
    }
    unsigned transport_dbg(tlm::tlm_generic_payload& gp) {
        move(gp);
        return gp.get_data_length();
    }
    std::unordered_map<std::uint64_t, std::uint8_t> m_bytes;
};

using bytes = std::vector<std::uint8_t>;

// Attaches a stack extension to a stack payload and detaches it on every exit (a payload
// frees its extensions when destroyed).
struct ext_guard {
    tlm::tlm_generic_payload& gp;
    access_ext& ext;
    ext_guard(tlm::tlm_generic_payload& g, access_ext& e) : gp(g), ext(e) {
        gp.set_extension(&ext);
    }
    ~ext_guard() { gp.clear_extension(&ext); }
};

class rig : public sc_core::sc_module {
public:
    using init_socket = tlm_utils::simple_initiator_socket<rig>;
    memory_system ms;
    test_memory mem;
    sc_core::sc_vector<init_socket> cpu;
    init_socket dev;

    explicit rig(const memory_system_config& cfg = small_config(),
                 const sc_core::sc_module_name& name = "rig")
        : sc_module(name), ms("ms", cfg), mem("mem"), cpu("cpu", cfg.pcpus), dev("dev") {
        for (unsigned p = 0; p < cfg.pcpus; ++p) cpu[p].bind(ms.cpu[p]);
        dev.bind(ms.dma);
        ms.to_dram.bind(mem.tsock);
    }

    // Small caches so evictions are easy to provoke: L1D 2 sets x 2 ways, L2 4 x 2, LLC 8 x 2
    // (64-byte lines), 1 GHz clock, latencies 4/10/20, snoop 30, test memory 100 cycles.
    static memory_system_config small_config() {
        memory_system_config c;
        c.pcpus = 2;
        c.clock_mhz = 1000.0;
        c.l1d = {256, 2, cycles{4}, replacement_kind::lru, 1};
        c.l2 = {512, 2, cycles{10}, replacement_kind::lru, 2};
        c.llc = {1024, 2, cycles{20}, replacement_kind::lru, 3};
        c.snoop_latency = cycles{30};
        c.llc_port_occupancy = cycles{1};
        c.wc_buffers = 2;
        c.wc_buffer_size = 64;
        c.wc_store_latency = cycles{1};
        c.wbinvd_cycles_per_line = cycles{1};
        return c;
    }

    void start() { sc_core::sc_start(sc_core::SC_ZERO_TIME); }

    // Issues at `issue` cycles (the incoming annotated delay) and returns the completion
    // time in cycles.
    std::uint64_t access(unsigned p, tlm::tlm_command cmd, op_kind op, memtype type,
                         std::uint64_t addr, std::uint8_t* data, unsigned len,
                         type_source src = type_source::fixed, std::uint64_t issue = 0) {
        access_ext ext;
        ext.type = type;
        ext.source = src;
        ext.op = op;
        ext.who.pcpu = static_cast<std::uint16_t>(p);
        tlm::tlm_generic_payload gp;
        gp.set_command(cmd);
        gp.set_address(addr);
        gp.set_data_ptr(data);
        gp.set_data_length(len);
        gp.set_streaming_width(len);
        ext_guard guard(gp, ext);
        sc_core::sc_time d = ms.clk().to_time(cycles{issue});
        cpu[p]->b_transport(gp, d);
        return ms.clk().to_cycles(d).n;
    }
    bytes load(unsigned p, std::uint64_t addr, unsigned len, memtype type = memtype::wb,
               type_source src = type_source::fixed, std::uint64_t* cyc = nullptr) {
        bytes b(len);
        const auto c =
            access(p, tlm::TLM_READ_COMMAND, op_kind::load, type, addr, b.data(), len, src);
        if (cyc) *cyc = c;
        return b;
    }
    std::uint64_t store(unsigned p, std::uint64_t addr, bytes b, memtype type = memtype::wb,
                        op_kind op = op_kind::store, type_source src = type_source::fixed) {
        return access(p, tlm::TLM_WRITE_COMMAND, op, type, addr, b.data(),
                      static_cast<unsigned>(b.size()), src);
    }
    std::uint64_t op(unsigned p, op_kind k, std::uint64_t addr = 0) {
        return access(p, tlm::TLM_IGNORE_COMMAND, k, memtype::wb, addr, nullptr, 0);
    }
    // Issues at `issue` cycles and returns the completion time in cycles.
    std::uint64_t dma(tlm::tlm_command cmd, bool no_snoop, std::uint64_t addr, bytes& b,
                      std::uint64_t issue = 0) {
        access_ext ext;
        ext.op = cmd == tlm::TLM_READ_COMMAND ? op_kind::dma_read : op_kind::dma_write;
        ext.no_snoop = no_snoop;
        ext.who.kind = requester_kind::device;
        tlm::tlm_generic_payload gp;
        gp.set_command(cmd);
        gp.set_address(addr);
        gp.set_data_ptr(b.data());
        gp.set_data_length(static_cast<unsigned>(b.size()));
        gp.set_streaming_width(static_cast<unsigned>(b.size()));
        ext_guard guard(gp, ext);
        sc_core::sc_time d = ms.clk().to_time(cycles{issue});
        dev->b_transport(gp, d);
        return ms.clk().to_cycles(d).n;
    }
    bytes dma_read(std::uint64_t addr, unsigned len, bool no_snoop) {
        bytes b(len);
        dma(tlm::TLM_READ_COMMAND, no_snoop, addr, b);
        return b;
    }
    void dma_write(std::uint64_t addr, bytes b, bool no_snoop) {
        dma(tlm::TLM_WRITE_COMMAND, no_snoop, addr, b);
    }
    // The state pCPU p's L2 holds addr in (I when absent).
    mesi state(unsigned p, std::uint64_t addr) const {
        for (const line_view& v : ms.copies(addr))
            if (v.pcpu == int(p) && v.level == cache_level::l2) return v.state;
        return mesi::i;
    }
};

// A plain payload without extension: command, address, data and length (streaming width
// equal to the length unless given).
inline void prepare(tlm::tlm_generic_payload& gp, tlm::tlm_command cmd, std::uint64_t addr,
                    std::uint8_t* data, unsigned len, unsigned width = 0) {
    gp.set_command(cmd);
    gp.set_address(addr);
    gp.set_data_ptr(data);
    gp.set_data_length(len);
    gp.set_streaming_width(width ? width : len);
}

inline bytes fill(unsigned len, std::uint8_t v) {
    return bytes(len, v);
}

} // namespace mtsim::test
