// The host backend of a virtio-gpu whose blob resources the GPU reaches by DMA (the KVM virtio
// device RFC, "KVM: Introduce KVM VIRTIO device"). On the non-coherent path it
//   1. programs the GPU not to snoop the blob: Device Control Enable No Snoop set at realize,
//      No-Snoop in every descriptor that touches the blob;
//   2. tells the guest to map the blob WC (guest_memtype(), which the scenario layer turns
//      into the guest's PAT entry for the buffer);
//   and reports that the device is non-coherent, which the platform builder passes to the
//   KVM virtio device (KVM_DEV_VIRTIO_NONCOHERENT_SET on realize, close on unrealize). This
//   class never calls KVM itself: gpu/ does not depend on kvm/.
// On the coherent path nothing of this happens: snooped DMA, WB mapping, no registration.
#pragma once

#include <cstdint>
#include <map>

#include "gpu/dma_engine.h"
#include "model/memtype.h"
#include "model/params.h"

namespace mtsim::gpu {

struct virtio_gpu_backend_config {
    bool noncoherent_blobs = true; // take the non-coherent path for blob resources

    void describe(param_visitor& v) {
        v.flag("noncoherent_blobs", noncoherent_blobs,
               "blob resources: GPU skips snooping, guest maps them WC, KVM is told");
    }
};

struct blob_resource {
    std::uint32_t id = 0;
    std::uint64_t device_address = 0; // where the GPU reaches it (host-physical, or an IOVA)
    std::uint64_t bytes = 0;
    bool no_snoop = false;               // descriptors touching it carry No-Snoop
    memtype guest_memtype = memtype::wb; // what the guest is told to map it with
};

class virtio_gpu_backend {
public:
    virtio_gpu_backend(gpu_dma_engine& gpu, const virtio_gpu_backend_config& cfg = {});

    // Device realization: on the non-coherent path sets Device Control Enable No Snoop.
    void realize();
    // Whether the builder must register this device as non-coherent DMA with KVM.
    bool registers_noncoherent_dma() const { return m_cfg.noncoherent_blobs; }

    // Throws std::invalid_argument when the id exists or bytes is 0.
    const blob_resource& create_blob(std::uint32_t id, std::uint64_t device_address,
                                     std::uint64_t bytes);
    void destroy_blob(std::uint32_t id);
    // Throws std::out_of_range when unknown.
    const blob_resource& resource(std::uint32_t id) const;
    memtype guest_memtype(std::uint32_t id) const { return resource(id).guest_memtype; }

    // Descriptors moving [offset, offset + len) of a blob; throw std::out_of_range beyond it.
    descriptor to_vram(std::uint32_t id, std::uint64_t offset, std::uint64_t vram_offset,
                       std::uint64_t len) const;
    descriptor from_vram(std::uint32_t id, std::uint64_t offset, std::uint64_t vram_offset,
                         std::uint64_t len) const;

private:
    const blob_resource& checked(std::uint32_t id, std::uint64_t offset, std::uint64_t len) const;

    gpu_dma_engine& m_gpu;
    virtio_gpu_backend_config m_cfg;
    std::map<std::uint32_t, blob_resource> m_blobs;
};

} // namespace mtsim::gpu
