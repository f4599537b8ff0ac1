// `mtsim walk` for an arm64 scenario: the stage-1 x stage-2 part of scenarios/walk.h.
#pragma once

#include <nlohmann/json.hpp>
#include <systemc>

#include "scenarios/builder.h"
#include "scenarios/walk.h"

namespace mtsim::scenarios {

// Runs in the walk's thread: KVM/arm64 builds the stage-2 leaves the walk needs, the TLB is
// invalidated, the shown walk runs. The result: build, steps, references, cycles, outcome;
// translated: ipa, pa, stage1 (level, AttrIndx, MAIR attribute, type), stage2 (level, MemAttr,
// FWB, attribute, the policy's decision), the combined type with the rule's steps and the
// memory system's type and Device properties; otherwise the fault with ESR_EL2 and HPFAR_EL2.
nlohmann::json arm64_walk(platform& p, const walk_request& r, sc_core::sc_time& d);
std::string format_arm64_walk(const nlohmann::json& w);

} // namespace mtsim::scenarios
