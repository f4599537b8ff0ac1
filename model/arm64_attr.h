// arm64 memory attributes as the hardware encodes them: the stage-1 MAIR_EL1 Attr<n> byte a
// descriptor's AttrIndx selects, and the stage-2 descriptor's MemAttr[3:0] without and with
// FEAT_S2FWB (HCR_EL2.FWB). Decoding gives the arm64_memtype of model/arm64_memtype.h, and
// arm64_combine_encoded() runs the combination from the raw encodings.
//
// Sources: Arm ARM (DDI 0487) MAIR_EL1 field descriptions and the stage-2 MemAttr encodings
// (rules R_HMNDG, R_TNHFM, R_GQFSF, I_MCQKW without FWB; R_VRJSW, R_RHWZM with FWB, as Linux
// arch/arm64/include/asm/memory.h cites them above MT_S2_* and MT_S2_FWB_*); the same
// combination as Linux arch/arm64/kvm/at.c compute_par_s12() and QEMU target/arm/ptw.c
// combined_attrs_nofwb()/combined_attrs_fwb() implement it; docs/reference/arm64.md.
//
// The model carries one cacheability for inner and outer (arm64_memtype.h): an encoding whose
// inner and outer halves differ in kind (NC, WT, WB) throws mtsim::not_modelled. A reserved or
// UNPREDICTABLE encoding throws std::invalid_argument naming it. Allocation and transient hints
// do not change the type (they are cache policy hints, not memory types).
#pragma once

#include <cstdint>

#include "model/arm64_memtype.h"

namespace mtsim {

// MAIR_EL1.Attr<n>: 0b0000dd00 Device (dd: 00 nGnRnE, 01 nGnRE, 10 nGRE, 11 GRE);
// 0booooiiii (oooo != 0) Normal, each half 0b0100 NC, 0b00RW (RW != 00) WT transient,
// 0b01RW (RW != 00) WB transient, 0b10RW WT non-transient, 0b11RW WB non-transient.
arm64_memtype decode_mair_attr(std::uint8_t attr);

// The byte Linux's MAIR_EL1 uses for a type (arch/arm64/include/asm/memory.h MT_* and
// asm/sysreg.h MAIR_ATTR_*): Device 0x00/0x04/0x08/0x0c, Normal-NC 0x44, Normal-WT 0xbb,
// Normal-WB 0xff.
constexpr std::uint8_t encode_mair_attr(arm64_memtype t) {
    switch (t) {
    case arm64_memtype::device_ngnrne:
        return 0x00;
    case arm64_memtype::device_ngnre:
        return 0x04;
    case arm64_memtype::device_ngre:
        return 0x08;
    case arm64_memtype::device_gre:
        return 0x0c;
    case arm64_memtype::normal_nc:
        return 0x44;
    case arm64_memtype::normal_wt:
        return 0xbb;
    case arm64_memtype::normal_wb:
        return 0xff;
    }
    return 0xff;
}

// Attr<index> of a MAIR_EL1 value (index 0..7; std::invalid_argument beyond).
std::uint8_t mair_attr_at(std::uint64_t mair, unsigned index);

// Stage-2 descriptor MemAttr[3:0] (descriptor bits [5:2]).
// Without FWB: MemAttr[3:2] 00: Device, MemAttr[1:0] as the MAIR dd; else Normal with outer
// MemAttr[3:2] and inner MemAttr[1:0], each 01 NC, 10 WT, 11 WB (inner 00 is reserved).
// With FWB: MemAttr[2] 0: Device of type MemAttr[1:0] (stage 2 decides); 0b101 Normal-NC;
// 0b110 Normal-WB (forced); 0b111 the stage-1 attribute; 0b100 reserved. MemAttr[3] is
// reserved without FEAT_MTE_PERM, which the model does not implement: set, it is refused.
arm64_s2 decode_s2_memattr(bool fwb, std::uint8_t memattr);

// The MemAttr KVM writes for a stage-2 attribute (arch/arm64/include/asm/memory.h: MT_S2_*
// without FWB, MT_S2_FWB_* with it; Device types other than nGnRE encoded the same way).
// Throws std::invalid_argument where arm64_row() does (as-s1 without FWB, WT with FWB).
std::uint8_t encode_s2_memattr(bool fwb, const arm64_s2& s2);

// The combined type from the raw encodings: stage-1 MAIR Attr byte and stage-2 MemAttr.
arm64_explained arm64_combine_encoded(bool fwb, std::uint8_t s1_mair_attr, std::uint8_t s2_memattr);

} // namespace mtsim
