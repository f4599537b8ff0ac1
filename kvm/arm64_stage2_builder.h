// KVM/arm64's stage-2 tables (VMSAv8-64, 4 KiB granule, 48-bit IPA, levels 0-3 from VTTBR_EL2):
// owned by the hypervisor, living in host memory taken from a page pool, written with real
// memory writes through a table_memory (WB stores from the pCPU doing the work, so the vCPU's
// walker reads them through the caches), as kvm/ept_builder.h does for EPT. Tables are
// allocated and zeroed on demand (KVM's kvm_pgtable_stage2_map() allocates from the memcache
// and links a table descriptor); leaves are 4 KiB pages written whole with the MemAttr the
// era policy decided (model/arm64_attr.h encode_s2_memattr, with or without FWB), S2AP and XN
// (arch/arm64/kvm/hyp/pgtable.c stage2_set_prot_attr()). The builder keeps a shadow of what it
// wrote, so it never reads its own tables back.
// Not modelled: block mappings (2 MiB / 1 GiB leaves), unmapping and TLB maintenance after a
// change (nothing is ever changed but to add permissions), VMID rollover.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include <systemc>

#include "kvm/arm64_policy.h"
#include "kvm/ept_builder.h"
#include "model/access_ext.h"
#include "model/table_memory.h"

namespace mtsim::kvm {

// One page to map and the facts it was decided from.
struct s2_leaf_request {
    std::uint64_t ipa = 0; // any address inside the page
    std::uint64_t pa = 0;  // the page's physical base
    bool writable = true;  // S2AP write (a read-only memslot: read only)
    bool exec = false;     // XN clear (KVM maps exec only on an instruction fault)
    arm64_s2_decision decision;
    std::string policy;
    std::string slot;
};

// What a stage-2 leaf holds and which decision gave it its MemAttr.
struct s2_leaf_record {
    std::uint64_t gfn = 0;
    std::uint64_t entry_pa = 0;
    std::uint64_t value = 0;
    std::uint8_t memattr = 0;
    arm64_s2_decision decision;
    std::string policy;
    std::string slot;
};

class arm64_stage2_builder {
public:
    // Tables come from [pool_base, pool_base + pool_size); VMID 1.
    arm64_stage2_builder(std::uint64_t pool_base, std::uint64_t pool_size, bool fwb,
                         table_memory& mem);

    std::uint64_t root() const { return m_root; }
    // VTTBR_EL2: BADDR = the level-0 table, VMID in bits [63:48].
    std::uint64_t vttbr() const { return m_root | (std::uint64_t{1} << 48); }
    bool fwb() const { return m_fwb; }

    // Writes the leaf (and any missing table above it).
    build_work map(const s2_leaf_request& r, const access_ext& ext, sc_core::sc_time& delay);
    const s2_leaf_record* leaf_for(std::uint64_t gfn) const;
    std::size_t leaf_count() const { return m_leaves.size(); }

private:
    std::uint64_t allocate(const access_ext& ext, sc_core::sc_time& delay, build_work& w);

    std::uint64_t m_pool_base;
    std::uint64_t m_pool_size;
    bool m_fwb;
    table_memory& m_mem;
    std::uint64_t m_root;
    std::uint64_t m_next;
    bool m_root_zeroed = false;
    std::unordered_map<std::uint64_t, std::uint64_t> m_tables;  // (level, IPA prefix) -> table
    std::unordered_map<std::uint64_t, s2_leaf_record> m_leaves; // by gfn
};

} // namespace mtsim::kvm
