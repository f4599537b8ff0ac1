// The host IOMMU driver's side of a remapping unit: context entries on attach/detach, leaf
// entries on map/unmap, SNP on enforce_cache_coherency. Every entry is read and written
// through the unit's table_memory as a snooped access.
#include "iommu/remap_unit.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <string>

#include "iommu/snoop_table.h"
#include "iommu/vtd.h"
#include "model/not_modelled.h"
#include "model/text.h"

namespace mtsim::iommu {

using namespace fields;

namespace {

bool present(std::uint64_t e) {
    return sl_r.get(e) != 0 || sl_w.get(e) != 0;
}

} // namespace

std::uint64_t remap_unit::driver_read(std::uint64_t pa, sc_core::sc_time& delay) {
    access_ext ext;
    ext.op = op_kind::dma_read;
    ext.page_walk = true;
    ext.who.kind = requester_kind::vmm;
    return m_memory.read_entry(pa, ext, delay);
}

void remap_unit::driver_write(std::uint64_t pa, std::uint64_t value, sc_core::sc_time& delay) {
    access_ext ext;
    ext.op = op_kind::dma_write;
    ext.page_walk = true;
    ext.who.kind = requester_kind::vmm;
    ++m_n.table_writes;
    m_memory.write_entry(pa, value, ext, delay);
}

std::uint64_t remap_unit::allocate_table() {
    if (m_next_table + table_bytes > m_cfg.table_base + m_cfg.table_bytes)
        throw std::runtime_error("vt-d unit: context-table region exhausted (table_bytes)");
    const std::uint64_t pa = m_next_table;
    m_next_table += table_bytes;
    return pa;
}

entry_caps remap_unit::domain_caps(const iommu_domain& d) const {
    entry_caps c = m_caps;
    for (const auto& [u, n] : d.m_units) {
        c.large_2m = c.large_2m && u->m_caps.large_2m;
        c.large_1g = c.large_1g && u->m_caps.large_1g;
        c.host_address_width = std::min(c.host_address_width, u->m_caps.host_address_width);
    }
    return c;
}

bool remap_unit::attach_device(std::uint16_t bdf, iommu_domain& d, sc_core::sc_time& delay) {
    if (m_attached.count(bdf))
        throw std::logic_error("vt-d attach: device " + hex(bdf) + " is already attached");
    const auto aw = address_width_by_bits(d.address_width());
    if (!aw || !supports_width(d.address_width()))
        throw std::invalid_argument("vt-d attach: the unit does not support the " +
                                    std::to_string(d.address_width()) +
                                    "-bit address width of domain " + std::to_string(d.id()));
    if (d.snoop_enforced() && !snp_legal(m_cfg.ecap_sc)) return false;

    const std::uint64_t re_pa = m_root + (bdf >> 8) * root_entry_bytes;
    std::uint64_t re = driver_read(re_pa, delay);
    if (!root_p.get(re)) {
        re = root_p.with(root_ctp.with_address(0, allocate_table()), 1);
        driver_write(re_pa, re, delay);
    }
    const std::uint64_t ce = root_ctp.address(re) + (bdf & 0xff) * context_entry_bytes;
    const std::uint64_t hi = ctx_did.with(ctx_aw.with(0, aw->aw), d.id());
    const std::uint64_t lo =
        ctx_p.with(ctx_tt.with(ctx_slptptr.with_address(0, d.root_table()), tt_untranslated), 1);
    driver_write(ce + 8, hi, delay);
    driver_write(ce, lo, delay); // present last
    m_contexts.invalidate_if([&](const context_info& e) { return e.bdf == bdf; });
    m_attached[bdf] = &d;
    d.add_unit(this);
    return true;
}

void remap_unit::detach_device(std::uint16_t bdf, sc_core::sc_time& delay) {
    const auto it = m_attached.find(bdf);
    if (it == m_attached.end())
        throw std::logic_error("vt-d detach: device " + hex(bdf) + " is not attached");
    const std::uint64_t re = driver_read(m_root + (bdf >> 8) * root_entry_bytes, delay);
    const std::uint64_t ce = root_ctp.address(re) + (bdf & 0xff) * context_entry_bytes;
    driver_write(ce, 0, delay); // not present first
    driver_write(ce + 8, 0, delay);
    m_contexts.invalidate_if([&](const context_info& e) { return e.bdf == bdf; });
    invalidate_domain(it->second->id());
    it->second->remove_unit(this);
    m_attached.erase(it);
}

void remap_unit::map(iommu_domain& d, const mapping& m, sc_core::sc_time& delay) {
    if (m.bytes == 0 || m.iova % table_bytes || m.hpa % table_bytes || m.bytes % table_bytes)
        throw std::invalid_argument("vt-d map: iova, hpa and size must be 4 KiB multiples");
    if (!m.read && !m.write)
        throw std::invalid_argument("vt-d map: a mapping with neither read nor write is absent");
    if ((m.iova + m.bytes - 1) >> d.address_width())
        throw std::invalid_argument("vt-d map: " + hex(m.iova + m.bytes - 1) +
                                    " is beyond the domain's address width");
    const entry_caps caps = domain_caps(d);
    if ((m.hpa + m.bytes - 1) & above_haw_mask(caps.host_address_width))
        throw std::invalid_argument("vt-d map: " + hex(m.hpa + m.bytes - 1) +
                                    " is beyond the host address width");
    for (std::uint64_t off = 0; off < m.bytes;) {
        const std::uint64_t va = m.iova + off, pa = m.hpa + off, left = m.bytes - off;
        std::uint64_t done = 0;
        for (unsigned level = 3; level >= 1 && done == 0; --level) {
            const std::uint64_t size = std::uint64_t{1} << level_shift(level);
            if (!leaf_allowed(level, caps) || level > d.levels() || va % size || pa % size ||
                left < size)
                continue;
            if (install_leaf(d, va, pa, level, m, delay)) done = size;
        }
        if (done == 0) throw std::logic_error("vt-d map: no page size fits " + hex(va));
        off += done;
    }
}

bool remap_unit::install_leaf(iommu_domain& d, std::uint64_t iova, std::uint64_t hpa,
                              unsigned level, const mapping& m, sc_core::sc_time& delay) {
    std::uint64_t table = d.root_table();
    for (unsigned l = d.levels(); l > level; --l) {
        const std::uint64_t pa = table + level_index(iova, l) * 8;
        std::uint64_t e = driver_read(pa, delay);
        if (!present(e)) {
            e = sl_addr.with_address(sl_w.with(sl_r.with(0, 1), 1), d.allocate_table());
            driver_write(pa, e, delay);
        } else if (l > 1 && sl_ps.get(e)) {
            throw std::invalid_argument("vt-d map: " + hex(iova) + " lies in a mapped large page");
        }
        table = sl_addr.address(e);
    }
    const std::uint64_t pa = table + level_index(iova, level) * 8;
    const std::uint64_t old = driver_read(pa, delay);
    if (present(old)) {
        if (level > 1 && !sl_ps.get(old)) return false; // a table lives here: smaller pages
        throw std::invalid_argument("vt-d map: " + hex(iova) + " is already mapped");
    }
    std::uint64_t e = sl_addr.with_address(0, hpa);
    e = sl_r.with(e, m.read);
    e = sl_w.with(e, m.write);
    e = sl_ps.with(e, level > 1);
    e = sl_snp.with(e, d.snoop_enforced());
    driver_write(pa, e, delay);
    d.m_leaves[iova] = iommu_domain::leaf{pa, level_shift(level)};
    return true;
}

void remap_unit::unmap(iommu_domain& d, std::uint64_t iova, std::uint64_t bytes,
                       sc_core::sc_time& delay) {
    const std::uint64_t end = iova + bytes;
    auto first = d.m_leaves.lower_bound(iova);
    if (first != d.m_leaves.begin()) {
        const auto p = std::prev(first);
        if (p->first + (std::uint64_t{1} << p->second.shift) > iova)
            throw not_modelled("an unmap that splits a large page", "vt-d unmap at " + hex(iova));
    }
    auto last = first;
    for (; last != d.m_leaves.end() && last->first < end; ++last)
        if (last->first + (std::uint64_t{1} << last->second.shift) > end)
            throw not_modelled("an unmap that splits a large page",
                               "vt-d unmap ending at " + hex(end));
    for (auto it = first; it != last; ++it) {
        driver_write(it->second.entry_pa, 0, delay);
        bool self = false;
        for (const auto& [u, n] : d.m_units) {
            u->invalidate_pages(d.id(), it->first, it->second.shift - 12, true);
            self = self || u == this;
        }
        if (!self) invalidate_pages(d.id(), it->first, it->second.shift - 12, true);
    }
    d.m_leaves.erase(first, last);
}

bool remap_unit::enforce_cache_coherency(iommu_domain& d, sc_core::sc_time& delay) {
    if (d.m_snoop_enforced) return true;
    if (!snp_legal(m_cfg.ecap_sc)) return false;
    for (const auto& [u, n] : d.m_units)
        if (!snp_legal(u->m_cfg.ecap_sc)) return false;
    d.m_snoop_enforced = true;
    for (const auto& [iova, leaf] : d.m_leaves)
        driver_write(leaf.entry_pa, sl_snp.with(driver_read(leaf.entry_pa, delay), 1), delay);
    bool self = false;
    for (const auto& [u, n] : d.m_units) {
        u->invalidate_domain(d.id());
        self = self || u == this;
    }
    if (!self) invalidate_domain(d.id());
    return true;
}

} // namespace mtsim::iommu
