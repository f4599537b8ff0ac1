#include "iommu/remap_unit.h"

#include <sstream>
#include <stdexcept>
#include <string>

#include "iommu/snoop_table.h"
#include "iommu/vtd.h"
#include "model/text.h"
#include "model/trace.h"

namespace mtsim::iommu {

using namespace fields;

// Occupies the walker for one miss: the first table reference waits until the walker is free;
// when the session ends the walker is busy until the last reference completed.
struct remap_unit::walker_session {
    remap_unit& unit;
    sc_core::sc_time& delay;
    bool started = false;
    sc_core::sc_time start; // when the walker took this miss

    walker_session(remap_unit& u, sc_core::sc_time& d) : unit(u), delay(d) {}
    walker_session(const walker_session&) = delete;
    walker_session& operator=(const walker_session&) = delete;
    ~walker_session() {
        if (!started) return;
        unit.m_walker_free = sc_core::sc_time_stamp() + delay;
        if (trace::on(trace::category::iommu))
            trace::cold([&] {
                trace::slice_in_lane("iommu.walker", trace::category::iommu, "IOTLB miss walk",
                                     start, unit.m_walker_free);
            });
    }
    void begin() {
        if (started) return;
        started = true;
        const sc_core::sc_time arrival = sc_core::sc_time_stamp() + delay;
        if (unit.m_walker_free > arrival) {
            const sc_core::sc_time wait = unit.m_walker_free - arrival;
            delay += wait;
            unit.m_n.walker_wait_cycles += unit.m_clock.to_cycles(wait).n;
        }
        start = sc_core::sc_time_stamp() + delay;
    }
};

remap_unit::remap_unit(const vtd_config& cfg, vtd_counters& counters, table_memory& memory)
    : m_cfg(cfg), m_n(counters), m_memory(memory),
      m_clock((validate(cfg), cfg.clock_mhz)), m_caps{cfg.ecap_sc, cfg.host_address_width,
                                                      cfg.large_2m, cfg.large_1g},
      m_iotlb(cfg.iotlb_entries, cfg.iotlb_ways), m_psc(cfg.psc_entries, cfg.psc_entries),
      m_contexts(cfg.context_cache_entries, cfg.context_cache_entries), m_faults(cfg.fault_records),
      m_region(cfg.table_base, cfg.table_bytes, "vt-d unit at " + hex(cfg.table_base)),
      m_root(cfg.table_base), m_next_table(cfg.table_base + table_bytes) {}

bool remap_unit::snoop_control() const {
    return m_cfg.ecap_sc;
}

bool remap_unit::supports_width(unsigned bits) const {
    return (bits == 39 && m_cfg.agaw_39) || (bits == 48 && m_cfg.agaw_48) ||
           (bits == 57 && m_cfg.agaw_57);
}

// ---- the request path ----

translation remap_unit::translate(const dma_request& r, sc_core::sc_time& delay) {
    if (r.length == 0 || (r.iova % table_bytes) + r.length > table_bytes)
        throw std::invalid_argument("vt-d request at " + hex(r.iova) + " of " +
                                    std::to_string(r.length) +
                                    " bytes: empty or crossing a 4 KiB boundary (PCIe forbids)");
    ++m_n.requests;
    delay += t(m_cfg.remap_latency);
    walker_session walker(*this, delay);

    context_info ctx;
    if (const fault_result f = context_of(r.bdf, ctx, walker, delay); f.faulted)
        return fault(r, f.reason, ctx.fpd);
    if (r.iova >> ctx.gaw_bits) return fault(r, fault_reason::beyond_gaw, ctx.fpd);

    iotlb_entry leaf;
    const iotlb_entry* hit = nullptr;
    for (const unsigned shift : {30u, 21u, 12u}) {
        if ((shift == 30 && !m_caps.large_1g) || (shift == 21 && !m_caps.large_2m)) continue;
        const std::uint64_t vpn = r.iova >> shift;
        hit = m_iotlb.find(vpn, [&](const iotlb_entry& e) {
            return e.did == ctx.did && e.shift == shift && e.vpn == vpn;
        });
        if (hit) break;
    }
    if (hit) {
        ++m_n.iotlb_hits;
        leaf = *hit;
    } else {
        ++m_n.iotlb_misses;
        unsigned level = ctx.levels;
        std::uint64_t table = ctx.slptptr;
        bool rd = true, wr = true;
        // Start below the deepest cached non-leaf entry on this address's path.
        for (unsigned l = 2; l <= ctx.levels; ++l) {
            const std::uint64_t tag = r.iova >> level_shift(l);
            const psc_entry* p = m_psc.find(0, [&](const psc_entry& e) {
                return e.did == ctx.did && e.level == l && e.tag == tag;
            });
            if (!p) continue;
            ++m_n.psc_hits;
            level = l - 1;
            table = p->next;
            rd = p->r;
            wr = p->w;
            break;
        }
        for (;; --level) {
            const std::uint64_t e =
                walk_read(table + level_index(r.iova, level) * 8, r.bdf, walker, delay);
            const sl_check c = classify_second_level(e, level, m_caps);
            if (c.cls == sl_class::not_present) return fault(r, fault_reason::not_present, ctx.fpd);
            if (c.cls == sl_class::reserved) return fault(r, fault_reason::reserved_entry, ctx.fpd);
            rd = rd && sl_r.get(e);
            wr = wr && sl_w.get(e);
            if (c.cls == sl_class::table) {
                table = sl_addr.address(e);
                m_psc.insert(
                    0, psc_entry{ctx.did, level, r.iova >> level_shift(level), table, rd, wr});
                continue;
            }
            const unsigned shift = level_shift(level);
            leaf = iotlb_entry{ctx.did, shift, r.iova >> shift,   sl_addr.address(e),
                               rd,      wr,    sl_snp.get(e) != 0};
            m_iotlb.insert(leaf.vpn, leaf);
            break;
        }
    }

    if (r.write ? !leaf.w : !leaf.r)
        return fault(r, r.write ? fault_reason::no_write : fault_reason::no_read, ctx.fpd);
    translation out;
    switch (snoop_decision(m_cfg.ecap_sc, leaf.snp, r.no_snoop)) {
    case snoop_outcome::reserved:
        return fault(r, fault_reason::reserved_entry, ctx.fpd);
    case snoop_outcome::snooped:
        out.snooped = true;
        ++m_n.snooped;
        break;
    case snoop_outcome::not_snooped:
        out.snooped = false;
        ++m_n.not_snooped;
        break;
    }
    out.ok = true;
    out.hpa = leaf.hpa_base | (r.iova & ((std::uint64_t{1} << leaf.shift) - 1));
    return out;
}

remap_unit::fault_result remap_unit::context_of(std::uint16_t bdf, context_info& out,
                                                walker_session& w, sc_core::sc_time& delay) {
    if (const context_info* c =
            m_contexts.find(0, [&](const context_info& e) { return e.bdf == bdf; })) {
        ++m_n.context_cache_hits;
        out = *c;
        return {};
    }
    ++m_n.context_cache_misses;
    const std::uint64_t haw_mask = above_haw_mask(m_cfg.host_address_width);
    const std::uint64_t re = walk_read(m_root + (bdf >> 8) * root_entry_bytes, bdf, w, delay);
    if (!root_p.get(re)) return {true, fault_reason::root_not_present};
    if ((re & reserved_mask(entry_kind::root_lo)) || (root_ctp.address(re) & haw_mask))
        return {true, fault_reason::reserved_root};
    const std::uint64_t ce = root_ctp.address(re) + (bdf & 0xff) * context_entry_bytes;
    const std::uint64_t lo = walk_read(ce, bdf, w, delay);
    if (!ctx_p.get(lo)) return {true, fault_reason::context_not_present};
    out.fpd = ctx_fpd.get(lo) != 0;
    if ((lo & reserved_mask(entry_kind::context_lo)) || (ctx_slptptr.address(lo) & haw_mask))
        return {true, fault_reason::reserved_context};
    const std::uint64_t hi = walk_read(ce + 8, bdf, w, delay);
    if (hi & reserved_mask(entry_kind::context_hi)) return {true, fault_reason::reserved_context};
    const auto aw = address_width_by_aw(static_cast<unsigned>(ctx_aw.get(hi)));
    const std::uint64_t tt = ctx_tt.get(lo);
    if (!aw || !supports_width(aw->bits) || (tt != tt_untranslated && tt != tt_device_tlb))
        return {true, fault_reason::invalid_context};
    out.bdf = bdf;
    out.did = static_cast<std::uint16_t>(ctx_did.get(hi));
    out.slptptr = ctx_slptptr.address(lo);
    out.levels = aw->levels;
    out.gaw_bits = aw->bits;
    m_contexts.insert(0, out);
    return {};
}

translation remap_unit::fault(const dma_request& r, fault_reason why, bool fpd) {
    ++m_n.faults;
    if (!fpd && !m_faults.record(fault_record{r.bdf, r.iova, r.write, why})) ++m_n.faults_dropped;
    translation t;
    t.ok = false;
    t.reason = why;
    return t;
}

std::uint64_t remap_unit::walk_read(std::uint64_t pa, std::uint16_t bdf, walker_session& w,
                                    sc_core::sc_time& delay) {
    w.begin();
    delay += t(m_cfg.walk_step);
    ++m_n.walk_references;
    access_ext ext;
    ext.op = op_kind::dma_read;
    ext.page_walk = true;
    ext.no_snoop = !m_cfg.ecap_c;
    ext.who.kind = requester_kind::device;
    ext.who.bdf = bdf;
    return m_memory.read_entry(pa, ext, delay);
}

// ---- invalidations ----

void remap_unit::invalidate_all() {
    ++m_n.invalidations;
    m_contexts.invalidate_if([](const context_info&) { return true; });
    m_iotlb.invalidate_if([](const iotlb_entry&) { return true; });
    m_psc.invalidate_if([](const psc_entry&) { return true; });
}

void remap_unit::invalidate_domain(std::uint16_t did) {
    ++m_n.invalidations;
    m_contexts.invalidate_if([&](const context_info& e) { return e.did == did; });
    m_iotlb.invalidate_if([&](const iotlb_entry& e) { return e.did == did; });
    m_psc.invalidate_if([&](const psc_entry& e) { return e.did == did; });
}

void remap_unit::invalidate_pages(std::uint16_t did, std::uint64_t iova, unsigned am,
                                  bool leaf_only) {
    if (am > 52 - 12) throw std::invalid_argument("vt-d page invalidation: address mask > 40");
    ++m_n.invalidations;
    const unsigned shift = 12 + am;
    const std::uint64_t lo = iova & ~((std::uint64_t{1} << shift) - 1);
    const std::uint64_t hi = lo + (std::uint64_t{1} << shift);
    const auto overlaps = [&](std::uint64_t base, unsigned s) {
        return base < hi && lo < base + (std::uint64_t{1} << s);
    };
    m_iotlb.invalidate_if(
        [&](const iotlb_entry& e) { return e.did == did && overlaps(e.vpn << e.shift, e.shift); });
    if (leaf_only) return;
    m_psc.invalidate_if([&](const psc_entry& e) {
        return e.did == did && overlaps(e.tag << level_shift(e.level), level_shift(e.level));
    });
}

} // namespace mtsim::iommu
