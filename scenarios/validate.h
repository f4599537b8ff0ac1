// Every check of a resolved scenario that spans sections, run once by load_scenario (after
// includes, host, --set and derived facts) before anything is built. What the model cannot
// hold or would only find at run time is refused here with FILE:LINE: key:
// - the blocks' own validate() (cache, DRAM, IOMMU, GPU, EPT) and the TLB geometry, at the
//   line of the parameter they name;
// - every memory op's range in 64-bit-safe arithmetic (offset + (repeat - 1) x stride + len),
//   repeat and pause within the limits below, and which agent may touch which buffer kind
//   (the GPU's DMA and the VMM's mapping reach memory only; a flush of a hole has no line);
// - the GPU's VRAM staging and ring capacity, the guest page tables at the top of guest RAM,
//   the address plan (scenarios/address_plan.h) and the guest linear-address width;
// - hot-plug: a `hotplug` op needs devices.gpu.mode vfio and a device not registered yet;
// - synchronization: every wait can be satisfied (validate_sync.cpp, an abstract run of the
//   programs over their synchronization ops only);
// - the host memory the run would take, against run.max_host_memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenarios/scenario.h"

namespace mtsim::scenarios {

// Repeats of one op: each becomes at least one instruction of the compiled program (or one
// GPU descriptor); 2^20 keeps one op's program under ~100 MiB (an assumption: ~64 bytes per
// compiled instruction, see estimate_host_memory).
inline constexpr std::uint64_t max_repeat = 1ULL << 20;
// Cycles of one `pause` and of all pauses of one program: 2^40 cycles at the slowest clock a
// block accepts (1 MHz) are 1.1e18 ps, below the 2^64 ps that SystemC's 64-bit sc_time holds
// at its 1 ps resolution, with room for the rest of the run.
inline constexpr std::uint64_t max_pause_cycles = 1ULL << 40;
// Guest linear = guest physical here; 4-level paging translates the canonical lower half
// below 2^47 (SDM vol. 3A §4.5, canonical addresses).
inline constexpr std::uint64_t guest_linear_limit = 1ULL << 47;

// The estimate of the host memory one run takes, by part (bytes), and its total.
struct memory_estimate {
    struct part {
        std::string what;
        std::string key; // the parameter or op that drives it
        std::uint64_t bytes = 0;
    };
    std::vector<part> parts;
    std::uint64_t total = 0;
};
memory_estimate estimate_host_memory(const scenario& s);
// run.max_host_memory, or half of this machine's physical memory when it is 0.
std::uint64_t host_memory_budget(const scenario& s);

// Throws config_error (FILE:LINE: key) for the first check that fails.
void validate_scenario(const scenario& s);
// Buffer types and x86-only keys against platform.arch (scenarios/arm64_scenario.h).
void validate_arch(const scenario& s);
// The synchronization check alone (validate_sync.cpp).
void validate_sync(const scenario& s);

// A config_error at the place `key` got its value (scenario::origins; the nearest set
// parameter under `key` when key is a section), else at the scenario file.
[[noreturn]] void fail_at(const scenario& s, const std::string& key, const std::string& message);

} // namespace mtsim::scenarios
