// arm64 stage 2: the descriptor fields, the permission/fault matrix of every S2AP x XN x AF x
// access, and the ESR_EL2 syndromes, against values transcribed from the Arm ARM (DDI 0487 D8.3,
// D8.4, D8.15) and Linux arch/arm64/include/asm/esr.h.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "cpu/arm64_stage2.h"

using namespace mtsim::cpu;

namespace {

const arm64_access accesses[7] = {
    arm64_access::read,     arm64_access::write,   arm64_access::fetch, arm64_access::dc_cvac,
    arm64_access::dc_civac, arm64_access::dc_ivac, arm64_access::walk};

// Rows: S2AP 0b00, 0b01 (read), 0b10 (write), 0b11; columns: the accesses above; the two
// tables: XN 0 and XN 1. "ok" or "P" (permission fault).
const char* const perm_xn0[4][7] = {{"P", "P", "ok", "P", "P", "P", "P"},
                                    {"ok", "P", "ok", "ok", "ok", "P", "ok"},
                                    {"P", "ok", "ok", "P", "P", "ok", "P"},
                                    {"ok", "ok", "ok", "ok", "ok", "ok", "ok"}};
const char* const perm_xn1[4][7] = {{"P", "P", "P", "P", "P", "P", "P"},
                                    {"ok", "P", "P", "ok", "ok", "P", "ok"},
                                    {"P", "ok", "P", "P", "P", "ok", "P"},
                                    {"ok", "ok", "P", "ok", "ok", "ok", "ok"}};

} // namespace

TEST_CASE("arm64 stage 2: a leaf KVM writes decodes field by field at levels 1 to 3") {
    for (unsigned level = 1; level <= 3; ++level)
        for (unsigned memattr = 0; memattr < 16; ++memattr)
            for (unsigned s2ap = 0; s2ap < 4; ++s2ap)
                for (bool xn : {false, true}) {
                    const std::uint64_t oa = 0x0000'8765'4320'0000ULL;
                    const std::uint64_t d =
                        encode_s2_leaf(oa, level, std::uint8_t(memattr), std::uint8_t(s2ap), xn);
                    const arm64_s2_entry e = decode_s2_entry(d, level);
                    CAPTURE(level);
                    CAPTURE(d);
                    CHECK(e.valid);
                    CHECK_FALSE(e.table);
                    CHECK(e.oa == oa);
                    CHECK(e.memattr == memattr);
                    CHECK(e.s2ap == s2ap);
                    CHECK(e.af);
                    CHECK(e.sh == 0b11);
                    CHECK(e.xn == xn);
                }
    // The page KVM maps for guest RAM with FWB (MemAttr 0b0110, S2AP RW, AF, SH inner):
    // 0x7db: type 0b11, MemAttr 0b0110 << 2, S2AP 0b11 << 6, SH 0b11 << 8, AF << 10.
    CHECK(encode_s2_leaf(0x40000000, 3, 0x6, 3, false) == 0x40000000ULL + 0x7db);
    CHECK_THROWS_AS(encode_s2_leaf(0, 0, 0x6, 3, false), std::invalid_argument);
}

TEST_CASE("arm64 stage 2: descriptor types per level") {
    // bits[1:0]: 0b00 and 0b10 invalid; 0b11 table at 0-2, page at 3; 0b01 block at 1-2 only.
    for (unsigned level = 0; level <= 3; ++level) {
        CAPTURE(level);
        CHECK_FALSE(decode_s2_entry(0x1000, level).valid);
        CHECK_FALSE(decode_s2_entry(0x1002, level).valid);
        const arm64_s2_entry t = decode_s2_entry(0x1003, level);
        CHECK(t.valid);
        CHECK(t.table == (level < 3));
        CHECK(t.oa == 0x1000);
        CHECK(decode_s2_entry(0x1001, level).valid == (level == 1 || level == 2));
    }
    CHECK_THROWS_AS(decode_s2_entry(3, 4), std::invalid_argument);
}

TEST_CASE("arm64 stage 2: permission and fault matrix of every S2AP x XN x AF x access") {
    for (unsigned level = 1; level <= 3; ++level)
        for (unsigned s2ap = 0; s2ap < 4; ++s2ap)
            for (bool xn : {false, true})
                for (bool af : {false, true})
                    for (int i = 0; i < 7; ++i) {
                        arm64_s2_entry e = decode_s2_entry(
                            encode_s2_leaf(0x1000, level, 0x6, std::uint8_t(s2ap), xn), level);
                        e.af = af;
                        const arm64_fault f = s2_check(e, level, accesses[i]);
                        CAPTURE(level);
                        CAPTURE(s2ap);
                        CAPTURE(xn);
                        CAPTURE(af);
                        CAPTURE(to_string(accesses[i]));
                        CHECK(f.level == (f.faulted() ? level : 0));
                        if (!af) {
                            CHECK(f.kind == arm64_fault_kind::access_flag);
                            continue;
                        }
                        const std::string want = (xn ? perm_xn1 : perm_xn0)[s2ap][i];
                        CHECK(f.kind == (want == "ok" ? arm64_fault_kind::none
                                                      : arm64_fault_kind::permission));
                    }
    // An invalid entry is a translation fault at the level where the walk found it.
    for (unsigned level = 0; level <= 3; ++level)
        for (arm64_access a : accesses) {
            const arm64_fault f = s2_check(decode_s2_entry(0, level), level, a);
            CHECK(f.kind == arm64_fault_kind::translation);
            CHECK(f.level == level);
        }
    CHECK_THROWS_AS(s2_check(decode_s2_entry(0x1003, 1), 1, arm64_access::read),
                    std::invalid_argument);
}

TEST_CASE("arm64 stage 2: ESR_EL2 syndromes and HPFAR_EL2") {
    // Values as Linux prints them for stage-2 aborts (EC 0x24 data, 0x20 instruction, IL 1).
    CHECK(esr_el2_stage2({arm64_fault_kind::translation, 3}, arm64_access::read) == 0x92000007u);
    CHECK(esr_el2_stage2({arm64_fault_kind::permission, 3}, arm64_access::write) == 0x9200004fu);
    CHECK(esr_el2_stage2({arm64_fault_kind::access_flag, 2}, arm64_access::read) == 0x9200000au);
    CHECK(esr_el2_stage2({arm64_fault_kind::translation, 3}, arm64_access::fetch) == 0x82000007u);
    CHECK(esr_el2_stage2({arm64_fault_kind::permission, 3}, arm64_access::fetch) == 0x8200000fu);
    // A stage-1 table walk's access: S1PTW (bit 7); a cache maintenance: CM (bit 8) and WnR.
    CHECK(esr_el2_stage2({arm64_fault_kind::translation, 2}, arm64_access::walk) == 0x92000086u);
    for (arm64_access a : {arm64_access::dc_cvac, arm64_access::dc_civac, arm64_access::dc_ivac})
        CHECK(esr_el2_stage2({arm64_fault_kind::permission, 3}, a) == 0x9200014fu);
    CHECK_THROWS_AS(arm64_fsc({}), std::invalid_argument);
    CHECK(hpfar_el2(0x0000'1234'5678ULL) == 0x1234'50ULL);
    CHECK(hpfar_el2(0x0000'ffff'ffff'f000ULL) == 0xff'ffff'fff0ULL);
}
