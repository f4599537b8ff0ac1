// The program compiler: one CPU agent's scenario program (a vCPU's or the VMM's ops) into the
// cpu::program the agent executes. Contract: memory ops become loads, stores, fills and
// per-line flushes at the agent's linear addresses (guest linear = gpa for a vCPU, the VMM's
// mapping at vmm_hva_base + gpa for the VMM); every write op stores a byte pattern of its own
// from the run's pattern_source; synchronization and device ops become callbacks into
// `program_hooks`, which the platform implements (what they do at run time is not decided
// here). A vCPU's doorbell is a 4-byte store to the doorbell register of the GPU's BAR
// through the guest's mapping of it (virtio-gpu: KVM exits to the VMM; VFIO: the store goes
// through EPT and the memory system's UC or WC path to the device), preceded by the release
// half of the doorbell in the oracle. With a pass-through GPU the driver first writes the
// doorbell's descriptors into the guest's ring buffer with ordinary 32-byte stores, at the
// `write_descriptors` op or, when the program has none for this doorbell, right before the
// doorbell store. `read_status` is a 4-byte load of the GPU's STATUS register through the
// same mapping (a driver's poll; the first access also has KVM build the BAR's EPT leaf).
// The VMM's doorbell is the same store through its own UC mapping of the BAR (the host
// driver's registers, vmm_bar_hva).
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
    // The VMM unplugs the GPU: removes its file from the KVM-VFIO device
    // (KVM_DEV_VFIO_FILE_DEL), or closes the KVM virtio device of a virtio-gpu.
    virtual void unplug(cpu::agent& ag) = 0;
    // The release half of a doorbell that travels as an MMIO store.
    virtual void release(agent_id a, const std::string& key) = 0;
};

// A load that names a register (docs/litmus.md): the index of its op in the program.
struct reg_slot {
    std::size_t op_index = 0;
    std::string reg;
};

// A store with `value:` stores those little-endian bytes instead of a pattern; each load
// with `reg:` is appended to *regs when regs is given.
cpu::program compile_cpu_program(const scenario& s, const agent_program& p, agent_id id,
                                 const gpu_ring_plan& ring, pattern_source& patterns,
                                 program_hooks& hooks, std::vector<reg_slot>* regs = nullptr);

} // namespace mtsim::scenarios
