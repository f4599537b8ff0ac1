// Host memory regions that hold remapping structures (a unit's root and context tables, a
// domain's page tables), claimed for the lifetime of their owner. Two owners sharing memory
// would overwrite each other's tables without any error, so an overlapping claim throws
// std::invalid_argument naming both owners. One registry per process, like the stats
// registry (SystemC elaborates one platform per process).
#pragma once

#include <cstdint>
#include <string>

namespace mtsim::iommu {

class table_region_claim {
public:
    table_region_claim(std::uint64_t base, std::uint64_t bytes, std::string owner);
    ~table_region_claim();
    table_region_claim(const table_region_claim&) = delete;
    table_region_claim& operator=(const table_region_claim&) = delete;

private:
    std::uint64_t m_base;
};

} // namespace mtsim::iommu
