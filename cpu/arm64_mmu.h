// The arm64 vCPU's MMU: a TLB of combined stage-1 x stage-2 translations (4 KiB entries,
// fully associative, FIFO replacement, tlb.entries_4k of them) in front of the two-stage
// walker (cpu/arm64_walker.h). A hit costs tlb.hit_latency and nothing else; a miss walks from
// the roots (no walk caches) and fills the TLB when the walk translated. An entry keeps the
// combined attribute (memory type and Device properties) and the permissions of both stages,
// so a write through a read-only entry walks again (and faults).
// Invalidation: TLBI VMALLS12E1 (all stage-1 and stage-2 entries of the VM), which KVM issues
// after it changed stage-2 descriptors (kvm_tlb_flush_vmid_ipa and kvm_flush_remote_tlbs);
// KVM on this model only adds descriptors, whose first use faults, so it needs none.
#pragma once

#include <cstdint>
#include <deque>
#include <string_view>
#include <systemc>
#include <unordered_map>

#include "cpu/arm64_walker.h"
#include "cpu/tlb.h"
#include "model/cycles.h"
#include "model/stats.h"
#include "model/table_memory.h"

namespace mtsim::cpu {

struct arm64_translation {
    arm64_walk_outcome outcome = arm64_walk_outcome::translated;
    std::uint64_t pa = 0;
    memtype type = memtype::wb;
    arm_device device = arm_device::none;
    bool tlb_hit = false;
    bool ok() const { return outcome == arm64_walk_outcome::translated; }
};

class arm64_mmu {
public:
    // path names the stats ("top.vcpu0.mmu"); mem carries the walk's references.
    arm64_mmu(std::string_view path, const tlb_config& tlb, bool record_steps, table_memory& mem,
              const clock& clk);

    void set_regs(const arm64_regs& r) { m_regs = r; }
    const arm64_regs& regs() const { return m_regs; }
    void load_vttbr(std::uint64_t raw) { m_regs.vttbr = raw; }
    void set_requester(const requester& who) { m_who = who; }

    arm64_translation translate(std::uint64_t va, arm64_access a, sc_core::sc_time& delay);
    const arm64_walk_result& last_walk() const { return m_walk; }
    // TLBI VMALLS12E1.
    void invalidate_all() {
        m_entries.clear();
        m_order.clear();
    }

private:
    struct entry {
        std::uint64_t pa_page = 0;
        memtype type = memtype::wb;
        arm_device device = arm_device::none;
        bool writable = false; // stage 1 not read-only and stage 2 S2AP write
    };

    arm64_regs m_regs{};
    std::uint64_t m_capacity;
    sc_core::sc_time m_hit_time;
    arm64_walker m_walker;
    requester m_who{};
    arm64_walk_result m_walk;
    std::unordered_map<std::uint64_t, entry> m_entries; // by VA page
    std::deque<std::uint64_t> m_order;                  // fill order, for FIFO replacement
    counter m_walks;
    counter m_exits;
    counter m_references;
    counter m_walk_cycles;
};

} // namespace mtsim::cpu
