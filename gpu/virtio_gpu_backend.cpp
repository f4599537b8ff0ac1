#include "gpu/virtio_gpu_backend.h"

#include <stdexcept>
#include <string>

namespace mtsim::gpu {

virtio_gpu_backend::virtio_gpu_backend(gpu_dma_engine& gpu, const virtio_gpu_backend_config& cfg)
    : m_gpu(gpu), m_cfg(cfg) {}

void virtio_gpu_backend::realize() {
    if (m_cfg.noncoherent_blobs) m_gpu.set_enable_no_snoop(true);
}

const blob_resource& virtio_gpu_backend::create_blob(std::uint32_t id, std::uint64_t device_address,
                                                     std::uint64_t bytes) {
    if (bytes == 0) throw std::invalid_argument("virtio-gpu: blob of 0 bytes");
    blob_resource r;
    r.id = id;
    r.device_address = device_address;
    r.bytes = bytes;
    r.no_snoop = m_cfg.noncoherent_blobs;
    r.guest_memtype = m_cfg.noncoherent_blobs ? memtype::wc : memtype::wb;
    if (!m_blobs.emplace(id, r).second)
        throw std::invalid_argument("virtio-gpu: blob " + std::to_string(id) + " exists");
    return m_blobs.at(id);
}

void virtio_gpu_backend::destroy_blob(std::uint32_t id) {
    if (m_blobs.erase(id) == 0)
        throw std::out_of_range("virtio-gpu: no blob " + std::to_string(id));
}

const blob_resource& virtio_gpu_backend::resource(std::uint32_t id) const {
    const auto it = m_blobs.find(id);
    if (it == m_blobs.end()) throw std::out_of_range("virtio-gpu: no blob " + std::to_string(id));
    return it->second;
}

const blob_resource& virtio_gpu_backend::checked(std::uint32_t id, std::uint64_t offset,
                                                 std::uint64_t len) const {
    const blob_resource& r = resource(id);
    if (offset > r.bytes || len > r.bytes - offset)
        throw std::out_of_range("virtio-gpu: range beyond blob " + std::to_string(id));
    return r;
}

descriptor virtio_gpu_backend::to_vram(std::uint32_t id, std::uint64_t offset,
                                       std::uint64_t vram_offset, std::uint64_t len) const {
    const blob_resource& r = checked(id, offset, len);
    return make_read_to_vram(r.device_address + offset, vram_offset, len, r.no_snoop);
}

descriptor virtio_gpu_backend::from_vram(std::uint32_t id, std::uint64_t offset,
                                         std::uint64_t vram_offset, std::uint64_t len) const {
    const blob_resource& r = checked(id, offset, len);
    return make_write_from_vram(vram_offset, r.device_address + offset, len, r.no_snoop);
}

} // namespace mtsim::gpu
