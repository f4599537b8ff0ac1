#include "cpu/tlb.h"

#include <string>

namespace mtsim::cpu {

void tlb_config::describe(param_visitor& v) {
    v.uint("entries_4k", entries_4k, "TLB entries for 4 KiB pages (0: none)", "entries", 0, 65536);
    v.uint("ways_4k", ways_4k, "associativity of the 4 KiB TLB", "ways", 1, 65536);
    v.uint("entries_2m", entries_2m, "TLB entries for 2 MiB pages (0: none)", "entries", 0, 65536);
    v.uint("ways_2m", ways_2m, "associativity of the 2 MiB TLB", "ways", 1, 65536);
    v.uint("entries_1g", entries_1g, "TLB entries for 1 GiB pages (0: none)", "entries", 0, 65536);
    v.uint("ways_1g", ways_1g, "associativity of the 1 GiB TLB", "ways", 1, 65536);
    v.uint("guest_psc_entries", guest_psc_entries,
           "guest paging-structure cache entries per level (PML4E, PDPTE, PDE; 0: none)", "entries",
           0, 65536);
    v.uint("guest_psc_ways", guest_psc_ways, "associativity of each guest PSC level", "ways", 1,
           65536);
    v.uint("ept_psc_entries", ept_psc_entries,
           "EPT paging-structure cache entries per level (PML5E..PDE; 0: none)", "entries", 0,
           65536);
    v.uint("ept_psc_ways", ept_psc_ways, "associativity of each EPT PSC level", "ways", 1, 65536);
    v.cycles("hit_latency", hit_latency, "TLB lookup, paid on every translation");
    v.cycles("psc_hit_latency", psc_hit_latency,
             "paging-structure cache hit that lets a walk skip upper levels");
}

tlb::tlb(std::string_view path, const tlb_config& cfg)
    : m_cfg(cfg), m_hits(path, "hits", "translations served by the TLB", "lookups"),
      m_misses(path, "misses", "translations that needed a walk", "lookups"),
      m_flushes(path, "flushes", "INVEPT, INVVPID, CR3 writes and address flushes", "operations") {
    m_arrays[0].configure(cfg.entries_4k, cfg.ways_4k, "tlb 4 KiB");
    m_arrays[1].configure(cfg.entries_2m, cfg.ways_2m, "tlb 2 MiB");
    m_arrays[2].configure(cfg.entries_1g, cfg.ways_1g, "tlb 1 GiB");
}

void tlb::fill(std::uint64_t gva, page_size sz, const tlb_entry& e) {
    const auto i = static_cast<unsigned>(sz);
    m_arrays[i].insert(gva >> shift(i), e);
}

void tlb::flush_all() {
    ++m_flushes;
    for (auto& a : m_arrays) a.clear();
}

void tlb::flush_address(std::uint64_t gva) {
    ++m_flushes;
    for (unsigned i = 0; i < 3; ++i) m_arrays[i].erase(gva >> shift(i));
}

void tlb::flush_non_global() {
    ++m_flushes;
    for (auto& a : m_arrays) a.erase_if([](const tlb_entry& e) { return !e.global; });
}

std::size_t tlb::valid_entries() const {
    std::size_t n = 0;
    for (const auto& a : m_arrays) n += a.valid_entries();
    return n;
}

paging_structure_caches::paging_structure_caches(std::string_view path, const tlb_config& cfg)
    : m_cfg(cfg), m_guest_hits(path, "guest_psc_hits", "walks that skipped guest levels", "walks"),
      m_ept_hits(path, "ept_psc_hits", "EPT walks that skipped EPT levels", "walks") {
    for (unsigned i = 0; i < 3; ++i)
        m_guest[i].configure(cfg.guest_psc_entries, cfg.guest_psc_ways,
                             "guest PSC level " + std::to_string(i + 2));
    for (unsigned i = 0; i < 4; ++i)
        m_ept[i].configure(cfg.ept_psc_entries, cfg.ept_psc_ways,
                           "EPT PSC level " + std::to_string(i + 2));
}

unsigned paging_structure_caches::find_guest(std::uint64_t gva, const guest_psc_entry*& out) {
    for (unsigned level = 2; level <= 4; ++level)
        if ((out = m_guest[level - 2].find(gva >> level_shift(level)))) {
            ++m_guest_hits;
            return level;
        }
    return 0;
}

void paging_structure_caches::insert_guest(unsigned level, std::uint64_t gva,
                                           const guest_psc_entry& e) {
    m_guest[level - 2].insert(gva >> level_shift(level), e);
}

unsigned paging_structure_caches::find_ept(std::uint64_t gpa, unsigned top_level,
                                           const ept_psc_entry*& out) {
    for (unsigned level = 2; level <= top_level; ++level)
        if ((out = m_ept[level - 2].find(gpa >> level_shift(level)))) {
            ++m_ept_hits;
            return level;
        }
    return 0;
}

void paging_structure_caches::insert_ept(unsigned level, std::uint64_t gpa,
                                         const ept_psc_entry& e) {
    m_ept[level - 2].insert(gpa >> level_shift(level), e);
}

void paging_structure_caches::flush_guest() {
    for (auto& a : m_guest) a.clear();
}

void paging_structure_caches::flush_ept() {
    for (auto& a : m_ept) a.clear();
}

std::size_t paging_structure_caches::valid_guest_entries() const {
    std::size_t n = 0;
    for (const auto& a : m_guest) n += a.valid_entries();
    return n;
}

std::size_t paging_structure_caches::valid_ept_entries() const {
    std::size_t n = 0;
    for (const auto& a : m_ept) n += a.valid_entries();
    return n;
}

} // namespace mtsim::cpu
