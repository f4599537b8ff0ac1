#include "cpu/mmu.h"
#include "model/not_modelled.h"

#include <stdexcept>

namespace mtsim::cpu {

mmu::mmu(std::string_view path, const mmu_config& cfg, table_memory& mem, const clock& clk)
    : m_cfg(cfg), m_clock(clk), m_tlb(std::string(path) + ".tlb", cfg.tlb),
      m_psc(std::string(path) + ".psc", cfg.tlb), m_walker(cfg.walk, mem, clk, &m_psc),
      m_hit_time(clk.to_time(cfg.tlb.hit_latency)),
      m_walks(path, "walks", "2-D page walks (TLB misses)", "walks"),
      m_exits(path, "exits", "walks that ended in an EPT violation, misconfiguration or #PF",
              "walks"),
      m_references(path, "walk_references", "entry reads and A/D writes issued by walks",
                   "references"),
      m_walk_cycles(path, "walk_cycles", "cycles spent in walks (references and PSC hits)",
                    "cycles") {}

void mmu::load_eptp(std::uint64_t raw) {
    m_eptp = decode_eptp(raw, m_cfg.walk.ept);
    m_eptp_loaded = true;
}

translation mmu::miss(std::uint64_t gva, access_kind kind, bool user, sc_core::sc_time& delay) {
    if (!m_eptp_loaded)
        throw not_modelled("guests without EPT (translation before an EPTP was loaded)", "mmu");
    delay += m_hit_time;
    ++m_walks;
    m_walker.walk(m_regs, m_eptp, gva, kind, user, m_who, m_walk, delay);
    m_references += m_walk.references();
    m_walk_cycles += m_walk.cost.n;
    if (m_walk.outcome != walk_outcome::translated) {
        ++m_exits;
        return {m_walk.outcome, 0, memtype::uc, type_source::fixed, false};
    }
    const page_size sz = m_walk.combined_size();
    const std::uint64_t mask = (std::uint64_t{1} << (12 + 9 * static_cast<unsigned>(sz))) - 1;
    tlb_entry e;
    e.hpa_page = m_walk.hpa & ~mask;
    e.offset_mask = mask;
    e.type = m_walk.type;
    e.source = m_walk.source;
    e.rights = m_walk.rights;
    e.ept_rwx = m_walk.ept_rwx;
    e.dirty = m_walk.dirty;
    e.global = m_walk.global;
    m_tlb.fill(gva, sz, e);
    return {walk_outcome::translated, m_walk.hpa, m_walk.type, m_walk.source, false};
}

void mmu::write_cr3(std::uint64_t cr3) {
    m_regs.cr3 = cr3;
    if (m_regs.cr4_pge)
        m_tlb.flush_non_global();
    else
        m_tlb.flush_all();
    m_psc.flush_guest();
}

void mmu::invept() {
    m_tlb.flush_all();
    m_psc.flush_guest();
    m_psc.flush_ept();
}

void mmu::invvpid_address(std::uint64_t gva) {
    m_tlb.flush_address(gva);
    m_psc.flush_guest();
}

void mmu::invvpid_context() {
    m_tlb.flush_all();
    m_psc.flush_guest();
}

} // namespace mtsim::cpu
