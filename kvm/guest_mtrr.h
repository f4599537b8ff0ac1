// The guest MTRRs KVM emulates (arch/x86/kvm/mtrr.c): what it reports in IA32_MTRRCAP. The
// hypervisor keeps the MSRs and handles the guest's WRMSR to them (kvm/guest_mtrr.cpp).
#pragma once

#include "model/mtrr.h"

namespace mtsim::kvm {

mtrr_config guest_mtrr_config();

} // namespace mtsim::kvm
