// KVM memslots: which guest-physical ranges are backed by host memory and how, which exit to
// the VMM. A slot is added whole and never overlaps another; combinations KVM (or the proposal
// that introduces a flag) refuses are refused here with std::invalid_argument naming the slot.
//   ram       backed: gpa range -> hpa base; EPT leaves are built for it. `host_mmio` marks
//             backing that is host device memory (a VFIO BAR: kvm_is_mmio_pfn), which the EPT
//             policy types UC. `read_only` (KVM_MEM_READONLY): writes exit to the VMM.
//             `non_coherent_dma` (KVM_MEM_NON_COHERENT_DMA, a proposal): an input of the policy.
//   mmio      not backed: every access exits to the VMM (no memslot in KVM: KVM_EXIT_MMIO).
//   pci_hole  KVM_MEM_PCI_HOLE (a proposal): not backed; reads return all-ones, emulated inside
//             KVM; writes exit to the VMM; no huge pages; exclusive with READONLY and
//             LOG_DIRTY_PAGES.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/enum_names.h"

namespace mtsim::kvm {

enum class memslot_kind : std::uint8_t { ram, mmio, pci_hole };

constexpr auto enum_names_of(memslot_kind) {
    return names_table("ram", "mmio", "pci-hole");
}
std::string_view to_string(memslot_kind k);

struct memslot {
    std::string name;
    memslot_kind kind = memslot_kind::ram;
    std::uint64_t gpa = 0;
    std::uint64_t size = 0;
    std::uint64_t hpa = 0; // ram only: host-physical address of the slot's first byte
    bool host_mmio = false;
    // arm64: host_mmio backing whose VMA maps it cacheable (coherent device memory a vfio
    // variant driver exposes, kvm_vma_is_cacheable()); a BAR's VMA is not.
    bool vma_cacheable = false;
    bool read_only = false;
    bool dirty_log = false; // KVM_MEM_LOG_DIRTY_PAGES: only its refusal with PCI_HOLE is modelled
    bool non_coherent_dma = false;

    bool contains(std::uint64_t a) const { return a >= gpa && a - gpa < size; }
    std::uint64_t end() const { return gpa + size; }
    // ram only: the host-physical address backing guest-physical address a.
    std::uint64_t hpa_of(std::uint64_t a) const { return hpa + (a - gpa); }
};

class memslot_table {
public:
    // Validates `s` alone and against the slots already present; returns its index.
    unsigned add(const memslot& s);
    // The slot holding gpa, or nullptr (KVM: no memslot).
    const memslot* find(std::uint64_t gpa) const;
    const std::vector<memslot>& slots() const { return m_slots; }

private:
    std::vector<memslot> m_slots;
};

// Throws std::invalid_argument when `s` is malformed or a refused flag combination; does not
// look at other slots.
void validate(const memslot& s);

} // namespace mtsim::kvm
