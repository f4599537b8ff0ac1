// The platform builder: elaborates the SystemC modules of one resolved scenario and wires
// them (memory system + DRAM, pCPU request paths, vCPUs, the KVM hypervisor with its
// memslots, the VMM thread, the VT-d unit for a pass-through GPU, the GPU DMA engine and its
// virtio-gpu backend), lays out the guest page tables, and feeds the happens-before oracle
// from every agent (cpu/agent.h observer hooks, a pass-through on the memory system's device
// port for the GPU's DMA, the programs' synchronization ops).
//
// Address plan (host-physical): guest RAM at 1 GiB + gpa; blob buffers (virtio-gpu host
// memory, each its own memslot) at 8 GiB + gpa; the GPU's ring at 12 GiB (also its IOVA);
// IOMMU tables at 60/61 GiB; KVM's EPT pool below 1 GiB (kvm/ept_builder.h default). Guest
// linear = guest physical for every buffer. The VMM maps guest memory at 0x7f0000000000 + gpa.
//
// Doorbells. virtio-gpu: the guest's doorbell is an MMIO store to the BAR, which exits to KVM
// and reaches this builder's mmio_handler (the VMM's device emulation), which forwards it to
// the GPU's BAR socket. VFIO pass-through: the BAR is mapped into the guest, so the store
// reaches the device without an exit; the model writes the doorbell register directly at
// the vCPU's time (no exit is charged, and no exit drains WC buffers or deferred flushes).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

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
#include "scenarios/scenario.h"

namespace mtsim::scenarios {

inline constexpr std::uint64_t ram_hpa_base = 1 * GiB;
inline constexpr std::uint64_t blob_hpa_base = 8 * GiB;
inline constexpr std::uint64_t ring_hpa = 12 * GiB;
inline constexpr std::uint64_t domain_table_base = 61 * GiB;
inline constexpr std::uint64_t vmm_hva_base = 0x7f0000000000ULL;
// Oracle addresses of emulated (unbacked) guest-physical bytes: PCI hole, MMIO hole.
inline constexpr std::uint64_t emulated_space = 1ULL << 62;

class platform;

// Pass-through on the memory system's device port: records the GPU's DMA in the oracle.
class dma_observer : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<dma_observer> in;
    tlm_utils::simple_initiator_socket<dma_observer> out;
    dma_observer(const sc_core::sc_module_name& n, platform& p);

private:
    void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& d);
    platform& m_p;
};

class platform : public sc_core::sc_module,
                 public mmio_handler,
                 public cpu::agent_observer,
                 public label_source {
public:
    platform(const sc_core::sc_module_name& n, const scenario& s, oracle& o);
    ~platform() override;

    const scenario& scn() const { return m_s; }
    // Bytes per agent name of the run's causes, cycles and statistics (after the run).
    nlohmann::json causes() const { return m_causes; }
    nlohmann::json cycles_json() const;
    nlohmann::json stats_json() const;
    bool all_finished() const;
    std::string unfinished() const;

    // The vCPUs in scenario order (vcpu0, vcpu1, ...).
    std::size_t vcpu_count() const { return m_vcpus.size(); }
    cpu::vcpu& vcpu(std::size_t i) { return *m_vcpus.at(i); }
    // The scenario's raw EPT entries are written at the start of the simulation unless
    // deferred (`mtsim walk` writes them after KVM built the entries the walk needs). Each
    // set/clear edit reads the entry's current value coherently; a level beyond the EPT's
    // is a config_error naming the entry's line.
    void defer_raw_ept() { m_defer_raw_ept = true; }
    void apply_raw_ept(kvm::host_context& ctx);

    // mmio_handler: the VMM's device emulation (GPU BAR, MMIO-exit PCI hole).
    void mmio_read(std::uint64_t gpa, unsigned size, std::uint8_t* data,
                   sc_core::sc_time& delay) override;
    void mmio_write(std::uint64_t gpa, unsigned size, const std::uint8_t* data,
                    sc_core::sc_time& delay) override;
    // agent_observer
    void on_load(const cpu::agent& a, const cpu::access_record& r) override;
    void on_store(const cpu::agent& a, const cpu::access_record& r) override;

    // label_source: the oracle records' labels, built only when a finding is printed.
    std::string label_text(std::uint64_t a, std::uint64_t b) const override;

    // For the DMA observer.
    void on_dma(bool write, std::uint64_t hpa, const std::uint8_t* data, unsigned len);
    bool presence(const write_record& w, std::uint64_t addr, std::uint64_t len) const;

    memory_system ms;
    dram mem;
    cpu::pcpu_bus bus;
    kvm::hypervisor hv;
    gpu::gpu_dma_engine gpu;
    dma_observer dma_obs;
    tlm_utils::simple_initiator_socket<platform> bar_port;

private:
    class iommu_query;
    struct place {
        const buffer* b = nullptr;
        std::uint64_t off = 0;
    };

    void start_of_simulation() override;
    void build_memslots();
    void build_guest_tables(cpu::guest_regs& regs);
    void apply_raw_ptes(const cpu::guest_regs& regs);
    void build_gpu_ring();
    cpu::program cpu_program(const agent_program& p, cpu::agent& a);
    std::uint64_t gva(const scenario_op& op, unsigned r) const;
    std::uint64_t hpa_of_gpa(std::uint64_t gpa) const;
    std::uint64_t device_addr(const buffer& b) const;
    place where(std::uint64_t hpa) const;
    std::string label(const char* what, std::uint64_t hpa, memtype t, bool typed) const;
    std::uint8_t next_pattern();
    void signal(agent_id a, const std::string& key);
    void wait_signal(agent_id a, const std::string& key);
    void record_cause(read_id r);
    nlohmann::json line_view_json(std::uint64_t line, const write_record& exp) const;

    scenario m_s;
    oracle& m_o;
    std::vector<std::unique_ptr<cpu::vcpu>> m_vcpus;
    std::unique_ptr<cpu::host_cpu> m_vmm;
    std::unique_ptr<iommu::vtd> m_vtd;
    std::unique_ptr<iommu::iommu_domain> m_dom;
    std::unique_ptr<iommu_query> m_query;
    std::unique_ptr<gpu::virtio_gpu_backend> m_backend;
    std::map<const cpu::agent*, agent_id> m_agent_ids;
    agent_id m_gpu_agent = 0;
    std::map<std::string, unsigned> m_ops_of; // agent -> ops count (labels)
    // GPU ring: descriptors, the tail each doorbell publishes, interrupt names by vector.
    std::vector<gpu::descriptor> m_ring;
    std::vector<std::uint32_t> m_tails;
    std::vector<std::string> m_irq_names;
    std::vector<std::pair<std::uint64_t, std::vector<std::uint8_t>>> m_vram_init;
    std::uint32_t m_ring_entries = 2;
    unsigned m_doorbells_seen = 0;
    std::set<std::string> m_signaled;
    sc_core::sc_event m_signal_event;
    std::uint64_t m_next_table_gpa = 0;
    std::uint64_t m_pattern = 0;
    bool m_vfio_registered = false;
    bool m_defer_raw_ept = false;
    kvm::kvm_vfio_device* m_vfio = nullptr;
    nlohmann::json m_causes = nlohmann::json::array();
};

} // namespace mtsim::scenarios
