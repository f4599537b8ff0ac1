// `mtsim walk`: one 2-D translation of one vCPU, shown step by step. The scenario's platform
// is elaborated as for a run (devices registered with KVM at the start of the simulation) but
// its programs do not run. KVM builds the EPT the way it does at run time: the vCPU's MMU
// translates the address and every EPT violation on a RAM memslot goes to the hypervisor,
// which builds the leaf, until the walk translates or stops (misconfiguration, guest #PF,
// a violation KVM does not resolve by building a leaf). Then the scenario's raw EPT entries
// are written (KVM's write_raw_ept, INVEPT), the TLB and paging-structure caches are flushed,
// and the walk that is shown runs: cold translation caches, data caches as the build left
// them.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "cpu/ept.h"
#include "scenarios/scenario.h"

namespace mtsim::scenarios {

struct walk_request {
    unsigned vcpu = 0;
    std::uint64_t gva = 0;
    cpu::access_kind kind = cpu::access_kind::read;
};

// The vCPUs of a scenario (its vcpuN programs).
unsigned vcpu_count(const scenario& s);
// Whether the builder's guest tables map gva (a buffer's pages or the GPU's BAR page).
bool guest_maps(const scenario& s, std::uint64_t gva);

// Elaborates and simulates in this process (once per process, as SystemC requires). The
// result: scenario, host, vcpu, gva, access, build (violations KVM handled first), steps,
// references, cycles, outcome; translated: gpa, hpa, effective type and its derivation, the
// policy decision of the EPT leaf; otherwise exit: reason, description, qualification or error
// code with its bits decoded. A request naming a vCPU the scenario lacks throws
// std::invalid_argument.
nlohmann::json walk_scenario(const scenario& s, const walk_request& r);

// Human-readable form of a walk result.
std::string format_walk(const nlohmann::json& w);

} // namespace mtsim::scenarios
