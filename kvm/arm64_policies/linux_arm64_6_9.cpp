// linux-arm64-6.9: Linux 6.9 to 6.16. A device frame whose VMA carries VM_ALLOW_ANY_UNCACHED
// (vfio-pci sets it on its BAR mmaps) is mapped Normal-NC at stage 2, so a guest's
// write-combining mapping of a BAR keeps gathering; other device frames stay Device-nGnRE.
// Device memory the guest maps cacheable is still forced non-cacheable.
#include "kvm/arm64_policy.h"
#include "model/registry.h"

namespace mtsim::kvm::arm64_policies {
namespace {

class linux_arm64_6_9 final : public arm64_s2_policy {
public:
    linux_arm64_6_9()
        : arm64_s2_policy(
              {"linux-arm64-6.9",
               "Linux 6.9-6.16 KVM/arm64: vfio-pci BARs (VM_ALLOW_ANY_UNCACHED) Normal-NC at "
               "stage 2, other device frames Device-nGnRE, RAM Normal-WB",
               "Linux 6.9, commit 8c47ce3e1d2c 'KVM: arm64: Set io memory s2 pte as normalnc "
               "for vfio pci device' (with 'vfio: Convert to use VM_ALLOW_ANY_UNCACHED'); "
               "docs/reference/arm64.md §2",
               609, false}) {}

    std::optional<kvm_refusal> memslot_refusal(const arm64_s2_inputs&) const override {
        return std::nullopt;
    }

    arm64_s2_decision choose(const arm64_s2_inputs& in) const override {
        if (!in.map_memory) {
            if (in.allow_any_uncached)
                return {arm64_s2_normal_nc,
                        "device frame, VMA VM_ALLOW_ANY_UNCACHED -> KVM_PGTABLE_PROT_NORMAL_NC "
                        "(Normal-NC)"};
            return {arm64_s2_device,
                    "device frame without VM_ALLOW_ANY_UNCACHED -> KVM_PGTABLE_PROT_DEVICE "
                    "(Device-nGnRE)"};
        }
        return {arm64_s2_cacheable, "memory in the linear map: Normal (cacheable)"};
    }
};

} // namespace

MTSIM_REGISTER(arm64_s2_policy, linux_arm64_6_9);

} // namespace mtsim::kvm::arm64_policies
