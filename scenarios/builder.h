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
// Doorbells. The GPU's registers sit behind the host bridge (host_bridge.h) at their
// host-physical address. virtio-gpu: the guest's doorbell store exits to KVM and reaches the
// VMM's device emulation, which forwards it to the bridge. VFIO pass-through: the BAR is a
// memslot backed by host MMIO, KVM types its EPT leaf through the policy's MMIO branch, and
// the guest's store goes through its page tables (devices.gpu.bar_pat), EPT and the memory
// system's UC or WC path to the bridge, with that path's ordering (a UC store drains the WC
// buffers first; a WC store waits in a WC buffer). Either way the GPU acquires the doorbell
// in the oracle when the write reaches its register. The VMM rings with a UC store through
// its own mapping of the BAR. A pass-through GPU's ring is a guest buffer the driver writes.
#pragma once

#include <map>
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
#include "scenarios/host_bridge.h"
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
    // Every agent's account (model/accounting.h): {NAME: {clock_mhz, cycles, ns, busy_ns,
    // parts}}, and each CPU agent's marks {NAME: [{label, ns}]} (ns from its start).
    nlohmann::json agents_json() const;
    nlohmann::json marks_json() const;
    nlohmann::json stats_json() const;
    bool all_finished() const;
    // Registers named by loads and device reads, {agent: {reg: value}}, and the litmus
    // section's final location values, {name: value} (docs/litmus.md; after the run).
    nlohmann::json registers_json() const;
    nlohmann::json locations_json() const;
    // " vcpu0 (`wait: done` at line 12)": the CPU agents that did not finish, and their waits.
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
    host_bridge bridge;
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
    void unplug(cpu::agent& ag) override;
    void release(agent_id a, const std::string& key) override;
    // A write reached the GPU's registers through the bridge: a doorbell is the GPU's acquire
    // of every doorbell up to the one that published this tail.
    void device_write(std::uint64_t offset, const std::uint8_t* data, unsigned size);

    std::unique_ptr<vmm_devices> m_vmm_devices;
    std::vector<std::unique_ptr<cpu::vcpu>> m_vcpus;
    cpu::arm64_regs m_arm64_regs; // arm64: the guest's EL1 translation registers
    std::unique_ptr<cpu::host_cpu> m_vmm;
    std::unique_ptr<iommu::vtd> m_vtd;
    std::unique_ptr<iommu::iommu_domain> m_dom;
    std::unique_ptr<iommu_query> m_query;
    std::unique_ptr<gpu::virtio_gpu_backend> m_backend;
    agent_id m_gpu_agent = 0;
    pattern_source m_patterns;
    gpu_ring_plan m_ring;
    std::set<std::string> m_signaled;
    std::size_t m_doorbells_acquired = 0;
    std::map<agent_id, std::string> m_waiting; // agents inside a `wait`, and its name
    sc_core::sc_event m_signal_event;
    bool m_defer_raw_ept = false;
    sc_core::sc_time m_setup_time; // when set-up ended and the programs start
    kvm::kvm_vfio_device* m_vfio = nullptr;
    kvm::kvm_virtio_device* m_virtio_dev = nullptr; // the VMM's KVM virtio device, if it made one
    std::vector<std::pair<cpu::agent*, std::vector<reg_slot>>> m_reg_slots;
};

} // namespace mtsim::scenarios
