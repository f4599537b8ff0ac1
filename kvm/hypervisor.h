// The KVM hypervisor model: memslots, the EPT it builds lazily on EPT violations with the
// (type, IPAT) of the chosen policy, the non-coherent DMA count with its devices and the EPT
// zap on its transitions, WBINVD exits through the chosen handling, and emulation of MMIO and
// PCI-hole accesses. It implements vm_exit_handler for the vCPUs (model/vm_exit.h).
//
// Host memory: one initiator socket per pCPU, bound to the memory system's cpu[p] port. KVM's
// work for an exit runs on the pCPU the vCPU exited on; ioctl work (devices, raw EPT writes)
// on the pCPU a host_context names. EPT tables are written as 8-byte WB stores through that
// pCPU's caches (so the vCPU's walker, reading through the caches, sees them), and a real
// WBINVD on pCPU p is a TLM_IGNORE_COMMAND with op wbinvd sent to cpu[p]. The sockets bind to
// the pCPU request paths the vCPUs and the VMM share (cpu/pcpu_bus.h: in(p)). Draining the WC
// buffers at a VM exit is the vCPU's part (cpu/vcpu.h), before it calls handle_exit.
//
// Costs are cycles of the host clock (parameters below) added to the caller's delay, plus
// what the memory system charges for the real accesses. Never waits.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "kvm/arm64_policy.h"
#include "kvm/arm64_stage2_builder.h"
#include "kvm/ept_builder.h"
#include "kvm/guest_mtrr.h"
#include "kvm/memslot.h"
#include "kvm/noncoherent.h"
#include "kvm/policy.h"
#include "kvm/wbinvd.h"
#include "model/access_ext.h"
#include "model/cycles.h"
#include "model/mmio_handler.h"
#include "model/params.h"
#include "model/stats.h"
#include "model/table_memory.h"
#include "model/vm_exit.h"

namespace mtsim::kvm {

// What one exit costs, step by step along its path (docs/reference/costs.md gives each step's
// source). A null exit is vm_exit + exit_handling + vm_entry; an EPT violation adds
// ept_violation; an access KVM emulates adds emulate_insn; one handed to the VMM adds
// userspace_return + vmm_dispatch and the kvm_run page's accesses, which go through the
// memory system (hypervisor_config::run_page_base).
struct hypervisor_costs {
    cycles vm_exit{500};           // hardware: VM exit (guest state saved, host state loaded)
    cycles vm_entry{400};          // hardware: VM entry (checks, guest state loaded)
    cycles exit_handling{300};     // KVM's exit and entry software path around the handler
    cycles ept_violation{1500};    // KVM's EPT-violation handler: memslot lookup, pfn, walk
    cycles ept_entry_write{20};    // software cost per EPT entry written (plus the store)
    cycles zap_per_entry{30};      // software cost per leaf zapped (plus the store)
    cycles invept{400};            // INVEPT on one vCPU (request + flush)
    cycles emulate_insn{600};      // KVM's emulator: fetch, decode and execute one MOV
    cycles userspace_return{3000}; // KVM_RUN returns to the VMM and is called again
    cycles vmm_dispatch{5400};     // the VMM's exit dispatch to its device model
    cycles wbinvd_ipi{1500};       // sending a flush IPI to a remote pCPU and waiting for it
    // The hardware and software round trip every exit pays.
    cycles round_trip() const { return vm_exit + exit_handling + vm_entry; }
    // The exit to the VMM and back, without the kvm_run accesses and the device's own work.
    cycles userspace() const { return userspace_return + vmm_dispatch; }
    void describe(param_visitor& v);
};

struct hypervisor_config {
    std::string policy = "linux-6.10"; // kvm/policies/
    std::string wbinvd = "dirty-mask"; // kvm/wbinvd/
    unsigned pcpus = 2;
    double clock_mhz = 3000.0;
    bool quirk_cd_nw_cleared = true;
    bool quirk_ignore_guest_pat = true; // the VMM's request (kvm/quirks.h)
    bool self_snoop = true;             // must match the memory system's
    // Host-physical base of the vCPUs' kvm_run pages (4 KiB each, vCPU i at base + i * 4 KiB),
    // which KVM and the VMM read and write on a user-space exit. Default: right above the
    // EPT pool, below guest RAM (scenarios/address_plan.h).
    std::uint64_t run_page_base = 1012 * MiB;
    ept_builder_config ept;
    hypervisor_costs cost;
    void describe(param_visitor& v);
};

struct hypervisor_stats {
    explicit hypervisor_stats(const sc_core::sc_object* owner, unsigned pcpus);
    const sc_core::sc_object* m_owner;
    counter exits_ept_violation{m_owner, "exits_ept_violation", "EPT-violation exits", "exits"};
    counter exits_ept_misconfig{m_owner, "exits_ept_misconfig", "EPT-misconfiguration exits",
                                "exits"};
    counter exits_wbinvd{m_owner, "exits_wbinvd", "WBINVD/WBNOINVD exits", "exits"};
    counter exits_invd{m_owner, "exits_invd", "INVD exits", "exits"};
    counter exits_wrmsr{m_owner, "exits_wrmsr", "WRMSR exits (guest MTRR writes)", "exits"};
    counter mtrr_zaps{m_owner, "mtrr_zaps",
                      "EPT range zaps after a guest MTRR write (kvm_zap_gfn_range)", "zaps"};
    counter exits_hlt{m_owner, "exits_hlt", "HLT exits", "exits"};
    counter exits_stage2_abort{m_owner, "exits_stage2_abort",
                               "arm64 stage-2 Data/Instruction Abort exits", "exits"};
    counter s2_leaves_built{m_owner, "s2_leaves_built",
                            "arm64 stage-2 leaves built on stage-2 aborts", "entries"};
    counter ept_leaves_built{m_owner, "ept_leaves_built", "EPT leaves built on violations",
                             "entries"};
    counter ept_entry_writes{m_owner, "ept_entry_writes",
                             "EPT entries written (leaf, non-leaf, zap)", "entries"};
    counter ept_tables{m_owner, "ept_tables", "EPT table pages allocated and cleared", "pages"};
    counter nc_transitions{m_owner, "nc_transitions",
                           "non-coherent count 0->1 and 1->0 transitions", "transitions"};
    counter zaps{m_owner, "zaps", "whole-EPT zaps", "zaps"};
    counter zapped_leaves{m_owner, "zapped_leaves", "EPT leaves zapped", "entries"};
    counter invepts{m_owner, "invepts", "INVEPT requests sent to vCPUs", "requests"};
    counter wbinvd_nops{m_owner, "wbinvd_nops",
                        "WBINVD/INVD exits skipped (count 0, or the handling's own condition)",
                        "exits"};
    counter mmio_exits{m_owner, "mmio_exits", "accesses handed to the VMM", "exits"};
    counter emulated_insns{m_owner, "emulated_insns",
                           "instructions KVM's emulator decoded (MMIO and PCI-hole accesses)",
                           "instructions"};
    counter pci_hole_reads{m_owner, "pci_hole_reads", "PCI-hole reads completed in KVM", "reads"};
    counter vcpu_loads{m_owner, "vcpu_loads", "vCPU loads on a pCPU", "loads"};
    std::vector<std::unique_ptr<counter>> wbinvd_runs; // per pCPU: "wbinvd_pcpu<N>"
};

class hypervisor : public sc_core::sc_module, public vm_exit_handler {
public:
    using socket = tlm_utils::simple_initiator_socket<hypervisor>;
    sc_core::sc_vector<socket> pcpu; // bind pcpu[p] to memory_system.cpu[p]

    hypervisor(const sc_core::sc_module_name& name, const hypervisor_config& cfg = {});
    ~hypervisor() override;

    const hypervisor_config& config() const { return m_cfg; }
    const ept_policy& policy() const { return *m_policy; }
    const wbinvd_handling& wbinvd_variant() const { return *m_wbinvd; }
    const mtsim::clock& clk() const { return m_clock; }
    const hypervisor_stats& stats() const { return *m_stats; }

    // Wiring by the platform builder.
    // An arm64 host (before memslots and vCPUs): KVM/arm64 with the stage-2 policy and CPU
    // features of `c`. Stage-2 tables replace EPT (kvm/arm64_stage2_builder.h, their pool the
    // upper half of kvm.ept's); a stage-2 abort (exit ept_violation with ESR_EL2) maps the
    // page as user_mem_abort() does (kvm/arm64_abort.cpp); memslots are checked by the
    // policy's kvm_arch_prepare_memory_region() refusals.
    void set_arm64(const arm64_kvm_config& c);
    bool is_arm64() const { return m_s2 != nullptr; }
    const arm64_s2_policy* arm64_policy() const { return m_arm64_policy; }
    const arm64_stage2_builder* stage2() const { return m_s2.get(); }
    // What user_mem_abort() sees of a memslot's frames.
    arm64_s2_inputs arm64_inputs(const memslot& s) const;
    void attach_vcpu(vcpu_control& v); // hands the vCPU its EPTP (arm64: its VTTBR_EL2)
    void set_vmm(mmio_handler& h);     // where MMIO exits go
    // The guest MTRR type of a frame (an input of the policy): by default what the guest's
    // MTRR MSRs say (guest_mtrrs()); set_guest_mtrr replaces that with a function.
    void set_guest_mtrr(std::function<memtype(std::uint64_t gfn)> f);
    // The guest's MTRRs before it runs (its firmware's set-up): MTRRs enabled (E=1), fixed
    // ranges off (FE=0), no variable range, `type` everywhere. Default: WB.
    void set_guest_mtrr_default(memtype type);
    // The guest MTRR MSRs as KVM emulates them (kvm/guest_mtrr.cpp): one set for the VM.
    const mtrr_state& guest_mtrrs() const { return m_guest_mtrrs; }
    // The vCPU's CR0.CD as KVM reads it when it builds an entry for that vCPU's fault.
    void set_guest_cd(unsigned id, bool cd);
    // Facts of the VM's creation that some hypervisors look at (Xen's is_iommu_enabled(d) and
    // iommu_snoop): the VM has an assigned device; the IOMMU forces snooping. Before the run.
    void set_vm_facts(bool assigned_device, bool iommu_snoop);
    unsigned add_memslot(const memslot& s);
    const memslot_table& memslots() const { return m_slots; }

    // Devices (KVM_CREATE_DEVICE). One KVM-VFIO device per VM (a second is refused).
    kvm_vfio_device& create_vfio_device();
    kvm_virtio_device& create_virtio_device();
    unsigned noncoherent_count() const { return m_nc.count(); }

    // Writes a raw EPT entry for gpa at `level` (tables above are built) and sends INVEPT to
    // every vCPU: how a scenario produces a misconfiguration or violation on purpose.
    void write_raw_ept(std::uint64_t gpa, unsigned level, std::uint64_t value, host_context& ctx);

    std::uint64_t eptp() const { return m_ept->eptp(); }
    const ept_builder& ept() const { return *m_ept; }
    // Which policy decision gave the frame its EPT type and IPAT (nullptr: no leaf now).
    const leaf_record* decision_for(std::uint64_t gfn) const { return m_ept->leaf_for(gfn); }
    pcpu_mask wbinvd_dirty_mask(unsigned id) const;

    // vm_exit_handler
    exit_outcome handle_exit(vm_exit& e, sc_core::sc_time& delay) override;
    void vcpu_load(unsigned id, unsigned p, sc_core::sc_time& delay) override;

private:
    struct vcpu_state {
        vcpu_control* control = nullptr;
        bool cd = false;
        pcpu_mask dirty_mask = 0;
    };
    class host_memory;

    sc_core::sc_time t(cycles c) const { return m_clock.to_time(c); }
    access_ext host_ext(unsigned pcpu, op_kind op) const;
    void transport(unsigned pcpu, tlm::tlm_command cmd, std::uint64_t addr, std::uint8_t* data,
                   unsigned len, const access_ext& ext, sc_core::sc_time& delay);
    vcpu_state& vcpu(unsigned id);
    ept_inputs vm_inputs() const;

    exit_outcome dispatch(vm_exit& e, sc_core::sc_time& delay);
    exit_outcome ept_violation(vm_exit& e, sc_core::sc_time& delay);
    exit_outcome stage2_abort(vm_exit& e, sc_core::sc_time& delay); // kvm/arm64_abort.cpp
    exit_outcome to_userspace(const vm_exit& e, const memslot* s, sc_core::sc_time& delay);
    exit_outcome pci_hole_read(const vm_exit& e, sc_core::sc_time& delay);
    void run_page_access(const vm_exit& e, tlm::tlm_command cmd, unsigned offset,
                         std::uint8_t* data, unsigned len, sc_core::sc_time& delay);
    void build_leaf(const vm_exit& e, const memslot& s, sc_core::sc_time& delay);
    unsigned leaf_level(std::uint64_t gpa, const memslot& s) const;
    exit_outcome wbinvd_exit(const vm_exit& e, sc_core::sc_time& delay);
    exit_outcome invd_exit(const vm_exit& e, sc_core::sc_time& delay);
    exit_outcome wrmsr_exit(const vm_exit& e, sc_core::sc_time& delay); // kvm/guest_mtrr.cpp
    memtype guest_mtrr_type(std::uint64_t gfn) const;                   // kvm/guest_mtrr.cpp
    bool honors_guest_mtrrs(unsigned vcpu_id) const;                    // kvm/guest_mtrr.cpp
    void on_transition(bool noncoherent, host_context& ctx);
    void invept_all(sc_core::sc_time& delay);

    hypervisor_config m_cfg;
    mtsim::clock m_clock;
    const ept_policy* m_policy;
    const wbinvd_handling* m_wbinvd;
    std::unique_ptr<host_memory> m_host_memory;
    std::unique_ptr<ept_builder> m_ept;
    arm64_kvm_config m_arm64_cfg;
    const arm64_s2_policy* m_arm64_policy = nullptr;
    std::unique_ptr<arm64_stage2_builder> m_s2;
    memslot_table m_slots;
    noncoherent_dma m_nc;
    std::unique_ptr<kvm_vfio_device> m_vfio;
    std::vector<std::unique_ptr<kvm_virtio_device>> m_virtio;
    std::vector<vcpu_state> m_vcpus;
    mmio_handler* m_vmm = nullptr;
    std::function<memtype(std::uint64_t)> m_guest_mtrr;
    mtrr_state m_guest_mtrrs;
    bool m_assigned_device = false;
    bool m_iommu_snoop = false;
    std::unique_ptr<hypervisor_stats> m_stats;
};

} // namespace mtsim::kvm
