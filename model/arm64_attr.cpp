#include "model/arm64_attr.h"

#include <stdexcept>

#include <fmt/format.h>

#include "model/not_modelled.h"

namespace mtsim {

namespace {

constexpr arm64_memtype device_of(unsigned dd) {
    switch (dd & 3u) {
    case 0:
        return arm64_memtype::device_ngnrne;
    case 1:
        return arm64_memtype::device_ngnre;
    case 2:
        return arm64_memtype::device_ngre;
    default:
        return arm64_memtype::device_gre;
    }
}

// One half (inner or outer) of a MAIR Normal attribute: 0b0100 NC; 0b00RW WT transient and
// 0b01RW WB transient (RW != 00); 0b10RW WT, 0b11RW WB. 0b0000 is not a Normal half.
arm64_memtype mair_half(unsigned h, std::uint8_t whole) {
    if (h == 0x4) return arm64_memtype::normal_nc;
    if (h == 0)
        throw std::invalid_argument(fmt::format(
            "MAIR attribute {:#04x}: inner half 0b0000 of a Normal attribute is UNPREDICTABLE "
            "(FEAT_XS and FEAT_MTE2 encodings are not modelled)",
            whole));
    const bool write_back = (h & 0x4u) != 0; // bit 2 tells WB from WT, transient or not
    return write_back ? arm64_memtype::normal_wb : arm64_memtype::normal_wt;
}

// One half of a stage-2 Normal MemAttr without FWB: 01 NC, 10 WT, 11 WB.
arm64_memtype s2_half(unsigned h) {
    switch (h & 3u) {
    case 1:
        return arm64_memtype::normal_nc;
    case 2:
        return arm64_memtype::normal_wt;
    default:
        return arm64_memtype::normal_wb;
    }
}

} // namespace

arm64_memtype decode_mair_attr(std::uint8_t attr) {
    const unsigned hi = attr >> 4, lo = attr & 0xfu;
    if (hi == 0) {
        if ((lo & 3u) != 0)
            throw std::invalid_argument(fmt::format(
                "MAIR attribute {:#04x}: Device with Attr[1:0] != 00 is UNPREDICTABLE (FEAT_XS "
                "encodings are not modelled)",
                attr));
        return device_of(lo >> 2);
    }
    const arm64_memtype outer = mair_half(hi, attr);
    const arm64_memtype inner = mair_half(lo, attr);
    if (inner != outer)
        throw not_modelled(fmt::format("MAIR attribute {:#04x}: inner {} with outer {} (the model "
                                       "carries one cacheability for both)",
                                       attr, to_string(inner), to_string(outer)),
                           "model/arm64_attr.h");
    return inner;
}

std::uint8_t mair_attr_at(std::uint64_t mair, unsigned index) {
    if (index > 7) throw std::invalid_argument(fmt::format("AttrIndx {} out of range 0..7", index));
    return static_cast<std::uint8_t>(mair >> (8 * index));
}

arm64_s2 decode_s2_memattr(bool fwb, std::uint8_t memattr) {
    if (memattr > 0xf)
        throw std::invalid_argument(
            fmt::format("stage-2 MemAttr {:#x} is wider than 4 bits", memattr));
    if (fwb) {
        if (memattr & 0x8u)
            throw std::invalid_argument(fmt::format(
                "stage-2 MemAttr {:#06b} with FWB: MemAttr[3] is reserved without FEAT_MTE_PERM",
                memattr));
        if (!(memattr & 0x4u)) return {false, device_of(memattr)};
        switch (memattr) {
        case 0x5:
            return {false, arm64_memtype::normal_nc};
        case 0x6:
            return {false, arm64_memtype::normal_wb};
        case 0x7:
            return {true, arm64_memtype::normal_wb};
        default:
            throw std::invalid_argument(
                fmt::format("stage-2 MemAttr {:#06b} with FWB is reserved", memattr));
        }
    }
    const unsigned outer = memattr >> 2, inner = memattr & 3u;
    if (outer == 0) return {false, device_of(inner)};
    if (inner == 0)
        throw std::invalid_argument(fmt::format(
            "stage-2 MemAttr {:#06b} without FWB: Normal with inner 0b00 is reserved", memattr));
    const arm64_memtype o = s2_half(outer), i = s2_half(inner);
    if (o != i)
        throw not_modelled(fmt::format("stage-2 MemAttr {:#06b}: inner {} with outer {} (the "
                                       "model carries one cacheability for both)",
                                       memattr, to_string(i), to_string(o)),
                           "model/arm64_attr.h");
    return {false, i};
}

std::uint8_t encode_s2_memattr(bool fwb, const arm64_s2& s2) {
    const arm64_s2_row row = arm64_row(fwb, s2); // refuses what cannot be encoded
    (void)row;
    if (s2.as_s1) return 0x7;
    if (is_device(s2.type)) return static_cast<std::uint8_t>(s2.type); // 0b00dd, same with FWB
    if (fwb) return s2.type == arm64_memtype::normal_nc ? 0x5 : 0x6;
    switch (s2.type) {
    case arm64_memtype::normal_nc:
        return 0x5;
    case arm64_memtype::normal_wt:
        return 0xa;
    default:
        return 0xf;
    }
}

arm64_explained arm64_combine_encoded(bool fwb, std::uint8_t s1_mair_attr,
                                      std::uint8_t s2_memattr) {
    arm64_access in;
    in.fwb = fwb;
    in.s1 = decode_mair_attr(s1_mair_attr);
    in.s2 = decode_s2_memattr(fwb, s2_memattr);
    arm64_explained e = arm64_effective_memtype(in);
    e.steps.insert(e.steps.begin(),
                   fmt::format("MAIR Attr {:#04x} = {}; stage-2 MemAttr {:#06b} ({}) = {}",
                               s1_mair_attr, to_string(in.s1), s2_memattr, fwb ? "FWB" : "no FWB",
                               to_string(in.s2)));
    return e;
}

} // namespace mtsim
