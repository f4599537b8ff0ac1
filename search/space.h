// A search space (docs/search.md is its reference): the fixed part of every generated
// scenario, the buffers and their PAT types, the agents and each one's alphabet, the axes of
// configuration (hosts and --set keys) and the bound k on a program's length.
// Contract: `load_space` reads a space file and checks everything it can see — keys, agents,
// ops, buffers, hosts — each error a config_error naming FILE:LINE and the key (the command
// turns it into exit 2 before anything runs). Nothing here writes or runs a scenario.
#pragma once

#include <string>
#include <vector>

#include "study/study.h"

namespace mtsim::search {

// One letter of an agent's alphabet: an op, on a buffer when it touches memory.
struct letter {
    std::string agent;  // vcpu0, vcpu1, ..., vmm, gpu
    std::string op;     // the op's name in the alphabet (store, nt_store, load, clflush, read, ...)
    int buffer = -1;    // index into space::buffers; -1 for ops on no buffer (fences, wbinvd)
    bool reads = false; // a read the oracle checks (load, DMA read)
    bool fence = false; // sfence or mfence
    bool writes = false;
};

struct buffer_decl {
    std::string name, kind, gpa, size;
    std::vector<std::string> pats; // the PAT types the search tries (an axis when more than one)
    // Buffers with the same kind, size and PAT list are interchangeable (renaming symmetry).
    std::string symmetry_class() const;
};

struct space {
    std::string file, name, description;
    std::string scenario_yaml; // the fixed sections of every generated scenario, as YAML text
    std::vector<buffer_decl> buffers;
    std::vector<std::string> agents; // in the file's order; the first CPU agent rings doorbells
    std::vector<letter> alphabet;    // every agent's letters, agents in order
    std::string len = "64";          // bytes each memory op touches (from offset 0)
    unsigned k = 3;                  // the longest program (letters over all agents)
    study::study base; // hosts, host_args, sets and axes (the PAT axes included) as a study's
};

// The op names an agent may have in its alphabet.
const std::vector<std::string>& cpu_ops();
const std::vector<std::string>& gpu_ops();

space load_space(const std::string& file);

} // namespace mtsim::search
