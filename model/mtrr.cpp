#include "model/mtrr.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

namespace mtsim {

namespace {

std::string describe(const mtrr_match& m) {
    if (m.fixed) {
        const fixed_mtrr& r = fixed_mtrrs[m.index];
        const std::uint64_t lo = r.base + std::uint64_t{m.field} * r.unit;
        return fmt::format("{} field {} [{:#07x}, {:#07x}) = {}", r.name, m.field, lo, lo + r.unit,
                           to_string(m.type));
    }
    return fmt::format("variable range {} ({})", m.index, to_string(m.type));
}

} // namespace

mtrr_state::mtrr_state(const mtrr_config& cfg)
    : m_cfg(cfg), m_physbase(cfg.variable_count, 0), m_physmask(cfg.variable_count, 0) {
    if (cfg.phys_addr_bits < 36 || cfg.phys_addr_bits > 52)
        throw std::invalid_argument(
            fmt::format("mtrr_config.phys_addr_bits = {}: must be 36..52", cfg.phys_addr_bits));
    if (cfg.variable_count > 255)
        throw std::invalid_argument(
            fmt::format("mtrr_config.variable_count = {}: VCNT is 8 bits", cfg.variable_count));
}

std::uint64_t mtrr_state::phys_mask() const {
    return ((1ULL << m_cfg.phys_addr_bits) - 1) & ~0xFFFULL;
}

wrmsr_result mtrr_state::check_type(std::string_view reg, std::uint64_t enc) const {
    const auto t = mtrr_type_from_encoding(enc);
    if (!t) return gp_fault{fmt::format("{}: type {} is reserved in an MTRR", reg, enc)};
    if (*t == memtype::wc && !m_cfg.wc_supported)
        return gp_fault{fmt::format("{}: WC while IA32_MTRRCAP.WC = 0", reg)};
    return std::nullopt;
}

wrmsr_result mtrr_state::wrmsr(std::uint32_t msr, std::uint64_t value) {
    if (msr == ia32_mtrr_def_type_msr) {
        if (value & mtrr_def_reserved_mask)
            return gp_fault{fmt::format("IA32_MTRR_DEF_TYPE value {:#x} sets reserved bits {:#x}",
                                        value, value & mtrr_def_reserved_mask)};
        if (auto gp = check_type("IA32_MTRR_DEF_TYPE", value & 0xFF)) return gp;
        m_def_type = value;
        return std::nullopt;
    }
    for (std::size_t r = 0; r < fixed_mtrrs.size(); ++r) {
        if (fixed_mtrrs[r].msr != msr) continue;
        for (unsigned f = 0; f < 8; ++f) {
            const std::string reg = fmt::format("{} field {}", fixed_mtrrs[r].name, f);
            if (auto gp = check_type(reg, (value >> (8 * f)) & 0xFF)) return gp;
        }
        m_fixed[r] = value;
        return std::nullopt;
    }
    if (msr >= ia32_mtrr_physbase0_msr &&
        msr < ia32_mtrr_physbase0_msr + 2 * m_cfg.variable_count) {
        const unsigned n = (msr - ia32_mtrr_physbase0_msr) / 2;
        const bool is_base = ((msr - ia32_mtrr_physbase0_msr) % 2) == 0;
        if (is_base) {
            const std::uint64_t reserved = ~(phys_mask() | 0xFFULL);
            if (value & reserved)
                return gp_fault{fmt::format("IA32_MTRR_PHYSBASE{} value {:#x} sets reserved bits "
                                            "{:#x} (MAXPHYADDR = {})",
                                            n, value, value & reserved, m_cfg.phys_addr_bits)};
            if (auto gp = check_type(fmt::format("IA32_MTRR_PHYSBASE{}", n), value & 0xFF))
                return gp;
            m_physbase[n] = value;
        } else {
            const std::uint64_t reserved = ~(phys_mask() | mtrr_physmask_valid_bit);
            if (value & reserved)
                return gp_fault{fmt::format("IA32_MTRR_PHYSMASK{} value {:#x} sets reserved bits "
                                            "{:#x} (MAXPHYADDR = {})",
                                            n, value, value & reserved, m_cfg.phys_addr_bits)};
            m_physmask[n] = value;
        }
        return std::nullopt;
    }
    return gp_fault{
        fmt::format("MSR {:#x} is not an MTRR of this CPU (VCNT = {})", msr, m_cfg.variable_count)};
}

std::optional<std::uint64_t> mtrr_state::rdmsr(std::uint32_t msr) const {
    if (msr == ia32_mtrr_def_type_msr) return m_def_type;
    for (std::size_t r = 0; r < fixed_mtrrs.size(); ++r)
        if (fixed_mtrrs[r].msr == msr) return m_fixed[r];
    if (msr >= ia32_mtrr_physbase0_msr &&
        msr < ia32_mtrr_physbase0_msr + 2 * m_cfg.variable_count) {
        const unsigned n = (msr - ia32_mtrr_physbase0_msr) / 2;
        return ((msr - ia32_mtrr_physbase0_msr) % 2) == 0 ? m_physbase[n] : m_physmask[n];
    }
    return std::nullopt;
}

wrmsr_result mtrr_state::set_def_type(memtype type, bool fe, bool e) {
    return wrmsr(ia32_mtrr_def_type_msr,
                 encoding(type) | (fe ? mtrr_def_fe_bit : 0) | (e ? mtrr_def_e_bit : 0));
}

wrmsr_result mtrr_state::set_variable(unsigned n, std::uint64_t base, std::uint64_t mask,
                                      memtype type, bool valid) {
    if (n >= m_cfg.variable_count)
        return gp_fault{
            fmt::format("variable range {} does not exist (VCNT = {})", n, m_cfg.variable_count)};
    if ((base | mask) & 0xFFF)
        return gp_fault{fmt::format("variable range {}: base {:#x} and mask {:#x} must be 4 KiB "
                                    "aligned (their low 12 bits hold type and valid)",
                                    n, base, mask)};
    // A refused PHYSMASK restores PHYSBASE, so a refused pair leaves no half update.
    const std::uint64_t b = base | encoding(type);
    const std::uint64_t m = mask | (valid ? mtrr_physmask_valid_bit : 0);
    const std::uint64_t old_b = m_physbase[n];
    if (auto gp = wrmsr(ia32_mtrr_physbase0_msr + 2 * n, b)) return gp;
    if (auto gp = wrmsr(ia32_mtrr_physmask0_msr + 2 * n, m)) {
        m_physbase[n] = old_b;
        return gp;
    }
    return std::nullopt;
}

wrmsr_result mtrr_state::set_fixed(unsigned reg, const std::array<memtype, 8>& types) {
    if (reg >= fixed_mtrrs.size())
        return gp_fault{fmt::format("fixed-range MTRR {} does not exist (there are {})", reg,
                                    fixed_mtrrs.size())};
    std::uint64_t v = 0;
    for (unsigned f = 0; f < 8; ++f) v |= std::uint64_t{encoding(types[f])} << (8 * f);
    return wrmsr(fixed_mtrrs[reg].msr, v);
}

mtrr_resolution mtrr_state::resolve(std::uint64_t addr) const {
    if (addr >> m_cfg.phys_addr_bits)
        throw std::out_of_range(fmt::format("physical address {:#x} is beyond MAXPHYADDR = {}",
                                            addr, m_cfg.phys_addr_bits));
    mtrr_resolution r;
    if (!(m_def_type & mtrr_def_e_bit)) {
        r.type = memtype::uc;
        r.rule = mtrr_rule::disabled;
        r.steps.push_back("IA32_MTRR_DEF_TYPE.E = 0: MTRRs disabled, all memory is UC");
        return r;
    }
    r.steps.push_back("IA32_MTRR_DEF_TYPE.E = 1: MTRRs enabled");
    if (addr < fixed_mtrr_limit) {
        if (m_def_type & mtrr_def_fe_bit) {
            for (std::size_t i = 0; i < fixed_mtrrs.size(); ++i) {
                const fixed_mtrr& f = fixed_mtrrs[i];
                if (addr < f.base || addr >= f.base + 8ULL * f.unit) continue;
                const unsigned field = static_cast<unsigned>((addr - f.base) / f.unit);
                mtrr_match m{true, static_cast<unsigned>(i), field,
                             *mtrr_type_from_encoding((m_fixed[i] >> (8 * field)) & 0xFF)};
                r.type = m.type;
                r.rule = mtrr_rule::fixed;
                r.matched.push_back(m);
                r.steps.push_back(fmt::format("FE = 1 and {:#x} < 1 MiB: {}", addr, describe(m)));
                return r;
            }
            throw std::logic_error("fixed_mtrrs does not cover the first 1 MiB");
        }
        r.steps.push_back("FE = 0: the first 1 MiB follows the variable ranges");
    }
    const std::uint64_t pm = phys_mask();
    for (unsigned n = 0; n < m_cfg.variable_count; ++n) {
        if (!(m_physmask[n] & mtrr_physmask_valid_bit)) continue;
        const std::uint64_t mask = m_physmask[n] & pm;
        if ((addr & mask) != (m_physbase[n] & pm & mask)) continue;
        r.matched.push_back(
            mtrr_match{false, n, 0, *mtrr_type_from_encoding(m_physbase[n] & 0xFF)});
        r.steps.push_back(fmt::format("{:#x} matches {}", addr, describe(r.matched.back())));
    }
    if (r.matched.empty()) {
        r.type = *mtrr_type_from_encoding(m_def_type & 0xFF);
        r.rule = mtrr_rule::default_type;
        r.steps.push_back(
            fmt::format("no variable range matches: default type {}", to_string(*r.type)));
        return r;
    }
    r.rule = mtrr_rule::variable;
    const auto has = [&r](memtype t) {
        return std::any_of(r.matched.begin(), r.matched.end(),
                           [t](const mtrr_match& m) { return m.type == t; });
    };
    const bool all_same =
        std::all_of(r.matched.begin(), r.matched.end(),
                    [&r](const mtrr_match& m) { return m.type == r.matched.front().type; });
    if (has(memtype::uc)) {
        r.type = memtype::uc;
        if (r.matched.size() > 1) r.steps.push_back("overlap containing UC: UC wins");
    } else if (all_same) {
        r.type = r.matched.front().type;
        if (r.matched.size() > 1) r.steps.push_back("overlapping ranges of one type: that type");
    } else if (std::all_of(r.matched.begin(), r.matched.end(), [](const mtrr_match& m) {
                   return m.type == memtype::wt || m.type == memtype::wb;
               })) {
        r.type = memtype::wt;
        r.steps.push_back("WT overlapping WB: WT");
    } else {
        std::string names;
        for (const mtrr_match& m : r.matched) {
            if (!names.empty()) names += ", ";
            names += describe(m);
        }
        r.conflict =
            fmt::format("overlapping MTRRs at {:#x} with undefined result: {}", addr, names);
        r.steps.push_back(r.conflict);
        return r;
    }
    r.steps.push_back(fmt::format("range type {}", to_string(*r.type)));
    return r;
}

} // namespace mtsim
