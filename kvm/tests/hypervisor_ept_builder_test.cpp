// The EPT builder alone over a plain in-memory table_memory (no SystemC kernel): the table
// structure it writes, splitting a 2 MiB leaf, replacing a table by a 2 MiB leaf, zapping
// leaves only, and refusing what it cannot build. Entries are decoded with cpu/ept.h.
#include <doctest/doctest.h>

#include <unordered_map>

#include "cpu/ept.h"
#include "kvm/ept_builder.h"

using namespace mtsim;
using namespace mtsim::kvm;

namespace {

struct plain_memory final : table_memory {
    std::unordered_map<std::uint64_t, std::uint64_t> words;
    unsigned writes = 0;
    std::uint64_t read_entry(std::uint64_t pa, const access_ext&, sc_core::sc_time&) override {
        auto it = words.find(pa);
        return it == words.end() ? 0 : it->second;
    }
    void write_entry(std::uint64_t pa, std::uint64_t v, const access_ext&,
                     sc_core::sc_time&) override {
        words[pa] = v;
        ++writes;
    }
    std::uint64_t at(std::uint64_t pa) const {
        auto it = words.find(pa);
        return it == words.end() ? 0 : it->second;
    }
    // The leaf for gpa (level, value), walking from root; level 0 when not present.
    std::pair<unsigned, std::uint64_t> walk(std::uint64_t root, std::uint64_t gpa) const {
        std::uint64_t table = root;
        for (unsigned level = 4; level >= 1; --level) {
            const std::uint64_t e = at(table + 8 * cpu::level_index(gpa, level));
            if (cpu::ept_rwx(e) == 0) return {0, 0};
            if (cpu::is_leaf(cpu::ept_kind(level, e))) return {level, e};
            table = cpu::address_of(e);
        }
        return {0, 0};
    }
};

leaf_request leaf(std::uint64_t gpa, unsigned level, std::uint64_t hpa, memtype t, bool ipat) {
    leaf_request r;
    r.gpa = gpa;
    r.level = level;
    r.hpa = hpa;
    r.decision.ept_type = t;
    r.decision.ipat = ipat;
    r.policy = "test";
    return r;
}

struct builder_rig {
    plain_memory mem;
    ept_builder_config cfg;
    std::unique_ptr<ept_builder> b;
    access_ext ext;
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    builder_rig() {
        cfg.pool_base = 0x100000;
        cfg.pool_size = 16 * 4096;
        b = std::make_unique<ept_builder>(cfg, mem);
    }
};

} // namespace

TEST_CASE("ept builder: first leaf clears and links one table per level") {
    builder_rig r;
    const build_work w = r.b->map(leaf(0x12345000, 1, 0x777000, memtype::wt, false), r.ext, r.d);
    CHECK(w.tables_allocated == 4);     // root cleared, then PDPT, PD, PT
    CHECK(w.entries_written == 4);      // three links and the leaf
    CHECK(r.mem.writes == 4 * 512 + 4); // every table page cleared first
    const auto [level, e] = r.mem.walk(r.b->root(), 0x12345000);
    CHECK(level == 1);
    CHECK(cpu::address_of(e) == 0x777000);
    CHECK(cpu::field_get(cpu::field(cpu::ept_field::memtype), e) == encoding(memtype::wt));
    CHECK_FALSE(cpu::ept_bit(cpu::ept_field::ipat, e));
    // A second leaf in the same page table writes only its own entry.
    const build_work w2 = r.b->map(leaf(0x12346000, 1, 0x778000, memtype::wb, true), r.ext, r.d);
    CHECK(w2.tables_allocated == 0);
    CHECK(w2.entries_written == 1);
    CHECK(r.b->leaf_count() == 2);
}

TEST_CASE(
    "ept builder: a 4 KiB leaf inside a 2 MiB leaf splits it and a 2 MiB leaf replaces a table") {
    builder_rig r;
    r.b->map(leaf(0x40000000, 2, 0x80000000, memtype::wb, true), r.ext, r.d);
    CHECK(r.mem.walk(r.b->root(), 0x40123000).first == 2);
    CHECK(r.b->leaf_for(0x40123) != nullptr);
    r.b->map(leaf(0x40123000, 1, 0x90123000, memtype::wb, false), r.ext, r.d);
    CHECK(r.mem.walk(r.b->root(), 0x40123000).first == 1);
    CHECK(r.mem.walk(r.b->root(), 0x40124000).first == 0); // the rest of the 2 MiB is gone
    CHECK(r.b->leaf_for(0x40124) == nullptr);
    CHECK(r.b->leaf_for(0x40123) != nullptr);
    r.b->map(leaf(0x40000000, 2, 0x80000000, memtype::wb, true), r.ext, r.d);
    CHECK(r.mem.walk(r.b->root(), 0x40123000).first == 2);
    CHECK(r.b->leaf_count() == 1);
}

TEST_CASE("ept builder: zap writes zero to leaves only and the tables are reused") {
    builder_rig r;
    r.b->map(leaf(0x1000, 1, 0x5000, memtype::wb, true), r.ext, r.d);
    r.b->map(leaf(0x40000000, 2, 0x80000000, memtype::wb, true), r.ext, r.d);
    const unsigned tables = static_cast<unsigned>(r.b->table_count());
    const build_work z = r.b->zap_leaves(r.ext, r.d);
    CHECK(z.leaves_zapped == 2);
    CHECK(z.entries_written == 2);
    CHECK(r.mem.walk(r.b->root(), 0x1000).first == 0);
    CHECK(r.mem.walk(r.b->root(), 0x40000000).first == 0);
    CHECK(r.b->leaf_count() == 0);
    CHECK(r.b->table_count() == tables);
    const build_work again = r.b->map(leaf(0x1000, 1, 0x5000, memtype::wb, false), r.ext, r.d);
    CHECK(again.tables_allocated == 0);
    CHECK(again.entries_written == 1);
}

TEST_CASE("ept builder: refuses bad leaves and an exhausted pool") {
    builder_rig r;
    CHECK_THROWS_AS(r.b->map(leaf(0x1000, 3, 0, memtype::wb, true), r.ext, r.d),
                    std::invalid_argument);
    CHECK_THROWS_AS(r.b->map(leaf(0x200000, 2, 0x1000, memtype::wb, true), r.ext, r.d),
                    std::invalid_argument);
    CHECK_THROWS_WITH_AS(r.b->map(leaf(0x1000, 1, 0x1000, memtype::uc_minus, false), r.ext, r.d),
                         doctest::Contains("not a valid EPT leaf type"), std::invalid_argument);
    // 16 pages: root + 15 tables; each new 512 GiB region needs three more.
    for (std::uint64_t i = 0; i < 5; ++i)
        r.b->map(leaf(i << 39, 1, 0x1000, memtype::wb, true), r.ext, r.d);
    CHECK_THROWS_WITH_AS(r.b->map(leaf(5ULL << 39, 1, 0x1000, memtype::wb, true), r.ext, r.d),
                         doctest::Contains("exhausted"), std::runtime_error);
}

TEST_CASE("ept builder: raw leaves of every size are recorded and zapped and raw tables are not") {
    builder_rig r;
    const std::uint64_t wb_rwx = (6u << 3) | 7;
    r.b->write_raw(0x1000, 1, 0x9000 | wb_rwx, r.ext, r.d);
    r.b->write_raw(0x40200000, 2, 0x80200000 | wb_rwx | (1u << 7) | (1u << 6), r.ext, r.d);
    r.b->write_raw(0x80000000, 3, 0xc0000000 | wb_rwx | (1u << 7), r.ext, r.d);
    r.b->write_raw(0x100000000, 2, 0x5000 | 7, r.ext, r.d); // a non-leaf PDE: not a leaf
    r.b->write_raw(0x200000000, 1, 0, r.ext, r.d);          // not present: not a leaf
    CHECK(r.b->leaf_count() == 3);
    REQUIRE(r.b->leaf_for(0x1) != nullptr);
    CHECK(r.b->leaf_for(0x1)->policy == "raw");
    REQUIRE(r.b->leaf_for(0x40300) != nullptr);
    CHECK(r.b->leaf_for(0x40300)->level == 2);
    CHECK(r.b->leaf_for(0x40300)->decision.ipat);
    REQUIRE(r.b->leaf_for(0xbffff) != nullptr);
    CHECK(r.b->leaf_for(0xbffff)->level == 3);
    CHECK(r.b->leaf_for(0xbffff)->decision.ept_type == memtype::wb);
    CHECK(r.b->zap_leaves(r.ext, r.d).leaves_zapped == 3);
    CHECK(r.mem.walk(r.b->root(), 0x80000000).first == 0);
    CHECK(r.mem.walk(r.b->root(), 0x1000).first == 0);
}
