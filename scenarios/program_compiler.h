// The program compiler: one CPU agent's scenario program (a vCPU's or the VMM's ops) into the
// cpu::program the agent executes. Contract: memory ops become loads, stores, fills and
// per-line flushes at the agent's linear addresses (guest linear = gpa for a vCPU, the VMM's
// mapping at vmm_hva_base + gpa for the VMM); every write op stores a byte pattern of its own
// from the run's pattern_source; synchronization and device ops become callbacks into
// `program_hooks`, which the platform implements (what they do at run time is not decided
// here). A doorbell through the virtio-gpu BAR is a real 4-byte UC store to the BAR (it exits
// to the VMM); through VFIO or from the VMM it is the hooks' direct doorbell.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cpu/agent.h"
#include "cpu/program.h"
#include "model/oracle.h"
#include "scenarios/device_plan.h"
#include "scenarios/scenario.h"

namespace mtsim::scenarios {

// What the compiled callbacks do when they run (in the agent's thread).
class program_hooks {
public:
    virtual ~program_hooks() = default;
    virtual void signal(agent_id a, const std::string& name) = 0;
    virtual void wait_signal(agent_id a, const std::string& name) = 0;
    // A VM exit that drains the pCPU's WC buffers, then signals `vm-pause`.
    virtual void vm_pause(agent_id a, cpu::agent& ag) = 0;
    // The VMM creates the KVM-VFIO device if needed and adds the GPU's file.
    virtual void hotplug(cpu::agent& ag) = 0;
    // The release half of a doorbell that travels as an MMIO store.
    virtual void release(agent_id a, const std::string& key) = 0;
    // A doorbell written straight to the device register (VFIO BAR, or the VMM).
    virtual void direct_doorbell(agent_id a, const std::string& key, std::uint32_t tail) = 0;
};

cpu::program compile_cpu_program(const scenario& s, const agent_program& p, agent_id id,
                                 const std::vector<std::uint32_t>& tails, pattern_source& patterns,
                                 program_hooks& hooks);

} // namespace mtsim::scenarios
