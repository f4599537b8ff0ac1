// The one initiator every workload uses, so that workloads differ only in their target: an
// SC_THREAD issuing `count` accesses through a simple initiator socket, in the Accellera
// LT-with-temporal-decoupling pattern (the local time goes out as the annotated delay, the
// returned delay becomes the new local time, sync when the quantum is used up).
// Gen is called as gen(i, gp, ext) and sets command, address, length and the extension.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "bench/workload.h"
#include "model/access_ext.h"

namespace mtsim::bench {

template <class Gen>
class stream_initiator : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<stream_initiator> isock;

    SC_HAS_PROCESS(stream_initiator);
    stream_initiator(const sc_core::sc_module_name& name, std::uint64_t count, Gen gen)
        : sc_core::sc_module(name), isock("isock"), m_count(count), m_gen(gen) {
        SC_THREAD(run);
    }

    // Simulated time when the last access completed (global time plus local offset).
    sc_core::sc_time finished_at() const { return m_finished_at; }

private:
    void run() {
        tlm_utils::tlm_quantumkeeper qk;
        qk.reset();
        tlm::tlm_generic_payload gp;
        access_ext ext;
        gp.set_extension(&ext);
        gp.set_data_ptr(m_data.data());
        for (std::uint64_t i = 0; i < m_count; ++i) {
            m_gen(i, gp, ext);
            gp.set_streaming_width(gp.get_data_length());
            gp.set_byte_enable_ptr(nullptr);
            gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
            sc_core::sc_time delay = qk.get_local_time();
            isock->b_transport(gp, delay);
            if (gp.is_response_error())
                SC_REPORT_FATAL("mtsim/bench", gp.get_response_string().c_str());
            qk.set(delay);
            if (qk.need_sync()) qk.sync();
        }
        m_finished_at = qk.get_current_time();
        gp.clear_extension(&ext);
    }

    std::uint64_t m_count;
    Gen m_gen;
    std::array<unsigned char, 64> m_data{};
    sc_core::sc_time m_finished_at;
};

// Runs the elaborated design to completion and times sc_start alone.
template <class Init>
result timed_run(std::string_view workload, std::uint64_t accesses, const Init& init) {
    const auto t0 = std::chrono::steady_clock::now();
    sc_core::sc_start();
    const auto t1 = std::chrono::steady_clock::now();
    result r;
    r.workload = std::string(workload);
    r.accesses = accesses;
    r.host_seconds = std::chrono::duration<double>(t1 - t0).count();
    r.simulated_ns = init.finished_at().to_seconds() * 1e9;
    return r;
}

// Sets the global quantum every workload shares.
inline void set_quantum(const bench_config& cfg) {
    tlm_utils::tlm_quantumkeeper::set_global_quantum(
        sc_core::sc_time(static_cast<double>(cfg.quantum_ns), sc_core::SC_NS));
}

} // namespace mtsim::bench
