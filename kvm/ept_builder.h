// KVM's EPT tables: owned by the hypervisor, living in host memory taken from a page pool, and
// written with real memory writes through a table_memory (the hypervisor routes them as WB
// stores from the pCPU doing the work, so the vCPU's walker sees them through the caches).
// Tables are allocated and zeroed on demand; leaves (4 KiB, or 2 MiB when asked) are written
// whole; a zap writes zero to every leaf and keeps the paging structure, as KVM's TDP MMU
// does for kvm_zap_gfn_range. The builder keeps a shadow of what it wrote (which tables exist,
// which leaf maps which gfn and why) so it never reads its own tables back; A/D flags the
// hardware sets in memory are not reflected in the shadow.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include <systemc>

#include "kvm/policy.h"
#include "model/access_ext.h"
#include "model/ept_format.h"
#include "model/memtype.h"
#include "model/params.h"
#include "model/table_memory.h"

namespace mtsim::kvm {

struct ept_builder_config {
    std::uint64_t pool_base = 0x3f000000; // host-physical pages for EPT tables
    std::uint64_t pool_size = 4 * MiB;
    unsigned levels = 4;
    bool ad = false;                 // EPTP bit 6: accessed and dirty flags
    memtype walk_type = memtype::wb; // EPTP bits 2:0
    bool huge_pages = false;         // 2 MiB leaves where the memslot allows
    void describe(param_visitor& v);
};
// Throws std::invalid_argument naming the parameter.
void validate(const ept_builder_config& c);

// One leaf to write and the facts it was decided from.
struct leaf_request {
    std::uint64_t gpa = 0; // any address inside the page
    unsigned level = 1;    // 1: 4 KiB, 2: 2 MiB
    std::uint64_t hpa = 0; // the page's host-physical base (aligned to the page size)
    unsigned rwx = 7;
    bool accessed = false;
    bool dirty = false;
    ept_decision decision;
    ept_inputs inputs;
    std::string policy;
    std::string slot;
};

// What a leaf holds and which policy decision gave it its type and IPAT.
struct leaf_record {
    std::uint64_t gfn = 0; // first gfn the leaf maps
    unsigned level = 1;
    std::uint64_t entry_hpa = 0;
    std::uint64_t value = 0;
    ept_decision decision;
    ept_inputs inputs;
    std::string policy;
    std::string slot;
};

// Memory writes one builder call made (the caller charges its per-entry costs).
struct build_work {
    unsigned entries_written = 0; // leaf and non-leaf entries
    unsigned tables_allocated = 0;
    unsigned leaves_zapped = 0;
};

class ept_builder {
public:
    ept_builder(const ept_builder_config& cfg, table_memory& mem);

    const ept_builder_config& config() const { return m_cfg; }
    std::uint64_t root() const { return m_root; }
    std::uint64_t eptp() const;

    // Writes the leaf (and any missing table above it). `ext` types and attributes the writes
    // (who.pcpu: the pCPU doing the work).
    build_work map(const leaf_request& r, const access_ext& ext, sc_core::sc_time& delay);
    // Writes a raw value at the `level` entry for gpa, building tables above it: the scenario's
    // way to produce misconfigurations and violations. A present leaf written this way is
    // recorded with policy "raw" (and zapped like any leaf); its decision holds the type and
    // IPAT the value encodes when the type is a valid one.
    build_work write_raw(std::uint64_t gpa, unsigned level, std::uint64_t value,
                         const access_ext& ext, sc_core::sc_time& delay);
    // Writes zero to every leaf; tables stay.
    build_work zap_leaves(const access_ext& ext, sc_core::sc_time& delay);
    // Writes zero to every leaf that maps a gfn in [first, end) (kvm_zap_gfn_range); tables stay.
    build_work zap_range(std::uint64_t first, std::uint64_t end, const access_ext& ext,
                         sc_core::sc_time& delay);

    // The leaf mapping gfn, or nullptr (never built, or zapped).
    const leaf_record* leaf_for(std::uint64_t gfn) const;
    std::size_t leaf_count() const;
    std::size_t table_count() const { return m_tables.size(); }

private:
    static std::uint64_t table_key(unsigned level, std::uint64_t gpa);
    std::uint64_t allocate(const access_ext& ext, sc_core::sc_time& delay, build_work& w);
    // hpa of the level-`level` table that holds gpa's entry, creating what is missing.
    std::uint64_t table_for(std::uint64_t gpa, unsigned level, const access_ext& ext,
                            sc_core::sc_time& delay, build_work& w);
    void write(std::uint64_t pa, std::uint64_t v, const access_ext& ext, sc_core::sc_time& delay,
               build_work& w);
    void forget_below(std::uint64_t gpa, unsigned level);

    ept_builder_config m_cfg;
    table_memory& m_mem;
    std::uint64_t m_root;
    std::uint64_t m_next;
    bool m_root_zeroed = false;
    std::unordered_map<std::uint64_t, std::uint64_t> m_tables; // table_key -> table hpa
    void record(leaf_record rec);
    // Leaves by size: [0] 4 KiB keyed by gfn, [1] 2 MiB by gfn >> 9, [2] 1 GiB by gfn >> 18.
    std::array<std::unordered_map<std::uint64_t, leaf_record>, 3> m_leaves;
};

} // namespace mtsim::kvm
