#include "kvm/arm64_stage2_builder.h"

#include <stdexcept>

#include <fmt/format.h>

#include "model/arm64_attr.h"

namespace mtsim::kvm {

namespace {

constexpr std::uint64_t page = 4096;
constexpr unsigned entries_per_table = 512;

constexpr unsigned shift_of(unsigned level) {
    return 12 + 9 * (3 - level);
}
constexpr std::uint64_t index_of(std::uint64_t ipa, unsigned level) {
    return (ipa >> shift_of(level)) & (entries_per_table - 1);
}
// The key of the level-`level` table that holds ipa's entry.
constexpr std::uint64_t table_key(unsigned level, std::uint64_t ipa) {
    return (std::uint64_t{level} << 58) | (level == 0 ? 0 : ipa >> shift_of(level - 1));
}

// A level-3 page descriptor as stage2_set_prot_attr() and kvm_init_pte() build it: valid page
// (0b11), MemAttr [5:2], S2AP [7:6], SH inner shareable [9:8] (KVM_PTE_LEAF_ATTR_LO_S2_SH_IS),
// AF [10], output address [47:12], XN [54] (Arm ARM D8.3; cpu/arm64_stage2.h decodes it).
constexpr std::uint64_t s2_page(std::uint64_t pa, std::uint8_t memattr, std::uint8_t s2ap,
                                bool xn) {
    return 0b11 | (std::uint64_t{memattr} << 2) | (std::uint64_t{s2ap} << 6) |
           (std::uint64_t{0b11} << 8) | (std::uint64_t{1} << 10) | (pa & 0x0000fffffffff000ULL) |
           (std::uint64_t{xn} << 54);
}

} // namespace

arm64_stage2_builder::arm64_stage2_builder(std::uint64_t pool_base, std::uint64_t pool_size,
                                           bool fwb, table_memory& mem)
    : m_pool_base(pool_base), m_pool_size(pool_size), m_fwb(fwb), m_mem(mem), m_root(pool_base),
      m_next(pool_base + page) {
    if (pool_base % page || pool_size % page || pool_size < 2 * page)
        throw std::invalid_argument("kvm: the stage-2 page pool must be 4 KiB aligned, >= 8 KiB");
}

std::uint64_t arm64_stage2_builder::allocate(const access_ext& ext, sc_core::sc_time& delay,
                                             build_work& w) {
    if (m_next + page > m_pool_base + m_pool_size)
        throw std::runtime_error(fmt::format(
            "kvm: the stage-2 page pool at {:#x}+{:#x} is exhausted (raise kvm.ept.pool_size)",
            m_pool_base, m_pool_size));
    const std::uint64_t t = m_next;
    m_next += page;
    for (unsigned i = 0; i < entries_per_table; ++i)
        m_mem.write_entry(t + std::uint64_t{8} * i, 0, ext, delay);
    ++w.tables_allocated;
    return t;
}

build_work arm64_stage2_builder::map(const s2_leaf_request& r, const access_ext& ext,
                                     sc_core::sc_time& delay) {
    if (r.ipa >> 48)
        throw std::invalid_argument(fmt::format("kvm: IPA {:#x} beyond 48 bits", r.ipa));
    build_work w;
    if (!m_root_zeroed) {
        for (unsigned i = 0; i < entries_per_table; ++i)
            m_mem.write_entry(m_root + std::uint64_t{8} * i, 0, ext, delay);
        m_root_zeroed = true;
        ++w.tables_allocated;
    }
    std::uint64_t table = m_root;
    for (unsigned level = 0; level < 3; ++level) {
        const auto it = m_tables.find(table_key(level + 1, r.ipa));
        if (it != m_tables.end()) {
            table = it->second;
            continue;
        }
        const std::uint64_t child = allocate(ext, delay, w);
        // A table descriptor: bits[1:0] 0b11, the next table's address.
        m_mem.write_entry(table + 8 * index_of(r.ipa, level), child | 0b11, ext, delay);
        ++w.entries_written;
        m_tables[table_key(level + 1, r.ipa)] = child;
        table = child;
    }
    const std::uint8_t memattr = encode_s2_memattr(m_fwb, r.decision.s2);
    const std::uint8_t s2ap = r.writable ? 0b11 : 0b01;
    const std::uint64_t v = s2_page(r.pa, memattr, s2ap, /*xn=*/!r.exec);
    const std::uint64_t at = table + 8 * index_of(r.ipa, 3);
    m_mem.write_entry(at, v, ext, delay);
    ++w.entries_written;
    const std::uint64_t gfn = r.ipa >> 12;
    m_leaves[gfn] = {gfn, at, v, memattr, r.decision, r.policy, r.slot};
    return w;
}

const s2_leaf_record* arm64_stage2_builder::leaf_for(std::uint64_t gfn) const {
    const auto it = m_leaves.find(gfn);
    return it == m_leaves.end() ? nullptr : &it->second;
}

} // namespace mtsim::kvm
