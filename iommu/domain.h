// An IOMMU domain as the host's IOMMU driver keeps it: one second-level page table in host
// memory shared by every device attached to it, possibly behind several remapping units (a
// VFIO container spanning units). The table's entries live in memory and are written through
// a unit's memory path (remap_unit::map); this object holds only the driver's bookkeeping:
// where the tables are, which leaves it wrote, which units serve it, and whether snooping is
// enforced (every mapping carries SNP).
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "iommu/table_region.h"
#include "model/params.h"

namespace mtsim::iommu {

class remap_unit;

struct domain_config {
    std::uint16_t id = 1;        // domain identifier written into context entries
    unsigned address_width = 48; // guest address width: 39, 48 or 57 (3, 4, 5 levels)
    // Region of host memory that holds this domain's page tables. Pages are handed out from
    // it in order and never reused; the region must read as zero (fresh memory) and belong to
    // no one else.
    std::uint64_t table_base = 0;
    std::uint64_t table_bytes = 1 * MiB;
};

class iommu_domain {
public:
    // Throws when the table region is malformed or overlaps another unit's or domain's.
    explicit iommu_domain(const domain_config& cfg);
    iommu_domain(const iommu_domain&) = delete;
    iommu_domain& operator=(const iommu_domain&) = delete;

    std::uint16_t id() const { return m_cfg.id; }
    unsigned address_width() const { return m_cfg.address_width; }
    unsigned levels() const { return m_levels; }
    std::uint64_t root_table() const { return m_cfg.table_base; }
    // Set by a successful remap_unit::enforce_cache_coherency; never cleared.
    bool snoop_enforced() const { return m_snoop_enforced; }
    // Units with at least one device attached to this domain.
    std::vector<const remap_unit*> units() const;

private:
    friend class remap_unit;

    struct leaf {
        std::uint64_t entry_pa; // where the leaf entry lives
        unsigned shift;         // page size: 12, 21 or 30
    };

    // A fresh zero page from the region; throws when the region is exhausted.
    std::uint64_t allocate_table();
    void add_unit(remap_unit* u);
    void remove_unit(remap_unit* u);

    domain_config m_cfg;
    table_region_claim m_region;
    unsigned m_levels;
    std::uint64_t m_next_table; // next free page in the region
    bool m_snoop_enforced = false;
    std::map<std::uint64_t, leaf> m_leaves;                // by IOVA of the page
    std::vector<std::pair<remap_unit*, unsigned>> m_units; // unit, devices attached through it
};

} // namespace mtsim::iommu
