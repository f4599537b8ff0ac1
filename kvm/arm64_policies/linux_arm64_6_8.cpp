// linux-arm64-6.8: user_mem_abort() of Linux up to 6.8 (arch/arm64/kvm/mmu.c). A frame outside
// the kernel's linear map (kvm_is_device_pfn()) is mapped KVM_PGTABLE_PROT_DEVICE,
// Device-nGnRE, whatever the VMA says: a vfio-pci BAR the guest maps Normal-NC (write
// combining) loses gathering, and coherent device memory the guest maps Normal-WB loses
// cacheability. Everything else is Normal (forced WB with FWB).
#include "kvm/arm64_policy.h"
#include "model/registry.h"

namespace mtsim::kvm::arm64_policies {
namespace {

class linux_arm64_6_8 final : public arm64_s2_policy {
public:
    linux_arm64_6_8()
        : arm64_s2_policy({"linux-arm64-6.8",
                           "Linux <= 6.8 KVM/arm64: device frames (vfio-pci BARs, device memory) "
                           "Device-nGnRE at stage 2, RAM Normal-WB",
                           "Linux 6.8, arch/arm64/kvm/mmu.c user_mem_abort(): "
                           "device = kvm_is_device_pfn(pfn) -> KVM_PGTABLE_PROT_DEVICE; "
                           "docs/reference/arm64.md §2",
                           608, false}) {}

    // Linux 6.8 kvm_arch_prepare_memory_region() accepts a VM_PFNMAP VMA whatever its
    // cacheability (the device check is at fault time).
    std::optional<kvm_refusal> memslot_refusal(const arm64_s2_inputs&) const override {
        return std::nullopt;
    }

    arm64_s2_decision choose(const arm64_s2_inputs& in) const override {
        if (!in.map_memory)
            return {arm64_s2_device,
                    "kvm_is_device_pfn(): not in the linear map -> KVM_PGTABLE_PROT_DEVICE "
                    "(Device-nGnRE)"};
        return {arm64_s2_cacheable, "memory in the linear map: Normal (cacheable)"};
    }
};

} // namespace

MTSIM_REGISTER(arm64_s2_policy, linux_arm64_6_8);

} // namespace mtsim::kvm::arm64_policies
