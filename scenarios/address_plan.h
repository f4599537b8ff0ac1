// The platform's address plan (host-physical unless said otherwise), shared by the builder's
// parts: guest RAM at 1 GiB + gpa; blob buffers (virtio-gpu host memory, each its own memslot)
// at 8 GiB + gpa; the GPU's BAR (host MMIO, decoded by the host bridge) at 3.75 GiB; the ring of
// the host-owned (virtio) GPU at 12 GiB (a pass-through GPU's ring is a guest buffer); IOMMU
// tables at 60/61 GiB; KVM's
// EPT pool below 1 GiB (kvm/ept_builder.h default). Guest linear = guest physical for every
// buffer. The VMM maps guest memory at 0x7f0000000000 + gpa and the GPU's BAR (UC) at
// 0x7e0000000000. Emulated (unbacked)
// guest-physical bytes (PCI hole, MMIO hole) have oracle addresses at 2^62 + gpa.
// Device memory (the platform decodes it as MMIO, not DRAM): the GPU's BAR and the legacy VGA
// window 0xA0000-0xBFFFF (PC/AT compatibility; its frame-buffer bytes are kept in the DRAM
// model at their own addresses). A `vga_window` guest buffer is a memslot over that window.
#pragma once

#include <cstdint>

#include "kvm/memslot.h"
#include "model/params.h"

namespace mtsim::scenarios {

inline constexpr std::uint64_t ram_hpa_base = 1 * GiB;
inline constexpr std::uint64_t blob_hpa_base = 8 * GiB;
inline constexpr std::uint64_t gpu_bar_hpa = 0xf0000000;
inline constexpr std::uint64_t ring_hpa = 12 * GiB;
inline constexpr std::uint64_t ring_bytes = 1 * MiB;
inline constexpr std::uint64_t domain_table_base = 61 * GiB;
inline constexpr std::uint64_t vmm_hva_base = 0x7f0000000000ULL;
inline constexpr std::uint64_t vmm_bar_hva = 0x7e0000000000ULL; // the VMM's UC map of the BAR
inline constexpr std::uint64_t emulated_space = 1ULL << 62;
inline constexpr std::uint64_t legacy_vga_hpa = 0xa0000;
inline constexpr std::uint64_t legacy_vga_bytes = 0x20000;
// arm64 device memory buffers (device_bar, device_coherent) at 32 GiB + gpa, gpa + size at most
// 16 GiB. Assumption: the device's memory is kept in the DRAM model at its own host-physical
// addresses (its latency is DRAM's), outside the host's linear map, so KVM sees a device pfn.
inline constexpr std::uint64_t devmem_hpa_base = 32 * GiB;
inline constexpr std::uint64_t devmem_gpa_limit = 16 * GiB;

// The host-physical address of a gpa backed by a RAM memslot, 0 when no RAM slot holds it.
inline std::uint64_t hpa_of_gpa(const kvm::memslot_table& slots, std::uint64_t gpa) {
    const kvm::memslot* sl = slots.find(gpa);
    if (!sl || sl->kind != kvm::memslot_kind::ram) return 0;
    return sl->hpa_of(gpa);
}

} // namespace mtsim::scenarios
