#include "cpu/arm64_walker.h"
#include "model/not_modelled.h"

#include <array>
#include <stdexcept>

#include <fmt/format.h>

namespace mtsim::cpu {

namespace {

constexpr std::uint64_t oa_mask = ((std::uint64_t{1} << 48) - 1) & ~std::uint64_t{0xfff};

constexpr unsigned shift_of(unsigned level) {
    return 12 + 9 * (3 - level);
}
constexpr std::uint64_t index_of(std::uint64_t addr, unsigned level) {
    return (addr >> shift_of(level)) & 511;
}

// The index each arm64 type has in arm64_linux_mair().
constexpr std::array<std::pair<arm64_memtype, unsigned>, 7> mair_slots{{
    {arm64_memtype::normal_wb, 0},
    {arm64_memtype::normal_nc, 2},
    {arm64_memtype::device_ngnrne, 3},
    {arm64_memtype::device_ngnre, 4},
    {arm64_memtype::normal_wt, 5},
    {arm64_memtype::device_gre, 6},
    {arm64_memtype::device_ngre, 7},
}};

// Stage-1 table walks: TCR_EL1.IRGN0/ORGN0 Write-Back (Linux __cpu_setup).
constexpr std::uint8_t s1_walk_attr = 0xff;

} // namespace

std::uint64_t arm64_linux_mair() {
    std::uint64_t m = std::uint64_t{encode_mair_attr(arm64_memtype::normal_wb)} << 8; // index 1
    for (const auto& [t, i] : mair_slots) m |= std::uint64_t{encode_mair_attr(t)} << (8 * i);
    return m;
}

unsigned arm64_linux_attr_index(arm64_memtype t) {
    for (const auto& [type, i] : mair_slots)
        if (type == t) return i;
    throw std::invalid_argument("no MAIR_EL1 index for this type");
}

std::uint64_t encode_s1_table(std::uint64_t next_table_ipa) {
    return 0b11 | (next_table_ipa & oa_mask);
}

std::uint64_t encode_s1_page(std::uint64_t oa, unsigned attr_index, bool read_only) {
    // Valid page, AttrIndx, AP[2] read-only, SH inner shareable, AF set (Linux PROT_DEFAULT
    // has PTE_AF | PTE_SHARED), UXN (a kernel mapping is never EL0-executable).
    return 0b11 | (std::uint64_t{attr_index & 7u} << 2) | (std::uint64_t{read_only} << 7) |
           (std::uint64_t{0b11} << 8) | (std::uint64_t{1} << 10) | (oa & oa_mask) |
           (std::uint64_t{1} << 54);
}

memtype arm64_path_type(arm64_memtype t) {
    switch (t) {
    case arm64_memtype::normal_wb:
        return memtype::wb;
    case arm64_memtype::normal_wt:
        return memtype::wt;
    case arm64_memtype::normal_nc:
        return memtype::wc;
    default:
        return memtype::uc;
    }
}

arm_device arm64_path_device(arm64_memtype t) {
    switch (t) {
    case arm64_memtype::device_ngnrne:
        return arm_device::ngnrne;
    case arm64_memtype::device_ngnre:
        return arm_device::ngnre;
    case arm64_memtype::device_ngre:
        return arm_device::ngre;
    case arm64_memtype::device_gre:
        return arm_device::gre;
    default:
        return arm_device::none;
    }
}

std::uint64_t arm64_walker::reference(const arm64_walk_step& st, arm64_walk_result& out,
                                      sc_core::sc_time& delay) {
    m_ext.type = st.type;
    m_ext.source = type_source::range;
    m_ext.op = op_kind::load;
    const sc_core::sc_time before = delay;
    const std::uint64_t v = m_mem.read_entry(st.address, m_ext, delay);
    ++out.reads;
    const cycles c = m_clock.to_cycles(delay - before);
    out.cost += c;
    if (m_record) {
        out.steps.push_back(st);
        out.steps.back().value = v;
        out.steps.back().cost = c;
    }
    return v;
}

// One stage-2 level per iteration: read, valid?, table or leaf; the leaf checked with s2_check.
bool arm64_walker::stage2(const arm64_regs& regs, std::uint64_t ipa, arm64_access a,
                          unsigned for_level, s2_xlate& x, arm64_walk_result& out,
                          sc_core::sc_time& delay) {
    if (ipa >> 48)
        throw not_modelled("an IPA beyond 48 bits (stage-2 address size fault)",
                           fmt::format("IPA {:#x}", ipa));
    std::uint64_t table = regs.vttbr & oa_mask;
    for (unsigned level = 0;; ++level) {
        arm64_walk_step st;
        st.stage2 = true;
        st.level = level;
        st.for_s1_level = for_level;
        st.address = table + 8 * index_of(ipa, level);
        st.input = ipa;
        st.type = memtype::wb; // VTCR_EL2.IRGN0/ORGN0 Write-Back
        const std::uint64_t d = reference(st, out, delay);
        const arm64_s2_entry e = decode_s2_entry(d, level);
        if (e.valid && e.table) {
            table = e.oa;
            continue;
        }
        const arm64_fault f = s2_check(e, level, a);
        if (f.faulted()) {
            out.outcome = arm64_walk_outcome::stage2_fault;
            out.fault = f;
            out.s1ptw = a == arm64_access::walk;
            out.fault_ipa = ipa;
            out.esr = esr_el2_stage2(f, a);
            out.hpfar = hpfar_el2(ipa);
            return false;
        }
        const std::uint64_t offset = (std::uint64_t{1} << shift_of(level)) - 1;
        x.pa = (e.oa & ~offset) | (ipa & offset);
        x.memattr = e.memattr;
        x.s2ap = e.s2ap;
        x.level = level;
        return true;
    }
}

void arm64_walker::walk(const arm64_regs& regs, std::uint64_t va, arm64_access a, requester who,
                        arm64_walk_result& out, sc_core::sc_time& delay) {
    std::vector<arm64_walk_step> steps = std::move(out.steps);
    steps.clear();
    out = arm64_walk_result{};
    out.steps = std::move(steps);
    out.va = va;
    out.access = a;
    m_ext.who = who;
    m_ext.page_walk = true;
    m_ext.device = arm_device::none;
    if (va >> 48)
        throw not_modelled("TTBR1_EL1 (the upper VA range) and VAs beyond 48 bits",
                           fmt::format("arm64 walk of {:#x}", va));
    std::uint64_t table = regs.ttbr0 & oa_mask;
    std::uint64_t leaf = 0;
    unsigned level = 0;
    for (;; ++level) {
        const std::uint64_t ipa = table + 8 * index_of(va, level);
        s2_xlate tx;
        if (!stage2(regs, ipa, arm64_access::walk, level, tx, out, delay)) {
            // The walk of an instruction fetch faults as an Instruction Abort (EC 0x20).
            if (a == arm64_access::fetch) out.esr = (out.esr & ~(0x3fu << 26)) | (0x20u << 26);
            return;
        }
        arm64_walk_step st;
        st.level = level;
        st.for_s1_level = level;
        st.address = tx.pa;
        st.input = va;
        const arm64_explained walk_attr = arm64_combine_encoded(regs.fwb, s1_walk_attr, tx.memattr);
        st.type = arm64_path_type(walk_attr.type);
        const std::uint64_t d = reference(st, out, delay);
        const unsigned kind = d & 3u;
        const bool valid = kind == 0b11 || (kind == 0b01 && (level == 1 || level == 2));
        if (!valid) {
            out.outcome = arm64_walk_outcome::stage1_fault;
            out.fault = {arm64_fault_kind::translation, level};
            return;
        }
        if (kind == 0b11 && level < 3) {
            table = d & oa_mask;
            continue;
        }
        leaf = d;
        break;
    }
    if (!((leaf >> 10) & 1u)) {
        out.outcome = arm64_walk_outcome::stage1_fault;
        out.fault = {arm64_fault_kind::access_flag, level};
        return;
    }
    const bool read_only = (leaf >> 7) & 1u;
    const bool pxn = (leaf >> 53) & 1u;
    if ((read_only && (a == arm64_access::write || a == arm64_access::dc_ivac)) ||
        (pxn && a == arm64_access::fetch)) {
        out.outcome = arm64_walk_outcome::stage1_fault;
        out.fault = {arm64_fault_kind::permission, level};
        return;
    }
    const std::uint64_t offset = (std::uint64_t{1} << shift_of(level)) - 1;
    out.ipa = (leaf & oa_mask & ~offset) | (va & offset);
    s2_xlate fx;
    if (!stage2(regs, out.ipa, a, 4, fx, out, delay)) return;
    out.pa = fx.pa;
    out.s1_level = level;
    out.s2_level = fx.level;
    out.attr_index = static_cast<unsigned>((leaf >> 2) & 7u);
    out.mair_attr = mair_attr_at(regs.mair, out.attr_index);
    out.s2_memattr = fx.memattr;
    out.s1_read_only = read_only;
    out.s2ap = fx.s2ap;
    out.combined = arm64_combine_encoded(regs.fwb, out.mair_attr, fx.memattr);
    out.type = arm64_path_type(out.combined.type);
    out.device = arm64_path_device(out.combined.type);
}

std::string describe(const arm64_walk_result& r) {
    switch (r.outcome) {
    case arm64_walk_outcome::translated:
        return fmt::format("translated: VA {:#x} -> IPA {:#x} -> PA {:#x}, {} (stage 1 Attr{} "
                           "{:#04x}, stage 2 MemAttr {:#x})",
                           r.va, r.ipa, r.pa, to_string(r.combined.type), r.attr_index, r.mair_attr,
                           r.s2_memattr);
    case arm64_walk_outcome::stage2_fault:
        return fmt::format("stage-2 {} fault, level {} ({}): IPA {:#x}, VA {:#x}, ESR_EL2 {:#x} "
                           "(DFSC {:#04x}, WnR {}, S1PTW {}), HPFAR_EL2 {:#x}",
                           r.fault.kind == arm64_fault_kind::translation   ? "translation"
                           : r.fault.kind == arm64_fault_kind::access_flag ? "access flag"
                                                                           : "permission",
                           r.fault.level, to_string(r.access), r.fault_ipa, r.va, r.esr,
                           r.esr & 0x3f, (r.esr >> 6) & 1, (r.esr >> 7) & 1, r.hpfar);
    case arm64_walk_outcome::stage1_fault:
        return fmt::format("stage-1 {} fault, level {} ({}): VA {:#x}",
                           r.fault.kind == arm64_fault_kind::translation   ? "translation"
                           : r.fault.kind == arm64_fault_kind::access_flag ? "access flag"
                                                                           : "permission",
                           r.fault.level, to_string(r.access), r.va);
    }
    return "?";
}

} // namespace mtsim::cpu
