// A virtual CPU: the engine of cpu/agent.h running guest code in VMX non-root mode. Every
// access is translated by its MMU (guest paging with PAT x EPT with type and IPAT), whose
// paging-structure references go through the same pCPU port as the data (typed by the
// walker); a translation that does not complete becomes a VM exit handed to the hypervisor
// (model/vm_exit.h). Its caches are the caches of the pCPU it currently runs on.
//
// Promises:
// - EPT violation / misconfiguration: the vCPU drains its store buffer and deferred flushes,
//   drains the pCPU's WC buffers (a VM exit does), synchronizes its quantum keeper and calls
//   the handler with the gpa, the qualification (violations) and, on a final translation, the
//   access's size, direction and bytes. retry re-translates; emulated completes the access with
//   the handler's bytes (loads) or drops it (stores, CLFLUSH*); resume is refused.
// - A guest #PF is refused with an error naming the gva (scenarios do not expect guest faults).
// - WBINVD / WBNOINVD exit (WBINVD exiting is on); the hypervisor decides what to flush. INVD
//   is refused: it exits unconditionally (basic reason 13), which model/vm_exit.h does not
//   carry.
// - Migration: drain, serialize on the old pCPU, handler.vcpu_load(vcpu, new pCPU), then the
//   new pCPU's port (its caches). The first run also calls vcpu_load.
// - The program's end is an HLT exit.
#pragma once

#include <cstdint>
#include <memory>

#include "cpu/agent.h"
#include "cpu/arm64_mmu.h"
#include "cpu/mmu.h"
#include "model/table_memory.h"
#include "model/vm_exit.h"

namespace mtsim::cpu {

// A vCPU's MMU keeps no walk steps by default: the runtime never reads them, and copying up to
// 24 per TLB miss is a cost of every walk. A `mtsim walk` view sets mmu.walk.record_steps.
inline mmu_config vcpu_mmu_defaults() {
    mmu_config m;
    m.walk.record_steps = false;
    return m;
}

struct vcpu_config {
    agent_config core;
    mmu_config mmu = vcpu_mmu_defaults();
    bool user_mode = false; // guest accesses are made at CPL 3 (else supervisor)
    void describe(param_visitor& v) {
        v.section("core", core);
        v.section("mmu", mmu);
        v.flag("user_mode", user_mode, "guest accesses run at CPL 3 (user) instead of CPL 0");
    }
};

class vcpu : public agent, public vcpu_control, private table_memory {
public:
    vcpu(const sc_core::sc_module_name& name, const vcpu_config& cfg, const agent_setup& setup);

    // Before the simulation starts (the handler is mandatory).
    void set_handler(vm_exit_handler& h) { m_handler = &h; }
    // Guest CR3, IA32_PAT, CR0.CD/WP, EFER.NXE, CR4.PGE. No TLB invalidation (as WRMSR PAT).
    void set_guest_regs(const guest_regs& r) { m_mmu->set_guest_regs(r); }
    const guest_regs& regs() const { return m_mmu->regs(); }
    cpu::mmu& mmu() { return *m_mmu; }
    // WRMSR of an MSR the hypervisor intercepts (the guest's MTRRs): an exit with reason 32,
    // from the agent's thread (a program callback), after the store buffer and WC buffers
    // drained; the quantum keeper carries the exit's cost.
    void wrmsr(std::uint32_t msr, std::uint64_t value);
    // arm64 (before the simulation starts, before the hypervisor attaches the vCPU): the
    // vCPU's accesses go through the stage-1 x stage-2 MMU (cpu/arm64_mmu.h) with these EL1
    // registers and HCR_EL2.FWB; the x86 MMU is not used. A stage-2 abort exits as
    // ept_violation with ESR_EL2 in vm_exit::esr; a stage-1 fault is refused like a guest #PF.
    void set_arm64(const arm64_regs& r);
    bool is_arm64() const { return m_arm64 != nullptr; }
    arm64_mmu& arm64() { return *m_arm64; }

    // vcpu_control
    unsigned vcpu_id() const override { return id(); }
    unsigned current_pcpu() const override { return pcpu(); }
    void invept() override {
        m_mmu->invept();
        if (m_arm64) m_arm64->invalidate_all();
    }
    void load_eptp(std::uint64_t raw) override { m_mmu->load_eptp(raw); }
    void load_vttbr(std::uint64_t raw) override;

    counter m_exits{this, "exits", "VM exits taken (all reasons)", "exits"};
    counter m_exits_violation{this, "exits_ept_violation", "EPT-violation exits", "exits"};
    counter m_exits_misconfig{this, "exits_ept_misconfig", "EPT-misconfiguration exits", "exits"};
    counter m_exits_wbinvd{this, "exits_wbinvd", "WBINVD/WBNOINVD/INVD exits", "exits"};
    counter m_exit_cycles{this, "exit_cycles", "cycles the hypervisor charged for exits", "cycles"};
    counter m_migrations{this, "migrations", "moves to another pCPU", "moves"};

protected:
    xlate_status translate(std::uint64_t la, access_kind kind, std::uint8_t* data, unsigned len,
                           xlate& out) override;
    void whole_cache_op(op_code c) override;
    void on_start() override;
    void on_migrate(unsigned from, unsigned to) override;
    void on_finish() override;
    void before_start_check() const override;

private:
    // table_memory: the walker's references through the current pCPU's port.
    std::uint64_t read_entry(std::uint64_t pa, const access_ext& ext,
                             sc_core::sc_time& delay) override;
    void write_entry(std::uint64_t pa, std::uint64_t value, const access_ext& ext,
                     sc_core::sc_time& delay) override;

    exit_outcome take_exit(vm_exit& e);
    xlate_status translate_arm64(std::uint64_t la, access_kind kind, std::uint8_t* data,
                                 unsigned len, xlate& out);
    xlate_status finish_exit(vm_exit& e);

    vcpu_config m_vcfg;
    std::unique_ptr<cpu::mmu> m_mmu;
    std::unique_ptr<arm64_mmu> m_arm64;
    vm_exit_handler* m_handler = nullptr;
};

} // namespace mtsim::cpu
