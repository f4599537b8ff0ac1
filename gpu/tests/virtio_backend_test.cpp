// The virtio-gpu host backend (the KVM virtio device RFC): what it programs in the GPU, what it
// tells the guest and KVM, and the RFC's flow with real bytes: a guest that maps the blob WC as
// told gets its data to the GPU's non-snooped reads; if the guest's stores end up WB (KVM forcing
// WB), the GPU reads stale DRAM.
#include <doctest/doctest.h>

#include "gpu/tests/rig.h"
#include "gpu/virtio_gpu_backend.h"

using namespace mtsim;
using namespace mtsim::gpu;
using namespace mtsim::gpu::test;

namespace {
constexpr std::uint64_t ring = 0x10000;
constexpr std::uint64_t blob_addr = 0x400000;
} // namespace

TEST_CASE("virtio-gpu backend: the non-coherent path sets Enable No Snoop NS and WC") {
    platform p;
    virtio_gpu_backend be(p.gpu, {true});
    CHECK((p.gpu.read_reg(reg::dev_ctl) & devctl_enable_no_snoop) == 0);
    be.realize();
    CHECK((p.gpu.read_reg(reg::dev_ctl) & devctl_enable_no_snoop) != 0);
    CHECK(be.registers_noncoherent_dma());
    const blob_resource& r = be.create_blob(1, blob_addr, 64 * KiB);
    CHECK(r.no_snoop);
    CHECK(be.guest_memtype(1) == memtype::wc);
    const descriptor d = be.to_vram(1, 4096, 0x100, 512);
    CHECK(d.op == descriptor_op::read_to_vram);
    CHECK(d.no_snoop);
    CHECK(d.a == blob_addr + 4096);
    CHECK(d.b == 0x100);
    CHECK(d.length == 512);
    const descriptor w = be.from_vram(1, 0, 0, 64);
    CHECK(w.op == descriptor_op::write_from_vram);
    CHECK(w.no_snoop);
    CHECK_THROWS_AS(be.to_vram(1, 64 * KiB - 8, 0, 16), std::out_of_range);
    CHECK_THROWS_AS(be.create_blob(1, 0, 4096), std::invalid_argument);
    CHECK_THROWS_AS(be.guest_memtype(2), std::out_of_range);
    be.destroy_blob(1);
    CHECK_THROWS_AS(be.resource(1), std::out_of_range);
}

TEST_CASE("virtio-gpu backend: the coherent path leaves snooping WB and KVM alone") {
    platform p;
    virtio_gpu_backend be(p.gpu, {false});
    be.realize();
    CHECK((p.gpu.read_reg(reg::dev_ctl) & devctl_enable_no_snoop) == 0);
    CHECK_FALSE(be.registers_noncoherent_dma());
    be.create_blob(3, blob_addr, 4096);
    CHECK(be.guest_memtype(3) == memtype::wb);
    CHECK_FALSE(be.to_vram(3, 0, 0, 4096).no_snoop);
}

TEST_CASE(
    "KVM virtio device RFC flow: WC guest stores reach the non-snooped read and WB stores do not") {
    platform p;
    virtio_gpu_backend be(p.gpu, {true});
    const bytes old_bytes = pattern(4096, 0x01);
    const bytes frame = pattern(4096, 0xa0);
    p.ddr.poke(blob_addr, old_bytes.data(), 4096);
    p.ddr.poke(blob_addr + 4096, old_bytes.data(), 4096);
    p.run([&](host& h) {
        be.realize();
        be.create_blob(1, blob_addr, 8192);
        const memtype told = be.guest_memtype(1);
        REQUIRE(told == memtype::wc);
        // Step 3 as intended: the guest writes the first page with the type it was told,
        // then its doorbell (a UC MMIO write, here an SFENCE) drains the WC buffers.
        h.store(blob_addr, frame, told);
        h.op(op_kind::sfence);
        // The same stores as KVM forcing WB would make them: they stay in the CPU cache.
        h.store(blob_addr + 4096, frame, memtype::wb);
        p.gpu.program_ring(ring, 4);
        h.put_descriptor(ring, 0, be.to_vram(1, 0, 0, 4096));
        h.put_descriptor(ring, 1, be.to_vram(1, 4096, 4096, 4096));
        h.mmio_write(reg::doorbell, 2);
        p.gpu.wait_idle();
        CHECK(p.gpu.vram_bytes(0, 4096) == frame);        // WC: correct
        CHECK(p.gpu.vram_bytes(4096, 4096) == old_bytes); // forced WB: stale
        CHECK(p.gpu.counters().no_snoop_requests.value() == 2 * 4096 / 64);
    });
}
