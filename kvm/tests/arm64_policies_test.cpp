// KVM/arm64 stage-2 policies: every input of user_mem_abort() the policies read, per era,
// against a table written here from the kernels (docs/reference/arm64.md §2), and the seed's
// consequences once stage 1 is combined (model/arm64_memtype.h).
#include <doctest/doctest.h>

#include <string>

#include "kvm/arm64_policy.h"
#include "model/arm64_attr.h"

using namespace mtsim;
using namespace mtsim::kvm;

namespace {

// "WB" cacheable, "NC" Normal-NC, "D1" Device-nGnRE, "EINVAL" the memslot is refused.
std::string expected(const std::string& era, const arm64_s2_inputs& in) {
    const bool device = !in.map_memory;
    if (era == "6.17" && in.pfnmap && in.vma_cacheable && !(in.caps.fwb && in.caps.dic))
        return "EINVAL";
    if (!device) return "WB";
    if (era == "6.8") return "D1";
    if (era == "6.17" && in.pfnmap && in.vma_cacheable) return "WB";
    return in.allow_any_uncached ? "NC" : "D1";
}

std::string decided(const arm64_s2_policy& p, const arm64_s2_inputs& in) {
    if (p.memslot_refusal(in)) return "EINVAL";
    const arm64_s2 s2 = p.choose(in).s2;
    REQUIRE_FALSE(s2.as_s1);
    if (s2.type == arm64_memtype::normal_wb) return "WB";
    if (s2.type == arm64_memtype::normal_nc) return "NC";
    if (s2.type == arm64_memtype::device_ngnre) return "D1";
    return "?";
}

const arm64_s2_policy& policy(const char* name) {
    const arm64_s2_policy* p = find_arm64_policy(name);
    REQUIRE(p != nullptr);
    return *p;
}

} // namespace

TEST_CASE("arm64 policies: registered by release with sources") {
    const auto& all = all_arm64_policies();
    REQUIRE(all.size() >= 3);
    CHECK(arm64_policy_names().find("linux-arm64-6.8, linux-arm64-6.9, linux-arm64-6.17") == 0);
    for (const arm64_s2_policy* p : all) {
        CHECK_FALSE(p->description().empty());
        CHECK(p->source().find("Linux") != std::string_view::npos);
    }
    CHECK(find_arm64_policy("linux-6.16") == nullptr);
}

TEST_CASE("arm64 policies: every input of user_mem_abort per era") {
    const std::pair<const char*, const char*> eras[] = {
        {"6.8", "linux-arm64-6.8"}, {"6.9", "linux-arm64-6.9"}, {"6.17", "linux-arm64-6.17"}};
    for (const auto& [era, name] : eras)
        for (unsigned bits = 0; bits < 64; ++bits) {
            arm64_s2_inputs in;
            in.caps.fwb = bits & 1;
            in.caps.dic = bits & 2;
            in.map_memory = bits & 4;
            in.pfnmap = bits & 8;
            in.vma_cacheable = bits & 16;
            in.allow_any_uncached = bits & 32;
            CAPTURE(era);
            CAPTURE(bits);
            CHECK(decided(policy(name), in) == expected(era, in));
        }
}

TEST_CASE("arm64 policies: KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED needs 6.17 - FWB and DIC") {
    for (const char* n : {"linux-arm64-6.8", "linux-arm64-6.9"})
        CHECK_FALSE(policy(n).cacheable_pfnmap_supported({true, true}));
    const arm64_s2_policy& p = policy("linux-arm64-6.17");
    CHECK(p.cacheable_pfnmap_supported({true, true}));
    CHECK_FALSE(p.cacheable_pfnmap_supported({false, true}));
    CHECK_FALSE(p.cacheable_pfnmap_supported({true, false}));
}

TEST_CASE("arm64 policies: the seed's loss of WC and loss of cacheable after stage 1") {
    // A vfio-pci BAR: PFNMAP, not cacheable, VM_ALLOW_ANY_UNCACHED from 6.9 (vfio-pci sets it);
    // the guest maps it Normal-NC (MAIR 0x44) to write-combine.
    arm64_s2_inputs bar;
    bar.map_memory = false;
    bar.pfnmap = true;
    bar.vma_cacheable = false;
    bar.allow_any_uncached = true;
    // Coherent device memory (C2C/CXL GPU memory): PFNMAP, cacheable VMA; the guest maps it
    // Normal-WB (MAIR 0xff) and uses atomics on it.
    arm64_s2_inputs devmem = bar;
    devmem.vma_cacheable = true;
    struct row {
        const char* policy;
        bool fwb;
        const char* bar_type;    // what the guest's NC mapping of the BAR becomes
        const char* devmem_type; // what the guest's WB mapping of device memory becomes
    };
    const row rows[] = {
        {"linux-arm64-6.8", true, "Device-nGnRE", "Device-nGnRE"},
        {"linux-arm64-6.8", false, "Device-nGnRE", "Device-nGnRE"},
        {"linux-arm64-6.9", true, "Normal-NC", "Normal-NC"},
        {"linux-arm64-6.9", false, "Normal-NC", "Normal-NC"},
        {"linux-arm64-6.17", true, "Normal-NC", "Normal-WB"},
        {"linux-arm64-6.17", false, "Normal-NC", "refused"},
    };
    for (const row& r : rows) {
        CAPTURE(r.policy);
        CAPTURE(r.fwb);
        const arm64_s2_policy& p = policy(r.policy);
        bar.caps.fwb = devmem.caps.fwb = r.fwb;
        const auto combined = [&](const arm64_s2_inputs& in, std::uint8_t s1) -> std::string {
            if (p.memslot_refusal(in)) return "refused";
            const std::uint8_t memattr = encode_s2_memattr(in.caps.fwb, p.choose(in).s2);
            return std::string(to_string(arm64_combine_encoded(in.caps.fwb, s1, memattr).type));
        };
        CHECK(combined(bar, 0x44) == r.bar_type);
        CHECK(combined(devmem, 0xff) == r.devmem_type);
    }
    const auto refusal = policy("linux-arm64-6.17").memslot_refusal(devmem);
    REQUIRE(refusal.has_value());
    CHECK(refusal->errno_name() == "EINVAL");
    CHECK(refusal->call() == "KVM_SET_USER_MEMORY_REGION");
    CHECK(std::string(refusal->reason()).find("FEAT_S2FWB") != std::string::npos);
}
