#include "kvm/noncoherent.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace mtsim::kvm {

void noncoherent_dma::add(host_context& ctx) {
    if (++m_count == 1 && m_hook) m_hook(true, ctx);
}

void noncoherent_dma::remove(host_context& ctx) {
    if (m_count == 0) throw std::logic_error("kvm: non-coherent DMA count unregistered below zero");
    if (--m_count == 0 && m_hook) m_hook(false, ctx);
}

void kvm_vfio_device::check_live(std::string_view what) const {
    if (m_released)
        throw std::invalid_argument(
            fmt::format("kvm-vfio: {} after the device was released", what));
}

void kvm_vfio_device::add_file(std::string_view name, coherency_query& iommu, host_context& ctx) {
    check_live("KVM_DEV_VFIO_FILE_ADD");
    for (const file& f : m_files)
        if (f.name == name)
            throw std::invalid_argument(
                fmt::format("kvm-vfio: file '{}' is already attached (-EEXIST)", name));
    m_files.push_back({std::string(name), &iommu});
    update_coherency(ctx);
}

void kvm_vfio_device::remove_file(std::string_view name, host_context& ctx) {
    check_live("KVM_DEV_VFIO_FILE_DEL");
    auto it =
        std::find_if(m_files.begin(), m_files.end(), [&](const file& f) { return f.name == name; });
    if (it == m_files.end())
        throw std::invalid_argument(
            fmt::format("kvm-vfio: file '{}' is not attached (-ENOENT)", name));
    m_files.erase(it);
    update_coherency(ctx);
}

void kvm_vfio_device::release(host_context& ctx) {
    check_live("release");
    m_files.clear();
    update_coherency(ctx);
    m_released = true;
}

// kvm_vfio_update_coherency(): non-coherent when any attached file's IOMMU cannot enforce
// coherency; only a change of that answer registers or unregisters (one count per device).
void kvm_vfio_device::update_coherency(host_context& ctx) {
    bool noncoherent = false;
    for (file& f : m_files) {
        if (!f.iommu->enforce_cache_coherency(ctx.delay)) {
            noncoherent = true;
            break;
        }
    }
    if (noncoherent == m_noncoherent) return;
    m_noncoherent = noncoherent;
    if (noncoherent)
        m_count.add(ctx);
    else
        m_count.remove(ctx);
}

std::vector<std::string> kvm_vfio_device::files() const {
    std::vector<std::string> out;
    for (const file& f : m_files) out.push_back(f.name);
    return out;
}

void kvm_virtio_device::check_live(std::string_view what) const {
    if (m_released)
        throw std::invalid_argument(
            fmt::format("kvm-virtio: {} after the device was released", what));
}

// kvm_virtio_set_noncoherent() in the KVM virtio device RFC: registers on the first set only.
void kvm_virtio_device::set_attr(std::uint32_t group, std::uint64_t attr, host_context& ctx) {
    check_live("KVM_SET_DEVICE_ATTR");
    if (group != group_noncoherent || attr != attr_noncoherent_set)
        throw std::invalid_argument(fmt::format(
            "kvm-virtio: attribute group {} attr {} is not supported (-ENXIO)", group, attr));
    if (m_noncoherent) return;
    m_noncoherent = true;
    m_count.add(ctx);
}

void kvm_virtio_device::release(host_context& ctx) {
    check_live("release");
    m_released = true;
    if (m_noncoherent) {
        m_noncoherent = false;
        m_count.remove(ctx);
    }
}

} // namespace mtsim::kvm
