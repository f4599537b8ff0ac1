// One source of truth for each configuration fact. Some parameters of the blocks restate a
// fact of the platform: KVM's pCPU count and its view of self-snoop (CPUID.1:EDX.SS) are the
// machine's (platform.cache.pcpus, platform.cache.self_snoop); the line CLFLUSH* act on in a
// vCPU and in the VMM thread is the caches' line (platform.cache.line_size). Contract: the
// source is the only place such a fact is declared; the loader derives every restatement from
// it, so the resolved scenario (and the `config` a result records) holds what runs. A file or
// `--set` that gives a derived parameter a value other than its source's is refused with a
// config_error naming where it was given, the key and the fact it contradicts; giving it the
// same value is accepted. A --set that a block would ignore under this scenario (VT-d
// parameters without a pass-through GPU, virtio-only host settings with one, ...) is refused
// the same way.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "scenarios/scenario.h"

namespace mtsim::scenarios {

struct derived_fact {
    const char* key;    // the derived parameter
    const char* source; // the parameter it is derived from
};
const std::vector<derived_fact>& derived_facts();

// After the files, the host and the --set assignments: checks and derives (see above).
// `host_file`/`host_root`: the host file applied, for the line of a key it gives.
void derive_facts(scenario& s, const std::string& host_file, const YAML::Node& host_root,
                  const std::vector<std::string>& sets);

} // namespace mtsim::scenarios
