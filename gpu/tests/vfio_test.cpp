// VFIO pass-through: the guest's driver owns the ring; ring and buffers are IOVAs (guest-
// physical addresses) that the real VT-d unit translates to host-physical ones on the way to
// the real memory system. Translations, a fault that never touches memory, and snoop
// control overriding the device's No-Snoop.
#include <doctest/doctest.h>

#include "gpu/tests/rig.h"

using namespace mtsim;
using namespace mtsim::gpu;
using namespace mtsim::gpu::test;

namespace {

constexpr std::uint64_t ring_iova = 0x1000, ring_hpa = 0x210000;
constexpr std::uint64_t buf_iova = 0x40000, buf_hpa = 0x300000;

platform_config vfio_config() {
    platform_config c;
    c.with_iommu = true;
    return c;
}

iommu::domain_config guest_domain() {
    iommu::domain_config d;
    d.id = 2;
    d.address_width = 48;
    d.table_base = 0x6000'0000;
    return d;
}

// What the host's VFIO setup does before the guest runs: attach the GPU to the guest's
// domain and map the ring (read-only for the device) and 16 KiB of buffers.
void map_guest(platform& p, iommu::iommu_domain& dom, bool enforce_snoop = false) {
    sc_core::sc_time t;
    REQUIRE(p.vtd->attach_device(static_cast<std::uint16_t>(p.cfg.gpu.bdf), dom, t));
    if (enforce_snoop) REQUIRE(p.vtd->enforce_cache_coherency(dom, t));
    p.vtd->map(dom, {ring_iova, ring_hpa, 4 * KiB, true, false}, t);
    p.vtd->map(dom, {buf_iova, buf_hpa, 16 * KiB, true, true}, t);
    sc_core::wait(t);
}

// The guest driver programs the ring through the BAR with IOVAs.
void program(host& h, std::uint32_t entries) {
    CHECK(h.mmio_write(reg::ring_base, ring_iova) == tlm::TLM_OK_RESPONSE);
    CHECK(h.mmio_write(reg::ring_base + 4, 0) == tlm::TLM_OK_RESPONSE);
    CHECK(h.mmio_write(reg::ring_size, entries) == tlm::TLM_OK_RESPONSE);
}

} // namespace

TEST_CASE("VFIO pass-through: the guest's ring and buffers are IOVAs the IOMMU translates") {
    platform p(vfio_config());
    const bytes data = pattern(4096, 0x21);
    p.run([&](host& h) {
        iommu::iommu_domain dom(guest_domain());
        map_guest(p, dom);
        h.store(buf_hpa, data); // the guest writes its buffer (GPA backed by this HPA)
        program(h, 8);
        h.put_descriptor(ring_hpa, 0, make_read_to_vram(buf_iova, 0, 4096));
        h.put_descriptor(ring_hpa, 1, make_write_from_vram(0, buf_iova + 0x2000, 4096));
        h.put_descriptor(ring_hpa, 2, make_fence_write(9, buf_iova + 0x3000));
        h.mmio_write(reg::doorbell, 3);
        p.gpu.wait_idle();
        CHECK(h.mmio_read(reg::status) == 0);
        CHECK(p.gpu.vram_bytes(0, 4096) == data);
        CHECK(p.ms.read_coherent(buf_hpa + 0x2000, 4096) == data);
        CHECK(p.ms.read_coherent(buf_hpa + 0x3000, 8) == bytes{9, 0, 0, 0, 0, 0, 0, 0});
        // Nothing went to the IOVAs taken as host-physical addresses.
        CHECK(p.ms.read_coherent(buf_iova + 0x2000, 4096) == bytes(4096, 0));
        CHECK(p.vtd->faults().records().empty());
        // 3 descriptor fetches + 64 reads + 64 writes + 1 fence, all through the unit.
        CHECK(p.vtd->counters().requests.value() == 3 + 64 + 64 + 1);
        CHECK(p.vtd->counters().iotlb_hits.value() > 0);
    });
}

TEST_CASE("VFIO pass-through: a command to an unmapped IOVA faults and never touches memory") {
    platform p(vfio_config());
    constexpr std::uint64_t unmapped = 0x90000;
    p.run([&](host& h) {
        iommu::iommu_domain dom(guest_domain());
        map_guest(p, dom);
        const bytes v = pattern(4096, 0x44);
        p.gpu.write_vram(0, v.data(), v.size());
        program(h, 4);
        h.put_descriptor(ring_hpa, 0, make_write_from_vram(0, unmapped, 4096));
        h.put_descriptor(ring_hpa, 1, make_fill(0x7777777777777777ull, buf_iova, 64));
        h.mmio_write(reg::doorbell, 2);
        p.gpu.wait_idle();
        const std::uint64_t st = h.mmio_read(reg::status);
        CHECK((st & status_error) != 0);
        CHECK((st >> 8) == std::uint32_t(error_code::dma_fault));
        CHECK(h.mmio_read(reg::error_index) == 0);
        CHECK(h.mmio_read(reg::ring_head) == 1);
        REQUIRE(p.vtd->faults().records().size() == 1);
        const auto& f = p.vtd->faults().records()[0];
        CHECK(f.address == unmapped);
        CHECK(f.write);
        CHECK(f.bdf == p.cfg.gpu.bdf);
        // The first request faulted; no later request of the command was issued, and
        // nothing reached memory at the IOVA taken as an address.
        CHECK(p.gpu.counters().write_requests.value() == 1);
        CHECK(p.gpu.counters().faults.value() == 1);
        CHECK(p.ms.read_coherent(unmapped, 4096) == bytes(4096, 0));
        CHECK(p.gpu.completed().back().status == error_code::dma_fault);
        // Halted: the fill waits until the driver clears the error.
        CHECK(p.ms.read_coherent(buf_hpa, 64) == bytes(64, 0));
        h.mmio_write(reg::status, status_error);
        p.gpu.wait_idle();
        CHECK(h.mmio_read(reg::status) == 0);
        CHECK(p.ms.read_coherent(buf_hpa, 64) == bytes(64, 0x77));
    });
}

TEST_CASE("with snoop control enforced a No-Snoop read through the IOMMU sees dirty CPU bytes") {
    platform p(vfio_config());
    const bytes old_bytes = pattern(4096, 0x10);
    const bytes new_bytes = pattern(4096, 0x90);
    p.ddr.poke(buf_hpa, old_bytes.data(), old_bytes.size());
    p.run([&](host& h) {
        iommu::iommu_domain dom(guest_domain());
        map_guest(p, dom, true); // SNP in every leaf: what KVM-VFIO's coherency check gets
        h.store(buf_hpa, new_bytes);
        program(h, 4);
        h.mmio_write(reg::dev_ctl, devctl_enable_no_snoop);
        h.put_descriptor(ring_hpa, 0, make_read_to_vram(buf_iova, 0, 4096, true));
        h.mmio_write(reg::doorbell, 1);
        p.gpu.wait_idle();
        CHECK(p.gpu.counters().no_snoop_requests.value() == 64); // the device asked
        CHECK(p.gpu.vram_bytes(0, 4096) == new_bytes);           // the IOMMU snooped anyway
        CHECK(p.ms.stats().dma_non_snooped.value() == 0);
    });
}

TEST_CASE("without snoop control a No-Snoop read through the IOMMU gets DRAM's stale bytes") {
    platform p(vfio_config());
    const bytes old_bytes = pattern(4096, 0x10);
    const bytes new_bytes = pattern(4096, 0x90);
    p.ddr.poke(buf_hpa, old_bytes.data(), old_bytes.size());
    p.run([&](host& h) {
        iommu::iommu_domain dom(guest_domain());
        map_guest(p, dom);
        h.store(buf_hpa, new_bytes);
        program(h, 4);
        h.mmio_write(reg::dev_ctl, devctl_enable_no_snoop);
        h.put_descriptor(ring_hpa, 0, make_read_to_vram(buf_iova, 0, 4096, true));
        h.mmio_write(reg::doorbell, 1);
        p.gpu.wait_idle();
        CHECK(p.gpu.vram_bytes(0, 4096) == old_bytes);
        CHECK(p.ms.stats().dma_non_snooped.value() == 64);
    });
}

TEST_CASE("VFIO pass-through: a ring at an unmapped IOVA faults on the descriptor fetch") {
    platform p(vfio_config());
    p.run([&](host& h) {
        iommu::iommu_domain dom(guest_domain());
        map_guest(p, dom);
        h.mmio_write(reg::ring_base, 0x50000); // not mapped
        h.mmio_write(reg::ring_size, 4);
        h.mmio_write(reg::doorbell, 1);
        p.gpu.wait_idle();
        CHECK((h.mmio_read(reg::status) >> 8) == std::uint32_t(error_code::dma_fault));
        CHECK(h.mmio_read(reg::error_index) == 0);
        CHECK(p.gpu.completed().empty());
        CHECK(p.gpu.counters().descriptors.value() == 0);
        REQUIRE(p.vtd->faults().records().size() == 1);
        CHECK(p.vtd->faults().records()[0].address == 0x50000);
        CHECK_FALSE(p.vtd->faults().records()[0].write);
    });
}
