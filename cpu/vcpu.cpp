#include "cpu/vcpu.h"
#include "model/not_modelled.h"
#include "model/trace.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace mtsim::cpu {

vcpu::vcpu(const sc_core::sc_module_name& name, const vcpu_config& cfg, const agent_setup& setup)
    : agent(name, cfg.core, setup, requester_kind::vcpu), m_vcfg(cfg) {
    m_mmu = std::make_unique<cpu::mmu>(std::string(this->name()) + ".mmu", cfg.mmu,
                                       static_cast<table_memory&>(*this), clk());
    m_mmu->set_requester(who());
}

void vcpu::before_start_check() const {
    if (!m_handler) throw std::logic_error(std::string(name()) + ": no vm_exit_handler was set");
}

void vcpu::set_arm64(const arm64_regs& r) {
    if (m_vcfg.user_mode)
        throw not_modelled("EL0 accesses on an arm64 vCPU (vcpu.user_mode)", name());
    m_arm64 = std::make_unique<arm64_mmu>(std::string(name()) + ".arm64_mmu", m_vcfg.mmu.tlb,
                                          m_vcfg.mmu.walk.record_steps,
                                          static_cast<table_memory&>(*this), clk());
    m_arm64->set_regs(r);
    m_arm64->set_requester(who());
}

void vcpu::load_vttbr(std::uint64_t raw) {
    if (!m_arm64) vcpu_control::load_vttbr(raw);
    m_arm64->load_vttbr(raw);
}

agent::xlate_status vcpu::translate_arm64(std::uint64_t la, access_kind kind, std::uint8_t* data,
                                          unsigned len, xlate& out) {
    const arm64_access a = kind == access_kind::write   ? arm64_access::write
                           : kind == access_kind::fetch ? arm64_access::fetch
                                                        : arm64_access::read;
    sc_core::sc_time d = keeper().get_local_time();
    const sc_core::sc_time before = d;
    const arm64_translation t = m_arm64->translate(la, a, d);
    keeper().set(d);
    if (!t.tlb_hit && trace::on(trace::category::walk))
        trace::cold([&] {
            trace::slice(name(), trace::category::walk, "stage-1 x stage-2 walk",
                         sc_core::sc_time_stamp() + before, sc_core::sc_time_stamp() + d,
                         {{"va", fmt::format("{:#x}", la)},
                          {"outcome", t.ok() ? "translated" : "exit"},
                          {"memtype", t.ok() ? std::string(to_string(t.type)) : "-"}});
        });
    if (t.ok()) {
        // Stage 2 and stage 1 together decide the type; nothing snoops the issuing CPU's
        // caches for a non-cacheable arm64 access (mismatched attributes lose coherence).
        out = {t.pa, t.type, type_source::range, t.device};
        return xlate_status::translated;
    }
    const arm64_walk_result& w = m_arm64->last_walk();
    if (t.outcome == arm64_walk_outcome::stage1_fault)
        throw std::runtime_error(fmt::format("guest stage-1 fault at VA {:#x} (guest faults are "
                                             "not modelled): {}",
                                             la, describe(w)));
    vm_exit e;
    e.reason = exit_reason::ept_violation;
    e.vcpu = id();
    e.pcpu = pcpu();
    e.gva = la;
    e.gpa = w.fault_ipa;
    e.qualification = w.esr;
    e.esr = w.esr;
    e.final_translation = !w.s1ptw;
    e.is_write = kind == access_kind::write;
    e.size = e.final_translation ? len : 0;
    e.data = e.final_translation ? data : nullptr;
    return finish_exit(e);
}

agent::xlate_status vcpu::translate(std::uint64_t la, access_kind kind, std::uint8_t* data,
                                    unsigned len, xlate& out) {
    if (m_arm64) return translate_arm64(la, kind, data, len, out);
    sc_core::sc_time d = keeper().get_local_time();
    const sc_core::sc_time before = d;
    const translation t = m_mmu->translate(la, kind, m_vcfg.user_mode, d);
    keeper().set(d);
    if (!t.tlb_hit && trace::on(trace::category::walk))
        trace::cold([&] {
            trace::slice(name(), trace::category::walk, "2-D walk",
                         sc_core::sc_time_stamp() + before, sc_core::sc_time_stamp() + d,
                         {{"gva", fmt::format("{:#x}", la)},
                          {"outcome", t.ok() ? "translated" : "exit"},
                          {"memtype", t.ok() ? std::string(to_string(t.type)) : "-"}});
        });
    if (t.ok()) {
        out = {t.hpa, t.type, t.source};
        return xlate_status::translated;
    }
    const walk_result& w = m_mmu->last_walk();
    if (t.outcome == walk_outcome::page_fault)
        throw std::runtime_error(fmt::format("guest page fault at gva {:#x} (guest faults are not "
                                             "modelled): {}",
                                             la, describe_exit(w)));
    vm_exit e;
    e.reason = t.outcome == walk_outcome::ept_violation ? exit_reason::ept_violation
                                                        : exit_reason::ept_misconfig;
    e.vcpu = id();
    e.pcpu = pcpu();
    e.gva = la;
    e.gpa = w.exit_gpa;
    if (t.outcome == walk_outcome::ept_violation) {
        e.qualification = w.qualification;
        e.final_translation = field_get(field(qual_field::final_translation), w.qualification);
    } else {
        e.final_translation = w.exit_final;
    }
    e.is_write = kind == access_kind::write;
    e.size = e.final_translation ? len : 0;
    e.data = e.final_translation ? data : nullptr;
    return finish_exit(e);
}

agent::xlate_status vcpu::finish_exit(vm_exit& e) {
    const exit_outcome r = take_exit(e);
    switch (r) {
    case exit_outcome::retry:
        return xlate_status::retry;
    case exit_outcome::emulated:
        if (!e.final_translation)
            throw not_modelled("an emulated guest paging-structure access",
                               fmt::format("{} at gpa {:#x}", to_string(e.reason), e.gpa));
        return xlate_status::emulated;
    case exit_outcome::resume:
        break;
    }
    throw std::runtime_error(fmt::format("{} at gpa {:#x}: the handler answered resume, which "
                                         "does not complete an access",
                                         to_string(e.reason), e.gpa));
}

exit_outcome vcpu::take_exit(vm_exit& e) {
    drain_all();
    serialize_wc();
    keeper().sync();
    sc_core::sc_time d = keeper().get_local_time();
    const sc_core::sc_time before = d;
    const exit_outcome r = m_handler->handle_exit(e, d);
    keeper().set(d);
    ++m_exits;
    switch (e.reason) {
    case exit_reason::ept_violation:
        ++m_exits_violation;
        break;
    case exit_reason::ept_misconfig:
        ++m_exits_misconfig;
        break;
    case exit_reason::wbinvd:
        ++m_exits_wbinvd;
        break;
    case exit_reason::invd:
        ++m_exits_wbinvd;
        break;
    case exit_reason::hlt:
    case exit_reason::wrmsr:
        break;
    }
    m_exit_cycles += clk().to_cycles(d - before).n;
    // The handler says which part of its delay was the exit/entry and which was flushing for
    // the guest; the rest is its handling.
    const sc_core::sc_time spent = d - before;
    const sc_core::sc_time flush = std::min(e.flush_time, spent);
    const sc_core::sc_time transition = std::min(e.exit_entry_time, spent - flush);
    account(exit_part(e.reason, false), transition);
    account(cost_part::flush_wbinvd, flush);
    account(exit_part(e.reason, true), spent - flush - transition);
    if (trace::on(trace::category::vmexit)) {
        nlohmann::json args = {{"reason", to_string(e.reason)}, {"pcpu", e.pcpu}};
        if (e.reason == exit_reason::ept_violation || e.reason == exit_reason::ept_misconfig)
            args["gpa"] = fmt::format("{:#x}", e.gpa);
        args["outcome"] = r == exit_outcome::retry      ? "retry"
                          : r == exit_outcome::emulated ? "emulated"
                                                        : "resume";
        trace::slice(
            name(), trace::category::vmexit, fmt::format("VM exit: {}", to_string(e.reason)),
            sc_core::sc_time_stamp() + before, sc_core::sc_time_stamp() + d, std::move(args));
    }
    return r;
}

void vcpu::whole_cache_op(op_code c) {
    // WBINVD/WBNOINVD exit with WBINVD exiting on (reason 54); INVD always (reason 13).
    vm_exit e;
    e.reason = c == op_code::invd ? exit_reason::invd : exit_reason::wbinvd;
    e.vcpu = id();
    e.pcpu = pcpu();
    e.noinvd = c == op_code::wbnoinvd;
    const exit_outcome r = take_exit(e);
    if (r == exit_outcome::retry)
        throw std::runtime_error("WBINVD exit: the handler answered retry (re-executing WBINVD "
                                 "would exit again forever)");
}

void vcpu::wrmsr(std::uint32_t msr, std::uint64_t value) {
    // WRMSR of an intercepted MSR exits (basic reason 32); WRMSR is serializing (SDM Vol. 3A,
    // 9.3), which take_exit's drains cover.
    vm_exit e;
    e.reason = exit_reason::wrmsr;
    e.vcpu = id();
    e.pcpu = pcpu();
    e.msr = msr;
    e.msr_value = value;
    if (take_exit(e) != exit_outcome::resume)
        throw std::runtime_error(fmt::format("WRMSR {:#x} exit: the handler did not resume", msr));
}

void vcpu::on_start() {
    sc_core::sc_time d = keeper().get_local_time();
    m_handler->vcpu_load(id(), pcpu(), d);
    keeper().set(d);
}

void vcpu::on_migrate(unsigned, unsigned to) {
    ++m_migrations;
    sc_core::sc_time d = keeper().get_local_time();
    m_handler->vcpu_load(id(), to, d);
    keeper().set(d);
    requester r = who();
    r.pcpu = static_cast<std::uint16_t>(to);
    m_mmu->set_requester(r);
    if (m_arm64) m_arm64->set_requester(r);
}

void vcpu::on_finish() {
    vm_exit e;
    e.reason = exit_reason::hlt;
    e.vcpu = id();
    e.pcpu = pcpu();
    const exit_outcome r = take_exit(e);
    if (r == exit_outcome::retry)
        throw std::runtime_error("HLT exit at the program's end: the handler answered retry");
}

std::uint64_t vcpu::read_entry(std::uint64_t pa, const access_ext& ext, sc_core::sc_time& delay) {
    std::uint8_t b[8];
    const sc_core::sc_time before = delay;
    account(memory_part(transport_at(tlm::TLM_READ_COMMAND, op_kind::load, pa, b, 8, ext.type,
                                     ext.source, true, delay)),
            delay - before);
    // le_value(b, 8) as one load on a little-endian host (the walk's hot path: up to 24
    // entries per TLB miss).
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    std::uint64_t v;
    std::memcpy(&v, b, 8);
#else
    std::uint64_t v = 0;
    for (unsigned i = 0; i < 8; ++i) v |= std::uint64_t{b[i]} << (8 * i);
#endif
    return v;
}

void vcpu::write_entry(std::uint64_t pa, std::uint64_t value, const access_ext& ext,
                       sc_core::sc_time& delay) {
    std::uint8_t b[8];
    for (unsigned i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(value >> (8 * i));
    const sc_core::sc_time before = delay;
    account(memory_part(transport_at(tlm::TLM_WRITE_COMMAND, op_kind::store, pa, b, 8, ext.type,
                                     ext.source, true, delay)),
            delay - before);
}

} // namespace mtsim::cpu
