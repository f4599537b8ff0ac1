// The remapping unit without the SystemC kernel, over a plain map of table entries: the snoop
// decision through real walks, every fault reason (and that a fault writes nothing), exact
// IOTLB hit and miss costs, invalidation, large pages, enforce_cache_coherency across units.
#include <doctest/doctest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "iommu/snoop_table.h"
#include "rig.h"

using namespace mtsim;
using namespace mtsim::iommu;
using namespace mtsim::iommu::test;

namespace {

constexpr std::uint16_t dev = 0x0310; // bus 3, device 2, function 0
constexpr std::uint64_t snp_bit = 1ull << 11;

} // namespace

// Every cell SC x SNP x NS through a real walk; SNP comes from the leaf in memory (written by
// the test where SC=0 forbids map() from writing it).
TEST_CASE("snoop decision through the walker for all 8 cells") {
    unsigned cells = 0;
    for (int sc = 0; sc < 2; ++sc)
        for (int snp = 0; snp < 2; ++snp)
            for (int ns = 0; ns < 2; ++ns) {
                map_memory mem;
                vtd_config cfg = test_config();
                cfg.ecap_sc = sc;
                rig u(cfg, "u" + std::to_string(cells), mem);
                iommu_domain d(test_domain());
                attach(u.unit, dev, d);
                map(u.unit, d, 0x4000, 0x8000000, 4096);
                const std::uint64_t leaf = entry_pa(mem, d, 0x4000, 1);
                if (snp) mem.entries[leaf] |= snp_bit;
                const unsigned writes = mem.writes;
                const auto before = mem.entries;

                const translation t = u.go(dev, 0x4010, true, ns);
                INFO("sc ", sc, " snp ", snp, " ns ", ns);
                if (snp && !sc) {
                    CHECK_FALSE(t.ok);
                    CHECK(t.reason == fault_reason::reserved_entry);
                    REQUIRE(u.unit.faults().records().size() == 1);
                    CHECK(u.unit.faults().records()[0].code() == 0xC);
                } else {
                    REQUIRE(t.ok);
                    CHECK(t.hpa == 0x8000010);
                    CHECK(t.snooped == (snp || !ns));
                    CHECK(t.snooped == (snoop_decision(sc, snp, ns) == snoop_outcome::snooped));
                }
                CHECK(mem.writes == writes);
                CHECK(mem.entries == before);
                ++cells;
            }
    CHECK(cells == 8);
}

// One row per fault reason: how to break the tables, and the request that meets the break.
TEST_CASE("every fault reason blocks the request and writes nothing") {
    struct fault_case {
        const char* what;
        fault_reason want;
        std::function<void(map_memory&, remap_unit&, iommu_domain&)> breakit;
        std::uint16_t bdf;
        std::uint64_t iova;
        bool write;
    };
    const std::vector<fault_case> cases = {
        {"no root entry for the bus", fault_reason::root_not_present, nullptr, 0x0700, 0x1000,
         false},
        {"no context entry for the function", fault_reason::context_not_present, nullptr, 0x0311,
         0x1000, false},
        {"context AW unsupported", fault_reason::invalid_context,
         [](map_memory& m, remap_unit& u, iommu_domain&) {
             m.entries[context_pa(m, u, dev) + 8] =
                 fields::ctx_aw.with(m.peek(context_pa(m, u, dev) + 8), 3); // 57-bit: agaw_57=0
         },
         dev, 0x1000, false},
        {"context TT pass-through", fault_reason::invalid_context,
         [](map_memory& m, remap_unit& u, iommu_domain&) {
             m.entries[context_pa(m, u, dev)] =
                 fields::ctx_tt.with(m.peek(context_pa(m, u, dev)), 2);
         },
         dev, 0x1000, false},
        {"beyond the guest address width", fault_reason::beyond_gaw, nullptr, dev, 1ull << 48,
         false},
        {"unmapped page", fault_reason::not_present, nullptr, dev, 0x9000, true},
        {"read of a write-only page", fault_reason::no_read, nullptr, dev, 0x2000, false},
        {"write of a read-only page", fault_reason::no_write, nullptr, dev, 0x1000, true},
        {"write through a read-only directory", fault_reason::no_write,
         [](map_memory& m, remap_unit&, iommu_domain& d) {
             m.entries[entry_pa(m, d, 0x3000, 2)] &= ~2ull; // clear W in the PDE
         },
         dev, 0x3000, true},
        {"root entry reserved bit", fault_reason::reserved_root,
         [](map_memory& m, remap_unit& u, iommu_domain&) {
             m.entries[u.root_table() + (dev >> 8) * 16] |= 1ull << 5;
         },
         dev, 0x1000, false},
        {"context entry reserved bit", fault_reason::reserved_context,
         [](map_memory& m, remap_unit& u, iommu_domain&) {
             m.entries[context_pa(m, u, dev) + 8] |= 1ull << 40;
         },
         dev, 0x1000, false},
        {"leaf address above the host width", fault_reason::reserved_entry,
         [](map_memory& m, remap_unit&, iommu_domain& d) {
             m.entries[entry_pa(m, d, 0x3000, 1)] |= 1ull << 47;
         },
         dev, 0x3000, false},
        {"SNP in a non-leaf entry", fault_reason::reserved_entry,
         [](map_memory& m, remap_unit&, iommu_domain& d) {
             m.entries[entry_pa(m, d, 0x3000, 3)] |= snp_bit;
         },
         dev, 0x3000, false},
        {"PS in a PML4 entry", fault_reason::reserved_entry,
         [](map_memory& m, remap_unit&, iommu_domain& d) {
             m.entries[entry_pa(m, d, 0x3000, 4)] |= 1ull << 7;
         },
         dev, 0x3000, false},
    };
    std::set<fault_reason> seen;
    unsigned i = 0;
    for (const auto& c : cases) {
        map_memory mem;
        rig u(test_config(), "f" + std::to_string(i++), mem);
        iommu_domain d(test_domain());
        attach(u.unit, dev, d);
        map(u.unit, d, 0x1000, 0x100000, 4096, true, false); // read-only
        map(u.unit, d, 0x2000, 0x101000, 4096, false, true); // write-only
        map(u.unit, d, 0x3000, 0x102000, 4096);
        if (c.breakit) c.breakit(mem, u.unit, d);
        const auto before = mem.entries;
        const unsigned writes = mem.writes;

        const translation t = u.go(c.bdf, c.iova, c.write, false);
        INFO(c.what);
        CHECK_FALSE(t.ok);
        CHECK(t.reason == c.want);
        CHECK(mem.writes == writes);
        CHECK(mem.entries == before);
        REQUIRE(u.unit.faults().records().size() == 1);
        const fault_record& f = u.unit.faults().records()[0];
        CHECK(f.bdf == c.bdf);
        CHECK(f.address == c.iova);
        CHECK(f.write == c.write);
        CHECK(f.reason == c.want);
        CHECK(f.code() == vtd_code(c.want, c.write));
        CHECK(u.n.faults.value() == 1);
        CHECK(u.n.snooped.value() + u.n.not_snooped.value() == 0);
        seen.insert(c.want);
    }
    CHECK(seen.size() == fault_reasons.size());
}

TEST_CASE("IOTLB hit and miss costs are exact") {
    map_memory mem;
    rig u(test_config(), "u", mem);
    iommu_domain d(test_domain()); // 48-bit: 4 levels
    attach(u.unit, dev, d);
    map(u.unit, d, 0x1000, 0x200000, 2 * 4096);
    const unsigned reads0 = mem.reads;
    std::uint64_t c = 0;

    // Cold: root + context low + context high, then 4 levels.
    REQUIRE(u.go(dev, 0x1000, false, false, &c).ok);
    CHECK(c == remap + 7 * ref);
    CHECK(mem.reads - reads0 == 7);
    // Same page: context cache and IOTLB hit.
    REQUIRE(u.go(dev, 0x1008, false, false, &c).ok);
    CHECK(c == remap);
    CHECK(mem.reads - reads0 == 7);
    // Neighbour page: IOTLB miss, the PDE is in the paging-structure cache: one reference.
    REQUIRE(u.go(dev, 0x2000, true, false, &c).ok);
    CHECK(c == remap + 1 * ref);
    CHECK(u.n.iotlb_hits.value() == 1);
    CHECK(u.n.iotlb_misses.value() == 2);
    CHECK(u.n.psc_hits.value() == 1);
    CHECK(u.n.context_cache_hits.value() == 2);
    CHECK(u.n.walk_references.value() == 8);
    // Everything invalidated: cold again.
    u.unit.invalidate_all();
    CHECK(u.unit.iotlb_valid_entries() == 0);
    REQUIRE(u.go(dev, 0x1000, false, false, &c).ok);
    CHECK(c == remap + 7 * ref);
}

TEST_CASE("IOTLB associativity evicts the least recently used way") {
    map_memory mem;
    vtd_config cfg = test_config();
    cfg.iotlb_entries = 4;
    cfg.iotlb_ways = 2; // 2 sets: even page numbers share set 0
    cfg.large_2m = false;
    cfg.large_1g = false;
    rig u(cfg, "u", mem);
    iommu_domain d(test_domain());
    attach(u.unit, dev, d);
    map(u.unit, d, 0x0, 0x200000, 8 * 4096);
    std::uint64_t c = 0;
    REQUIRE(u.go(dev, 0x0000, false, false, &c).ok);
    REQUIRE(u.go(dev, 0x2000, false, false, &c).ok);
    CHECK(c == remap + ref);
    REQUIRE(u.go(dev, 0x0000, false, false, &c).ok); // hit; 0x2000 is now the LRU way
    CHECK(c == remap);
    REQUIRE(u.go(dev, 0x1000, false, false, &c).ok); // set 1: evicts nothing in set 0
    REQUIRE(u.go(dev, 0x4000, false, false, &c).ok); // set 0 full: evicts 0x2000
    CHECK(u.unit.iotlb_valid_entries() == 3);
    REQUIRE(u.go(dev, 0x0000, false, false, &c).ok);
    CHECK(c == remap);
    REQUIRE(u.go(dev, 0x2000, false, false, &c).ok);
    CHECK(c == remap + ref);
}

TEST_CASE("without a paging-structure cache every miss walks all levels") {
    map_memory mem;
    vtd_config cfg = test_config();
    cfg.psc_entries = 0;
    cfg.context_cache_entries = 0;
    rig u(cfg, "u", mem);
    iommu_domain d(test_domain());
    attach(u.unit, dev, d);
    map(u.unit, d, 0x1000, 0x200000, 2 * 4096);
    std::uint64_t c = 0;
    REQUIRE(u.go(dev, 0x1000, false, false, &c).ok);
    CHECK(c == remap + 7 * ref);
    REQUIRE(u.go(dev, 0x1000, false, false, &c).ok); // IOTLB hit, but the context is read
    CHECK(c == remap + 3 * ref);
    REQUIRE(u.go(dev, 0x2000, false, false, &c).ok);
    CHECK(c == remap + 7 * ref);
    CHECK(u.n.psc_hits.value() == 0);
}

TEST_CASE("3-level and 5-level tables cost their levels") {
    for (const unsigned width : {39u, 57u}) {
        map_memory mem;
        vtd_config cfg = test_config();
        cfg.agaw_57 = true;
        rig u(cfg, "w" + std::to_string(width), mem);
        iommu_domain d(test_domain(5, width));
        attach(u.unit, dev, d);
        const std::uint64_t iova = (1ull << (width - 1)) + 0x5000; // top half of the space
        map(u.unit, d, iova, 0x300000, 4096);
        std::uint64_t c = 0;
        const translation t = u.go(dev, iova + 4, false, false, &c);
        REQUIRE(t.ok);
        CHECK(t.hpa == 0x300004);
        CHECK(c == remap + (3 + d.levels()) * ref);
        CHECK_FALSE(u.go(dev, 1ull << width, false, false).ok);
        CHECK(u.unit.faults().records().back().reason == fault_reason::beyond_gaw);
    }
}

TEST_CASE("the walker serves one miss at a time") {
    map_memory mem;
    rig u(test_config(), "u", mem);
    iommu_domain d(test_domain());
    attach(u.unit, dev, d);
    map(u.unit, d, 0x1000, 0x200000, 2 * 4096);
    std::uint64_t a = 0, b = 0;
    REQUIRE(u.go(dev, 0x1000, false, false, &a).ok); // walker busy until 724
    u.now = sc_core::SC_ZERO_TIME;                   // a second request issued at time 0
    REQUIRE(u.go(dev, 0x2000, false, false, &b).ok); // arrives at 10, waits, 1 reference
    CHECK(a == remap + 7 * ref);
    CHECK(b == a + ref);
    CHECK(u.n.walker_wait_cycles.value() == a - remap);
}

TEST_CASE("walk references snoop iff ECAP.C and driver writes always snoop") {
    for (const bool c : {false, true}) {
        map_memory mem;
        vtd_config cfg = test_config();
        cfg.ecap_c = c;
        rig u(cfg, c ? "c1" : "c0", mem);
        iommu_domain d(test_domain());
        attach(u.unit, dev, d);
        map(u.unit, d, 0x1000, 0x200000, 4096);
        CHECK_FALSE(mem.last_write.no_snoop);
        CHECK(mem.last_write.page_walk);
        REQUIRE(u.go(dev, 0x1000, false, false).ok);
        CHECK(mem.last_read.no_snoop == !c);
        CHECK(mem.last_read.page_walk);
        CHECK(mem.last_read.who.bdf == dev);
    }
}

TEST_CASE("page invalidation makes a changed leaf visible") {
    map_memory mem;
    rig u(test_config(), "u", mem);
    iommu_domain d(test_domain());
    attach(u.unit, dev, d);
    map(u.unit, d, 0x1000, 0x200000, 4096);
    REQUIRE(u.go(dev, 0x1000, false, false).hpa == 0x200000);
    // The driver repoints the present leaf; the IOTLB still holds the old translation.
    const std::uint64_t leaf = entry_pa(mem, d, 0x1000, 1);
    mem.entries[leaf] = (mem.peek(leaf) & 0xfff) | 0x500000;
    CHECK(u.go(dev, 0x1000, false, false).hpa == 0x200000);
    u.unit.invalidate_pages(d.id(), 0x1000, 0, true);
    CHECK(u.go(dev, 0x1000, false, false).hpa == 0x500000);
    // Another domain's invalidation does not touch this one.
    mem.entries[leaf] = (mem.peek(leaf) & 0xfff) | 0x600000;
    u.unit.invalidate_domain(d.id() + 1);
    CHECK(u.go(dev, 0x1000, false, false).hpa == 0x500000);
    u.unit.invalidate_domain(d.id());
    CHECK(u.go(dev, 0x1000, false, false).hpa == 0x600000);
}

TEST_CASE("leaf-only invalidation keeps the paging-structure cache") {
    map_memory mem;
    rig u(test_config(), "u", mem);
    iommu_domain d(test_domain());
    attach(u.unit, dev, d);
    map(u.unit, d, 0x1000, 0x200000, 4096);
    map(u.unit, d, 0x400000, 0x700000, 4096); // another page table (next 2 MiB)
    REQUIRE(u.go(dev, 0x1000, false, false).hpa == 0x200000);
    // Repoint the PDE of 0x1000 at the page table of 0x400000 (whose slot 1 is empty, slot 0
    // maps 0x700000): a walk through the new PDE sees 0x1000 as not present.
    const std::uint64_t pde = entry_pa(mem, d, 0x1000, 2);
    mem.entries[pde] = mem.peek(entry_pa(mem, d, 0x400000, 2));
    u.unit.invalidate_pages(d.id(), 0x1000, 0, true);
    CHECK(u.go(dev, 0x1000, false, false).ok); // stale PDE from the cache
    u.unit.invalidate_pages(d.id(), 0x1000, 0, false);
    const translation t = u.go(dev, 0x1000, false, false);
    CHECK_FALSE(t.ok);
    CHECK(t.reason == fault_reason::not_present);
}

TEST_CASE("unmap invalidates and remap needs no invalidation") {
    map_memory mem;
    rig u(test_config(), "u", mem);
    iommu_domain d(test_domain());
    attach(u.unit, dev, d);
    map(u.unit, d, 0x1000, 0x200000, 4096);
    REQUIRE(u.go(dev, 0x1000, false, false).ok);
    sc_core::sc_time t;
    u.unit.unmap(d, 0x1000, 4096, t);
    CHECK(u.go(dev, 0x1000, false, false).reason == fault_reason::not_present);
    map(u.unit, d, 0x1000, 0x900000, 4096);
    CHECK(u.go(dev, 0x1000, false, false).hpa == 0x900000);
    CHECK_THROWS_AS(map(u.unit, d, 0x1000, 0xa00000, 4096), std::invalid_argument);
}

TEST_CASE("large pages of 2 MiB and 1 GiB") {
    map_memory mem;
    rig u(test_config(), "u", mem);
    iommu_domain d(test_domain());
    attach(u.unit, dev, d);
    map(u.unit, d, 0x40000000, 0x80000000, 1 * GiB);    // one 1 GiB leaf
    map(u.unit, d, 0x200000, 0x600000, 2 * MiB + 4096); // one 2 MiB leaf + one 4 KiB leaf
    CHECK((mem.peek(entry_pa(mem, d, 0x40000000, 3)) & 0x80) != 0);
    CHECK((mem.peek(entry_pa(mem, d, 0x200000, 2)) & 0x80) != 0);
    std::uint64_t c = 0;
    translation t = u.go(dev, 0x40000000 + 0x12345678, false, false, &c);
    REQUIRE(t.ok);
    CHECK(t.hpa == 0x80000000 + 0x12345678);
    CHECK(c == remap + 3 * ref + 2 * ref);                   // context, PML4E, PDPE
    t = u.go(dev, 0x40000000 + 0x3ffff000, true, false, &c); // same 1 GiB page: IOTLB hit
    CHECK(t.hpa == 0x80000000 + 0x3ffff000);
    CHECK(c == remap);
    t = u.go(dev, 0x200000 + 0x1ff008, false, false, &c);
    CHECK(t.hpa == 0x600000 + 0x1ff008);
    CHECK(c == remap + 2 * ref); // PML4E from the paging-structure cache; PDPE and PDE read
    t = u.go(dev, 0x400000, false, false, &c);
    CHECK(t.hpa == 0x800000);
    CHECK(u.go(dev, 0x401000, false, false).reason == fault_reason::not_present);
}

TEST_CASE("without large-page support map uses 4 KiB leaves") {
    map_memory mem;
    vtd_config cfg = test_config();
    cfg.large_2m = false;
    cfg.large_1g = false;
    rig u(cfg, "u", mem);
    iommu_domain d(test_domain());
    attach(u.unit, dev, d);
    map(u.unit, d, 0x200000, 0x400000, 2 * MiB);
    CHECK_FALSE((mem.peek(entry_pa(mem, d, 0x200000, 2)) & 0x80) != 0);
    CHECK(u.go(dev, 0x3ff000, false, false).hpa == 0x5ff000);
    // A 2 MiB leaf written by hand is a reserved-bit fault on this unit.
    map_memory mem2;
    cfg.table_base += 1 * MiB;
    rig v(cfg, "v", mem2);
    iommu_domain e(test_domain(6, 48, 0x2000000));
    attach(v.unit, dev, e);
    map(v.unit, e, 0x0, 0x1000, 4096); // builds the path down to the page table
    mem2.entries[entry_pa(mem2, e, 0x200000, 2)] = 0x800000 | 0x83;
    CHECK(v.go(dev, 0x200000, false, false).reason == fault_reason::reserved_entry);
}

TEST_CASE("a domain on units with different large-page support uses the common size") {
    map_memory mem;
    vtd_config big = test_config();
    vtd_config small = test_config();
    small.large_1g = false;
    small.table_base = big.table_base + 1 * MiB; // separate root/context tables
    rig a(big, "a", mem);
    rig b(small, "b", mem);
    iommu_domain d(test_domain());
    attach(a.unit, dev, d);
    attach(b.unit, 0x0400, d);
    map(a.unit, d, 0x40000000, 0x40000000, 1 * GiB);
    CHECK_FALSE((mem.peek(entry_pa(mem, d, 0x40000000, 3)) & 0x80) != 0);
    CHECK((mem.peek(entry_pa(mem, d, 0x40000000, 2)) & 0x80) != 0);
    CHECK(b.go(0x0400, 0x7ffff000, false, false).hpa == 0x7ffff000);
}

TEST_CASE("enforce_cache_coherency succeeds when every unit has snoop control") {
    map_memory mem;
    vtd_config cfg = test_config();
    rig a(cfg, "a", mem);
    vtd_config cfg_b = test_config();
    cfg_b.table_base = cfg.table_base + 1 * MiB;
    rig b(cfg_b, "b", mem);
    iommu_domain d(test_domain());
    attach(a.unit, dev, d);
    attach(b.unit, 0x0400, d);
    map(a.unit, d, 0x1000, 0x200000, 4096);
    // Before: No-Snoop requests skip the caches (and the translation is now cached).
    CHECK_FALSE(a.go(dev, 0x1000, true, true).snooped);
    CHECK_FALSE(b.go(0x0400, 0x1000, true, true).snooped);
    sc_core::sc_time t;
    CHECK(a.unit.enforce_cache_coherency(d, t));
    CHECK(d.snoop_enforced());
    CHECK((mem.peek(entry_pa(mem, d, 0x1000, 1)) & snp_bit) != 0); // existing leaf rewritten
    CHECK(a.go(dev, 0x1000, true, true).snooped);                  // IOTLBs were invalidated
    CHECK(b.go(0x0400, 0x1000, true, true).snooped);
    map(b.unit, d, 0x5000, 0x300000, 4096); // future mappings carry SNP
    CHECK((mem.peek(entry_pa(mem, d, 0x5000, 1)) & snp_bit) != 0);
    CHECK(a.go(dev, 0x5000, false, true).snooped);
    CHECK(a.unit.enforce_cache_coherency(d, t)); // idempotent
}

TEST_CASE("enforce_cache_coherency fails when one unit lacks snoop control") {
    map_memory mem;
    vtd_config cfg = test_config();
    rig a(cfg, "a", mem);
    vtd_config cfg_b = test_config();
    cfg_b.ecap_sc = false;
    cfg_b.table_base = cfg.table_base + 1 * MiB;
    rig b(cfg_b, "b", mem);
    iommu_domain d(test_domain());
    attach(a.unit, dev, d);
    attach(b.unit, 0x0400, d);
    map(a.unit, d, 0x1000, 0x200000, 4096);
    const auto before = mem.entries;
    sc_core::sc_time t;
    CHECK_FALSE(a.unit.enforce_cache_coherency(d, t));
    CHECK_FALSE(b.unit.enforce_cache_coherency(d, t));
    CHECK_FALSE(d.snoop_enforced());
    CHECK(mem.entries == before);
    CHECK_FALSE(a.go(dev, 0x1000, true, true).snooped);
    // Once the non-SC unit's device leaves, the domain can enforce; then that unit may not
    // rejoin.
    b.unit.detach_device(0x0400, t);
    CHECK(d.units().size() == 1);
    CHECK(a.unit.enforce_cache_coherency(d, t));
    CHECK_FALSE(b.unit.attach_device(0x0400, d, t));
    CHECK(d.units().size() == 1);
}

TEST_CASE("detach makes the device's requests fault") {
    map_memory mem;
    rig u(test_config(), "u", mem);
    iommu_domain d(test_domain());
    attach(u.unit, dev, d);
    map(u.unit, d, 0x1000, 0x200000, 4096);
    REQUIRE(u.go(dev, 0x1000, false, false).ok);
    sc_core::sc_time t;
    u.unit.detach_device(dev, t);
    CHECK(u.go(dev, 0x1000, false, false).reason == fault_reason::context_not_present);
    CHECK(d.units().empty());
}

TEST_CASE("fault log overflow and fault processing disable") {
    map_memory mem;
    vtd_config cfg = test_config();
    cfg.fault_records = 2;
    rig u(cfg, "u", mem);
    iommu_domain d(test_domain());
    attach(u.unit, dev, d);
    for (int i = 0; i < 3; ++i) CHECK_FALSE(u.go(dev, 0x1000 * (i + 1), false, false).ok);
    CHECK(u.unit.faults().records().size() == 2);
    CHECK(u.unit.faults().overflows() == 1);
    CHECK(u.n.faults_dropped.value() == 1);
    u.unit.clear_faults();
    mem.entries[context_pa(mem, u.unit, dev)] |= 2; // FPD
    u.unit.invalidate_all();
    CHECK_FALSE(u.go(dev, 0x1000, false, false).ok);
    CHECK(u.unit.faults().records().empty());
    CHECK(u.n.faults.value() == 4);
}

TEST_CASE("requests crossing a 4 KiB boundary are refused") {
    map_memory mem;
    rig u(test_config(), "u", mem);
    CHECK_THROWS_AS(u.go(dev, 0x1ffc, false, false, nullptr, 8), std::invalid_argument);
    CHECK_THROWS_AS(u.go(dev, 0x1000, false, false, nullptr, 0), std::invalid_argument);
}

TEST_CASE("configuration errors are refused") {
    map_memory mem;
    vtd_config cfg = test_config();
    cfg.iotlb_entries = 6;
    cfg.iotlb_ways = 4;
    vtd_counters n("bad");
    CHECK_THROWS_AS(remap_unit(cfg, n, mem), std::invalid_argument);
    cfg = test_config();
    rig u(cfg, "u", mem);
    iommu_domain d(test_domain(5, 57)); // agaw_57 off by default
    sc_core::sc_time t;
    CHECK_THROWS_AS(u.unit.attach_device(dev, d, t), std::invalid_argument);
    CHECK_THROWS_AS(iommu_domain(test_domain(5, 40)), std::invalid_argument);
}

TEST_CASE("units and domains may not share table memory") {
    map_memory mem;
    rig a(test_config(), "a", mem);
    vtd_counters n("b");
    CHECK_THROWS_AS(remap_unit(a.cfg, n, mem), std::invalid_argument);
    domain_config dc = test_domain();
    dc.table_base = a.cfg.table_base + 64 * KiB; // inside the unit's region
    CHECK_THROWS_AS(iommu_domain{dc}, std::invalid_argument);
    iommu_domain d(test_domain());
    CHECK_THROWS_AS(iommu_domain{test_domain(7)}, std::invalid_argument);
}
