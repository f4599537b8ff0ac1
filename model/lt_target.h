// The forward interface of a loosely-timed target that serves b_transport and transport_dbg
// only, implemented by the target itself rather than through a simple_target_socket callback
// layer (the DRAM and the memory system's CPU ports sit on every simulated access).
// nb_transport_fw is not modelled and is refused (mtsim::not_modelled naming the target);
// no DMI is granted (every access must go through the model's caches and calendars).
#pragma once

#include <stdexcept>
#include <string>

#include <tlm>

#include "model/not_modelled.h"

namespace mtsim {

class lt_target : public tlm::tlm_fw_transport_if<> {
public:
    tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload&, tlm::tlm_phase&,
                                       sc_core::sc_time&) final {
        throw not_modelled("nb_transport_fw (an LT target: use b_transport)", lt_target_name());
    }
    bool get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) final {
        dmi.allow_none();
        return false;
    }

protected:
    ~lt_target() = default;
    // The name an error message gives the target (its sc_object path).
    virtual std::string lt_target_name() const = 0;
};

} // namespace mtsim
