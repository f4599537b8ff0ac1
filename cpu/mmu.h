// The vCPU's MMU: TLB in front of the 2-D walker, the paging-structure caches behind it, and
// the operations that invalidate them. The vCPU calls translate() for every access; a hit costs
// the TLB latency and nothing else, a miss walks (each reference through table_memory, i.e.
// the vCPU's socket) and fills the TLB when the walk translated.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <systemc>

#include "cpu/ept.h"
#include "cpu/guest_paging.h"
#include "cpu/tlb.h"
#include "cpu/walker.h"
#include "model/cycles.h"
#include "model/params.h"
#include "model/stats.h"
#include "model/table_memory.h"

namespace mtsim::cpu {

struct mmu_config {
    walker_config walk;
    tlb_config tlb;
    void describe(param_visitor& v) {
        v.section("walk", walk);
        v.section("tlb", tlb);
    }
};

// What an access needs from a translation. On anything but `translated`, last_walk() holds the
// exit (qualification, error code, addresses) and the steps that led to it.
struct translation {
    walk_outcome outcome = walk_outcome::translated;
    std::uint64_t hpa = 0;
    memtype type = memtype::wb;
    type_source source = type_source::fixed;
    bool tlb_hit = false;
    bool ok() const { return outcome == walk_outcome::translated; }
};

class mmu {
public:
    // path names the stats ("top.vcpu0.mmu"); mem carries the walk's references.
    mmu(std::string_view path, const mmu_config& cfg, table_memory& mem, const clock& clk);

    // VMCS state. A new EPTP invalidates nothing by itself (INVEPT does, as on hardware);
    // decode errors throw std::invalid_argument.
    void load_eptp(std::uint64_t raw);
    const eptp& current_eptp() const { return m_eptp; }
    // Guest registers other than through write_cr3 (PAT, CR0, EFER, CR4): no invalidation,
    // as WRMSR IA32_PAT does none; the guest flushes as the SDM asks it to.
    void set_guest_regs(const guest_regs& r) { m_regs = r; }
    const guest_regs& regs() const { return m_regs; }

    translation translate(std::uint64_t gva, access_kind kind, bool user, sc_core::sc_time& delay) {
        if (const tlb_entry* e = m_tlb.lookup(gva, kind, user, m_regs.cr0_wp)) {
            delay += m_hit_time;
            return {walk_outcome::translated, e->hpa_page | (gva & e->offset_mask), e->type,
                    e->source, true};
        }
        return miss(gva, kind, user, delay);
    }
    const walk_result& last_walk() const { return m_walk; }

    // Guest MOV to CR3 (no PCIDs): drops non-global TLB entries and the guest PSC.
    void write_cr3(std::uint64_t cr3);
    // INVEPT (single- or all-context: one EPTP per vCPU here): drops everything.
    void invept();
    // INVVPID individual address (and INVLPG): that address's TLB entries, the guest PSC.
    void invvpid_address(std::uint64_t gva);
    // INVVPID single-context / all-context: every linear and combined mapping.
    void invvpid_context();

    tlb& tlbs() { return m_tlb; }
    paging_structure_caches& pscs() { return m_psc; }
    void set_requester(const requester& who) { m_who = who; }

private:
    translation miss(std::uint64_t gva, access_kind kind, bool user, sc_core::sc_time& delay);

    mmu_config m_cfg;
    const clock& m_clock;
    tlb m_tlb;
    paging_structure_caches m_psc;
    walker m_walker;
    eptp m_eptp{};
    bool m_eptp_loaded = false;
    guest_regs m_regs{};
    requester m_who{};
    walk_result m_walk;
    sc_core::sc_time m_hit_time;
    counter m_walks;
    counter m_exits;
    counter m_references;
    counter m_walk_cycles;
};

} // namespace mtsim::cpu
