// How the hypervisor handles a guest WBINVD/WBNOINVD exit while the VM has non-coherent DMA
// (docs/reference/kvm-policy.md §2). With a count of 0 every variant does nothing: the
// hypervisor skips the instruction before asking. A variant is pure: from the vCPU's
// wbinvd_dirty_mask and the pCPU it exited on, it names the pCPUs that get a real WBINVD and
// the mask left behind; the hypervisor sends the flushes and pays for them. pCPUs join the
// mask on vcpu_load while the count is > 0 (common to all variants). One file per variant in
// kvm/wbinvd/, registered by name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mtsim::kvm {

using pcpu_mask = std::uint64_t; // bit p: physical CPU p

struct wbinvd_request {
    pcpu_mask dirty_mask = 0; // before the local pCPU is added
    unsigned local = 0;       // the pCPU the vCPU exited on
};

struct wbinvd_plan {
    pcpu_mask flush = 0;      // pCPUs that run a real WBINVD
    pcpu_mask mask_after = 0; // the vCPU's dirty mask afterwards
};

class wbinvd_handling {
public:
    virtual ~wbinvd_handling() = default;
    virtual std::string_view name() const = 0;
    virtual std::string_view description() const = 0; // one line
    virtual std::string_view source() const = 0;
    virtual wbinvd_plan plan(const wbinvd_request& r) const = 0;
};

// All registered variants, sorted by name; lookup by name (nullptr when unknown).
const std::vector<const wbinvd_handling*>& all_wbinvd_handlings();
const wbinvd_handling* find_wbinvd_handling(std::string_view name);
std::string wbinvd_handling_names();

} // namespace mtsim::kvm
