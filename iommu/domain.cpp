#include "iommu/domain.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "iommu/entries.h"

namespace mtsim::iommu {

namespace {

const domain_config& checked(const domain_config& cfg) {
    const auto aw = address_width_by_bits(cfg.address_width);
    if (!aw)
        throw std::invalid_argument("iommu domain " + std::to_string(cfg.id) +
                                    ": address width must be 39, 48 or 57, got " +
                                    std::to_string(cfg.address_width));
    if (cfg.table_base % table_bytes != 0 || cfg.table_bytes < table_bytes)
        throw std::invalid_argument("iommu domain " + std::to_string(cfg.id) +
                                    ": table region must be 4 KiB aligned and hold a page");
    return cfg;
}

} // namespace

iommu_domain::iommu_domain(const domain_config& cfg)
    : m_cfg(checked(cfg)),
      m_region(cfg.table_base, cfg.table_bytes, "iommu domain " + std::to_string(cfg.id)),
      m_levels(address_width_by_bits(cfg.address_width)->levels),
      m_next_table(cfg.table_base + table_bytes) {} // the first page is the root table

std::uint64_t iommu_domain::allocate_table() {
    if (m_next_table + table_bytes > m_cfg.table_base + m_cfg.table_bytes)
        throw std::runtime_error("iommu domain " + std::to_string(m_cfg.id) +
                                 ": page-table region exhausted (domain_config.table_bytes)");
    const std::uint64_t pa = m_next_table;
    m_next_table += table_bytes;
    return pa;
}

std::vector<const remap_unit*> iommu_domain::units() const {
    std::vector<const remap_unit*> out;
    for (const auto& [u, n] : m_units) out.push_back(u);
    return out;
}

void iommu_domain::add_unit(remap_unit* u) {
    for (auto& [v, n] : m_units)
        if (v == u) {
            ++n;
            return;
        }
    m_units.emplace_back(u, 1);
}

void iommu_domain::remove_unit(remap_unit* u) {
    for (auto it = m_units.begin(); it != m_units.end(); ++it) {
        if (it->first != u) continue;
        if (--it->second == 0) m_units.erase(it);
        return;
    }
}

} // namespace mtsim::iommu
