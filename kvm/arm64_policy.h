// The stage-2 memory-attribute policy of KVM/arm64: decides the stage-2 attribute of one guest
// frame from the facts Linux arch/arm64/kvm/mmu.c user_mem_abort() looks at, and what
// kvm_arch_prepare_memory_region() refuses when the VMM registers the memslot. A policy is pure:
// it must not touch stage-2 tables, caches or counters. One policy per file in
// kvm/arm64_policies/, registered by name (model/registry.h); docs/reference/arm64.md §2.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvm/quirks.h"
#include "model/arm64_memtype.h"
#include "model/params.h"

namespace mtsim::kvm {

// The host CPU's features KVM/arm64 reads (ID_AA64MMFR2_EL1.FWB, CTR_EL0.DIC). KVM sets
// HCR_EL2.FWB whenever the CPU has FEAT_S2FWB (cpucap ARM64_HAS_STAGE2_FWB).
struct arm64_host_caps {
    bool fwb = true;
    bool dic = true;
};

// One frame as user_mem_abort() sees it: the VMA that backs the memslot and the frame.
struct arm64_s2_inputs {
    arm64_host_caps caps{};
    // pfn_is_map_memory(pfn): the frame is in the kernel's linear map (RAM). Device memory
    // (a PCI BAR, a C2C/CXL-attached GPU's memory) is not; kvm_is_device_pfn() is the negation.
    bool map_memory = true;
    // The VMA is VM_PFNMAP or VM_MIXEDMAP (vfio-pci's mmap of a BAR or of device memory).
    bool pfnmap = false;
    // The VMA's page protection is cacheable (MT_NORMAL or MT_NORMAL_TAGGED:
    // kvm_vma_is_cacheable()), as a vfio variant driver sets it for coherent device memory.
    bool vma_cacheable = true;
    // VM_ALLOW_ANY_UNCACHED: the driver lets KVM map the frame Normal-NC (vfio-pci sets it on
    // its BAR mmaps from Linux 6.9).
    bool allow_any_uncached = false;
};

struct arm64_s2_decision {
    arm64_s2 s2{};   // the stage-2 attribute written into the descriptor's MemAttr
    std::string why; // one line: the branch of user_mem_abort() that decided
};

// What a policy declares besides its decision.
struct arm64_policy_info {
    std::string_view name;
    std::string_view description; // one line
    std::string_view source;      // kernel release and commit
    unsigned order = 0;           // the Linux release, major * 100 + minor (6.17 -> 617)
    // KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED exists in this kernel (6.17+).
    bool cacheable_pfnmap_cap = false;
};

// A policy is one file in kvm/arm64_policies/: a class derived from arm64_s2_policy that passes
// its arm64_policy_info and implements choose(), registered with
// MTSIM_REGISTER(arm64_s2_policy, class).
class arm64_s2_policy {
public:
    explicit arm64_s2_policy(const arm64_policy_info& info) : m_info(info) {}
    virtual ~arm64_s2_policy() = default;
    arm64_s2_policy(const arm64_s2_policy&) = delete;
    arm64_s2_policy& operator=(const arm64_s2_policy&) = delete;

    const arm64_policy_info& info() const { return m_info; }
    std::string_view name() const { return m_info.name; }
    std::string_view description() const { return m_info.description; }
    std::string_view source() const { return m_info.source; }
    unsigned order_key() const { return m_info.order; }

    // KVM_SET_USER_MEMORY_REGION for a slot backed by a VMA like `in`: what
    // kvm_arch_prepare_memory_region() refuses, with its errno; nullopt when accepted.
    virtual std::optional<kvm_refusal> memslot_refusal(const arm64_s2_inputs& in) const = 0;
    // The stage-2 attribute of a frame of an accepted slot (user_mem_abort()); with FWB
    // the Normal types are the FWB encodings (forced WB, NC, as-s1).
    virtual arm64_s2_decision choose(const arm64_s2_inputs& in) const = 0;
    // KVM_CHECK_EXTENSION(KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED): 0 where the kernel lacks the
    // capability, else kvm_supports_cacheable_pfnmap() (FWB and DIC).
    bool cacheable_pfnmap_supported(const arm64_host_caps& caps) const {
        return m_info.cacheable_pfnmap_cap && caps.fwb && caps.dic;
    }

private:
    arm64_policy_info m_info;
};

// The attribute KVM writes for memory it maps cacheable (arch/arm64/kvm/hyp/pgtable.c
// stage2_set_prot_attr(), KVM_S2_MEMATTR(pgt, NORMAL)): Normal-WB, whose encoding is
// MT_S2_FWB_NORMAL (forced WB) with FWB and MT_S2_NORMAL (0xf, the type left to stage 1)
// without it (model/arm64_attr.h encode_s2_memattr()).
inline constexpr arm64_s2 arm64_s2_cacheable{false, arm64_memtype::normal_wb};
// KVM_PGTABLE_PROT_DEVICE: Device-nGnRE (MT_S2_DEVICE_nGnRE, MT_S2_FWB_DEVICE_nGnRE).
inline constexpr arm64_s2 arm64_s2_device{false, arm64_memtype::device_ngnre};
// KVM_PGTABLE_PROT_NORMAL_NC: Normal-NC (MT_S2_NORMAL_NC, MT_S2_FWB_NORMAL_NC).
inline constexpr arm64_s2 arm64_s2_normal_nc{false, arm64_memtype::normal_nc};

// The KVM/arm64 part of a host (the `host.arm64` section): the stage-2 policy by name, "none"
// for an x86 host, and the CPU features KVM reads.
struct arm64_kvm_config {
    std::string policy = "none";
    arm64_host_caps caps{};
    bool is_arm64() const { return policy != "none"; }
    void describe(param_visitor& v);
};

// All registered arm64 policies, by release; nullptr for an unknown name; names joined.
const std::vector<const arm64_s2_policy*>& all_arm64_policies();
const arm64_s2_policy* find_arm64_policy(std::string_view name);
std::string arm64_policy_names();

} // namespace mtsim::kvm
