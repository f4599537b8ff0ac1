// The one TLM extension that carries what the x86 and PCIe layers add to a generic payload
// (DESIGN.md §3). Every block reads it; only initiators and translators write it.
#pragma once

#include <cstdint>
#include <string_view>
#include <tlm>

#include "model/memtype.h"

#include "model/enum_names.h"

namespace mtsim {

// Where the effective memory type came from. UC from the range type (MTRR or EPT leaf) need
// not snoop the issuing CPU's caches; UC from the page type (PAT) must (SDM Table 11-7 (a)/(b)).
enum class type_source : std::uint8_t {
    range, // MTRR or EPT leaf type decided it (includes IPAT=1)
    page,  // the PAT type decided it
    cd,    // CR0.CD=1 forced UC
    fixed, // set directly by the initiator (host-physical accesses, tests)
};

enum class op_kind : std::uint8_t {
    load,
    store,
    nt_store,
    locked_rmw,
    clflush,
    clflushopt,
    clwb,
    wbinvd,
    wbnoinvd,
    invd,
    sfence,
    mfence,
    dma_read,
    dma_write,
    // arm64 (Arm ARM DDI 0487): DC CIVAC / CVAC / IVAC by VA to the point of coherence
    // (TLM_IGNORE_COMMAND on the line), DSB / DMB (TLM_IGNORE_COMMAND, no address), the
    // exclusives LDXR (READ) / STXR (WRITE) and an LSE atomic (LDADD, CAS: a READ then a WRITE
    // of one line, like locked_rmw).
    dc_civac,
    dc_cvac,
    dc_ivac,
    dsb,
    dmb,
    ldxr,
    stxr,
    lse_atomic,
};

constexpr auto enum_names_of(op_kind) {
    return names_table("load", "store", "nt-store", "locked-rmw", "clflush", "clflushopt", "clwb",
                       "wbinvd", "wbnoinvd", "invd", "sfence", "mfence", "dma-read", "dma-write",
                       "dc-civac", "dc-cvac", "dc-ivac", "dsb", "dmb", "ldxr", "stxr",
                       "lse-atomic");
}

constexpr std::string_view to_string(op_kind k) {
    return enum_name(k);
}

// Where the memory system served a request (it sets access_ext::served; requesters read it
// for their accounting, model/accounting.h): the deepest level the request reached.
enum class served_level : std::uint8_t { none, l1, l2, llc, dram, uncached, wc_drain };

constexpr auto enum_names_of(served_level) {
    return names_table("none", "l1", "l2", "llc", "dram", "uncached", "wc-drain");
}

// arm64 only: the Device properties of the combined stage-1 x stage-2 attribute
// (model/arm64_memtype.h), which the memory system honours on its uncached path. `none` for a
// Normal type (its cacheability is in access_ext::type: Normal-WB -> wb, Normal-WT -> wt,
// Normal-NC -> wc, gathering allowed) and for every x86 access. Device types travel with
// type = uc. Arm ARM (DDI 0487) B2.8.2 "Device memory": G gathering, R reordering,
// E early write acknowledgement.
enum class arm_device : std::uint8_t { none, ngnrne, ngnre, ngre, gre };

constexpr auto enum_names_of(arm_device) {
    return names_table("none", "Device-nGnRnE", "Device-nGnRE", "Device-nGRE", "Device-GRE");
}

enum class requester_kind : std::uint8_t { vcpu, vmm, device, tester };

struct requester {
    requester_kind kind = requester_kind::tester;
    std::uint16_t id = 0;    // vCPU index, device index, ...
    std::uint16_t pcpu = 0;  // physical CPU the access issues from (CPU requesters)
    std::uint16_t bdf = 0;   // PCIe bus/device/function (devices)
    std::uint32_t pasid = 0; // PCIe PASID (devices), 0 when none
};

struct access_ext : tlm::tlm_extension<access_ext> {
    memtype type = memtype::wb;
    type_source source = type_source::fixed;
    op_kind op = op_kind::load;
    requester who{};
    bool no_snoop = false;       // PCIe Attr[0] after the IOMMU's decision: true = skip CPU caches
    bool page_walk = false;      // a paging-structure access (guest, EPT or IOMMU walk)
    std::uint64_t oracle_id = 0; // the happens-before oracle's operation id, 0 when untracked
    served_level served = served_level::none; // written by the memory system
    arm_device device = arm_device::none;     // arm64 Device-* properties (type is uc then)
    // op stxr: written by the memory system, true when the store-exclusive failed (the
    // pCPU's exclusive monitor lost the line, or the memory has no monitor) and stored nothing.
    bool exclusive_failed = false;

    tlm::tlm_extension_base* clone() const override { return new access_ext(*this); }
    void copy_from(const tlm::tlm_extension_base& other) override {
        *this = static_cast<const access_ext&>(other);
    }
};

constexpr auto enum_names_of(type_source) {
    return names_table("range", "page", "cd", "fixed");
}

constexpr std::string_view to_string(type_source s) {
    return enum_name(s);
}

// Whether a UC access must look in the issuing CPU's own caches even without self-snoop:
// UC from the page type must (SDM Table 11-7 note (b): an alias may have cached the line),
// UC from CR0.CD=1 must (no-fill mode still serves hits), UC from the range type need not
// (note (a)).
// The arm64 ops that need Normal cacheable memory: on anything else the architecture makes
// them CONSTRAINED UNPREDICTABLE (Arm ARM B2.9 "Synchronization and semaphores": the global
// monitor need not support non-cacheable or Device memory; LSE atomics likewise).
constexpr bool needs_cacheable(op_kind k) {
    return k == op_kind::ldxr || k == op_kind::stxr || k == op_kind::lse_atomic;
}

constexpr bool uc_must_check_caches(type_source s) {
    return s == type_source::page || s == type_source::cd;
}

} // namespace mtsim
