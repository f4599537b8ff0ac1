// Memslot validation: the refused combinations of The KVM_MEM_PCI_HOLE proposal
// (docs/reference/kvm-policy.md §5), overlaps, and the rules for MMIO regions; no SystemC kernel
// needed.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "kvm/memslot.h"
#include "model/not_modelled.h"

using namespace mtsim;
using namespace mtsim::kvm;

namespace {

memslot slot(memslot_kind k, std::uint64_t gpa, std::uint64_t size, std::string name = "s") {
    memslot s;
    s.name = std::move(name);
    s.kind = k;
    s.gpa = gpa;
    s.size = size;
    return s;
}

std::string refusal(const memslot& s) {
    memslot_table t;
    try {
        t.add(s);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

bool mentions(const std::string& msg, std::string_view needle) {
    return msg.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE(
    "memslot: PCI_HOLE refuses READONLY and dirty logging as the KVM_MEM_PCI_HOLE proposal says") {
    memslot ro = slot(memslot_kind::pci_hole, 0xe0000000, 0x100000);
    ro.read_only = true;
    CHECK(mentions(refusal(ro), "mutually exclusive with KVM_MEM_READONLY"));
    memslot log = slot(memslot_kind::pci_hole, 0xe0000000, 0x100000);
    log.dirty_log = true;
    CHECK(mentions(refusal(log), "mutually exclusive with KVM_MEM_LOG_DIRTY_PAGES"));
    memslot backed = slot(memslot_kind::pci_hole, 0xe0000000, 0x100000);
    backed.hpa = 0x1000;
    CHECK(mentions(refusal(backed), "no backing memory"));
    CHECK(refusal(slot(memslot_kind::pci_hole, 0xe0000000, 0x100000)).empty());
}

TEST_CASE("memslot: every flag combination of a PCI-hole slot is refused unless it has none") {
    for (unsigned bits = 0; bits < 16; ++bits) {
        memslot s = slot(memslot_kind::pci_hole, 0xe0000000, 0x1000);
        s.read_only = bits & 1;
        s.dirty_log = bits & 2;
        s.non_coherent_dma = bits & 4;
        s.host_mmio = bits & 8;
        CAPTURE(bits);
        CHECK(refusal(s).empty() == (bits == 0));
    }
}

TEST_CASE("memslot: MMIO regions take no flags and no backing") {
    CHECK(refusal(slot(memslot_kind::mmio, 0xfe000000, 0x1000)).empty());
    memslot ro = slot(memslot_kind::mmio, 0xfe000000, 0x1000);
    ro.read_only = true;
    CHECK(mentions(refusal(ro), "takes no flags"));
    memslot nc = slot(memslot_kind::mmio, 0xfe000000, 0x1000);
    nc.non_coherent_dma = true;
    CHECK(mentions(refusal(nc), "takes no flags"));
}

TEST_CASE("memslot: RAM slots accept READONLY and NON_COHERENT_DMA and refuse dirty logging") {
    memslot s = slot(memslot_kind::ram, 0x100000, 0x100000);
    s.hpa = 0x40000000;
    s.read_only = true;
    s.non_coherent_dma = true;
    CHECK(refusal(s).empty());
    s.dirty_log = true;
    memslot_table t;
    CHECK_THROWS_WITH_AS(t.add(s), doctest::Contains("not modelled: KVM_MEM_LOG_DIRTY_PAGES"),
                         not_modelled);
}

TEST_CASE("memslot: alignment and size are checked") {
    CHECK(mentions(refusal(slot(memslot_kind::ram, 0x100800, 0x1000)), "aligned"));
    CHECK(mentions(refusal(slot(memslot_kind::ram, 0x100000, 0x800)), "aligned"));
    CHECK(mentions(refusal(slot(memslot_kind::ram, 0x100000, 0)), "size is zero"));
    memslot s = slot(memslot_kind::ram, 0x100000, 0x1000);
    s.hpa = 0x123;
    CHECK(mentions(refusal(s), "hpa must be 4 KiB aligned"));
}

TEST_CASE("memslot: overlapping slots are refused and adjacent ones accepted") {
    memslot_table t;
    t.add(slot(memslot_kind::ram, 0x0, 0x200000, "low"));
    CHECK_THROWS_WITH_AS(t.add(slot(memslot_kind::mmio, 0x1ff000, 0x2000, "mmio")),
                         doctest::Contains("overlaps memslot 'low'"), std::invalid_argument);
    CHECK_THROWS_AS(t.add(slot(memslot_kind::pci_hole, 0x0, 0x1000, "hole")),
                    std::invalid_argument);
    CHECK_NOTHROW(t.add(slot(memslot_kind::mmio, 0x200000, 0x1000, "mmio")));
    CHECK_THROWS_WITH_AS(t.add(slot(memslot_kind::mmio, 0x300000, 0x1000, "mmio")),
                         doctest::Contains("name exists"), std::invalid_argument);
    REQUIRE(t.find(0x1fffff) != nullptr);
    CHECK(t.find(0x1fffff)->name == "low");
    CHECK(t.find(0x200000)->name == "mmio");
    CHECK(t.find(0x201000) == nullptr);
}
