#include "cpu/arm64_mmu.h"

#include <string>

namespace mtsim::cpu {

arm64_mmu::arm64_mmu(std::string_view path, const tlb_config& tlb, bool record_steps,
                     table_memory& mem, const clock& clk)
    : m_capacity(tlb.entries_4k ? tlb.entries_4k : 1), m_hit_time(clk.to_time(tlb.hit_latency)),
      m_walker(mem, clk, record_steps),
      m_walks(path, "walks", "stage-1 x stage-2 walks (TLB misses)", "walks"),
      m_exits(path, "exits", "walks that ended in a stage-2 abort or a stage-1 fault", "walks"),
      m_references(path, "walk_references", "descriptor reads issued by walks", "references"),
      m_walk_cycles(path, "walk_cycles", "cycles spent in walks", "cycles") {}

arm64_translation arm64_mmu::translate(std::uint64_t va, arm64_access a, sc_core::sc_time& delay) {
    delay += m_hit_time;
    const std::uint64_t page = va >> 12;
    const bool write = a == arm64_access::write || a == arm64_access::dc_ivac;
    if (const auto it = m_entries.find(page);
        it != m_entries.end() && (!write || it->second.writable) && a != arm64_access::fetch)
        return {arm64_walk_outcome::translated, it->second.pa_page | (va & 0xfff), it->second.type,
                it->second.device, true};
    ++m_walks;
    m_walker.walk(m_regs, va, a, m_who, m_walk, delay);
    m_references += m_walk.reads;
    m_walk_cycles += m_walk.cost.n;
    if (m_walk.outcome != arm64_walk_outcome::translated) {
        ++m_exits;
        return {m_walk.outcome, 0, memtype::uc, arm_device::none, false};
    }
    entry e;
    e.pa_page = m_walk.pa & ~std::uint64_t{0xfff};
    e.type = m_walk.type;
    e.device = m_walk.device;
    e.writable = !m_walk.s1_read_only && (m_walk.s2ap & 2u);
    if (m_entries.find(page) == m_entries.end()) {
        if (m_entries.size() >= m_capacity) {
            m_entries.erase(m_order.front());
            m_order.pop_front();
        }
        m_order.push_back(page);
    }
    m_entries[page] = e;
    return {arm64_walk_outcome::translated, m_walk.pa, m_walk.type, m_walk.device, false};
}

} // namespace mtsim::cpu
