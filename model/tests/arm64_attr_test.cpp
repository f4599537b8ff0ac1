// arm64 attribute encodings: every MAIR_EL1 Attr byte, every stage-2 MemAttr with and without
// FWB, and the stage-1 x stage-2 combination from raw encodings cell by cell. The expected
// values are transcribed here from the Arm ARM encodings (DDI 0487: MAIR_EL1; stage-2 MemAttr;
// R_HMNDG/R_TNHFM/R_GQFSF without FWB, R_VRJSW/R_RHWZM with FWB), independently of the code.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "model/arm64_attr.h"
#include "model/not_modelled.h"

using namespace mtsim;

namespace {

// Expected decodes: D0 nGnRnE, D1 nGnRE, D2 nGRE, D3 GRE, NC, WT, WB; "inv" reserved or
// UNPREDICTABLE (std::invalid_argument); "mix" inner and outer of different kinds
// (not_modelled).
arm64_memtype named(const std::string& s) {
    if (s == "D0") return arm64_memtype::device_ngnrne;
    if (s == "D1") return arm64_memtype::device_ngnre;
    if (s == "D2") return arm64_memtype::device_ngre;
    if (s == "D3") return arm64_memtype::device_gre;
    if (s == "NC") return arm64_memtype::normal_nc;
    if (s == "WT") return arm64_memtype::normal_wt;
    if (s == "WB") return arm64_memtype::normal_wb;
    FAIL("bad name " << s);
    return arm64_memtype::normal_wb;
}

// A MAIR Normal half by its value 0b0000..0b1111 (0b0000 is not a Normal half).
const char* const mair_half[16] = {"inv", "WT", "WT", "WT", "NC", "WB", "WB", "WB",
                                   "WT",  "WT", "WT", "WT", "WB", "WB", "WB", "WB"};

std::string expected_mair(unsigned attr) {
    const unsigned hi = attr >> 4, lo = attr & 0xf;
    if (hi == 0) {
        if (lo & 3) return "inv";
        const char* const dev[4] = {"D0", "D1", "D2", "D3"};
        return dev[lo >> 2];
    }
    const std::string o = mair_half[hi], i = mair_half[lo];
    if (i == "inv") return "inv";
    return o == i ? i : "mix";
}

// Stage-2 MemAttr 0b0000..0b1111 without FWB (outer [3:2], inner [1:0]: 01 NC, 10 WT, 11 WB).
const char* const s2_nofwb[16] = {"D0",  "D1",  "D2", "D3",  "inv", "NC",  "mix", "mix",
                                  "inv", "mix", "WT", "mix", "inv", "mix", "mix", "WB"};
// With FWB: 0b0xx Device from stage 2, 0b101 NC, 0b110 forced WB, 0b111 stage 1, 0b100 and
// MemAttr[3] set reserved.
const char* const s2_fwb[16] = {"D0",  "D1",  "D2",  "D3",  "inv", "NC",  "WB",  "as-s1",
                                "inv", "inv", "inv", "inv", "inv", "inv", "inv", "inv"};

template <class F>
void check_decode(const std::string& want, F&& decode) {
    if (want == "inv")
        CHECK_THROWS_AS(decode(), std::invalid_argument);
    else if (want == "mix")
        CHECK_THROWS_AS(decode(), not_modelled);
    else if (want == "as-s1") {
        const arm64_s2 s2 = decode();
        CHECK(s2.as_s1);
    } else {
        const arm64_s2 s2 = decode();
        CHECK_FALSE(s2.as_s1);
        CHECK(s2.type == named(want));
    }
}

// Canonical stage-1 bytes (Linux MAIR_EL1) in the order D0, D1, D2, D3, NC, WT, WB.
const std::uint8_t s1_bytes[7] = {0x00, 0x04, 0x08, 0x0c, 0x44, 0xbb, 0xff};

} // namespace

TEST_CASE("arm64 MAIR_EL1 Attr: every byte decodes - is refused - or is not modelled") {
    for (unsigned a = 0; a < 256; ++a) {
        CAPTURE(a);
        const std::string want = expected_mair(a);
        if (want == "inv")
            CHECK_THROWS_AS(decode_mair_attr(std::uint8_t(a)), std::invalid_argument);
        else if (want == "mix")
            CHECK_THROWS_AS(decode_mair_attr(std::uint8_t(a)), not_modelled);
        else
            CHECK(decode_mair_attr(std::uint8_t(a)) == named(want));
    }
    for (arm64_memtype t : all_arm64_memtypes) CHECK(decode_mair_attr(encode_mair_attr(t)) == t);
    // Linux's MAIR_EL1 value (arch/arm64/include/asm/sysreg.h MAIR_EL1_SET): index MT_NORMAL 0
    // = 0xff, MT_NORMAL_TAGGED 1 = 0xf0 (MTE, not modelled), MT_NORMAL_NC 2 = 0x44,
    // MT_DEVICE_nGnRnE 3 = 0x00, MT_DEVICE_nGnRE 4 = 0x04.
    const std::uint64_t mair = 0x00000004'0044f0ffULL;
    CHECK(mair_attr_at(mair, 0) == 0xff);
    CHECK(mair_attr_at(mair, 2) == 0x44);
    CHECK(mair_attr_at(mair, 3) == 0x00);
    CHECK(mair_attr_at(mair, 4) == 0x04);
    CHECK_THROWS_AS(decode_mair_attr(mair_attr_at(mair, 1)), std::invalid_argument);
    CHECK_THROWS_AS(mair_attr_at(mair, 8), std::invalid_argument);
}

TEST_CASE("arm64 stage-2 MemAttr: every value without and with FWB") {
    for (unsigned m = 0; m < 16; ++m) {
        CAPTURE(m);
        check_decode(s2_nofwb[m], [&] { return decode_s2_memattr(false, std::uint8_t(m)); });
        check_decode(s2_fwb[m], [&] { return decode_s2_memattr(true, std::uint8_t(m)); });
    }
    CHECK_THROWS_AS(decode_s2_memattr(false, 0x10), std::invalid_argument);
}

TEST_CASE("arm64 stage-2 MemAttr: KVM's MT_S2 values encode and decode back") {
    // arch/arm64/include/asm/memory.h: MT_S2_NORMAL 0xf, MT_S2_NORMAL_NC 0x5,
    // MT_S2_DEVICE_nGnRE 0x1; MT_S2_FWB_NORMAL 6, MT_S2_FWB_NORMAL_NC 5,
    // MT_S2_FWB_DEVICE_nGnRE 1, MT_S2_FWB_AS_S1 7.
    CHECK(encode_s2_memattr(false, {false, arm64_memtype::normal_wb}) == 0xf);
    CHECK(encode_s2_memattr(false, {false, arm64_memtype::normal_nc}) == 0x5);
    CHECK(encode_s2_memattr(false, {false, arm64_memtype::device_ngnre}) == 0x1);
    CHECK(encode_s2_memattr(true, {false, arm64_memtype::normal_wb}) == 6);
    CHECK(encode_s2_memattr(true, {false, arm64_memtype::normal_nc}) == 5);
    CHECK(encode_s2_memattr(true, {false, arm64_memtype::device_ngnre}) == 1);
    CHECK(encode_s2_memattr(true, {true, arm64_memtype::normal_wb}) == 7);
    CHECK_THROWS_AS(encode_s2_memattr(false, {true, arm64_memtype::normal_wb}),
                    std::invalid_argument);
    CHECK_THROWS_AS(encode_s2_memattr(true, {false, arm64_memtype::normal_wt}),
                    std::invalid_argument);
    for (bool fwb : {false, true})
        for (unsigned m = 0; m < 16; ++m) {
            const char* want = fwb ? s2_fwb[m] : s2_nofwb[m];
            const std::string w = want;
            if (w == "inv" || w == "mix") continue;
            CAPTURE(fwb);
            CAPTURE(m);
            CHECK(encode_s2_memattr(fwb, decode_s2_memattr(fwb, std::uint8_t(m))) == m);
        }
}

TEST_CASE("arm64 stage-1 MAIR x stage-2 MemAttr without FWB: every cell") {
    // R_HMNDG, R_TNHFM, R_GQFSF: any Device on either stage gives the stronger Device type;
    // Normal with Normal gives NC if either is NC, else WT if either is WT, else WB.
    // Rows: stage-2 MemAttr 0x0, 0x1, 0x2, 0x3, 0x5, 0xa, 0xf; columns: s1_bytes.
    const std::uint8_t rows[7] = {0x0, 0x1, 0x2, 0x3, 0x5, 0xa, 0xf};
    const char* const want[7][7] = {
        {"D0", "D0", "D0", "D0", "D0", "D0", "D0"}, {"D0", "D1", "D1", "D1", "D1", "D1", "D1"},
        {"D0", "D1", "D2", "D2", "D2", "D2", "D2"}, {"D0", "D1", "D2", "D3", "D3", "D3", "D3"},
        {"D0", "D1", "D2", "D3", "NC", "NC", "NC"}, {"D0", "D1", "D2", "D3", "NC", "WT", "WT"},
        {"D0", "D1", "D2", "D3", "NC", "WT", "WB"},
    };
    for (int r = 0; r < 7; ++r)
        for (int c = 0; c < 7; ++c) {
            CAPTURE(unsigned(rows[r]));
            CAPTURE(unsigned(s1_bytes[c]));
            const arm64_explained e = arm64_combine_encoded(false, s1_bytes[c], rows[r]);
            CHECK(e.type == named(want[r][c]));
            REQUIRE(e.steps.size() >= 2);
            CHECK(e.steps.front().find("MemAttr") != std::string::npos);
        }
}

TEST_CASE("arm64 stage-1 MAIR x stage-2 MemAttr with FWB: every cell") {
    // R_VRJSW, R_RHWZM: MemAttr[2] 0: Device of the stage-2 type whatever stage 1 says (as
    // Linux arch/arm64/kvm/at.c compute_par_s12() and QEMU combined_attrs_fwb() read it);
    // 0b101: stage-1 Device stays, Normal becomes NC; 0b110: Normal-WB; 0b111: stage 1.
    // Rows: MemAttr 0x0, 0x1, 0x2, 0x3, 0x5, 0x6, 0x7; columns: s1_bytes.
    const std::uint8_t rows[7] = {0x0, 0x1, 0x2, 0x3, 0x5, 0x6, 0x7};
    const char* const want[7][7] = {
        {"D0", "D0", "D0", "D0", "D0", "D0", "D0"}, {"D1", "D1", "D1", "D1", "D1", "D1", "D1"},
        {"D2", "D2", "D2", "D2", "D2", "D2", "D2"}, {"D3", "D3", "D3", "D3", "D3", "D3", "D3"},
        {"D0", "D1", "D2", "D3", "NC", "NC", "NC"}, {"WB", "WB", "WB", "WB", "WB", "WB", "WB"},
        {"D0", "D1", "D2", "D3", "NC", "WT", "WB"},
    };
    for (int r = 0; r < 7; ++r)
        for (int c = 0; c < 7; ++c) {
            CAPTURE(unsigned(rows[r]));
            CAPTURE(unsigned(s1_bytes[c]));
            CHECK(arm64_combine_encoded(true, s1_bytes[c], rows[r]).type == named(want[r][c]));
        }
}

TEST_CASE("arm64 combination from encodings: transient and allocation hints do not change it") {
    // 0x55: Normal WB transient, no allocation hint (RW = 01) inside and outside; 0x88: WT
    // non-transient no-allocate; the type is WB and WT whatever the hints.
    CHECK(arm64_combine_encoded(false, 0x55, 0xf).type == arm64_memtype::normal_wb);
    CHECK(arm64_combine_encoded(false, 0x88, 0xf).type == arm64_memtype::normal_wt);
    CHECK(arm64_combine_encoded(true, 0x77, 0x7).type == arm64_memtype::normal_wb);
    // An inner/outer mix on stage 1 is refused as not modelled, with either FWB setting.
    CHECK_THROWS_AS(arm64_combine_encoded(false, 0x4f, 0xf), not_modelled);
    CHECK_THROWS_AS(arm64_combine_encoded(true, 0xf4, 0x6), not_modelled);
}
