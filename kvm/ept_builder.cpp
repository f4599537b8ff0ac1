#include "kvm/ept_builder.h"

#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

namespace mtsim::kvm {

namespace {

constexpr std::uint64_t page = 4096;
constexpr unsigned entries_per_table = 512;

unsigned index_of(std::uint64_t gpa, unsigned level) {
    return static_cast<unsigned>((gpa >> level_shift(level)) & (entries_per_table - 1));
}

std::uint64_t non_leaf(std::uint64_t table) {
    // KVM gives non-leaf entries every permission; the leaf decides.
    std::uint64_t v = 0;
    v = field_put(field(ept_field::r), v, 1);
    v = field_put(field(ept_field::w), v, 1);
    v = field_put(field(ept_field::x), v, 1);
    return field_put(field(ept_field::address), v, table >> 12);
}

bool valid_leaf_type(memtype t) {
    return t == memtype::uc || t == memtype::wc || t == memtype::wt || t == memtype::wp ||
           t == memtype::wb;
}

} // namespace

void ept_builder_config::describe(param_visitor& v) {
    v.size("pool_base", pool_base, "host-physical base of the page pool EPT tables come from");
    v.size("pool_size", pool_size, "bytes in that pool (4 KiB per table)", page);
    v.uint("levels", levels, "EPT walk length (EPTP bits 5:3 + 1)", "levels", 4, 5);
    v.flag("ad", ad, "EPTP bit 6: the CPU sets accessed/dirty flags in EPT entries");
    v.mem_type("walk_type", walk_type, "memory type of EPT walk accesses (EPTP bits 2:0)");
    v.flag("huge_pages", huge_pages,
           "build 2 MiB leaves where the whole 2 MiB lies in one RAM memslot with matching "
           "alignment and one policy decision");
}

void validate(const ept_builder_config& c) {
    if (c.pool_base % page != 0 || c.pool_size % page != 0 || c.pool_size == 0)
        throw std::invalid_argument(
            "kvm.ept.pool_base/pool_size: must be 4 KiB multiples, size > 0");
    if (c.levels != 4 && c.levels != 5) throw std::invalid_argument("kvm.ept.levels: 4 or 5");
    if (c.walk_type != memtype::uc && c.walk_type != memtype::wb)
        throw std::invalid_argument("kvm.ept.walk_type: the EPTP allows UC or WB only");
}

ept_builder::ept_builder(const ept_builder_config& cfg, table_memory& mem)
    : m_cfg(cfg), m_mem(mem), m_root(cfg.pool_base), m_next(cfg.pool_base + page) {
    validate(m_cfg);
    m_tables[table_key(m_cfg.levels, 0)] = m_root;
}

std::uint64_t ept_builder::eptp() const {
    std::uint64_t v = 0;
    v = field_put(field(eptp_field::memtype), v, encoding(m_cfg.walk_type));
    v = field_put(field(eptp_field::walk_length), v, m_cfg.levels - 1);
    v = field_put(field(eptp_field::ad_enable), v, m_cfg.ad);
    return field_put(field(eptp_field::root), v, m_root >> 12);
}

std::uint64_t ept_builder::table_key(unsigned level, std::uint64_t gpa) {
    const unsigned above = level_shift(level + 1);
    return (std::uint64_t(level) << 58) | (above >= 64 ? 0 : gpa >> above);
}

void ept_builder::write(std::uint64_t pa, std::uint64_t v, const access_ext& ext,
                        sc_core::sc_time& delay, build_work& w) {
    m_mem.write_entry(pa, v, ext, delay);
    ++w.entries_written;
}

std::uint64_t ept_builder::allocate(const access_ext& ext, sc_core::sc_time& delay, build_work& w) {
    if (m_next + page > m_cfg.pool_base + m_cfg.pool_size)
        throw std::runtime_error(fmt::format(
            "kvm: the EPT page pool at {:#x}+{:#x} is exhausted (raise kvm.ept.pool_size)",
            m_cfg.pool_base, m_cfg.pool_size));
    const std::uint64_t t = m_next;
    m_next += page;
    // A table page is cleared before it is linked in (KVM allocates zeroed pages).
    for (unsigned i = 0; i < entries_per_table; ++i)
        m_mem.write_entry(t + std::uint64_t{8} * i, 0, ext, delay);
    ++w.tables_allocated;
    return t;
}

void ept_builder::forget_below(std::uint64_t gpa, unsigned level) {
    const std::uint64_t span = 1ULL << level_shift(level);
    const std::uint64_t base = gpa & ~(span - 1);
    const auto inside = [&](std::uint64_t a) { return a >= base && a - base < span; };
    for (auto it = m_tables.begin(); it != m_tables.end();) {
        const unsigned l = static_cast<unsigned>(it->first >> 58);
        const unsigned above = level_shift(l + 1);
        const std::uint64_t prefix = it->first & ((1ULL << 58) - 1);
        const std::uint64_t table_base = above >= 64 ? 0 : prefix << above;
        it = (l < level && inside(table_base)) ? m_tables.erase(it) : std::next(it);
    }
    for (auto& leaves : m_leaves)
        for (auto it = leaves.begin(); it != leaves.end();)
            it = inside(it->second.gfn << 12) ? leaves.erase(it) : std::next(it);
}

std::uint64_t ept_builder::table_for(std::uint64_t gpa, unsigned level, const access_ext& ext,
                                     sc_core::sc_time& delay, build_work& w) {
    if (!m_root_zeroed) {
        for (unsigned i = 0; i < entries_per_table; ++i)
            m_mem.write_entry(m_root + std::uint64_t{8} * i, 0, ext, delay);
        m_root_zeroed = true;
        ++w.tables_allocated;
    }
    std::uint64_t table = m_root;
    for (unsigned l = m_cfg.levels; l > level; --l) {
        auto it = m_tables.find(table_key(l - 1, gpa));
        if (it != m_tables.end()) {
            table = it->second;
            continue;
        }
        // Missing (or a large leaf is in the way: it is replaced by a table, as KVM splits).
        forget_below(gpa, l);
        const std::uint64_t child = allocate(ext, delay, w);
        write(table + std::uint64_t{8} * index_of(gpa, l), non_leaf(child), ext, delay, w);
        m_tables[table_key(l - 1, gpa)] = child;
        table = child;
    }
    return table;
}

build_work ept_builder::map(const leaf_request& r, const access_ext& ext, sc_core::sc_time& delay) {
    if (r.level != 1 && r.level != 2)
        throw std::invalid_argument("kvm: EPT leaves are built at 4 KiB or 2 MiB only");
    const std::uint64_t size = 1ULL << level_shift(r.level);
    if (r.hpa % size != 0)
        throw std::invalid_argument(
            fmt::format("kvm: EPT leaf hpa {:#x} not aligned to {:#x}", r.hpa, size));
    if (!valid_leaf_type(r.decision.ept_type))
        throw std::invalid_argument(fmt::format("kvm: policy {} gave EPT type {}, which is not "
                                                "a valid EPT leaf type",
                                                r.policy, to_string(r.decision.ept_type)));
    build_work w;
    const std::uint64_t table = table_for(r.gpa, r.level, ext, delay, w);
    if (r.level == 2) forget_below(r.gpa, 2);
    std::uint64_t v = 0;
    v = field_put(field(ept_field::r), v, (r.rwx & 1) != 0);
    v = field_put(field(ept_field::w), v, (r.rwx & 2) != 0);
    v = field_put(field(ept_field::x), v, (r.rwx & 4) != 0);
    v = field_put(field(ept_field::memtype), v, encoding(r.decision.ept_type));
    v = field_put(field(ept_field::ipat), v, r.decision.ipat);
    v = field_put(field(ept_field::ps), v, r.level == 2);
    v = field_put(field(ept_field::accessed), v, m_cfg.ad && r.accessed);
    v = field_put(field(ept_field::dirty), v, m_cfg.ad && r.dirty);
    v = field_put(field(ept_field::address), v, r.hpa >> 12);
    const std::uint64_t at = table + std::uint64_t{8} * index_of(r.gpa, r.level);
    write(at, v, ext, delay, w);
    const std::uint64_t gfn = (r.gpa & ~(size - 1)) >> 12;
    record({gfn, r.level, at, v, r.decision, r.inputs, r.policy, r.slot});
    return w;
}

build_work ept_builder::write_raw(std::uint64_t gpa, unsigned level, std::uint64_t value,
                                  const access_ext& ext, sc_core::sc_time& delay) {
    if (level < 1 || level > m_cfg.levels)
        throw std::invalid_argument(fmt::format("kvm: no EPT level {}", level));
    build_work w;
    const std::uint64_t table = table_for(gpa, level, ext, delay, w);
    forget_below(gpa, level);
    const std::uint64_t at = table + std::uint64_t{8} * index_of(gpa, level);
    write(at, value, ext, delay, w);
    const bool leaf =
        level == 1 || ((level == 2 || level == 3) && field_get(field(ept_field::ps), value));
    if (field_get(field(ept_field::r), value) | field_get(field(ept_field::w), value) |
        field_get(field(ept_field::x), value)) {
        if (leaf) {
            const std::uint64_t size = 1ULL << level_shift(level);
            leaf_record rec;
            rec.gfn = (gpa & ~(size - 1)) >> 12;
            rec.level = level;
            rec.entry_hpa = at;
            rec.value = value;
            rec.policy = "raw";
            rec.decision.why = "entry written raw by the scenario";
            if (auto t = memtype_from_encoding(
                    static_cast<unsigned>(field_get(field(ept_field::memtype), value))))
                rec.decision.ept_type = *t;
            else
                rec.decision.notes.push_back("reserved memory type encoding");
            rec.decision.ipat = field_get(field(ept_field::ipat), value) != 0;
            record(std::move(rec));
        }
    }
    return w;
}

build_work ept_builder::zap_leaves(const access_ext& ext, sc_core::sc_time& delay) {
    build_work w;
    for (auto& leaves : m_leaves) {
        for (const auto& [key, rec] : leaves) {
            write(rec.entry_hpa, 0, ext, delay, w);
            ++w.leaves_zapped;
        }
        leaves.clear();
    }
    return w;
}

build_work ept_builder::zap_range(std::uint64_t first, std::uint64_t end, const access_ext& ext,
                                  sc_core::sc_time& delay) {
    build_work w;
    for (unsigned i = 0; i < m_leaves.size(); ++i) {
        auto& leaves = m_leaves[i];
        const std::uint64_t pages = std::uint64_t(1) << (9 * i);
        for (auto it = leaves.begin(); it != leaves.end();) {
            const std::uint64_t lo = it->second.gfn & ~(pages - 1);
            if (lo < end && lo + pages > first) {
                write(it->second.entry_hpa, 0, ext, delay, w);
                ++w.leaves_zapped;
                it = leaves.erase(it);
            } else
                ++it;
        }
    }
    return w;
}

void ept_builder::record(leaf_record rec) {
    const unsigned i = rec.level - 1;
    const std::uint64_t key = rec.gfn >> (9 * i);
    m_leaves.at(i)[key] = std::move(rec);
}

std::size_t ept_builder::leaf_count() const {
    std::size_t n = 0;
    for (const auto& leaves : m_leaves) n += leaves.size();
    return n;
}

const leaf_record* ept_builder::leaf_for(std::uint64_t gfn) const {
    for (unsigned i = 0; i < m_leaves.size(); ++i)
        if (auto it = m_leaves[i].find(gfn >> (9 * i)); it != m_leaves[i].end()) return &it->second;
    return nullptr;
}

} // namespace mtsim::kvm
