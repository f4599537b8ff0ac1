#include "cpu/arm64_stage2.h"

#include <stdexcept>
#include <string>

namespace mtsim::cpu {

namespace {

constexpr std::uint64_t oa_mask = ((std::uint64_t{1} << 48) - 1) & ~std::uint64_t{0xfff};

void check_level(unsigned level) {
    if (level > 3)
        throw std::invalid_argument("stage-2 level " + std::to_string(level) +
                                    " out of range 0..3 (4 KiB granule)");
}

} // namespace

std::string_view to_string(arm64_access a) {
    switch (a) {
    case arm64_access::read:
        return "read";
    case arm64_access::write:
        return "write";
    case arm64_access::fetch:
        return "fetch";
    case arm64_access::dc_cvac:
        return "dc-cvac";
    case arm64_access::dc_civac:
        return "dc-civac";
    case arm64_access::dc_ivac:
        return "dc-ivac";
    case arm64_access::walk:
        return "stage-1 walk";
    }
    return "?";
}

arm64_s2_entry decode_s2_entry(std::uint64_t desc, unsigned level) {
    check_level(level);
    arm64_s2_entry e;
    const unsigned type = desc & 3u;
    if (type == 0b11)
        e.valid = true, e.table = level < 3;
    else if (type == 0b01)
        e.valid = level == 1 || level == 2; // a block
    if (!e.valid) return e;
    e.oa = desc & oa_mask;
    if (e.table) return e;
    e.memattr = static_cast<std::uint8_t>((desc >> 2) & 0xfu);
    e.s2ap = static_cast<std::uint8_t>((desc >> 6) & 3u);
    e.sh = static_cast<std::uint8_t>((desc >> 8) & 3u);
    e.af = (desc >> 10) & 1u;
    e.xn = (desc >> 54) & 1u;
    return e;
}

std::uint64_t encode_s2_leaf(std::uint64_t oa, unsigned level, std::uint8_t memattr,
                             std::uint8_t s2ap, bool xn) {
    check_level(level);
    if (level == 0)
        throw std::invalid_argument("a stage-2 leaf at level 0 needs FEAT_LPA2 (not modelled)");
    if (memattr > 0xf || s2ap > 3)
        throw std::invalid_argument("stage-2 MemAttr is 4 bits and S2AP 2 bits");
    const std::uint64_t type = level == 3 ? 0b11 : 0b01;
    return type | (std::uint64_t{memattr} << 2) | (std::uint64_t{s2ap} << 6) |
           (std::uint64_t{0b11} << 8) | (std::uint64_t{1} << 10) | (oa & oa_mask) |
           (std::uint64_t{xn} << 54);
}

arm64_fault s2_check(const arm64_s2_entry& e, unsigned level, arm64_access a) {
    check_level(level);
    if (!e.valid) return {arm64_fault_kind::translation, level};
    if (e.table)
        throw std::invalid_argument("s2_check() takes a leaf or an invalid entry, not a table");
    if (!e.af) return {arm64_fault_kind::access_flag, level};
    const bool r = e.s2ap & 1u, w = e.s2ap & 2u;
    bool ok = false;
    switch (a) {
    case arm64_access::read:
    case arm64_access::walk:
    case arm64_access::dc_cvac:
    case arm64_access::dc_civac:
        ok = r;
        break;
    case arm64_access::write:
    case arm64_access::dc_ivac:
        ok = w;
        break;
    case arm64_access::fetch:
        ok = !e.xn;
        break;
    }
    return ok ? arm64_fault{} : arm64_fault{arm64_fault_kind::permission, level};
}

std::uint8_t arm64_fsc(const arm64_fault& f) {
    switch (f.kind) {
    case arm64_fault_kind::translation:
        return static_cast<std::uint8_t>(0b000100 | f.level);
    case arm64_fault_kind::access_flag:
        return static_cast<std::uint8_t>(0b001000 | f.level);
    case arm64_fault_kind::permission:
        return static_cast<std::uint8_t>(0b001100 | f.level);
    case arm64_fault_kind::none:
        break;
    }
    throw std::invalid_argument("no fault: no fault status code");
}

std::uint32_t esr_el2_stage2(const arm64_fault& f, arm64_access a) {
    const std::uint32_t fsc = arm64_fsc(f);
    const bool fetch = a == arm64_access::fetch;
    const bool cm =
        a == arm64_access::dc_cvac || a == arm64_access::dc_civac || a == arm64_access::dc_ivac;
    const std::uint32_t ec = fetch ? 0x20 : 0x24;
    std::uint32_t iss = fsc;
    if (!fetch) {
        if (a == arm64_access::write || cm) iss |= 1u << 6; // WnR
        if (cm) iss |= 1u << 8;                             // CM
    }
    if (a == arm64_access::walk) iss |= 1u << 7; // S1PTW
    return (ec << 26) | (1u << 25) | iss;
}

} // namespace mtsim::cpu
