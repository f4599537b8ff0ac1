// The configuration tree of a scenario: every key the loader accepts from a file or `--set`, with
// its description and range (model/config.h param_visitor). Keys of list-valued sections
// (buffers, programs, expect) are parsed by scenario_parts.cpp.
#include "scenarios/scenario.h"

namespace mtsim::scenarios {

void run_config::describe(param_visitor& v) {
    v.real("quantum_ns", quantum_ns, "TLM global quantum of every initiator", "ns", 0.001, 1e9);
    v.uint("seed", seed, "recorded with the result (the model draws no random numbers)", "");
    v.uint("perturb", perturb,
           "timing perturbation seed (docs/litmus.md): 0 none; else start offsets, store-buffer "
           "and deferred-flush drain delays and WC-buffer eviction vary, deterministically per "
           "seed",
           "");
    // Assumption: 400 ns spans a few DRAM round trips (model/dram.h), so two agents' first
    // accesses sometimes overlap and sometimes one agent finishes before the other starts.
    v.real("start_jitter_ns", start_jitter_ns,
           "with perturb: each agent's start is delayed uniformly in [0, this] after set-up "
           "(assumption: a few DRAM round trips)",
           "ns", 0.0, 1e9);
    // Checked against scenarios/validate.h's estimate before anything is built; the default
    // follows the machine so that a configuration this host cannot hold is refused, not swapped.
    v.size("max_host_memory", max_host_memory,
           "host memory a run may take (the estimate is checked before the run); 0: half of this "
           "machine's physical memory");
    // Assumption: the longest modelled path from the point of coherence to an uncached reader
    // (LLC + port wait + DRAM under load) is well below 1,000 cycles, so 10x that leaves no
    // doubt that a coherent reader would have seen the write.
    v.cycles("hang_cycles", hang_cycles,
             "a timed-out poll is a hang when its awaited value had reached the point of "
             "coherence this long before the poll's last read (the poller's clock)",
             1);
}

void platform_config::describe(param_visitor& v) {
    v.section("cache", cache);
    v.section("dram", dram);
    v.section("iommu", iommu);
    v.section("gpu", gpu);
    v.section("vcpu", vcpu);
    v.section("vmm", vmm);
    v.choice("arch", arch,
             "the vCPUs' architecture: x86 (guest paging x EPT) or arm64 (stage 1 x stage 2, "
             "KVM/arm64 hosts); a scenario runs only under hosts of its architecture",
             {"x86", "arm64"});
}

void host_config::describe(param_visitor& v) {
    v.text("description", description, "one line saying what this host is");
    v.section("kvm", kvm);
    v.section("arm64", arm64);
    v.flag("kvm_virtio_device", kvm_virtio_device,
           "the VMM registers a non-coherent virtio-gpu with a KVM virtio device (the KVM virtio "
           "device RFC)");
    v.flag("memslot_noncoherent", memslot_noncoherent,
           "the VMM flags the GPU's blob memslots KVM_MEM_NON_COHERENT_DMA (the "
           "KVM_MEM_NON_COHERENT_DMA proposal)");
    v.flag("vmm_pat_auto", vmm_pat_auto,
           "the VMM turns IGNORE_GUEST_PAT off where KVM offers it unless the VM has a Bochs "
           "display (decides kvm.quirk_ignore_guest_pat)");
    v.choice("refuse", refuse,
             "when KVM refuses a request of this host: error (exit 2) or skip (verdict refused)",
             {"error", "skip"});
}

void gpu_device_config::describe(param_visitor& v) {
    v.choice("mode", mode, "virtio: host-owned GPU behind virtio-gpu; vfio: pass-through",
             {"virtio", "vfio"});
    v.flag("no_snoop", no_snoop,
           "No-Snoop request of a read/write op's descriptor unless the op says no_snoop");
    v.flag("enable_no_snoop", enable_no_snoop,
           "vfio: PCIe Device Control Enable No Snoop (bit 11) as the guest driver sets it");
    v.flag("kvm_vfio", kvm_vfio, "vfio: the VMM creates the KVM-VFIO device and adds the file");
    v.flag("hotplug", hotplug, "vfio: KVM learns of the device only at the VMM's hotplug op");
    v.size("bar_gpa", bar_gpa, "guest-physical address of the GPU's BAR (4 KiB)");
    v.mem_type("bar_pat", bar_pat, "the guest's page type for its mapping of the GPU's BAR");
    v.text("ring", ring,
           "the guest buffer that holds the command ring (vfio: required; virtio: when the "
           "guest has one of that name, else the host writes the ring)");
    v.flag("ring_no_snoop", ring_no_snoop,
           "descriptor fetches from a ring in guest memory ask No-Snoop (gated by Enable No "
           "Snoop)");
}

void devices_config::describe(param_visitor& v) {
    v.section("gpu", gpu);
    v.choice("display", display,
             "the VM's display device as the VMM creates it: none, or bochs (bochs-display / "
             "stdvga, whose guest driver maps its framebuffer UC-)",
             {"none", "bochs"});
}

void guest_config::describe(param_visitor& v) {
    v.text("pat", pat, "IA32_PAT: linux, reset, or a 64-bit value");
    v.mem_type("mtrr_default", mtrr_default, "guest MTRR default type");
    v.flag("cr0_cd", cr0_cd, "guest CR0.CD");
    v.size("ram", ram, "guest RAM at gpa 0 (buffers of kind ram live here)", 1 * MiB, 1 * GiB);
}

void vmm_config::describe(param_visitor& v) {
    v.uint("pcpu", pcpu, "pCPU the VMM thread starts on", "", 0, 63);
    v.mem_type("pat", pat, "host PAT type of the VMM's mapping of guest memory");
    v.flag("pre_fault", pre_fault,
           "before the vCPUs run, the VMM maps all of guest RAM in the EPT with "
           "KVM_PRE_FAULT_MEMORY on vCPU 0 (Linux 6.10), from its own pCPU: no first-touch EPT "
           "violation in the run");
}

void scenario::describe(param_visitor& v) {
    v.section("run", run);
    v.section("platform", platform);
    v.section("host", host);
    v.section("devices", devices);
    v.section("guest", guest);
    v.section("vmm", vmm);
}

} // namespace mtsim::scenarios
