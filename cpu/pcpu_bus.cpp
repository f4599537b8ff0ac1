#include "cpu/pcpu_bus.h"

namespace mtsim::cpu {

pcpu_port::pcpu_port(const sc_core::sc_module_name& name) : sc_module(name), in("in"), out("out") {
    in.register_b_transport(this, &pcpu_port::b_transport);
    in.register_transport_dbg(this, &pcpu_port::transport_dbg);
}

void pcpu_port::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    out->b_transport(gp, delay);
}

unsigned int pcpu_port::transport_dbg(int, tlm::tlm_generic_payload& gp) {
    return out->transport_dbg(gp);
}

pcpu_bus::pcpu_bus(const sc_core::sc_module_name& name, unsigned pcpus)
    : sc_module(name), pcpu("pcpu", pcpus) {}

} // namespace mtsim::cpu
