// The platform: elaborates the SystemC modules of one resolved scenario and wires them. This
// file is wiring only. Contract: it creates the memory system and DRAM, the pCPU request
// paths, the KVM hypervisor, the vCPUs and the VMM thread (one oracle agent each, in the
// scenario's order, then the GPU), the VT-d unit for a pass-through GPU or the virtio-gpu
// backend, the GPU DMA engine, and binds their sockets; it asks its parts for everything else:
// the address plan (address_plan.h), the memslots and the VMM's device emulation
// (vmm_devices.h), the guest page tables (guest_tables.h), the GPU's ring (device_plan.h),
// each agent's program (program_compiler.h), the oracle feed (oracle_tap.h), and implements
// the run-time effects of the programs' synchronization ops (program_hooks). At the start of
// simulation it performs the VMM's device set-up (VFIO container and KVM-VFIO device, or the
// virtio-gpu blobs and the KVM virtio device) and writes the raw EPT entries.
//
// Doorbells. virtio-gpu: the guest's doorbell is an MMIO store to the BAR, which exits to KVM
// and reaches the VMM's device emulation, which forwards it to the GPU's BAR socket. VFIO
// pass-through: the BAR is mapped into the guest, so the store reaches the device without an
// exit; the model writes the doorbell register directly at the vCPU's time (no exit is
// charged, and no exit drains WC buffers or deferred flushes).
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include "cache/memory_system.h"
#include "cpu/host_cpu.h"
#include "cpu/pcpu_bus.h"
#include "cpu/vcpu.h"
#include "gpu/dma_engine.h"
#include "gpu/virtio_gpu_backend.h"
#include "iommu/domain.h"
#include "iommu/vtd.h"
#include "kvm/hypervisor.h"
#include "model/dram.h"
#include "model/oracle.h"
#include "scenarios/address_plan.h"
#include "scenarios/device_plan.h"
#include "scenarios/oracle_tap.h"
#include "scenarios/program_compiler.h"
#include "scenarios/scenario.h"
#include "scenarios/vmm_devices.h"

namespace mtsim::scenarios {

class platform : public sc_core::sc_module, private program_hooks {
public:
    platform(const sc_core::sc_module_name& n, const scenario& s, oracle& o);
    ~platform() override;

    const scenario& scn() const { return m_s; }
    // The run's causes, cycles per agent and statistics (after the run).
    nlohmann::json causes() const { return m_tap.causes(); }
    nlohmann::json cycles_json() const;
    nlohmann::json stats_json() const;
    bool all_finished() const;
    std::string unfinished() const;

    // The vCPUs in scenario order (vcpu0, vcpu1, ...).
    std::size_t vcpu_count() const { return m_vcpus.size(); }
    cpu::vcpu& vcpu(std::size_t i) { return *m_vcpus.at(i); }
    // The scenario's raw EPT entries are written at the start of the simulation unless
    // deferred (`mtsim walk` writes them after KVM built the entries the walk needs).
    void defer_raw_ept() { m_defer_raw_ept = true; }
    void apply_raw_ept(kvm::host_context& ctx);

private:
    scenario m_s;
    oracle& m_o;
    oracle_tap m_tap;

public:
    memory_system ms;
    dram mem;
    cpu::pcpu_bus bus;
    kvm::hypervisor hv;
    gpu::gpu_dma_engine gpu;
    dma_observer dma_obs;
    tlm_utils::simple_initiator_socket<platform> bar_port;

private:
    class iommu_query;

    void start_of_simulation() override;
    void check_programs() const;
    void create_agents(const cpu::guest_regs& regs);
    // program_hooks
    void signal(agent_id a, const std::string& key) override;
    void wait_signal(agent_id a, const std::string& key) override;
    void vm_pause(agent_id a, cpu::agent& ag) override;
    void hotplug(cpu::agent& ag) override;
    void release(agent_id a, const std::string& key) override;
    void direct_doorbell(agent_id a, const std::string& key, std::uint32_t tail) override;

    std::unique_ptr<vmm_devices> m_vmm_devices;
    std::vector<std::unique_ptr<cpu::vcpu>> m_vcpus;
    std::unique_ptr<cpu::host_cpu> m_vmm;
    std::unique_ptr<iommu::vtd> m_vtd;
    std::unique_ptr<iommu::iommu_domain> m_dom;
    std::unique_ptr<iommu_query> m_query;
    std::unique_ptr<gpu::virtio_gpu_backend> m_backend;
    agent_id m_gpu_agent = 0;
    pattern_source m_patterns;
    gpu_ring_plan m_ring;
    std::set<std::string> m_signaled;
    sc_core::sc_event m_signal_event;
    bool m_defer_raw_ept = false;
    sc_core::sc_time m_setup_time; // when set-up ended and the programs start
    kvm::kvm_vfio_device* m_vfio = nullptr;
};

} // namespace mtsim::scenarios
