// The reference: a bare TLM-2.0 b_transport loop against a trivial memory that copies bytes
// and adds a fixed delay. Every other workload reports its speed relative to this one.
#include <cstring>
#include <vector>

#include <tlm_utils/simple_target_socket.h>

#include "bench/stream_initiator.h"
#include "bench/workload_list.h"
#include "model/cycles.h"

namespace mtsim::bench {

namespace {

// 64 KiB of bytes behind a socket; every access costs one fixed latency.
class trivial_memory : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<trivial_memory> tsock;

    trivial_memory(const sc_core::sc_module_name& name, const mtsim::clock& clk, cycles latency)
        : sc_core::sc_module(name), tsock("tsock"), m_bytes(64 * 1024),
          m_latency(clk.to_time(latency)) {
        tsock.register_b_transport(this, &trivial_memory::b_transport);
    }

private:
    void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
        const std::size_t off = gp.get_address() % (m_bytes.size() - 64);
        if (gp.is_read())
            std::memcpy(gp.get_data_ptr(), m_bytes.data() + off, gp.get_data_length());
        else
            std::memcpy(m_bytes.data() + off, gp.get_data_ptr(), gp.get_data_length());
        delay += m_latency;
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
    }

    std::vector<unsigned char> m_bytes;
    sc_core::sc_time m_latency;
};

} // namespace

result run_bare_loop(const bench_config& cfg) {
    set_quantum(cfg);
    const mtsim::clock clk(cfg.cpu_mhz);
    // 8-byte loads sweeping 4 KiB: the same pattern as the L1-hit stream.
    auto gen = [](std::uint64_t i, tlm::tlm_generic_payload& gp, access_ext& ext) {
        gp.set_command(tlm::TLM_READ_COMMAND);
        gp.set_address((i * 8) % 4096);
        gp.set_data_length(8);
        ext.op = op_kind::load;
    };
    stream_initiator<decltype(gen)> init("init", cfg.accesses, gen);
    trivial_memory mem("mem", clk, cfg.bare_latency);
    init.isock.bind(mem.tsock);
    return timed_run("bare", cfg.accesses, init);
}

} // namespace mtsim::bench
