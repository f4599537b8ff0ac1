// linux-arm64-6.17: cacheable PFNMAP. A VM_PFNMAP/VM_MIXEDMAP device frame whose VMA is
// cacheable is mapped cacheable at stage 2 when the CPU has FEAT_S2FWB and CTR_EL0.DIC
// (kvm_supports_cacheable_pfnmap(): no cache maintenance needed); without them
// kvm_arch_prepare_memory_region() refuses the memslot (-EINVAL) instead of mapping it
// non-cacheable. Non-cacheable device VMAs are as in 6.9 (s2_force_noncacheable).
#include "kvm/arm64_policy.h"
#include "model/registry.h"

#include <cerrno>

namespace mtsim::kvm::arm64_policies {
namespace {

class linux_arm64_6_17 final : public arm64_s2_policy {
public:
    linux_arm64_6_17()
        : arm64_s2_policy(
              {"linux-arm64-6.17",
               "Linux >= 6.17 KVM/arm64: cacheable device memory cacheable at stage 2 with "
               "FEAT_S2FWB and DIC, refused without; vfio-pci BARs Normal-NC",
               "Linux 6.17, merge c535d132a30f 'kvm-arm64/cacheable-pfnmap' (KVM: arm64: Allow "
               "cacheable stage 2 mapping using VMA flags; Block cacheable PFNMAP mapping; "
               "f55ce5a6cd33 Expose new KVM cap for cacheable PFNMAP); docs/reference/arm64.md "
               "§2",
               617, true}) {}

    std::optional<kvm_refusal> memslot_refusal(const arm64_s2_inputs& in) const override {
        if (in.pfnmap && in.vma_cacheable && !cacheable_pfnmap_supported(in.caps))
            return kvm_refusal(
                EINVAL, "EINVAL", "KVM_SET_USER_MEMORY_REGION", "arm64.fwb",
                std::string("kvm_arch_prepare_memory_region(): a cacheable VM_PFNMAP VMA needs "
                            "kvm_supports_cacheable_pfnmap() (FEAT_S2FWB and CTR_EL0.DIC); "
                            "this host has ") +
                    (in.caps.fwb ? "FWB" : "no FWB") + " and " + (in.caps.dic ? "DIC" : "no DIC"));
        return std::nullopt;
    }

    arm64_s2_decision choose(const arm64_s2_inputs& in) const override {
        if (!in.map_memory && in.pfnmap && in.vma_cacheable) {
            if (!cacheable_pfnmap_supported(in.caps))
                throw std::logic_error("linux-arm64-6.17: a cacheable PFNMAP frame of a slot "
                                       "memslot_refusal() refuses reached user_mem_abort()");
            return {arm64_s2_cacheable,
                    "cacheable VM_PFNMAP VMA, FWB and DIC: Normal (cacheable) at stage 2"};
        }
        if (!in.map_memory) {
            if (in.allow_any_uncached)
                return {arm64_s2_normal_nc, "s2_force_noncacheable, VM_ALLOW_ANY_UNCACHED -> "
                                            "KVM_PGTABLE_PROT_NORMAL_NC (Normal-NC)"};
            return {arm64_s2_device,
                    "s2_force_noncacheable -> KVM_PGTABLE_PROT_DEVICE (Device-nGnRE)"};
        }
        return {arm64_s2_cacheable, "memory in the linear map: Normal (cacheable)"};
    }
};

} // namespace

MTSIM_REGISTER(arm64_s2_policy, linux_arm64_6_17);

} // namespace mtsim::kvm::arm64_policies
