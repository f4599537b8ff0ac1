// The scenario language (scenarios/README.md is its reference): a YAML file resolved into one
// `scenario` value. Every block parameter is reachable through the blocks' own describe()
// (platform.*, host.*), so a file, an include and `--set a.b.c=v` accept the same keys; the
// parts that are lists (guest buffers, programs, expectations) are parsed here with the YAML
// marks. Every error is a config_error naming file:line and the dotted key; nothing is built
// before the whole scenario resolved.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cache/cache_config.h"
#include "cpu/vcpu.h"
#include "gpu/gpu_config.h"
#include "iommu/vtd.h"
#include "kvm/arm64_policy.h"
#include "kvm/hypervisor.h"
#include "litmus/condition.h"
#include "model/config.h"
#include "model/dram.h"
#include "model/oracle_verdict.h"

namespace mtsim::scenarios {

struct run_config {
    double quantum_ns = 100.0; // tlm_global_quantum
    std::uint64_t seed = 0;    // recorded with the result; the model draws no random numbers
    // Timing perturbation seed (docs/litmus.md): 0 none; else the blocks draw their jitter
    // from deterministic streams of it.
    std::uint64_t perturb = 0;
    double start_jitter_ns = 400.0; // with perturb: each agent starts up to this much later
    // The host memory a run may take (scenarios/validate.h estimates it before anything is
    // built); 0: half of this machine's physical memory.
    std::uint64_t max_host_memory = 0;
    // A poll that timed out is a `hang` when a write of its awaited value had reached the point
    // of coherence at least this many cycles (the poller's clock) before its last read.
    cycles hang_cycles{10000};
    void describe(param_visitor& v);
};

struct platform_config {
    memory_system_config cache;
    dram_config dram;
    iommu::vtd_config iommu;
    gpu::dma_engine_config gpu;
    cpu::vcpu_config vcpu;
    cpu::agent_config vmm;
    std::string arch = "x86"; // x86 | arm64
    void describe(param_visitor& v);
};

// A host: the KVM policy, its WBINVD handling and quirks, and what the VMM does for a
// non-coherent GPU. hypervisor pcpus and self_snoop are taken from the platform.
struct host_config {
    std::string description;
    kvm::hypervisor_config kvm;
    kvm::arm64_kvm_config arm64;    // an arm64 host: its stage-2 policy and CPU features
    bool kvm_virtio_device = false; // VMM creates the KVM virtio device (an RFC, not merged)
    // VMM flags the GPU's blob memslots KVM_MEM_NON_COHERENT_DMA (a proposal, not merged)
    bool memslot_noncoherent = false;
    // The VMM turns KVM_X86_QUIRK_IGNORE_GUEST_PAT off where KVM offers it, unless the VM has a
    // Bochs display (QEMU series "i386/kvm: Honor guest PAT on x86, absent Bochs display", 2025):
    // kvm.quirk_ignore_guest_pat is then decided from devices.display (scenarios/derived.h).
    bool vmm_pat_auto = false;
    // When KVM refuses one of this host's requests (kvm/quirks.h): "error" makes the run a
    // bad-input error (exit 2); "skip" makes its verdict `refused`, with the errno and reason.
    std::string refuse = "error";
    void describe(param_visitor& v);
};

struct gpu_device_config {
    std::string mode = "virtio"; // virtio | vfio
    bool no_snoop = true;        // the default No-Snoop request of a read/write op's descriptor
    bool enable_no_snoop = true; // vfio: Device Control bit 11 as the guest driver sets it
    bool kvm_vfio = true;        // vfio: the VMM creates the KVM-VFIO device and adds the file
    bool hotplug = false;        // vfio: KVM registration waits for a `hotplug` op
    std::uint64_t bar_gpa = 0xfe000000;
    memtype bar_pat = memtype::uc; // the guest's page type for its mapping of the BAR
    std::string ring = "ring";     // vfio: the guest buffer holding the command ring
    bool ring_no_snoop = false;    // vfio: descriptor fetches ask No-Snoop (RING_CTL bit 0)
    void describe(param_visitor& v);
};

struct devices_config {
    gpu_device_config gpu;
    std::string display = "none"; // the VM's display device: none | bochs (bochs-display/VGA)
    void describe(param_visitor& v);
};

struct guest_config {
    std::string pat = "linux"; // "linux", "reset" or a 64-bit IA32_PAT value
    memtype mtrr_default = memtype::wb;
    bool cr0_cd = false;
    std::uint64_t ram = 16 * MiB;
    void describe(param_visitor& v);
};

struct vmm_config {
    unsigned pcpu = 1;
    memtype pat = memtype::wb; // the VMM's host PAT type for guest memory
    // Before the vCPUs run, the VMM maps guest RAM in the EPT with KVM_PRE_FAULT_MEMORY
    // (kvm/pre_fault.cpp), so no first touch exits: what litmus tests need (docs/litmus.md).
    bool pre_fault = false;
    void describe(param_visitor& v);
};

// device_bar, device_coherent (arm64): device memory a vfio-pci mmap backs (VM_PFNMAP, not in
// the host's linear map): a prefetchable BAR's memory (VMA uncached, VM_ALLOW_ANY_UNCACHED) or
// coherent device memory a vfio variant driver maps cacheable (docs/reference/arm64.md §2).
enum class buffer_kind : std::uint8_t {
    ram,
    blob,
    pci_hole,
    mmio_hole,
    vga_window,
    device_bar,
    device_coherent
};

struct buffer {
    std::string name;
    buffer_kind kind = buffer_kind::ram;
    std::uint64_t gpa = 0;
    std::uint64_t size = 0;
    memtype pat = memtype::wb; // the guest's page type
    // The `pat` key named an x86 type (checked against platform.arch: arm64 takes arm64 types).
    bool pat_given = false;
    // arm64: the stage-1 type (MAIR_EL1 attribute) the `pat` key named, Normal-WB when absent.
    std::optional<arm64_memtype> s1;
    unsigned line = 0; // source line
    arm64_memtype s1_type() const { return s1.value_or(arm64_memtype::normal_wb); }
};

enum class op_type : std::uint8_t {
    load,
    store,
    fill,
    nt_fill,
    clflush,
    clflushopt,
    clwb,
    sfence,
    mfence,
    wbinvd,
    wbnoinvd,
    invd,
    doorbell,
    write_descriptors,
    read_status,
    signal,
    wait,
    vm_pause,
    migrate,
    hotplug,
    pause,
    gpu_wait_doorbell,
    gpu_read,
    gpu_write,
    gpu_interrupt,
    label, // a named point of a CPU program (cpu::program::mark): where a `measure:` starts/ends
    poll,
    unplug,
    xchg,     // XCHG: a locked exchange (docs/litmus.md)
    lock_add, // LOCK XADD: a locked add
    wrmsr,    // WRMSR to a guest MTRR: msr in `value`, the written value in `store_value`
    // arm64 only (platform.arch arm64; cpu/program.h):
    dc,    // DC CIVAC | CVAC | IVAC per line of the range (`op:`, kept in `name`)
    dsb,   // DSB SY
    dmb,   // DMB SY
    ldxr,  // LDXR: load-exclusive (reg: the value)
    stxr,  // STXR: store-exclusive of value (reg: the status, 0 = stored)
    ldadd, // LDADD: atomic add of value (reg: the old value)
    cas,   // CAS: stores value when the old value equals expect (reg: the old value)
};

struct scenario_op {
    op_type type = op_type::pause;
    std::string buffer; // memory ops
    std::uint64_t offset = 0;
    std::uint64_t len = 0; // 0: to the buffer's end
    unsigned repeat = 1;
    std::uint64_t stride = 0;
    std::optional<bool> no_snoop;       // gpu read / write: the descriptor's No-Snoop request
    std::string name;                   // signal / wait / interrupt key
    std::uint64_t value = 0;            // migrate: pCPU; pause: cycles; poll: max_cycles
    std::optional<std::uint64_t> until; // poll: the awaited value (little-endian, len bytes)
    // load / gpu read: the register the first len (<= 8) bytes go to (docs/litmus.md)
    std::string reg;
    std::optional<std::uint64_t> store_value; // store: len little-endian bytes of this value
    std::optional<std::uint64_t> compare;     // cas: the expected old value
    unsigned line = 0;
};

// A raw page-table entry edit (`guest.raw_pte`, `raw_ept`): the entry at `level` on the path
// of `address` (a gva for guest tables, a gpa for EPT) becomes `value`, or its current value
// with `clear` bits cleared and then `set` bits set. How a scenario produces every guest #PF,
// EPT violation and EPT misconfiguration on purpose.
struct raw_entry {
    std::uint64_t address = 0;
    unsigned level = 1;
    std::optional<std::uint64_t> value;
    std::uint64_t set = 0;
    std::uint64_t clear = 0;
    unsigned line = 0;
    std::uint64_t apply(std::uint64_t current) const {
        return value ? *value : (current & ~clear) | set;
    }
};

// A litmus test's section (docs/litmus.md): locations whose final values the result reports,
// the condition over registers and locations, and what x86-TSO says of it.
struct litmus_section {
    bool present = false;
    std::vector<std::pair<std::string, unsigned>> locations; // buffer name, bytes (1..8)
    litmus::condition cond;
    std::string expect; // "allow", "forbid" or empty
    unsigned line = 0;
};

struct agent_program {
    std::string agent; // vcpuN | vmm | gpu
    unsigned pcpu = 0;
    std::vector<scenario_op> ops;
};

// `measure: {agent, from, to}`: the cost a study compares is the agent's time from the
// program label `from` to the label `to` (label ops of that agent's program).
struct measure_spec {
    std::string agent, from, to;
    unsigned line = 0;
};

struct scenario {
    std::string file;
    std::string name; // `name:`, else scenario_name(file)
    std::string description;
    // field (default): a case from the field, hosts may differ; model-check: exercises a
    // mechanism of the model and is expected to give the same verdict under every host.
    std::string kind = "field";
    std::string host_name;
    bool host_inline = false; // the file holds the host section (`host:` as a mapping)
    run_config run;
    platform_config platform;
    host_config host;
    devices_config devices;
    guest_config guest;
    vmm_config vmm;
    std::vector<buffer> buffers;
    std::vector<raw_entry> raw_ptes;     // guest.raw_pte: applied after the guest tables are built
    std::vector<raw_entry> raw_ept;      // raw_ept: applied after KVM's devices are set up
    std::vector<agent_program> programs; // vCPUs first, then vmm, then gpu
    std::map<std::string, verdict> expect; // host -> verdict; "default"
    std::set<std::string> expect_refused;  // hosts whose requests KVM is expected to refuse
    litmus_section litmus;
    std::optional<measure_spec> measure;
    std::vector<std::string> sets;
    param_origins origins; // where each parameter set by a file, a host or --set got its value

    const buffer& find_buffer(const std::string& name) const;
    std::optional<verdict> expected_for(const std::string& host) const;
    // The expected verdict's name under `host` ("refused" included), empty when none.
    std::string expected_text(const std::string& host) const;
    // Every parameter reachable by --set, as one tree (run, platform, host, devices, guest, vmm).
    void describe(param_visitor& v);
};

// The folder of host files (scenarios/hosts/), from MTSIM_HOSTS_DIR or the source tree.
std::string hosts_dir();
// Every host: one per file in hosts/, plus one of its own name (the hypervisor's defaults) for
// each registered policy that no host file runs. Ordered by the policy registry (the release a
// policy models, kvm/policy.h), then the policy's own-name host, then by name.
std::vector<std::string> host_names();
// Whether `name` is one of host_names(): a host file's name is answered from the folder without
// parsing every host file (a run's loader asks twice; the matrix once per cell).
bool is_host_name(const std::string& name);
// The host section of host `name` (its file, or the default host of a policy without one).
// Throws config_error for an unknown host.
host_config load_host(const std::string& name);

// "arm64" for a host with a stage-2 policy (host.arm64.policy), else "x86".
std::string host_arch(const host_config& h);
// Why the scenario cannot run under its host because their architectures differ (the matrix
// prints the cell `n/a`); "" when they agree.
std::string arch_mismatch(const scenario& s);
// Before a platform is built: a config_error (platform.arch) for an architecture mismatch,
// not_modelled for an arm64 platform (no arm64 vCPU exists yet).
void require_runnable(const scenario& s);

// True when a --host value names a host file (it holds a '/'), not a host of the hosts folder.
bool is_host_file(const std::string& host);

// Loads FILE, its includes, the host (host_override when not empty, else the file's `host:`,
// else linux-6.16; a host_override that is_host_file is read from that file, and the host's
// name is its stem) and the --set assignments. Throws config_error.
scenario load_scenario(const std::string& file, const std::string& host_override,
                       const std::vector<std::string>& sets);

// An op's name in the scenario language ("load", "wait_doorbell", ...).
const char* op_name_of(op_type t);
// Ops that name a buffer, offset, len, repeat and stride.
bool is_memory_op(op_type t);
// The only architecture an op has a meaning on ("x86" or "arm64"), nullptr when both
// (scenarios/op_arch.cpp).
const char* op_arch(op_type t);

// A scenario's name: the file's stem without a leading ordering prefix ("07a-", "11-"), which
// only orders the catalogue.
std::string scenario_name(const std::string& file);

// The first line of the file's `description:` (for `mtsim list scenarios`).
std::string describe_file(const std::string& file);

} // namespace mtsim::scenarios
