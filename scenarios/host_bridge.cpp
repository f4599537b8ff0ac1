#include "scenarios/host_bridge.h"

#include "model/not_modelled.h"

namespace mtsim::scenarios {

host_bridge::host_bridge(const sc_core::sc_module_name& n)
    : sc_module(n), in("in"), memory("memory"), device("device") {
    in.register_b_transport(this, &host_bridge::b_transport);
    in.register_transport_dbg(this, &host_bridge::transport_dbg);
}

void host_bridge::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    const std::uint64_t a = gp.get_address();
    const std::uint64_t len = gp.get_data_length();
    if (!in_window(a) && !in_window(a + len - 1)) {
        memory->b_transport(gp, delay);
        return;
    }
    if (!in_window(a) || !in_window(a + len - 1))
        throw not_modelled("an access crossing the edge of a device window (BAR)", name());
    device_access(gp, delay);
}

void host_bridge::device_access(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    const std::uint64_t off = gp.get_address() - m_base;
    const unsigned len = gp.get_data_length();
    unsigned char* data = gp.get_data_ptr();
    const unsigned char* be = gp.get_byte_enable_ptr();
    const unsigned be_len = gp.get_byte_enable_length();
    tlm::tlm_generic_payload p;
    p.set_command(gp.get_command());
    p.set_streaming_width(0);
    auto send = [&](unsigned from, unsigned n) {
        p.set_address(off + from);
        p.set_data_ptr(data + from);
        p.set_data_length(n);
        p.set_streaming_width(n);
        p.set_byte_enable_ptr(nullptr);
        p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        device->b_transport(p, delay);
        if (p.is_response_ok() && p.is_write() && m_on_write)
            m_on_write(off + from, data + from, n);
        return p.is_response_ok();
    };
    if (!gp.is_write() || !be) {
        send(0, len);
        gp.set_response_status(p.get_response_status());
        return;
    }
    auto enabled = [&](unsigned i) { return be[i % be_len] != 0; };
    for (unsigned i = 0; i < len;) {
        if (!enabled(i)) {
            ++i;
            continue;
        }
        unsigned j = i;
        while (j < len && enabled(j)) ++j;
        // One register write per DWORD of the run (a 64-bit register takes its two halves).
        for (unsigned k = i; k < j; k += 4) {
            const bool whole = (off + k) % 4 == 0 && j - k >= 4;
            if (!send(k, whole ? 4 : j - k)) {
                gp.set_response_status(p.get_response_status());
                return;
            }
        }
        i = j;
    }
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned host_bridge::transport_dbg(int, tlm::tlm_generic_payload& gp) {
    if (in_window(gp.get_address())) return 0;
    return memory->transport_dbg(gp);
}

} // namespace mtsim::scenarios
