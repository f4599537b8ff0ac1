// The device plan: what the GPU will do, decided before time zero from the GPU's program.
// Contract: turns the `gpu` program into ring descriptors (DMA reads into VRAM, DMA writes
// from VRAM with a byte pattern of their own, interrupts), the ring tail each doorbell
// publishes (the k-th doorbell publishes the ops up to the (k+1)-th `wait_doorbell`), the
// interrupt names by vector, the VRAM bytes the writes start from, and where the ring lives.
// A pass-through (vfio) GPU's ring is the guest buffer `devices.gpu.ring`, which the guest
// driver fills with ordinary stores (program_compiler.h); so is a host-owned (virtio) GPU's
// when the guest has a buffer of that name (the device fetches the guest's descriptors at
// their host-physical address, snooped unless devices.gpu.ring_no_snoop); without one, the
// virtio ring is host memory its host driver wrote before time zero (`write_ring`). Each read/write
// descriptor asks No-Snoop as its op says, else as `devices.gpu.no_snoop` says. It touches no
// module and no simulation time.
// The byte patterns come from the run's one pattern_source, shared with the program compiler,
// so that every write op of the run stores a pattern of its own.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gpu/descriptor.h"
#include "kvm/memslot.h"
#include "model/dram.h"
#include "scenarios/scenario.h"

namespace mtsim::scenarios {

// Distinct byte patterns, never 0x00 (initial memory) nor 0xff (the PCI hole).
class pattern_source {
public:
    std::uint8_t next() { return std::uint8_t(1 + (m_n++ * 37) % 253); }

private:
    std::uint64_t m_n = 0;
};

inline bool is_vfio(const scenario& s) {
    return s.devices.gpu.mode == "vfio";
}
// The address the GPU uses for a buffer: its gpa behind VT-d (IOVA = GPA), its host-physical
// address when the host owns the GPU (virtio-gpu).
std::uint64_t device_addr(const scenario& s, const kvm::memslot_table& slots, const buffer& b);

struct gpu_ring_plan {
    std::vector<gpu::descriptor> ring;
    std::vector<std::uint32_t> tails; // ring tail published by doorbell k
    std::vector<std::string> irq_names;
    std::vector<std::pair<std::uint64_t, std::vector<std::uint8_t>>> vram_init;
    std::uint32_t entries = 2;          // ring size: a power of two above the descriptor count
    std::uint64_t base = 0;             // the ring's address as the GPU sees it (IOVA or hpa)
    const buffer* guest_ring = nullptr; // the guest buffer holding the ring, if the guest writes it
    // Reads that name a register (docs/litmus.md): where in VRAM their bytes land.
    struct reg_read {
        std::string reg;
        std::uint64_t vram_off = 0;
        unsigned len = 0;
    };
    std::vector<reg_read> regs;
};

gpu_ring_plan plan_gpu_ring(const scenario& s, const kvm::memslot_table& slots,
                            pattern_source& patterns);
// A ring the guest does not write: the host driver's, written into DRAM before time zero.
void write_ring(const gpu_ring_plan& plan, dram& mem);

} // namespace mtsim::scenarios
