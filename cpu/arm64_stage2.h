// arm64 stage-2 translation formats and rules (VMSAv8-64, 4 KiB granule): the stage-2 block and
// page descriptor, the permission and fault checks of one access, and the ESR_EL2 syndrome of a
// stage-2 Data or Instruction Abort (with HPFAR_EL2's faulting IPA), as an EPT violation's exit
// qualification is for x86 (cpu/ept.h). Pure functions over raw values, tested as a matrix
// without the SystemC kernel; no arm64 walker drives them yet.
//
// Sources: Arm ARM (DDI 0487) D8.3 "Translation table descriptor formats" (stage-2 attributes:
// MemAttr[5:2], S2AP[7:6], SH[9:8], AF[10], XN[54]), D8.4 stage-2 data access permissions,
// D8.15 fault types and ESR_ELx ISS encoding for Data and Instruction Aborts (EC 0x24, 0x20;
// DFSC/IFSC 0b0001LL translation, 0b0010LL access flag, 0b0011LL permission; WnR, S1PTW, CM);
// Linux arch/arm64/include/asm/esr.h (ESR_ELx_* field definitions),
// arch/arm64/include/asm/kvm_pgtable.h (KVM_PTE_LEAF_ATTR_LO_S2_*).
// Not modelled: FEAT_XNX (XN[53]), FEAT_HAFDBS hardware updates of AF and dirty state (an AF
// of 0 faults), FEAT_LPA/LPA2 output addresses beyond 48 bits, contiguous hints.
#pragma once

#include <cstdint>
#include <string_view>

namespace mtsim::cpu {

// What an access asks of the page. DC IVAC needs write permission, DC CVAC and DC CIVAC read
// permission; a stage-1 table walk (for a data access) reads its descriptors through stage 2.
enum class arm64_access : std::uint8_t { read, write, fetch, dc_cvac, dc_civac, dc_ivac, walk };

std::string_view to_string(arm64_access a);

// A stage-2 descriptor at `level` (0..3) as the walker reads it.
struct arm64_s2_entry {
    bool valid = false;       // bit 0
    bool table = false;       // bits[1:0] == 0b11 at levels 0-2 (at level 3 0b11 is a page)
    std::uint64_t oa = 0;     // output address (next table, block or page), bits [47:12]
    std::uint8_t memattr = 0; // MemAttr[3:0], bits [5:2]
    std::uint8_t s2ap = 0;    // S2AP[1:0], bits [7:6]: bit 0 read, bit 1 write
    std::uint8_t sh = 0;      // SH[1:0], bits [9:8]
    bool af = false;          // access flag, bit 10
    bool xn = false;          // execute never, bit 54
};

// Decodes a descriptor: bits[1:0] 0b00/0b10 invalid; 0b11 table at levels 0-2 and page at level
// 3; 0b01 block at levels 1-2, invalid at levels 0 and 3 (4 KiB granule without FEAT_LPA2).
arm64_s2_entry decode_s2_entry(std::uint64_t desc, unsigned level);
// The leaf (block or page) KVM writes: valid, AF set (KVM_PTE_LEAF_ATTR_LO_S2_AF), inner
// shareable, with the given output address, MemAttr, S2AP and XN.
std::uint64_t encode_s2_leaf(std::uint64_t oa, unsigned level, std::uint8_t memattr,
                             std::uint8_t s2ap, bool xn);

enum class arm64_fault_kind : std::uint8_t { none, translation, access_flag, permission };

struct arm64_fault {
    arm64_fault_kind kind = arm64_fault_kind::none;
    unsigned level = 0;
    bool faulted() const { return kind != arm64_fault_kind::none; }
};

// The stage-2 check of one access at a leaf (or an invalid entry) found at `level`:
// invalid: translation fault; AF 0: access-flag fault; then the permission the access needs
// (read, write, or execute: a fetch needs !XN and not S2AP read).
arm64_fault s2_check(const arm64_s2_entry& e, unsigned level, arm64_access a);

// Fault status code, ESR_ELx ISS[5:0]: 0b0001LL translation, 0b0010LL access flag,
// 0b0011LL permission (L = level).
std::uint8_t arm64_fsc(const arm64_fault& f);

// ESR_EL2 for a stage-2 fault taken from EL1/EL0: EC 0x20 (Instruction Abort from a lower EL)
// for a fetch, else 0x24 (Data Abort from a lower EL); IL 1; ISS: DFSC/IFSC, WnR (a write; 1
// for cache maintenance), S1PTW (the fault hit a stage-1 table walk's access), CM (cache
// maintenance). ISV is 0: the model gives no instruction syndrome (KVM then cannot emulate
// the access as MMIO, as on hardware for instructions without one).
std::uint32_t esr_el2_stage2(const arm64_fault& f, arm64_access a);

// HPFAR_EL2 of a stage-2 fault: FIPA (IPA[47:12]) in bits [43:4].
constexpr std::uint64_t hpfar_el2(std::uint64_t ipa) {
    return ((ipa >> 12) & ((std::uint64_t{1} << 36) - 1)) << 4;
}

} // namespace mtsim::cpu
