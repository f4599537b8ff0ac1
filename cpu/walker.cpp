#include "cpu/walker.h"
#include "model/not_modelled.h"

#include <fmt/format.h>
#include <stdexcept>
#include <utility>

namespace mtsim::cpu {

void walker_config::describe(param_visitor& v) {
    v.section("ept", ept);
    v.section("guest", guest);
    v.flag("ad_guest_tables_are_writes", ad_guest_tables_are_writes,
           "with EPT A/D flags on, guest paging-structure accesses are writes for EPT "
           "(SDM 28.3.3.2)");
    v.flag("mbec", mbec,
           "mode-based execute control for EPT (secondary control bit 22): EPT bit 2 allows "
           "supervisor-mode fetches, bit 10 user-mode ones (SDM Vol. 3C 29.3.2)");
    v.flag("record_steps", record_steps, "keep every reference of a walk for `mtsim walk`");
}

std::string_view to_string(walk_stage s) {
    return s == walk_stage::guest ? "guest" : "ept";
}

std::string_view to_string(walk_outcome o) {
    return enum_name(o);
}

walker::walker(const walker_config& cfg, table_memory& mem, const clock& clk,
               paging_structure_caches* psc)
    : m_cfg(cfg), m_mem(mem), m_clock(clk), m_psc(psc), m_guest_psc(psc && psc->caches_guest()),
      m_ept_psc(psc && psc->caches_ept()),
      m_psc_hit_time(psc ? clk.to_time(psc->hit_latency()) : sc_core::SC_ZERO_TIME) {
    const std::uint64_t above_maxphy = bits(51, static_cast<unsigned>(cfg.ept.maxphyaddr));
    for (auto& m : m_ept_reserved) m = above_maxphy;
    for (const ept_reserved_rule& r : ept_reserved_rules)
        m_ept_reserved[static_cast<unsigned>(r.kind)] |= r.mask;
    if (!cfg.ept.pages_1g) m_ept_reserved[static_cast<unsigned>(ept_entry_kind::pdpte_1g)] = ~0ULL;
    for (unsigned t = 0; t < 8; ++t)
        if (ept_leaf_type_misconfigured(t)) m_bad_leaf_types |= 1u << t;
}

std::uint64_t walker::reference(const walk_step& st, bool write, std::uint64_t value,
                                walk_result& out, sc_core::sc_time& delay) {
    access_ext& ext = m_ext; // who and page_walk were set when the walk began
    ext.type = st.type;
    ext.source = st.source;
    ext.op = write ? op_kind::store : op_kind::load;
    const sc_core::sc_time before = delay;
    if (write) {
        m_mem.write_entry(st.address, value, ext, delay);
        ++out.writes;
    } else {
        value = m_mem.read_entry(st.address, ext, delay);
        ++out.reads;
    }
    const cycles cost = reference_cycles(delay - before);
    out.cost += cost;
    if (m_cfg.record_steps) {
        out.steps.push_back(st);
        walk_step& rec = out.steps.back();
        rec.cost = cost;
        rec.write = write;
        rec.value = value;
    }
    return value;
}

void walker::ept_violation(std::uint64_t gpa, unsigned access, unsigned rwx_and, bool final,
                           walk_result& out) {
    out.outcome = walk_outcome::ept_violation;
    out.exit_stage = walk_stage::ept;
    out.exit_gpa = gpa;
    out.exit_final = final;
    out.qualification = ept_qualification({access, rwx_and, true, final});
}

void walker::page_fault(bool present, guest_reserved rsvd, const guest_regs& regs, unsigned level,
                        std::uint64_t entry, walk_result& out) {
    out.outcome = walk_outcome::page_fault;
    out.exit_stage = walk_stage::guest;
    out.exit_level = level;
    out.exit_entry = entry;
    out.pf_reserved = rsvd;
    out.error_code =
        pf_error_code({present, rsvd != guest_reserved::none, out.kind, out.user, regs.efer_nxe});
}

bool walker::ept_translate(const eptp& ep, std::uint64_t gpa, unsigned access, unsigned for_level,
                           ept_xlate& x, walk_result& out, sc_core::sc_time& delay) {
    // Written for every level the walk visits before they are read.
    std::array<std::uint64_t, 6> entry_hpa, value;
    std::array<unsigned, 6> rwx_after;
    unsigned rwx = perm_r | perm_w | perm_x | perm_xu;
    unsigned level = ep.levels;
    std::uint64_t table = ep.root;
    if (m_ept_psc) {
        const ept_psc_entry* c = nullptr;
        if (const unsigned l = m_psc->find_ept(gpa, ep.levels, c)) {
            level = l - 1;
            table = c->table_hpa;
            rwx = c->rwx;
            delay += m_psc_hit_time;
            out.cost += m_psc->hit_latency();
        }
    }
    if (gpa >> level_shift(ep.levels + 1))
        throw std::domain_error(fmt::format(
            "guest-physical address {:#x} is wider than a {}-level EPT walk translates (not "
            "modelled)",
            gpa, ep.levels));
    const unsigned first = level;
    const bool final = for_level == 0;
    // One EPT level per iteration: read, present?, misconfigured?, accumulate, leaf?
    for (;; --level) {
        walk_step st;
        st.stage = walk_stage::ept;
        st.level = level;
        st.for_guest_level = for_level;
        st.address = table + 8 * std::uint64_t{level_index(gpa, level)};
        st.guest_address = gpa;
        st.type = ep.walk_type;
        st.source = type_source::fixed;
        const std::uint64_t e = reference(st, false, 0, out, delay);
        entry_hpa[level] = st.address;
        value[level] = e;
        out.exit_level = level;
        out.exit_entry = e;
        if (ept_rights(e, m_cfg.mbec) == 0) {
            ept_violation(gpa, access, 0, final, out);
            return false;
        }
        if (!ept_entry_surely_ok(e, level))
            if (const auto m = check_ept_entry(e, level, m_cfg.ept, m_cfg.mbec)) {
                out.outcome = walk_outcome::ept_misconfig;
                out.exit_stage = walk_stage::ept;
                out.exit_gpa = gpa;
                out.exit_final = final;
                out.misconfig = *m;
                return false;
            }
        rwx &= ept_rights(e, m_cfg.mbec);
        rwx_after[level] = rwx;
        if (is_leaf(ept_kind(level, e))) break;
        table = address_of(e);
    }
    if (access & ~rwx) {
        ept_violation(gpa, access, rwx, final, out);
        out.exit_level = 0;
        return false;
    }
    const std::uint64_t a_bit = field_mask(field(ept_field::accessed));
    const std::uint64_t d_bit = field_mask(field(ept_field::dirty));
    if (ep.ad) {
        for (unsigned l = first; l >= level; --l) {
            std::uint64_t want = value[l] | a_bit;
            if (l == level && (access & perm_w)) want |= d_bit;
            if (want == value[l]) continue;
            walk_step st;
            st.stage = walk_stage::ept;
            st.level = l;
            st.for_guest_level = for_level;
            st.address = entry_hpa[l];
            st.guest_address = gpa;
            st.type = ep.walk_type;
            st.source = type_source::fixed;
            reference(st, true, want, out, delay);
            value[l] = want;
        }
    }
    if (m_ept_psc)
        for (unsigned l = first; l > level; --l)
            m_psc->insert_ept(l, gpa, {address_of(value[l]), rwx_after[l]});
    const std::uint64_t leaf = value[level];
    const std::uint64_t offset = (std::uint64_t{1} << level_shift(level)) - 1;
    x.hpa = (address_of(leaf) & ~offset) | (gpa & offset);
    x.type = *ept_leaf_memtype(static_cast<unsigned>(field_get(field(ept_field::memtype), leaf)));
    x.ipat = ept_bit(ept_field::ipat, leaf);
    x.rwx = rwx;
    x.leaf_level = level;
    x.access = access;
    x.dirty = !ep.ad || (leaf & d_bit);
    return true;
}

// Guest A/D flags: writes to guest memory, so they need EPT write permission. A translation
// already checked for writes (EPT A/D with guest tables as writes) is reused; otherwise W is
// checked against the translation's rights and, with EPT A/D on, the EPT walk is repeated as a
// write so that the EPT leaf's D flag is set. The update is a locked read-modify-write (SDM
// Vol. 3A §4.8), so an EPT violation it causes reports both the read and the write bit of the
// exit qualification (SDM Vol. 3C, Table "Exit Qualification for EPT Violations"; kvm-unit-tests
// x86/vmx_tests.c ept_access_test_paddr_read_only_ad_disabled expects 0x8B / 0xAB).
bool walker::update_guest_flags(const eptp& ep, std::array<guest_visit, 5>& visit, unsigned first,
                                unsigned leaf_level, access_kind kind, walk_result& out,
                                sc_core::sc_time& delay) {
    const std::uint64_t a_bit = field_mask(field(guest_field::accessed));
    const std::uint64_t d_bit = field_mask(field(guest_field::dirty));
    for (unsigned l = first; l >= leaf_level; --l) {
        guest_visit& v = visit[l];
        std::uint64_t want = v.value | a_bit;
        if (l == leaf_level && kind == access_kind::write) want |= d_bit;
        if (want == v.value) continue;
        if (!(v.x.access & perm_w)) {
            if (!(v.x.rwx & perm_w)) {
                ept_violation(v.gpa, perm_r | perm_w, v.x.rwx, false, out);
                out.exit_level = 0;
                out.exit_entry = v.value;
                return false;
            }
            if (ep.ad && !ept_translate(ep, v.gpa, perm_r | perm_w, l, v.x, out, delay))
                return false;
        }
        walk_step st;
        st.stage = walk_stage::guest;
        st.level = l;
        st.for_guest_level = l;
        st.address = v.x.hpa;
        st.guest_address = v.gpa;
        st.type = v.type.type;
        st.source = v.type.source;
        reference(st, true, want, out, delay);
        v.value = want;
    }
    return true;
}

void walker::walk(const guest_regs& regs, const eptp& ep, std::uint64_t gva, access_kind kind,
                  bool user, requester who, walk_result& out, sc_core::sc_time& delay) {
    std::vector<walk_step> steps = std::move(out.steps);
    steps.clear();
    out = walk_result{};
    out.steps = std::move(steps);
    out.gva = gva;
    out.kind = kind;
    out.user = user;
    out.cr0_cd = regs.cr0_cd;
    m_ext.who = who;
    m_ext.page_walk = true;
    const std::uint64_t upper = gva >> 47;
    if (upper != 0 && upper != (~0ULL >> 47))
        throw not_modelled("the #GP of a non-canonical linear address",
                           fmt::format("page walk of {:#x}", gva));

    const unsigned table_access =
        ep.ad && m_cfg.ad_guest_tables_are_writes ? (perm_r | perm_w) : perm_r;
    const std::uint64_t pwt_pcd =
        field_mask(field(guest_field::pwt)) | field_mask(field(guest_field::pcd));

    std::array<guest_visit, 5> visit{};
    guest_rights rights;
    unsigned level = 4;
    std::uint64_t table = regs.cr3 & bits(51, 12);
    std::uint64_t pointer = regs.cr3;
    if (m_guest_psc) {
        const guest_psc_entry* c = nullptr;
        if (const unsigned l = m_psc->find_guest(gva, c)) {
            level = l - 1;
            table = c->table_gpa;
            pointer = c->pointer;
            rights = c->rights;
            delay += m_psc_hit_time;
            out.cost += m_psc->hit_latency();
        }
    }
    const unsigned first = level;
    // One guest level per iteration: translate the entry's guest-physical address through EPT,
    // read it with the type the pointing entry's PWT/PCD give, present?, reserved?, leaf?
    for (;; --level) {
        guest_visit& v = visit[level];
        v.gpa = table + 8 * std::uint64_t{level_index(gva, level)};
        if (!ept_translate(ep, v.gpa, table_access, level, v.x, out, delay)) return;
        const memtype table_pat = regs.pat[pat_index(pointer & pwt_pcd, page_size::size_4k)];
        v.type = effective_memtype({regs.cr0_cd, v.x.type, v.x.ipat, table_pat});
        walk_step st;
        st.stage = walk_stage::guest;
        st.level = level;
        st.for_guest_level = level;
        st.address = v.x.hpa;
        st.guest_address = v.gpa;
        st.type = v.type.type;
        st.source = v.type.source;
        v.value = reference(st, false, 0, out, delay);
        if (!guest_bit(guest_field::p, v.value)) {
            page_fault(false, guest_reserved::none, regs, level, v.value, out);
            return;
        }
        if (const guest_reserved r = check_guest_entry(v.value, level, m_cfg.guest, regs);
            r != guest_reserved::none) {
            page_fault(true, r, regs, level, v.value, out);
            return;
        }
        rights.add(v.value, regs.efer_nxe);
        v.rights = rights;
        if (guest_is_leaf(level, v.value)) break;
        table = guest_frame(level, v.value);
        pointer = v.value;
    }
    const unsigned leaf_level = level;
    if (!rights.allow(kind, user, regs.cr0_wp)) {
        page_fault(true, guest_reserved::none, regs, leaf_level, visit[leaf_level].value, out);
        out.exit_level = 0;
        return;
    }

    if (!update_guest_flags(ep, visit, first, leaf_level, kind, out, delay)) return;

    const guest_visit& leaf = visit[leaf_level];
    const std::uint64_t offset = (std::uint64_t{1} << level_shift(leaf_level)) - 1;
    out.gpa = guest_frame(leaf_level, leaf.value) | (gva & offset);
    ept_xlate fx;
    const unsigned need =
        kind == access_kind::fetch ? fetch_perm(rights.user, m_cfg.mbec) : required_perm(kind);
    if (!ept_translate(ep, out.gpa, need, 0, fx, out, delay)) return;

    out.exit_level = 0;
    out.exit_entry = 0;
    out.hpa = fx.hpa;
    out.guest_leaf_level = leaf_level;
    out.ept_leaf_level = fx.leaf_level;
    out.rights = rights;
    // R, W and X for this translation: X is the execute right of its mode (TLB entries keep
    // the translation's U/S, so the mode cannot change under a cached entry).
    out.ept_rwx =
        (fx.rwx & (perm_r | perm_w)) | (fx.rwx & fetch_perm(rights.user, m_cfg.mbec) ? perm_x : 0);
    out.dirty = guest_bit(guest_field::dirty, leaf.value) && fx.dirty;
    out.global = regs.cr4_pge && guest_bit(guest_field::global, leaf.value);
    out.guest_pat_index = pat_index(leaf.value, guest_page_size(leaf_level));
    out.guest_pat_type = regs.pat[out.guest_pat_index];
    out.ept_type = fx.type;
    out.ipat = fx.ipat;
    const memtype_cell t =
        effective_memtype({regs.cr0_cd, out.ept_type, out.ipat, out.guest_pat_type});
    out.type = t.type;
    out.source = t.source;

    if (m_guest_psc)
        for (unsigned l = first; l > leaf_level; --l)
            m_psc->insert_guest(l, gva,
                                {guest_frame(l, visit[l].value), visit[l].value, visit[l].rights});
}

memtype_explained explain_memtype(const walk_result& r) {
    if (r.outcome != walk_outcome::translated)
        throw std::logic_error("explain_memtype: the walk ended in " +
                               std::string(to_string(r.outcome)) + ", no access happened");
    const unsigned idx = r.guest_pat_index;
    memtype_explained e = ept_effective_memtype({r.cr0_cd, r.ept_type, r.ipat, r.guest_pat_type});
    e.steps.insert(e.steps.begin(),
                   fmt::format("guest leaf ({} page): PAT={} PCD={} PWT={} -> PAT index {} -> "
                               "guest PA{} = {}",
                               r.guest_leaf_level == 1   ? "4 KiB"
                               : r.guest_leaf_level == 2 ? "2 MiB"
                                                         : "1 GiB",
                               (idx >> 2) & 1, (idx >> 1) & 1, idx & 1, idx, idx,
                               to_string(r.guest_pat_type)));
    e.steps.insert(e.steps.begin() + 1,
                   fmt::format("EPT leaf (level {}): type {}, IPAT={}", r.ept_leaf_level,
                               to_string(r.ept_type), r.ipat ? 1 : 0));
    return e;
}

std::string describe_exit(const walk_result& r) {
    switch (r.outcome) {
    case walk_outcome::translated:
        return fmt::format("translated: GLA {:#x} -> GPA {:#x} -> HPA {:#x}, {}", r.gva, r.gpa,
                           r.hpa, to_string(r.type));
    case walk_outcome::ept_violation: {
        const std::uint64_t q = r.qualification;
        const auto bit = [q](qual_field f) { return field_get(field(f), q) != 0; };
        return fmt::format(
            "EPT violation (exit reason 48): GPA {:#x}, GLA {:#x}, qualification {:#x} "
            "(access {}{}{}, entries allow {}{}{}, {})",
            r.exit_gpa, r.gva, q, bit(qual_field::read) ? "R" : "",
            bit(qual_field::write) ? "W" : "", bit(qual_field::fetch) ? "X" : "",
            bit(qual_field::readable) ? "R" : "-", bit(qual_field::writable) ? "W" : "-",
            bit(qual_field::executable) ? "X" : "-",
            bit(qual_field::final_translation) ? "final translation"
                                               : "guest paging-structure access");
    }
    case walk_outcome::ept_misconfig:
        return fmt::format("EPT misconfiguration (exit reason 49): GPA {:#x}, level {} entry "
                           "{:#x}: {}",
                           r.exit_gpa, r.exit_level, r.exit_entry, to_string(r.misconfig));
    case walk_outcome::page_fault:
        return fmt::format("guest #PF: CR2 {:#x}, error code {:#x}{}{}", r.gva, r.error_code,
                           r.pf_reserved != guest_reserved::none ? ", reserved bit: " : "",
                           r.pf_reserved != guest_reserved::none ? to_string(r.pf_reserved)
                                                                 : std::string_view{});
    }
    return "?";
}

} // namespace mtsim::cpu
