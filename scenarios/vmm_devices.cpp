#include "scenarios/vmm_devices.h"

#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "gpu/descriptor.h"
#include "scenarios/address_plan.h"
#include "scenarios/device_plan.h"

namespace mtsim::scenarios {

using sc_core::sc_time;

void build_memslots(const scenario& s, kvm::hypervisor& hv, oracle& o) {
    kvm::memslot ram;
    ram.name = "ram";
    ram.gpa = 0;
    ram.size = s.guest.ram;
    ram.hpa = ram_hpa_base;
    hv.add_memslot(ram);
    for (const auto& b : s.buffers) {
        const bool in_ram = b.gpa + b.size <= s.guest.ram;
        if (b.kind == buffer_kind::ram) {
            if (!in_ram)
                throw config_error(s.file, b.line, "guest.buffers." + b.name,
                                   "a ram buffer lies inside guest.ram");
            continue;
        }
        if (b.gpa < s.guest.ram)
            throw config_error(s.file, b.line, "guest.buffers." + b.name,
                               "blob and hole buffers lie above guest.ram");
        kvm::memslot sl;
        sl.name = b.name;
        sl.gpa = b.gpa;
        sl.size = b.size;
        if (b.kind == buffer_kind::blob) {
            sl.kind = kvm::memslot_kind::ram;
            sl.hpa = blob_hpa_base + b.gpa;
            sl.non_coherent_dma = s.host.memslot_noncoherent && !is_vfio(s);
        } else if (b.kind == buffer_kind::device_bar || b.kind == buffer_kind::device_coherent) {
            // A vfio-pci mmap of the device's memory (vfio_pci_mmap: VM_PFNMAP) the VMM
            // registers as a memslot; KVM sees device pfns (kvm/arm64_abort.cpp).
            sl.kind = kvm::memslot_kind::ram;
            sl.hpa = devmem_hpa_base + b.gpa;
            sl.host_mmio = true;
            sl.vma_cacheable = b.kind == buffer_kind::device_coherent;
        } else if (b.kind == buffer_kind::vga_window) {
            // The VMM mmaps the host's legacy VGA window (/dev/mem) and registers it as an
            // ordinary memslot: its pfns are not flagged as host MMIO, so KVM types them as RAM.
            if (b.size > legacy_vga_bytes)
                throw config_error(
                    s.file, b.line, "guest.buffers." + b.name,
                    fmt::format("the legacy VGA window holds {:#x} bytes", legacy_vga_bytes));
            sl.kind = kvm::memslot_kind::ram;
            sl.hpa = legacy_vga_hpa;
        } else
            sl.kind = b.kind == buffer_kind::pci_hole ? kvm::memslot_kind::pci_hole
                                                      : kvm::memslot_kind::mmio;
        try {
            hv.add_memslot(sl);
        } catch (const std::invalid_argument& e) {
            throw config_error(s.file, b.line, "guest.buffers." + b.name, e.what());
        }
        if (b.kind == buffer_kind::pci_hole || b.kind == buffer_kind::mmio_hole)
            o.declare_initial_fill(emulated_space + b.gpa, b.size, 0xff,
                                   b.name + " (absent functions read all-ones)");
    }
    // VFIO: the VMM mmaps the device's BAR and registers it as a memslot whose backing is host
    // MMIO (vfio_pci_mmap; KVM sees kvm_is_mmio_pfn), so guest accesses reach the device
    // without an exit. virtio-gpu: the BAR is emulated, every access exits (KVM_EXIT_MMIO).
    kvm::memslot bar;
    bar.name = "gpu-bar";
    bar.kind = is_vfio(s) ? kvm::memslot_kind::ram : kvm::memslot_kind::mmio;
    bar.host_mmio = is_vfio(s);
    bar.hpa = is_vfio(s) ? gpu_bar_hpa : 0;
    bar.gpa = s.devices.gpu.bar_gpa;
    bar.size = gpu::reg::bar_bytes;
    try {
        hv.add_memslot(bar);
    } catch (const std::invalid_argument& e) {
        throw config_error(s.file, 0, "devices.gpu.bar_gpa", e.what());
    }
}

vmm_devices::vmm_devices(const scenario& s, const kvm::memslot_table& slots,
                         tlm::tlm_initiator_socket<>& bar)
    : m_s(s), m_slots(slots), m_bar(bar) {}

void vmm_devices::bar_access(tlm::tlm_command cmd, std::uint64_t off, unsigned size,
                             std::uint8_t* data, sc_time& delay) {
    tlm::tlm_generic_payload gp;
    gp.set_command(cmd);
    gp.set_address(gpu_bar_hpa + off);
    gp.set_data_ptr(data);
    gp.set_data_length(size);
    gp.set_streaming_width(size);
    m_bar->b_transport(gp, delay);
}

void vmm_devices::mmio_read(std::uint64_t gpa, unsigned size, std::uint8_t* data, sc_time& delay) {
    const std::uint64_t bar = m_s.devices.gpu.bar_gpa;
    if (gpa >= bar && gpa < bar + gpu::reg::bar_bytes) {
        bar_access(tlm::TLM_READ_COMMAND, gpa - bar, size, data, delay);
        return;
    }
    const kvm::memslot* sl = m_slots.find(gpa);
    if (sl && sl->kind != kvm::memslot_kind::ram) {
        std::memset(data, 0xff, size); // absent PCI functions: all-ones
        return;
    }
    throw std::runtime_error(
        fmt::format("VMM: MMIO read at gpa {:#x} hits no emulated device", gpa));
}

void vmm_devices::mmio_write(std::uint64_t gpa, unsigned size, const std::uint8_t* data,
                             sc_time& delay) {
    const std::uint64_t bar = m_s.devices.gpu.bar_gpa;
    if (gpa >= bar && gpa < bar + gpu::reg::bar_bytes) {
        bar_access(tlm::TLM_WRITE_COMMAND, gpa - bar, size, const_cast<std::uint8_t*>(data), delay);
        return;
    }
    const kvm::memslot* sl = m_slots.find(gpa);
    if (sl && sl->kind != kvm::memslot_kind::ram) return; // writes to absent functions drop
    throw std::runtime_error(
        fmt::format("VMM: MMIO write at gpa {:#x} hits no emulated device", gpa));
}

} // namespace mtsim::scenarios
