// EPT and guest-paging rules as pure functions (docs/reference/ept.md, SDM vol. 3 ch. 4 and 28):
// EPTP decode, misconfiguration of every R/W/X combination and reserved bit at every level,
// exit-qualification bits, guest reserved bits and page-fault error codes. Expectations are
// written from the reference text, not from the production tables.
#include <doctest/doctest.h>

#include <stdexcept>

#include "cpu/ept.h"
#include "cpu/guest_paging.h"
#include "model/pat.h"

using namespace mtsim;
using namespace mtsim::cpu;

TEST_CASE("EPTP decode: memtype walk length AD flag and root") {
    ept_caps caps;
    const eptp p = decode_eptp(0x12345000ULL | 6 | (3 << 3) | (1 << 6), caps);
    CHECK(p.walk_type == memtype::wb);
    CHECK(p.levels == 4);
    CHECK(p.ad);
    CHECK(p.root == 0x12345000ULL);
    CHECK(encode_eptp(p) == (0x12345000ULL | 6 | (3 << 3) | (1 << 6)));
    const eptp q = decode_eptp(0x1000 | 0 | (4 << 3), caps);
    CHECK(q.walk_type == memtype::uc);
    CHECK(q.levels == 5);
    CHECK_FALSE(q.ad);
}

TEST_CASE("EPTP decode: invalid memtype walk length reserved and address bits throw") {
    ept_caps caps;
    for (unsigned mt = 0; mt < 8; ++mt) {
        CAPTURE(mt);
        if (mt == 0 || mt == 6)
            CHECK_NOTHROW(decode_eptp(0x1000 | mt | (3 << 3), caps));
        else
            CHECK_THROWS_AS(decode_eptp(0x1000 | mt | (3 << 3), caps), std::invalid_argument);
    }
    for (unsigned wl = 0; wl < 8; ++wl) {
        CAPTURE(wl);
        if (wl == 3 || wl == 4)
            CHECK_NOTHROW(decode_eptp(0x1000 | 6 | (wl << 3), caps));
        else
            CHECK_THROWS_AS(decode_eptp(0x1000 | 6 | (wl << 3), caps), std::invalid_argument);
    }
    caps.walk_5level = false;
    CHECK_THROWS_AS(decode_eptp(0x1000 | 6 | (4 << 3), caps), std::invalid_argument);
    caps.walk_5level = true;
    for (unsigned b = 7; b < 12; ++b)
        CHECK_THROWS_AS(decode_eptp(0x1000 | 6 | (3 << 3) | (1ULL << b), caps),
                        std::invalid_argument);
    caps.maxphyaddr = 40;
    CHECK_NOTHROW(decode_eptp((1ULL << 39) | 6 | (3 << 3), caps));
    CHECK_THROWS_AS(decode_eptp((1ULL << 40) | 6 | (3 << 3), caps), std::invalid_argument);
}

// A well-formed entry of each kind with rwx = 7 and (for leaves) WB.
static std::uint64_t good_entry(unsigned level, bool leaf) {
    std::uint64_t e = 0x40000000ULL | 7;
    if (leaf) e |= 6 << 3;
    if (leaf && level > 1) e |= 1 << 7;
    return e;
}

TEST_CASE("EPT misconfiguration: every RWX combination at every level with and without XO") {
    int checked = 0;
    for (bool xo : {false, true}) {
        ept_caps caps;
        caps.execute_only = xo;
        for (unsigned level = 1; level <= 5; ++level)
            for (bool leaf : {false, true}) {
                if ((level == 1 && !leaf) || (level >= 4 && leaf)) continue;
                for (unsigned rwx = 1; rwx < 8; ++rwx) {
                    CAPTURE(xo);
                    CAPTURE(level);
                    CAPTURE(leaf);
                    CAPTURE(rwx);
                    const std::uint64_t e = (good_entry(level, leaf) & ~7ULL) | rwx;
                    const bool r = rwx & 1, w = rwx & 2, x = rwx & 4;
                    const auto m = check_ept_entry(e, level, caps);
                    if (w && !r) {
                        REQUIRE(m);
                        CHECK(*m == ept_misconfig::write_without_read);
                    } else if (x && !r && !w && !xo) {
                        REQUIRE(m);
                        CHECK(*m == ept_misconfig::execute_only);
                    } else {
                        CHECK_FALSE(m);
                    }
                    ++checked;
                }
            }
    }
    CHECK(checked == 2 * 7 * 7);
}

TEST_CASE("EPT misconfiguration: leaf memory types 2 3 and 7 at every leaf level") {
    ept_caps caps;
    for (unsigned level = 1; level <= 3; ++level)
        for (unsigned mt = 0; mt < 8; ++mt) {
            CAPTURE(level);
            CAPTURE(mt);
            const std::uint64_t e = (good_entry(level, true) & ~(7ULL << 3)) | (mt << 3);
            const auto m = check_ept_entry(e, level, caps);
            if (mt == 2 || mt == 3 || mt == 7) {
                REQUIRE(m);
                CHECK(*m == ept_misconfig::leaf_memtype);
            } else {
                CHECK_FALSE(m);
            }
        }
    // The memory-type field of a non-leaf entry is reserved bits 5:3, not a type.
    CHECK(check_ept_entry(0x40000000ULL | 7 | (6 << 3), 2, caps) ==
          ept_misconfig::non_leaf_reserved);
}

TEST_CASE("EPT misconfiguration: each reserved bit 7 to 3 of non-leaf entries at every level") {
    ept_caps caps;
    for (unsigned level = 2; level <= 5; ++level)
        for (unsigned b = 3; b <= 7; ++b) {
            CAPTURE(level);
            CAPTURE(b);
            const std::uint64_t e = good_entry(level, false) | (1ULL << b);
            const auto m = check_ept_entry(e, level, caps);
            if (b == 7 && level < 4) {
                CHECK(is_leaf(ept_kind(level, e))); // PS at PD/PDPT makes a leaf instead
                continue;
            }
            REQUIRE(m);
            CHECK(*m ==
                  (b == 7 ? ept_misconfig::ps_in_top_level : ept_misconfig::non_leaf_reserved));
        }
    // Bits 11:8 of a non-leaf entry are A and ignored bits: never a misconfiguration.
    for (unsigned level = 2; level <= 5; ++level)
        for (unsigned b = 8; b <= 11; ++b)
            CHECK_FALSE(check_ept_entry(good_entry(level, false) | (1ULL << b), level, caps));
}

TEST_CASE("EPT misconfiguration: PS in PML4E and PML5E and in a PDPTE without 1G support") {
    ept_caps caps;
    CHECK(check_ept_entry(good_entry(4, false) | 0x80, 4, caps) == ept_misconfig::ps_in_top_level);
    CHECK(check_ept_entry(good_entry(5, false) | 0x80, 5, caps) == ept_misconfig::ps_in_top_level);
    CHECK_FALSE(check_ept_entry(good_entry(3, true), 3, caps));
    caps.pages_1g = false;
    CHECK(check_ept_entry(good_entry(3, true), 3, caps) == ept_misconfig::ps_1g_unsupported);
    CHECK_FALSE(check_ept_entry(good_entry(2, true), 2, caps));
}

TEST_CASE("EPT misconfiguration: low address bits of a large leaf and bits above MAXPHYADDR") {
    ept_caps caps;
    caps.maxphyaddr = 40;
    for (unsigned b = 12; b < 52; ++b) {
        CAPTURE(b);
        for (unsigned level = 1; level <= 3; ++level) {
            const std::uint64_t e = (good_entry(level, true) & 0xfff) | (1ULL << b);
            const auto m = check_ept_entry(e, level, caps);
            if (b >= 40) {
                REQUIRE(m);
                CHECK(*m == ept_misconfig::address_above_maxphy);
            } else if (b < 12 + 9 * (level - 1)) {
                REQUIRE(m);
                CHECK(*m == ept_misconfig::large_leaf_address_bits);
            } else {
                CHECK_FALSE(m);
            }
        }
        const auto m = check_ept_entry((good_entry(4, false) & 0xfff) | (1ULL << b), 4, caps);
        CHECK(m.has_value() == (b >= 40));
    }
    // Bits 63:52 (suppress #VE, ignored bits) are not reserved.
    for (unsigned b = 52; b < 64; ++b)
        CHECK_FALSE(check_ept_entry(good_entry(1, true) | (1ULL << b), 1, caps));
}

TEST_CASE("EPT qualification: every access and every AND of RWX") {
    for (unsigned access = 0; access < 8; ++access)
        for (unsigned rwx = 0; rwx < 8; ++rwx)
            for (bool final : {false, true}) {
                const std::uint64_t q = ept_qualification({access, rwx, true, final});
                const std::uint64_t want =
                    access | (std::uint64_t{rwx} << 3) | (1ULL << 7) | (final ? 1ULL << 8 : 0);
                CHECK(q == want);
            }
    // Bit 8 is meaningful only with bit 7.
    CHECK(ept_qualification({1, 0, false, true}) == 1);
}

TEST_CASE("guest reserved bits and page-fault error codes") {
    guest_caps caps;
    caps.maxphyaddr = 40;
    guest_regs regs;
    const std::uint64_t ok = 0x1000 | 0x27;
    CHECK(check_guest_entry(ok, 4, caps, regs) == guest_reserved::none);
    CHECK(check_guest_entry(ok | 0x80, 4, caps, regs) == guest_reserved::ps_in_pml4e);
    CHECK(check_guest_entry(ok | (1ULL << 40), 1, caps, regs) ==
          guest_reserved::address_above_maxphy);
    // PAT (bit 12) of a large leaf is not reserved; bits 13.. below the page size are.
    CHECK(check_guest_entry(0x200000 | 0x1000 | 0xa7, 2, caps, regs) == guest_reserved::none);
    CHECK(check_guest_entry(0x200000 | 0x2000 | 0xa7, 2, caps, regs) ==
          guest_reserved::large_leaf_address_bits);
    CHECK(check_guest_entry(0x40000000 | 0x20000000 | 0xa7, 3, caps, regs) ==
          guest_reserved::large_leaf_address_bits);
    CHECK(check_guest_entry(0x40000000 | 0x1000 | 0xa7, 3, caps, regs) == guest_reserved::none);
    caps.pages_1g = false;
    CHECK(check_guest_entry(0x40000000 | 0xa7, 3, caps, regs) == guest_reserved::ps_1g_unsupported);
    regs.efer_nxe = false;
    CHECK(check_guest_entry(ok | (1ULL << 63), 1, caps, regs) == guest_reserved::xd_without_nxe);

    CHECK(pf_error_code({false, false, access_kind::read, false, true}) == 0x0);
    CHECK(pf_error_code({true, false, access_kind::write, true, true}) == 0x7);
    CHECK(pf_error_code({true, true, access_kind::read, false, true}) == 0x9);
    CHECK(pf_error_code({false, false, access_kind::fetch, true, true}) == 0x14);
    CHECK(pf_error_code({false, false, access_kind::fetch, true, false}) == 0x4);
}

TEST_CASE("guest registers default to the IA32_PAT reset value") {
    CHECK(guest_regs{}.pat == decode_pat(pat_reset_value).value());
}
