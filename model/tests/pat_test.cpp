// IA32_PAT decode and PAT index selection (docs/reference/memory-types.md §3), every field, every
// encoding, every reserved bit, every PWT/PCD/PAT combination for each page size.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "model/pat.h"

using namespace mtsim;

namespace {
constexpr memtype UC = memtype::uc, WC = memtype::wc, WT = memtype::wt, WP = memtype::wp,
                  WB = memtype::wb, UCm = memtype::uc_minus;
} // namespace

TEST_CASE("PAT reset value decodes to WB - WT - UC- - UC - WB - WT - UC- - UC") {
    const auto d = decode_pat(0x0007040600070406ULL);
    REQUIRE(d.ok());
    CHECK(d.value() == pat_entries{WB, WT, UCm, UC, WB, WT, UCm, UC});
    CHECK(pat_reset_value == 0x0007040600070406ULL);
    CHECK(encode_pat(d.value()) == pat_reset_value);
}

TEST_CASE("Linux PAT value decodes to WB - WC - UC- - UC - WB - WP - UC- - WT") {
    const auto d = decode_pat(0x0407050600070106ULL);
    REQUIRE(d.ok());
    CHECK(d.value() == pat_entries{WB, WC, UCm, UC, WB, WP, UCm, WT});
    CHECK(pat_linux_value == 0x0407050600070106ULL);
    CHECK(encode_pat(d.value()) == pat_linux_value);
}

TEST_CASE("PAT: every encoding 0..7 in every field - 2 and 3 raise #GP") {
    const memtype by_enc[8] = {UC, WC, UC, UC, WT, WP, WB, UCm}; // [2],[3] unused
    for (unsigned field = 0; field < 8; ++field) {
        for (unsigned v = 0; v < 8; ++v) {
            CAPTURE(field);
            CAPTURE(v);
            const std::uint64_t msr =
                (pat_reset_value & ~(0xFFULL << (8 * field))) | (std::uint64_t{v} << (8 * field));
            const auto d = decode_pat(msr);
            if (v == 2 || v == 3) {
                REQUIRE_FALSE(d.ok());
                CHECK(d.gp_reason().find("PA" + std::to_string(field)) != std::string::npos);
                CHECK_THROWS_AS(d.value(), std::logic_error);
                continue;
            }
            REQUIRE(d.ok());
            for (unsigned i = 0; i < 8; ++i) {
                const unsigned want = i == field ? v : (pat_reset_value >> (8 * i)) & 7;
                CHECK(d.value()[i] == by_enc[want]);
            }
            CHECK(encode_pat(d.value()) == msr);
        }
    }
}

TEST_CASE("PAT: each reserved bit alone raises #GP - no entry bit does") {
    int reserved = 0;
    for (unsigned bit = 0; bit < 64; ++bit) {
        CAPTURE(bit);
        const bool is_entry_bit = (bit % 8) < 3;
        const std::uint64_t msr = is_entry_bit ? pat_linux_value : pat_linux_value | (1ULL << bit);
        const auto d = decode_pat(msr);
        CHECK(d.ok() == is_entry_bit);
        if (!is_entry_bit) {
            CHECK(d.gp_reason().find("reserved bits") != std::string::npos);
            ++reserved;
        }
    }
    CHECK(reserved == 40);
}

TEST_CASE("PAT index: every PWT/PCD/PAT-bit combination for 4 KiB - 2 MiB and 1 GiB entries") {
    // Candidate bits: 3 (PWT), 4 (PCD), 7 (PAT in a PTE, PS in a large entry), 12 (address in
    // a PTE, PAT in a large entry). Every other bit of the entry is either all 0 or all 1.
    const unsigned bits[4] = {3, 4, 7, 12};
    int checked = 0;
    for (page_size sz : all_page_sizes) {
        for (unsigned combo = 0; combo < 16; ++combo) {
            for (bool others : {false, true}) {
                std::uint64_t e = 0;
                if (others) e = ~((1ULL << 3) | (1ULL << 4) | (1ULL << 7) | (1ULL << 12));
                for (unsigned k = 0; k < 4; ++k)
                    if (combo & (1u << k)) e |= 1ULL << bits[k];
                const unsigned pwt = combo & 1, pcd = (combo >> 1) & 1;
                const unsigned pat_bit =
                    sz == page_size::size_4k ? (combo >> 2) & 1 : (combo >> 3) & 1;
                const unsigned want = pat_bit * 4 + pcd * 2 + pwt;
                CAPTURE(static_cast<int>(sz));
                CAPTURE(combo);
                CAPTURE(others);
                CHECK(pat_index(e, sz) == want);
                const auto linux_pat = decode_pat(pat_linux_value).value();
                CHECK(pat_type(linux_pat, e, sz) == linux_pat[want]);
                ++checked;
            }
        }
    }
    CHECK(checked == 3 * 16 * 2);
}

TEST_CASE("PAT index bits round-trip - and Linux's ioremap_wc is PWT=1 PCD=0 PAT=0") {
    for (page_size sz : all_page_sizes)
        for (unsigned idx = 0; idx < 8; ++idx) CHECK(pat_index(pat_index_bits(idx, sz), sz) == idx);
    CHECK(pat_index_bits(1, page_size::size_4k) == (1ULL << 3));
    CHECK(pat_index_bits(4, page_size::size_4k) == (1ULL << 7));
    CHECK(pat_index_bits(4, page_size::size_2m) == (1ULL << 12));
    const auto linux_pat = decode_pat(pat_linux_value).value();
    CHECK(pat_type(linux_pat, 1ULL << 3, page_size::size_4k) == WC);
    CHECK(pat_type(linux_pat, 1ULL << 3, page_size::size_2m) == WC);
    // bit 7 set in a 2 MiB entry is PS, not PAT: still index 1.
    CHECK(pat_type(linux_pat, (1ULL << 3) | (1ULL << 7), page_size::size_2m) == WC);
    CHECK(pat_type(linux_pat, (1ULL << 3) | (1ULL << 7), page_size::size_4k) == WP);
}
