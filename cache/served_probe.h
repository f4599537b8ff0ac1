// Where the memory system served one request, read from its own counters: a snapshot before
// the request and the deepest level whose counter moved after it (access_ext::served, for the
// requesters' accounting, model/accounting.h). Write-backs a fill causes are not where the
// request was served, so dram_writes do not count; WC drains and uncached requests come first
// because they are what the requester waited for.
#pragma once

#include <cstdint>

#include "cache/memory_stats.h"
#include "model/access_ext.h"

namespace mtsim {

class served_probe {
public:
    explicit served_probe(const memory_system_stats& s)
        : m_s(s), m_l1(s.l1_hits.value()), m_l2(s.l2_hits.value()), m_llc(s.llc_hits.value()),
          m_miss(s.llc_misses.value() + s.dram_reads.value()),
          m_uc(s.uncached_reads.value() + s.uncached_writes.value()), m_wc(s.wc_drains.value()) {}

    served_level level() const {
        if (m_s.wc_drains.value() != m_wc) return served_level::wc_drain;
        if (m_s.uncached_reads.value() + m_s.uncached_writes.value() != m_uc)
            return served_level::uncached;
        if (m_s.llc_misses.value() + m_s.dram_reads.value() != m_miss) return served_level::dram;
        if (m_s.llc_hits.value() != m_llc) return served_level::llc;
        if (m_s.l2_hits.value() != m_l2) return served_level::l2;
        if (m_s.l1_hits.value() != m_l1) return served_level::l1;
        return served_level::none;
    }

private:
    const memory_system_stats& m_s;
    std::uint64_t m_l1, m_l2, m_llc, m_miss, m_uc, m_wc;
};

} // namespace mtsim
