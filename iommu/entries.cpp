#include "iommu/entries.h"

#include "iommu/snoop_table.h"

namespace mtsim::iommu {

std::string_view to_string(reserved_rule r) {
    return enum_name(r);
}

sl_check classify_second_level(std::uint64_t e, unsigned level, const entry_caps& caps) {
    using namespace fields;
    if (level < 1 || level > 5) throw std::invalid_argument("second-level entry level not in 1..5");
    if (sl_r.get(e) == 0 && sl_w.get(e) == 0) return {sl_class::not_present, reserved_rule::none};
    const auto reserved = [](reserved_rule r) { return sl_check{sl_class::reserved, r}; };
    if (sl_addr.address(e) & above_haw_mask(caps.host_address_width))
        return reserved(reserved_rule::address_above_haw);
    const bool leaf = level == 1 || sl_ps.get(e) != 0;
    if (!leaf) {
        if (sl_snp.get(e)) return reserved(reserved_rule::snp_in_table);
        return {sl_class::table, reserved_rule::none};
    }
    if (!leaf_allowed(level, caps)) return reserved(reserved_rule::ps_unsupported);
    if (sl_snp.get(e) && !snp_legal(caps.snoop_control))
        return reserved(reserved_rule::snp_without_sc);
    const std::uint64_t page_low = ((std::uint64_t{1} << level_shift(level)) - 1) & sl_addr.mask();
    if (sl_addr.address(e) & page_low) return reserved(reserved_rule::large_page_low_bits);
    return {sl_class::leaf, reserved_rule::none};
}

} // namespace mtsim::iommu
