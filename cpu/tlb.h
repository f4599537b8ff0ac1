// Translation caches of one vCPU: the TLB of combined guest-linear -> host-physical mappings
// (with the effective memory type) and the paging-structure caches the 2-D walker uses to skip
// upper levels (guest PML4E/PDPTE/PDE -> guest table address, EPT PML5E..PDE -> EPT table
// address). Sizes are parameters; an entry count of 0 disables a structure.
// Invalidation follows SDM vol. 3, 28.4.3 (Invalidating cached translation information):
// INVEPT drops everything derived from EPT (here all of it); INVVPID and CR3 writes drop
// linear and combined mappings but keep the guest-physical (EPT) paging-structure cache.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cpu/guest_paging.h"
#include "model/access_ext.h"
#include "model/cycles.h"
#include "model/params.h"
#include "model/stats.h"

namespace mtsim::cpu {

// A set-associative array with LRU replacement; the set is the key's low bits.
template <class V>
class set_assoc {
public:
    // entries / ways sets, a power of two; entries = 0 makes an always-missing cache.
    void configure(std::uint64_t entries, std::uint64_t ways, std::string_view what) {
        if (entries != 0 &&
            (ways == 0 || entries % ways != 0 || ((entries / ways) & (entries / ways - 1)) != 0))
            throw std::invalid_argument(std::string(what) +
                                        ": entries / ways must be a power-of-two set count");
        m_ways = entries ? ways : 0;
        m_set_mask = entries ? entries / ways - 1 : 0;
        m_lines.assign(entries, line{});
    }

    V* find(std::uint64_t key) {
        if (m_ways == 0) return nullptr;
        line* s = &m_lines[(key & m_set_mask) * m_ways];
        for (std::uint64_t w = 0; w < m_ways; ++w)
            if (s[w].valid && s[w].key == key) {
                s[w].stamp = ++m_clock;
                return &s[w].value;
            }
        return nullptr;
    }

    void insert(std::uint64_t key, const V& v) {
        if (m_ways == 0) return;
        line* s = &m_lines[(key & m_set_mask) * m_ways];
        line* victim = nullptr;
        for (std::uint64_t w = 0; w < m_ways && !victim; ++w)
            if (s[w].valid && s[w].key == key) victim = &s[w];
        for (std::uint64_t w = 0; w < m_ways && !victim; ++w)
            if (!s[w].valid) victim = &s[w];
        if (!victim) {
            victim = s;
            for (std::uint64_t w = 1; w < m_ways; ++w)
                if (s[w].stamp < victim->stamp) victim = &s[w];
        }
        *victim = line{key, ++m_clock, true, v};
    }

    void erase(std::uint64_t key) {
        if (m_ways == 0) return;
        line* s = &m_lines[(key & m_set_mask) * m_ways];
        for (std::uint64_t w = 0; w < m_ways; ++w)
            if (s[w].valid && s[w].key == key) s[w].valid = false;
    }

    template <class Pred>
    void erase_if(Pred keep_not) {
        for (line& l : m_lines)
            if (l.valid && keep_not(l.value)) l.valid = false;
    }

    void clear() {
        for (line& l : m_lines) l.valid = false;
    }

    std::size_t valid_entries() const {
        std::size_t n = 0;
        for (const line& l : m_lines) n += l.valid;
        return n;
    }

private:
    struct line {
        std::uint64_t key = 0;
        std::uint64_t stamp = 0;
        bool valid = false;
        V value{};
    };
    std::vector<line> m_lines;
    std::uint64_t m_ways = 0;
    std::uint64_t m_set_mask = 0;
    std::uint64_t m_clock = 0;
};

struct tlb_config {
    std::uint64_t entries_4k = 64;
    std::uint64_t ways_4k = 4;
    std::uint64_t entries_2m = 32;
    std::uint64_t ways_2m = 4;
    std::uint64_t entries_1g = 4;
    std::uint64_t ways_1g = 4;
    std::uint64_t guest_psc_entries = 16; // per level: PML4E, PDPTE, PDE
    std::uint64_t guest_psc_ways = 4;
    std::uint64_t ept_psc_entries = 16; // per level: PML5E, PML4E, PDPTE, PDE
    std::uint64_t ept_psc_ways = 4;
    mtsim::cycles hit_latency{1};     // a TLB lookup, hit or miss
    mtsim::cycles psc_hit_latency{1}; // a paging-structure-cache hit that skips levels
    void describe(param_visitor& v);
};

// A combined mapping. `dirty` means a write may use it without a walk: the guest leaf's D
// flag is set and, when EPT A/D flags are on, the EPT leaf's D flag too.
struct tlb_entry {
    std::uint64_t hpa_page = 0;    // host-physical base of the page
    std::uint64_t offset_mask = 0; // page size - 1
    memtype type = memtype::wb;
    type_source source = type_source::fixed;
    guest_rights rights{};
    unsigned ept_rwx = 0;
    bool dirty = false;
    bool global = false;
};

class tlb {
public:
    tlb(std::string_view path, const tlb_config& cfg);

    // The entry mapping gva that allows this access, or nullptr: not cached, or cached
    // without the rights (or the dirty flag a write needs), in which case the caller walks
    // again and the walk decides.
    const tlb_entry* lookup(std::uint64_t gva, access_kind k, bool user, bool cr0_wp) {
        for (unsigned i = 0; i < 3; ++i) {
            const tlb_entry* e = m_arrays[i].find(gva >> shift(i));
            if (!e) continue;
            if (e->rights.allow(k, user, cr0_wp) && (e->ept_rwx & required_perm(k)) &&
                (k != access_kind::write || e->dirty)) {
                ++m_hits;
                return e;
            }
            break;
        }
        ++m_misses;
        return nullptr;
    }
    void fill(std::uint64_t gva, page_size sz, const tlb_entry& e);

    void flush_all();
    void flush_address(std::uint64_t gva); // every page size that could map gva
    void flush_non_global();
    std::size_t valid_entries() const;

    cycles hit_latency() const { return m_cfg.hit_latency; }

private:
    static constexpr unsigned shift(unsigned i) { return 12 + 9 * i; }
    tlb_config m_cfg;
    set_assoc<tlb_entry> m_arrays[3]; // 4 KiB, 2 MiB, 1 GiB
    counter m_hits;
    counter m_misses;
    counter m_flushes;
};

// A cached guest PML4E, PDPTE or PDE: where the next guest table is and what the walk had
// accumulated down to it.
struct guest_psc_entry {
    std::uint64_t table_gpa = 0;
    std::uint64_t pointer = 0; // the entry's PWT/PCD bits type the next table's reads
    guest_rights rights{};
};
// A cached EPT PML5E, PML4E, PDPTE or PDE: the next EPT table and the AND of R/W/X so far.
struct ept_psc_entry {
    std::uint64_t table_hpa = 0;
    unsigned rwx = 0;
};

class paging_structure_caches {
public:
    paging_structure_caches(std::string_view path, const tlb_config& cfg);

    // The deepest cached guest entry for gva: its level (2..4) or 0 when none.
    unsigned find_guest(std::uint64_t gva, const guest_psc_entry*& out);
    void insert_guest(unsigned level, std::uint64_t gva, const guest_psc_entry& e);
    // The deepest cached EPT entry for gpa at or below top_level: its level (2..5) or 0.
    unsigned find_ept(std::uint64_t gpa, unsigned top_level, const ept_psc_entry*& out);
    void insert_ept(unsigned level, std::uint64_t gpa, const ept_psc_entry& e);

    void flush_guest();
    void flush_ept();
    std::size_t valid_guest_entries() const;
    std::size_t valid_ept_entries() const;

    cycles hit_latency() const { return m_cfg.psc_hit_latency; }
    // Whether any entry can be cached (entry count not 0): a walker skips the lookups if not.
    bool caches_guest() const { return m_cfg.guest_psc_entries != 0; }
    bool caches_ept() const { return m_cfg.ept_psc_entries != 0; }

private:
    tlb_config m_cfg;
    set_assoc<guest_psc_entry> m_guest[3]; // levels 2, 3, 4
    set_assoc<ept_psc_entry> m_ept[4];     // levels 2, 3, 4, 5
    counter m_guest_hits;
    counter m_ept_hits;
};

} // namespace mtsim::cpu
