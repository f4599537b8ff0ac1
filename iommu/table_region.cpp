#include "iommu/table_region.h"

#include <map>
#include <sstream>
#include <stdexcept>

namespace mtsim::iommu {

namespace {

struct region {
    std::uint64_t end;
    std::string owner;
};

std::map<std::uint64_t, region>& regions() {
    static std::map<std::uint64_t, region> r; // by base
    return r;
}

} // namespace

table_region_claim::table_region_claim(std::uint64_t base, std::uint64_t bytes, std::string owner)
    : m_base(base) {
    auto& r = regions();
    const std::uint64_t end = base + bytes;
    for (const auto& [b, reg] : r) {
        if (b < end && base < reg.end) {
            std::ostringstream os;
            os << owner << ": table region [0x" << std::hex << base << ", 0x" << end
               << ") overlaps the one of " << reg.owner << " [0x" << b << ", 0x" << reg.end
               << "); give each unit and domain its own table_base";
            throw std::invalid_argument(os.str());
        }
    }
    r.emplace(base, region{end, std::move(owner)});
}

table_region_claim::~table_region_claim() {
    regions().erase(m_base);
}

} // namespace mtsim::iommu
