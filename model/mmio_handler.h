// The narrow interface through which KVM hands an access it cannot complete itself to the VMM
// (QEMU): an MMIO region, a write to a read-only memslot, a write to a PCI-hole memslot. KVM
// charges the exit to userspace; the handler adds the cost of its own emulation to `delay`
// and never waits. Declared here so that the VMM / device models need not include kvm/.
#pragma once

#include <cstdint>
#include <systemc>

namespace mtsim {

class mmio_handler {
public:
    virtual ~mmio_handler() = default;
    // Fills data[0..size) with what the guest reads at gpa.
    virtual void mmio_read(std::uint64_t gpa, unsigned size, std::uint8_t* data,
                           sc_core::sc_time& delay) = 0;
    virtual void mmio_write(std::uint64_t gpa, unsigned size, const std::uint8_t* data,
                            sc_core::sc_time& delay) = 0;
};

} // namespace mtsim
