// The non-coherent DMA count and its sources (docs/reference/kvm-policy.md §3): the KVM-VFIO
// device (kvm_vfio_update_coherency: one registration while any attached file's IOMMU cannot
// enforce snooping) and the KVM virtio device RFC (NONCOHERENT set once, release
// decrements). The transition hook sees exactly the 0->1 and 1->0 edges.
#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "kvm/noncoherent.h"

using namespace mtsim::kvm;

namespace {

struct fake_iommu final : coherency_query {
    bool snoop_control;
    unsigned asked = 0;
    explicit fake_iommu(bool sc) : snoop_control(sc) {}
    bool enforce_cache_coherency(sc_core::sc_time&) override {
        ++asked;
        return snoop_control;
    }
};

struct counted {
    noncoherent_dma count;
    std::vector<bool> edges;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    host_context ctx{0, delay};
    counted() {
        count.set_transition_hook([this](bool nc, host_context&) { edges.push_back(nc); });
    }
};

} // namespace

TEST_CASE("kvm-vfio: a coherent device leaves the count alone") {
    counted c;
    kvm_vfio_device dev(c.count);
    fake_iommu sc(true);
    dev.add_file("vfio0", sc, c.ctx);
    CHECK(c.count.count() == 0);
    CHECK(sc.asked == 1);
    dev.remove_file("vfio0", c.ctx);
    CHECK(c.count.count() == 0);
    CHECK(c.edges.empty());
}

TEST_CASE("kvm-vfio: non-coherent devices add one to the count while any is attached") {
    counted c;
    kvm_vfio_device dev(c.count);
    fake_iommu no_sc_a(false), no_sc_b(false), sc(true);
    dev.add_file("a", no_sc_a, c.ctx);
    CHECK(c.count.count() == 1);
    dev.add_file("b", no_sc_b, c.ctx);
    CHECK(c.count.count() == 1); // one registration per kvm-vfio device
    dev.add_file("c", sc, c.ctx);
    CHECK(c.count.count() == 1);
    dev.remove_file("a", c.ctx);
    CHECK(c.count.count() == 1); // b is still non-coherent
    dev.remove_file("b", c.ctx);
    CHECK(c.count.count() == 0); // removing the last non-coherent file takes it away
    CHECK(c.edges == std::vector<bool>{true, false});
    CHECK(dev.files() == std::vector<std::string>{"c"});
}

TEST_CASE("kvm-vfio: coherency is asked again at every change") {
    counted c;
    kvm_vfio_device dev(c.count);
    fake_iommu first(true), second(true);
    dev.add_file("first", first, c.ctx);
    first.snoop_control = false; // e.g. the device moved to a domain without snoop control
    dev.add_file("second", second, c.ctx);
    CHECK(c.count.count() == 1);
    CHECK(first.asked == 2);
}

TEST_CASE("kvm-vfio: release drops the registration and duplicate or unknown files are refused") {
    counted c;
    kvm_vfio_device dev(c.count);
    fake_iommu no_sc(false);
    dev.add_file("a", no_sc, c.ctx);
    CHECK_THROWS_WITH_AS(dev.add_file("a", no_sc, c.ctx), doctest::Contains("EEXIST"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(dev.remove_file("zz", c.ctx), doctest::Contains("ENOENT"),
                         std::invalid_argument);
    dev.release(c.ctx);
    CHECK(c.count.count() == 0);
    CHECK(c.edges == std::vector<bool>{true, false});
    CHECK_THROWS_AS(dev.add_file("b", no_sc, c.ctx), std::invalid_argument);
}

TEST_CASE("kvm-virtio: NONCOHERENT set twice counts once and release decrements") {
    counted c;
    kvm_virtio_device dev(c.count);
    dev.set_attr(kvm_virtio_device::group_noncoherent, kvm_virtio_device::attr_noncoherent_set,
                 c.ctx);
    dev.set_attr(kvm_virtio_device::group_noncoherent, kvm_virtio_device::attr_noncoherent_set,
                 c.ctx);
    CHECK(c.count.count() == 1);
    dev.release(c.ctx);
    CHECK(c.count.count() == 0);
    CHECK(c.edges == std::vector<bool>{true, false});
    CHECK_THROWS_AS(dev.release(c.ctx), std::invalid_argument);
}

TEST_CASE("kvm-virtio: a device never set leaves the count alone and bad attributes are refused") {
    counted c;
    kvm_virtio_device dev(c.count);
    CHECK_THROWS_WITH_AS(dev.set_attr(2, 1, c.ctx), doctest::Contains("ENXIO"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(dev.set_attr(1, 2, c.ctx), doctest::Contains("ENXIO"),
                         std::invalid_argument);
    dev.release(c.ctx);
    CHECK(c.count.count() == 0);
    CHECK(c.edges.empty());
}

TEST_CASE("count: two sources make one 0->1 edge and one 1->0 edge") {
    counted c;
    kvm_virtio_device gpu(c.count);
    kvm_vfio_device vfio(c.count);
    fake_iommu no_sc(false);
    gpu.set_attr(1, 1, c.ctx);
    vfio.add_file("nic", no_sc, c.ctx);
    CHECK(c.count.count() == 2);
    gpu.release(c.ctx);
    CHECK(c.count.count() == 1);
    vfio.remove_file("nic", c.ctx);
    CHECK(c.count.count() == 0);
    CHECK(c.edges == std::vector<bool>{true, false});
}
