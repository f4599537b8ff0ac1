#include "cpu/ept.h"

#include <fmt/format.h>
#include <stdexcept>

#include "model/ept_memtype.h"

namespace mtsim::cpu {

std::string_view to_string(access_kind k) {
    return enum_name(k);
}

std::string_view to_string(ept_misconfig m) {
    return enum_name(m);
}

eptp decode_eptp(std::uint64_t value, const ept_caps& caps) {
    eptp p;
    const auto mt = static_cast<unsigned>(field_get(field(eptp_field::memtype), value));
    if (mt != encoding(memtype::uc) && mt != encoding(memtype::wb))
        throw std::invalid_argument(
            fmt::format("EPTP {:#x}: walk memory type {} is neither UC (0) nor WB (6)", value, mt));
    p.walk_type = mt == 0 ? memtype::uc : memtype::wb;
    p.levels = static_cast<unsigned>(field_get(field(eptp_field::walk_length), value)) + 1;
    if (p.levels != 4 && p.levels != 5)
        throw std::invalid_argument(
            fmt::format("EPTP {:#x}: walk length {} is neither 4 nor 5 levels", value, p.levels));
    if (p.levels == 5 && !caps.walk_5level)
        throw std::invalid_argument(fmt::format(
            "EPTP {:#x}: 5-level EPT walk selected but the CPU lacks 5-level EPT", value));
    p.ad = field_get(field(eptp_field::ad_enable), value) != 0;
    if (value & bits(11, 7))
        throw std::invalid_argument(fmt::format("EPTP {:#x}: reserved bits 11:7 set", value));
    if (value & bits(63, static_cast<unsigned>(caps.maxphyaddr)))
        throw std::invalid_argument(fmt::format(
            "EPTP {:#x}: address bits at or above MAXPHYADDR ({}) set", value, caps.maxphyaddr));
    p.root = value & bits(51, 12);
    return p;
}

std::uint64_t encode_eptp(const eptp& p) {
    std::uint64_t v = p.root & bits(51, 12);
    v = field_put(field(eptp_field::memtype), v, encoding(p.walk_type));
    v = field_put(field(eptp_field::walk_length), v, p.levels - 1);
    v = field_put(field(eptp_field::ad_enable), v, p.ad);
    return v;
}

std::optional<ept_misconfig> check_ept_entry(std::uint64_t e, unsigned level, const ept_caps& caps,
                                             bool mbec) {
    const unsigned rwx = ept_rights(e, mbec);
    if ((rwx & (perm_r | perm_w)) == perm_w) return ept_misconfig::write_without_read;
    if (!(rwx & perm_r) && (rwx & (perm_x | perm_xu)) && !caps.execute_only)
        return ept_misconfig::execute_only;
    if (e & bits(51, static_cast<unsigned>(caps.maxphyaddr)))
        return ept_misconfig::address_above_maxphy;
    const ept_entry_kind kind = ept_kind(level, e);
    if (kind == ept_entry_kind::pdpte_1g && !caps.pages_1g) return ept_misconfig::ps_1g_unsupported;
    for (const ept_reserved_rule& r : ept_reserved_rules)
        if (r.kind == kind && (e & r.mask)) return r.reason;
    if (is_leaf(kind) &&
        ept_leaf_type_misconfigured(static_cast<unsigned>(field_get(field(ept_field::memtype), e))))
        return ept_misconfig::leaf_memtype;
    return std::nullopt;
}

} // namespace mtsim::cpu
