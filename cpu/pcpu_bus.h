// The request paths of the physical CPUs. memory_system.cpu[p] accepts one initiator, while
// several agents (vCPUs, the VMM's host thread) may run on pCPU p over a run: each agent binds
// its port[p] to in(p), and out(p) is bound to memory_system.cpu[p] by the platform builder.
// A pass-through: no delay, no state; the request's access_ext.who.pcpu names the pCPU.
// Because the hop adds nothing, an agent wired with cpu::bind_ports sends its requests
// straight to out(p)'s target once the simulation starts (cpu/agent.h); the sockets stay bound
// so the topology and debug transport are unchanged. Anything added to pcpu_port::b_transport
// must end that shortcut.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

namespace mtsim::cpu {

class pcpu_port : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket<pcpu_port, 32, tlm::tlm_base_protocol_types, 0,
                                               sc_core::SC_ZERO_OR_MORE_BOUND>
        in;
    tlm_utils::simple_initiator_socket<pcpu_port> out;

    explicit pcpu_port(const sc_core::sc_module_name& name);

private:
    void b_transport(int from, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    unsigned int transport_dbg(int from, tlm::tlm_generic_payload& gp);
};

class pcpu_bus : public sc_core::sc_module {
public:
    sc_core::sc_vector<pcpu_port> pcpu;

    pcpu_bus(const sc_core::sc_module_name& name, unsigned pcpus);

    unsigned pcpus() const { return static_cast<unsigned>(pcpu.size()); }
    pcpu_port& at(unsigned p) { return pcpu.at(p); }
    // What agents and the hypervisor bind to, and what goes to memory_system.cpu[p].
    auto& in(unsigned p) { return pcpu.at(p).in; }
    auto& out(unsigned p) { return pcpu.at(p).out; }
};

} // namespace mtsim::cpu
