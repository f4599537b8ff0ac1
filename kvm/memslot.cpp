#include "kvm/memslot.h"
#include "model/not_modelled.h"

#include <stdexcept>

#include <fmt/format.h>

namespace mtsim::kvm {

std::string_view to_string(memslot_kind k) {
    return enum_name(k);
}

namespace {

constexpr std::uint64_t page = 4096;

[[noreturn]] void refuse(const memslot& s, std::string_view why) {
    throw std::invalid_argument(fmt::format("memslot '{}' ({} at {:#x}+{:#x}): {}", s.name,
                                            to_string(s.kind), s.gpa, s.size, why));
}

} // namespace

void validate(const memslot& s) {
    if (s.size == 0) refuse(s, "size is zero");
    if ((s.gpa | s.size) % page != 0) refuse(s, "gpa and size must be 4 KiB aligned");
    if (s.gpa + s.size < s.gpa) refuse(s, "range wraps around");
    switch (s.kind) {
    case memslot_kind::ram:
        if (s.hpa % page != 0) refuse(s, "hpa must be 4 KiB aligned");
        // Dirty logging write-protects and tracks pages; the model does not implement it.
        if (s.dirty_log)
            throw not_modelled("KVM_MEM_LOG_DIRTY_PAGES",
                               fmt::format("memslot '{}' ({} at {:#x}+{:#x})", s.name,
                                           to_string(s.kind), s.gpa, s.size));
        return;
    case memslot_kind::pci_hole:
        // The KVM_MEM_PCI_HOLE proposal (its api.rst hunk): mutually exclusive with
        // KVM_MEM_LOG_DIRTY_PAGES and KVM_MEM_READONLY; userspace_addr must be NULL.
        if (s.read_only) refuse(s, "KVM_MEM_PCI_HOLE is mutually exclusive with KVM_MEM_READONLY");
        if (s.dirty_log)
            refuse(s, "KVM_MEM_PCI_HOLE is mutually exclusive with KVM_MEM_LOG_DIRTY_PAGES");
        if (s.hpa != 0) refuse(s, "a KVM_MEM_PCI_HOLE slot has no backing memory (hpa must be 0)");
        if (s.host_mmio) refuse(s, "a KVM_MEM_PCI_HOLE slot has no backing memory (host_mmio)");
        if (s.non_coherent_dma)
            refuse(s, "KVM_MEM_NON_COHERENT_DMA on a slot without backing memory affects no "
                      "EPT entry");
        return;
    case memslot_kind::mmio:
        // An emulated MMIO range is the absence of a memslot in KVM: no flag applies to it.
        if (s.read_only || s.dirty_log || s.non_coherent_dma || s.host_mmio || s.hpa != 0)
            refuse(s, "an MMIO region (no memslot, exits to the VMM) takes no flags or backing");
        return;
    }
    refuse(s, "unknown kind");
}

unsigned memslot_table::add(const memslot& s) {
    validate(s);
    for (const memslot& o : m_slots) {
        if (o.name == s.name) refuse(s, "a memslot with this name exists");
        if (s.gpa < o.end() && o.gpa < s.end())
            refuse(s, fmt::format("overlaps memslot '{}' at {:#x}+{:#x} (KVM: -EEXIST)", o.name,
                                  o.gpa, o.size));
    }
    m_slots.push_back(s);
    return static_cast<unsigned>(m_slots.size() - 1);
}

const memslot* memslot_table::find(std::uint64_t gpa) const {
    for (const memslot& s : m_slots)
        if (s.contains(gpa)) return &s;
    return nullptr;
}

} // namespace mtsim::kvm
