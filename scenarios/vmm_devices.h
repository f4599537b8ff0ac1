// The VMM's side of the machine: the memslots it registers with KVM and its device emulation.
// Contract: `build_memslots` registers guest RAM, one memslot per blob or hole buffer
// (blobs flagged KVM_MEM_NON_COHERENT_DMA on hosts that say so, virtio only) and the GPU's BAR
// (emulated MMIO for virtio-gpu; for a pass-through GPU a memslot backed by host MMIO, the
// mmap of its BAR), and declares the hole buffers' all-ones bytes to the oracle.
// `vmm_devices` is the mmio_handler KVM exits to: an access to the GPU's BAR is forwarded to
// the device's registers at their host-physical address through the host bridge (which
// tells the oracle of a doorbell); reads of an absent PCI function return all-ones and writes
// to it are dropped; anything else is an error naming the gpa. It adds no cost of its own
// beyond the device's (KVM charges the exit).
#pragma once

#include <cstdint>

#include <tlm>

#include "kvm/hypervisor.h"
#include "model/mmio_handler.h"
#include "model/oracle.h"
#include "scenarios/scenario.h"

namespace mtsim::scenarios {

void build_memslots(const scenario& s, kvm::hypervisor& hv, oracle& o);

class vmm_devices final : public mmio_handler {
public:
    vmm_devices(const scenario& s, const kvm::memslot_table& slots,
                tlm::tlm_initiator_socket<>& bar);

    void mmio_read(std::uint64_t gpa, unsigned size, std::uint8_t* data,
                   sc_core::sc_time& delay) override;
    void mmio_write(std::uint64_t gpa, unsigned size, const std::uint8_t* data,
                    sc_core::sc_time& delay) override;

private:
    void bar_access(tlm::tlm_command cmd, std::uint64_t off, unsigned size, std::uint8_t* data,
                    sc_core::sc_time& delay);

    const scenario& m_s;
    const kvm::memslot_table& m_slots;
    tlm::tlm_initiator_socket<>& m_bar;
};

} // namespace mtsim::scenarios
