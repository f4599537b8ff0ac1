// Programs of a search space and their scenarios (docs/search.md, "Programs" and "Pruning").
// A program is a sequence of letters (space.h) over all agents; the generator turns it into a
// scenario in which the agents take turns in the sequence's order, each hand-off a
// synchronization the model knows (a CPU agent to the GPU: doorbell -> wait_doorbell; the GPU
// to a CPU agent: interrupt -> wait; CPU to CPU: signal -> wait), so every program is
// race-free by construction and a `race` verdict is a bug of this file.
// Contract: `canonical` is the one representative of a program's class under buffer renaming
// (symmetric buffers) and commuting independent letters (one agent, memory letters on
// different buffers); `programs(s, n, prune)` lists, in one deterministic order, the programs
// of length n that end in a checked read — with prune, only canonical ones that write and have
// no fence right after a fence of the same agent; without, all of them (the brute force).
#pragma once

#include <string>
#include <vector>

#include "search/space.h"

namespace mtsim::search {

using program = std::vector<int>; // indices into space::alphabet

bool independent(const space& s, int a, int b);
program canonical(const space& s, const program& p);
bool fence_after_fence(const space& s, const program& p);
bool ends_in_read(const space& s, const program& p);
bool writes(const space& s, const program& p); // has a store, NT store or DMA write

// Every program of length n in the order above; `all` counts |alphabet|^n programs before any
// rule, `canonical` those left by renaming and commuting, before the other rules.
struct level_count {
    unsigned long long all = 0, canonical = 0, kept = 0;
};
std::vector<program> programs(const space& s, unsigned n, bool prune, level_count* count = nullptr);

// "vcpu0.store(b0) gpu.read(b0)"
std::string describe(const space& s, const program& p);
unsigned distinct_ops(const space& s, const program& p);

// The scenario of program p: the space's fixed sections, its buffers (each with its first PAT
// type; the search's --set gives the others) and the agents' programs with their hand-offs.
std::string scenario_yaml(const space& s, const program& p);

} // namespace mtsim::search
