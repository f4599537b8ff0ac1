// The VM's non-coherent DMA count (kvm->arch.noncoherent_dma_count) and the two KVM devices
// that raise it (docs/reference/kvm-policy.md §3):
// - the KVM-VFIO device (Linux since 2013; virt/kvm/vfio.c): one per VM; the VMM
//   adds and removes VFIO files; after every change it asks each attached file whether its
//   IOMMU enforces cache coherency and holds ONE registration while any file cannot
//   (kvm_vfio_update_coherency); releasing the device drops it.
// - the KVM virtio device (RFC, not merged): setting KVM_DEV_VIRTIO_NONCOHERENT_SET registers
//   once (repeats do nothing); releasing the device unregisters.
// Every registration and unregistration runs as host work on a pCPU; the 0->1 and 1->0 edges
// call the hypervisor's transition hook (the EPT zap rule), whose cost lands in the delay.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <systemc>

namespace mtsim::kvm {

// Where host-side KVM work runs (the VMM thread's pCPU for an ioctl) and the delay it adds to.
struct host_context {
    unsigned pcpu = 0;
    sc_core::sc_time& delay;
};

// The IOMMU's answer for one VFIO file: can it force every DMA of the device to snoop
// (VT-d Snoop Control: IOMMU_CAP_ENFORCE_CACHE_COHERENCY)? The platform builder implements it
// over the IOMMU model; asking may cost time (e.g. setting SNP in existing entries).
class coherency_query {
public:
    virtual ~coherency_query() = default;
    virtual bool enforce_cache_coherency(sc_core::sc_time& delay) = 0;
};

class noncoherent_dma {
public:
    // Called on the 0->1 (true) and 1->0 (false) edges, after the count changed.
    using transition_hook = std::function<void(bool noncoherent, host_context& ctx)>;

    void set_transition_hook(transition_hook h) { m_hook = std::move(h); }
    unsigned count() const { return m_count; }
    bool noncoherent() const { return m_count > 0; }

    // kvm_arch_register_noncoherent_dma / kvm_arch_unregister_noncoherent_dma.
    void add(host_context& ctx);
    void remove(host_context& ctx);

private:
    unsigned m_count = 0;
    transition_hook m_hook;
};

class kvm_vfio_device {
public:
    explicit kvm_vfio_device(noncoherent_dma& count) : m_count(count) {}

    // KVM_DEV_VFIO_FILE_ADD: a file already attached is refused (-EEXIST).
    void add_file(std::string_view name, coherency_query& iommu, host_context& ctx);
    // KVM_DEV_VFIO_FILE_DEL: a file not attached is refused (-ENOENT).
    void remove_file(std::string_view name, host_context& ctx);
    // The device's fd is closed (or the VM destroyed): every file is dropped.
    void release(host_context& ctx);

    bool registered_noncoherent() const { return m_noncoherent; }
    std::vector<std::string> files() const;

private:
    struct file {
        std::string name;
        coherency_query* iommu;
    };
    void update_coherency(host_context& ctx);
    void check_live(std::string_view what) const;

    noncoherent_dma& m_count;
    std::vector<file> m_files;
    bool m_noncoherent = false;
    bool m_released = false;
};

class kvm_virtio_device {
public:
    // The KVM virtio device RFC's uapi: group KVM_DEV_VIRTIO_NONCOHERENT, attribute
    // KVM_DEV_VIRTIO_NONCOHERENT_SET.
    static constexpr std::uint32_t group_noncoherent = 1;
    static constexpr std::uint64_t attr_noncoherent_set = 1;

    explicit kvm_virtio_device(noncoherent_dma& count) : m_count(count) {}

    // KVM_SET_DEVICE_ATTR; an unknown group or attribute is refused (-ENXIO).
    void set_attr(std::uint32_t group, std::uint64_t attr, host_context& ctx);
    // close(fd): unregisters when the device had registered.
    void release(host_context& ctx);

    bool registered_noncoherent() const { return m_noncoherent; }

private:
    void check_live(std::string_view what) const;

    noncoherent_dma& m_count;
    bool m_noncoherent = false;
    bool m_released = false;
};

} // namespace mtsim::kvm
