#include "cpu/guest_paging.h"

namespace mtsim::cpu {

namespace {

struct guest_reserved_rule {
    unsigned level;
    bool leaf; // the rule applies to a leaf (PS = 1 at levels 2 and 3) or to a table pointer
    std::uint64_t mask;
    guest_reserved reason;
};

// SDM vol. 3, Tables 4-15..4-20: fixed reserved bits of 4-level paging entries (bits at or
// above MAXPHYADDR and XD without EFER.NXE are checked separately). A PML4E's bit 7 is PS-like
// and reserved; a large leaf's address bits below its page size, except PAT at bit 12.
constexpr std::array<guest_reserved_rule, 3> guest_reserved_rules{{
    {4, false, bits(7, 7), guest_reserved::ps_in_pml4e},
    {3, true, bits(29, 13), guest_reserved::large_leaf_address_bits},
    {2, true, bits(20, 13), guest_reserved::large_leaf_address_bits},
}};

} // namespace

std::string_view to_string(guest_reserved r) {
    return enum_name(r);
}

guest_reserved check_guest_entry(std::uint64_t e, unsigned level, const guest_caps& caps,
                                 const guest_regs& regs) {
    if (e & bits(51, static_cast<unsigned>(caps.maxphyaddr)))
        return guest_reserved::address_above_maxphy;
    if (!regs.efer_nxe && guest_bit(guest_field::xd, e)) return guest_reserved::xd_without_nxe;
    if (level == 3 && guest_bit(guest_field::ps, e) && !caps.pages_1g)
        return guest_reserved::ps_1g_unsupported;
    const bool leaf = guest_is_leaf(level, e);
    for (const guest_reserved_rule& r : guest_reserved_rules)
        if (r.level == level && r.leaf == leaf && (e & r.mask)) return r.reason;
    return guest_reserved::none;
}

} // namespace mtsim::cpu
