// The remapping unit's behaviour without the SystemC kernel: context lookup, the second-level
// walker over a table_memory, IOTLB, paging-structure cache, context cache, the snoop
// decision, faults, and the host driver's operations (attach, map, unmap, enforce snooping,
// invalidations). iommu::vtd wraps it with sockets; tests drive it over a plain map.
//
// Every table reference is one table_memory call: walks read with no_snoop = !ECAP.C; the
// driver's writes (attach, map, unmap, enforce) are snooped writes that reach memory, as the
// driver's store plus the cache flush it issues when ECAP.C = 0.
#pragma once

#include <cstdint>
#include <map>

#include <systemc>

#include "iommu/assoc_cache.h"
#include "iommu/domain.h"
#include "iommu/entries.h"
#include "iommu/fault.h"
#include "iommu/table_region.h"
#include "model/access_ext.h"
#include "model/cycles.h"
#include "model/table_memory.h"

namespace mtsim::iommu {

struct vtd_config;   // iommu/vtd.h
struct vtd_counters; // iommu/vtd.h

struct dma_request {
    std::uint16_t bdf = 0;
    std::uint64_t iova = 0;
    std::uint32_t length = 1; // bytes; [iova, iova + length) within one 4 KiB page
    bool write = false;
    bool no_snoop = false; // the request's PCIe No-Snoop attribute
};

struct translation {
    bool ok = false;
    std::uint64_t hpa = 0;
    bool snooped = true;                             // meaningful when ok
    fault_reason reason = fault_reason::not_present; // meaningful when !ok
};

struct mapping {
    std::uint64_t iova = 0;  // 4 KiB aligned
    std::uint64_t hpa = 0;   // 4 KiB aligned
    std::uint64_t bytes = 0; // multiple of 4 KiB
    bool read = true;
    bool write = true;
};

class remap_unit {
public:
    // cfg, counters and memory must outlive the unit. Throws when validate(cfg) does or the
    // table region overlaps another unit's or domain's.
    remap_unit(const vtd_config& cfg, vtd_counters& counters, table_memory& memory);
    remap_unit(const remap_unit&) = delete;
    remap_unit& operator=(const remap_unit&) = delete;

    // Translates one request, adding its cost to delay. A fault is recorded (unless the
    // context has FPD=1) and returned; nothing beyond table references touches memory.
    translation translate(const dma_request& r, sc_core::sc_time& delay);

    // Writes the device's context entry (allocating its bus's context table) pointing at the
    // domain's tables. Returns false, writing nothing, when the domain enforces snooping and
    // this unit has no snoop control (Linux refuses such an attach). Throws when the bdf is
    // already attached or the unit does not support the domain's address width.
    bool attach_device(std::uint16_t bdf, iommu_domain& d, sc_core::sc_time& delay);
    // Clears the context entry and invalidates the device's context and the domain's IOTLB.
    void detach_device(std::uint16_t bdf, sc_core::sc_time& delay);

    // Writes leaves for [iova, iova + bytes) -> [hpa, ...), using the largest page each
    // aligned piece allows that every unit serving the domain (and this one) supports; adds
    // SNP when the domain enforces snooping. Mapping over a present leaf throws. Needs no
    // invalidation: nothing caches not-present entries.
    void map(iommu_domain& d, const mapping& m, sc_core::sc_time& delay);
    // Clears every leaf inside [iova, iova + bytes) and invalidates those pages (leaf-only
    // page-selective) in every unit serving the domain. A leaf that straddles the range's
    // ends throws (splitting a large page is not modelled). Tables are not freed.
    void unmap(iommu_domain& d, std::uint64_t iova, std::uint64_t bytes, sc_core::sc_time& delay);
    // Succeeds only when every unit serving the domain, and this one, has ECAP.SC; then
    // sets SNP in every existing leaf (read-modify-write in memory), marks the domain so
    // future leaves get it, and invalidates the domain in every unit serving it. Idempotent.
    // (Linux 6.x instead refuses when a second-level domain already has mappings; VFIO asks
    // before mapping, so both agree for VFIO's use.)
    bool enforce_cache_coherency(iommu_domain& d, sc_core::sc_time& delay);

    // Context cache and IOTLB/PSC, globally or for one domain.
    void invalidate_all();
    void invalidate_domain(std::uint16_t did);
    // Page-selective IOTLB invalidation (VT-d PSI): the 2^am pages containing iova, aligned;
    // leaf_only (IH=1) keeps the paging-structure cache.
    void invalidate_pages(std::uint16_t did, std::uint64_t iova, unsigned am, bool leaf_only);

    const fault_log& faults() const { return m_faults; }
    void clear_faults() { m_faults.clear(); }
    bool snoop_control() const;
    std::uint64_t root_table() const { return m_root; }
    unsigned iotlb_valid_entries() const { return m_iotlb.valid_entries(); }

private:
    struct context_info {
        std::uint16_t bdf = 0;
        std::uint16_t did = 0;
        std::uint64_t slptptr = 0;
        unsigned levels = 0;
        unsigned gaw_bits = 0;
        bool fpd = false;
    };
    struct iotlb_entry {
        std::uint16_t did = 0;
        unsigned shift = 12;
        std::uint64_t vpn = 0; // iova >> shift
        std::uint64_t hpa_base = 0;
        bool r = false, w = false, snp = false;
    };
    struct psc_entry {
        std::uint16_t did = 0;
        unsigned level = 0;        // level of the cached (non-leaf) entry
        std::uint64_t tag = 0;     // iova >> level_shift(level)
        std::uint64_t next = 0;    // the table it points to (level - 1)
        bool r = false, w = false; // permissions accumulated down to it
    };
    struct fault_result {
        bool faulted = false;
        fault_reason reason{};
    };
    // One miss's occupancy of the walker: waits for it on first use, frees it at the end.
    struct walker_session;

    fault_result context_of(std::uint16_t bdf, context_info& out, walker_session& w,
                            sc_core::sc_time& delay);
    translation fault(const dma_request& r, fault_reason why, bool fpd);
    std::uint64_t walk_read(std::uint64_t pa, std::uint16_t bdf, walker_session& w,
                            sc_core::sc_time& delay);
    std::uint64_t driver_read(std::uint64_t pa, sc_core::sc_time& delay);
    void driver_write(std::uint64_t pa, std::uint64_t value, sc_core::sc_time& delay);
    std::uint64_t allocate_table();
    // Installs one leaf; false when the slot holds a table pointer (try a smaller page).
    bool install_leaf(iommu_domain& d, std::uint64_t iova, std::uint64_t hpa, unsigned level,
                      const mapping& m, sc_core::sc_time& delay);
    entry_caps domain_caps(const iommu_domain& d) const;
    bool supports_width(unsigned bits) const;
    sc_core::sc_time t(cycles c) const { return m_clock.to_time(c); }

    const vtd_config& m_cfg;
    vtd_counters& m_n;
    table_memory& m_memory;
    mtsim::clock m_clock;
    entry_caps m_caps;
    assoc_cache<iotlb_entry> m_iotlb;
    assoc_cache<psc_entry> m_psc;
    assoc_cache<context_info> m_contexts;
    fault_log m_faults;
    table_region_claim m_region;
    std::uint64_t m_root;           // root table: first page of the unit's region
    std::uint64_t m_next_table;     // next free page of the region
    sc_core::sc_time m_walker_free; // absolute time the walker finishes its current miss
    std::map<std::uint16_t, iommu_domain*> m_attached; // bdf -> domain
};

} // namespace mtsim::iommu
