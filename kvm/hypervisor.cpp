#include "kvm/hypervisor.h"
#include "kvm/quirks.h"
#include "model/not_modelled.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace mtsim::kvm {

namespace {

constexpr std::uint64_t page = 4096;
constexpr std::uint64_t huge = 2 * MiB;
// The kvm_run pages: one per vCPU, at most this many vCPUs (what add_memslot keeps clear).
constexpr std::uint64_t max_run_pages = 256;
constexpr std::uint64_t run_pages_bytes = max_run_pages * page;
// Offsets in a kvm_run page (struct kvm_run, include/uapi/linux/kvm.h): exit_reason at 8,
// the mmio exit's phys_addr, data[8], len, is_write from 32.
constexpr unsigned run_exit_reason = 8;
constexpr unsigned run_mmio = 32;
constexpr unsigned run_mmio_data = run_mmio + 8;

std::vector<std::string_view> policy_choices() {
    std::vector<std::string_view> out;
    for (const ept_policy* p : all_policies()) out.push_back(p->name());
    return out;
}

std::vector<std::string_view> wbinvd_choices() {
    std::vector<std::string_view> out;
    for (const wbinvd_handling* h : all_wbinvd_handlings()) out.push_back(h->name());
    return out;
}

} // namespace

// Sources and assumptions in full: docs/reference/costs.md. At the 3 GHz default clock.
void hypervisor_costs::describe(param_visitor& v) {
    v.cycles("vm_exit", vm_exit,
             "hardware VM exit: guest state saved to the VMCS, host state loaded (assumption: "
             "500 of the ~1,000-1,500-cycle null exit kvm-unit-tests x86/vmexit.c measures)");
    v.cycles("vm_entry", vm_entry,
             "hardware VM entry: VMCS checks, guest state loaded (assumption: 400 of the same "
             "null exit)");
    v.cycles("exit_handling", exit_handling,
             "KVM's software path around every handler: vmx_vcpu_run's exit and entry halves "
             "and vmx_handle_exit's dispatch (assumption: the rest of the null exit)");
    v.cycles("ept_violation", ept_violation,
             "KVM's EPT-violation handling before it writes entries or emulates (memslot, pfn, "
             "walk: kvm_tdp_page_fault; assumption, ~0.5 us)");
    v.cycles("ept_entry_write", ept_entry_write,
             "software cost per EPT entry written, on top of the memory store (assumption)");
    v.cycles("zap_per_entry", zap_per_entry,
             "software cost per EPT leaf zapped, on top of the memory store (assumption)");
    v.cycles("invept", invept,
             "INVEPT on one vCPU after entries were zapped or rewritten (assumption)");
    v.cycles("emulate_insn", emulate_insn,
             "x86_emulate_instruction: fetch, decode and execute the faulting MOV, for an MMIO "
             "or PCI-hole access (assumption, ~0.2 us; the fetch is not a memory access "
             "because programs have no code addresses)");
    v.cycles("userspace_return", userspace_return,
             "KVM_RUN returning to the VMM and the next KVM_RUN ioctl: two kernel crossings "
             "with mitigations, vcpu_put/vcpu_load (assumption, ~1 us)");
    v.cycles("vmm_dispatch", vmm_dispatch,
             "the VMM's exit dispatch to its device model (QEMU kvm_cpu_exec, address_space_rw, "
             "the BQL; assumption, ~1.8 us, so that an MMIO exit takes the several us published "
             "for kvm-unit-tests' user-space exits)");
    v.cycles("wbinvd_ipi", wbinvd_ipi,
             "an IPI asking a remote pCPU to WBINVD and its completion (on_each_cpu_mask; "
             "assumption, ~0.5 us)");
}

void hypervisor_config::describe(param_visitor& v) {
    v.choice("policy", policy, "EPT memory-type policy (kernel era or proposal)", policy_choices());
    v.choice("wbinvd", wbinvd, "handling of guest WBINVD under non-coherent DMA", wbinvd_choices());
    v.uint("pcpus", pcpus, "physical CPUs the hypervisor can run on (memory-system ports)", "pCPUs",
           1, 64);
    v.real("clock_mhz", clock_mhz, "host CPU clock the costs are counted in", "MHz", 1.0, 100000.0);
    v.flag("quirk_cd_nw_cleared", quirk_cd_nw_cleared, "KVM_X86_QUIRK_CD_NW_CLEARED in effect");
    v.flag("quirk_ignore_guest_pat", quirk_ignore_guest_pat,
           "the VMM leaves KVM_X86_QUIRK_IGNORE_GUEST_PAT on (6.16+; refused off without SS)");
    v.flag("self_snoop", self_snoop, "host CPUID.1:EDX.SS as KVM sees it");
    v.size("run_page_base", run_page_base,
           "host-physical base of the vCPUs' kvm_run pages (4 KiB each) that a user-space exit "
           "reads and writes");
    v.section("ept", ept);
    v.section("cost", cost);
}

hypervisor_stats::hypervisor_stats(const sc_core::sc_object* owner, unsigned pcpus)
    : m_owner(owner) {
    for (unsigned p = 0; p < pcpus; ++p)
        wbinvd_runs.push_back(std::make_unique<counter>(
            owner, fmt::format("wbinvd_pcpu{}", p),
            fmt::format("real WBINVDs run on pCPU {} for guest WBINVD exits", p), "flushes"));
}

// Routes the EPT builder's entry writes to the memory system as WB stores from ext.who.pcpu.
class hypervisor::host_memory final : public table_memory {
public:
    explicit host_memory(hypervisor& h) : m_h(h) {}
    std::uint64_t read_entry(std::uint64_t pa, const access_ext& ext,
                             sc_core::sc_time& delay) override {
        std::uint8_t b[8];
        m_h.transport(ext.who.pcpu, tlm::TLM_READ_COMMAND, pa, b, 8, ext, delay);
        std::uint64_t v = 0;
        for (unsigned i = 0; i < 8; ++i) v |= std::uint64_t(b[i]) << (8 * i);
        return v;
    }
    void write_entry(std::uint64_t pa, std::uint64_t value, const access_ext& ext,
                     sc_core::sc_time& delay) override {
        std::uint8_t b[8];
        for (unsigned i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(value >> (8 * i));
        access_ext store = ext;
        store.op = op_kind::store;
        m_h.transport(ext.who.pcpu, tlm::TLM_WRITE_COMMAND, pa, b, 8, store, delay);
    }

private:
    hypervisor& m_h;
};

hypervisor::hypervisor(const sc_core::sc_module_name& name, const hypervisor_config& cfg)
    : sc_module(name), pcpu("pcpu", cfg.pcpus), m_cfg(cfg), m_clock(cfg.clock_mhz),
      m_policy(find_policy(cfg.policy)), m_wbinvd(find_wbinvd_handling(cfg.wbinvd)),
      m_host_memory(std::make_unique<host_memory>(*this)),
      m_guest_mtrr([this](std::uint64_t gfn) { return guest_mtrr_type(gfn); }),
      m_guest_mtrrs(guest_mtrr_config()),
      m_stats(std::make_unique<hypervisor_stats>(this, cfg.pcpus)) {
    m_guest_mtrrs.set_def_type(memtype::wb, false, true); // WB everywhere until set otherwise
    if (!m_policy)
        throw std::invalid_argument(
            fmt::format("kvm.policy: unknown policy '{}' (known: {})", cfg.policy, policy_names()));
    if (!m_wbinvd)
        throw std::invalid_argument(fmt::format("kvm.wbinvd: unknown handling '{}' (known: {})",
                                                cfg.wbinvd, wbinvd_handling_names()));
    if (cfg.pcpus == 0 || cfg.pcpus > 64)
        throw std::invalid_argument("kvm.pcpus: 1 to 64 (the dirty mask is 64 bits)");
    if (cfg.run_page_base % page != 0)
        throw std::invalid_argument("kvm.run_page_base: not 4 KiB aligned");
    if (cfg.run_page_base < cfg.ept.pool_base + cfg.ept.pool_size &&
        cfg.ept.pool_base < cfg.run_page_base + run_pages_bytes)
        throw std::invalid_argument("kvm.run_page_base: the kvm_run pages overlap the EPT pool");
    // The VMM's quirk request is an ioctl KVM may refuse (kvm/quirks.h).
    if (auto r = quirk_request_refusal(*m_policy, cfg.quirk_ignore_guest_pat, cfg.self_snoop))
        throw *r;
    // A VM type the host cannot run (TDX without self-snoop): KVM_CREATE_VM fails.
    if (auto r = vm_type_refusal(*m_policy, cfg.self_snoop)) throw *r;
    m_ept = std::make_unique<ept_builder>(cfg.ept, *m_host_memory);
    m_nc.set_transition_hook([this](bool nc, host_context& ctx) { on_transition(nc, ctx); });
}

hypervisor::~hypervisor() = default;

access_ext hypervisor::host_ext(unsigned p, op_kind op) const {
    access_ext ext;
    ext.type = memtype::wb;
    ext.source = type_source::fixed;
    ext.op = op;
    // The host kernel's own accesses: no guest requester; the VMM kind is the host side.
    ext.who.kind = requester_kind::vmm;
    ext.who.pcpu = static_cast<std::uint16_t>(p);
    return ext;
}

void hypervisor::transport(unsigned p, tlm::tlm_command cmd, std::uint64_t addr, std::uint8_t* data,
                           unsigned len, const access_ext& ext, sc_core::sc_time& delay) {
    if (p >= m_cfg.pcpus)
        throw std::invalid_argument(
            fmt::format("kvm: no pCPU {} (kvm.pcpus = {})", p, m_cfg.pcpus));
    access_ext e = ext;
    e.who.pcpu = static_cast<std::uint16_t>(p);
    tlm::tlm_generic_payload gp;
    gp.set_command(cmd);
    gp.set_address(addr);
    gp.set_data_ptr(data);
    gp.set_data_length(len);
    gp.set_streaming_width(len);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    gp.set_extension(&e);
    pcpu[p]->b_transport(gp, delay);
    gp.clear_extension(&e);
    if (!gp.is_response_ok())
        throw std::runtime_error(fmt::format("kvm: host access {} at {:#x} on pCPU {} failed: {}",
                                             to_string(ext.op), addr, p, gp.get_response_string()));
}

hypervisor::vcpu_state& hypervisor::vcpu(unsigned id) {
    if (id >= m_vcpus.size() || !m_vcpus[id].control)
        throw std::invalid_argument(fmt::format("kvm: vCPU {} is not attached", id));
    return m_vcpus[id];
}

void hypervisor::attach_vcpu(vcpu_control& v) {
    const unsigned id = v.vcpu_id();
    if (id >= max_run_pages)
        throw std::invalid_argument(
            fmt::format("kvm: vCPU {}: at most {} vCPUs (kvm_run pages)", id, max_run_pages));
    if (id >= m_vcpus.size()) m_vcpus.resize(id + 1);
    if (m_vcpus[id].control)
        throw std::invalid_argument(fmt::format("kvm: vCPU {} attached twice", id));
    m_vcpus[id].control = &v;
    if (m_s2)
        v.load_vttbr(m_s2->vttbr());
    else
        v.load_eptp(m_ept->eptp());
}

// The arm64 branch (kvm/arm64_abort.cpp holds the abort handling); here because host_memory
// is defined in this file.
void hypervisor::set_arm64(const arm64_kvm_config& c) {
    if (!c.is_arm64()) return;
    if (!m_vcpus.empty() || !m_slots.slots().empty())
        throw std::logic_error("kvm: set_arm64 after memslots or vCPUs were added");
    m_arm64_policy = find_arm64_policy(c.policy);
    if (!m_arm64_policy)
        throw std::invalid_argument(fmt::format(
            "host.arm64.policy: unknown policy '{}' (known: {})", c.policy, arm64_policy_names()));
    m_arm64_cfg = c;
    const std::uint64_t half = m_cfg.ept.pool_size / 2;
    m_s2 = std::make_unique<arm64_stage2_builder>(m_cfg.ept.pool_base + half, half, c.caps.fwb,
                                                  *m_host_memory);
}

void hypervisor::set_vmm(mmio_handler& h) {
    m_vmm = &h;
}

void hypervisor::set_guest_mtrr(std::function<memtype(std::uint64_t)> f) {
    m_guest_mtrr = std::move(f);
}

void hypervisor::set_guest_cd(unsigned id, bool cd) {
    vcpu_state& v = vcpu(id);
    if (v.cd == cd) return;
    // kvm_post_set_cr0() (Linux <= 6.10) zaps every EPT entry when CR0.CD changes under
    // non-coherent DMA with CD_NW_CLEARED off; that zap is not modelled.
    if (m_nc.noncoherent() && !m_cfg.quirk_cd_nw_cleared && m_ept->leaf_count() > 0)
        throw not_modelled("kvm_post_set_cr0's EPT zap (CR0.CD toggled under non-coherent DMA with "
                           "CD_NW_CLEARED off after EPT leaves were built)",
                           fmt::format("kvm, vCPU {}", id));
    v.cd = cd;
}

unsigned hypervisor::add_memslot(const memslot& s) {
    if (m_arm64_policy)
        if (auto r = m_arm64_policy->memslot_refusal(arm64_inputs(s))) throw *r;
    if (s.non_coherent_dma)
        if (auto r = memslot_flag_refusal(*m_policy)) throw *r;
    if (s.kind == memslot_kind::ram) {
        const std::uint64_t pool = m_cfg.ept.pool_base, pool_end = pool + m_cfg.ept.pool_size;
        if (s.hpa < pool_end && pool < s.hpa + s.size)
            throw std::invalid_argument(fmt::format(
                "memslot '{}': its backing {:#x}+{:#x} overlaps the EPT page pool {:#x}+{:#x}",
                s.name, s.hpa, s.size, pool, m_cfg.ept.pool_size));
        const std::uint64_t runs = m_cfg.run_page_base, runs_end = runs + run_pages_bytes;
        if (s.hpa < runs_end && runs < s.hpa + s.size)
            throw std::invalid_argument(fmt::format(
                "memslot '{}': its backing {:#x}+{:#x} overlaps the kvm_run pages {:#x}+{:#x}",
                s.name, s.hpa, s.size, runs, run_pages_bytes));
    }
    return m_slots.add(s);
}

kvm_vfio_device& hypervisor::create_vfio_device() {
    // kvm_vfio_create(): only one VFIO "device" per VM (-EBUSY).
    if (m_vfio) throw std::invalid_argument("kvm: a KVM-VFIO device exists already (-EBUSY)");
    m_vfio = std::make_unique<kvm_vfio_device>(m_nc);
    return *m_vfio;
}

kvm_virtio_device& hypervisor::create_virtio_device() {
    m_virtio.push_back(std::make_unique<kvm_virtio_device>(m_nc));
    return *m_virtio.back();
}

pcpu_mask hypervisor::wbinvd_dirty_mask(unsigned id) const {
    if (id >= m_vcpus.size() || !m_vcpus[id].control)
        throw std::invalid_argument(fmt::format("kvm: vCPU {} is not attached", id));
    return m_vcpus[id].dirty_mask;
}

ept_inputs hypervisor::vm_inputs() const {
    ept_inputs in;
    in.noncoherent = m_nc.noncoherent();
    in.quirk_cd_nw_cleared = m_cfg.quirk_cd_nw_cleared;
    in.quirk_ignore_guest_pat = m_cfg.quirk_ignore_guest_pat;
    in.self_snoop = m_cfg.self_snoop;
    in.assigned_device = m_assigned_device;
    return in;
}

void hypervisor::invept_all(sc_core::sc_time& delay) {
    for (vcpu_state& v : m_vcpus) {
        if (!v.control) continue;
        v.control->invept();
        delay += t(m_cfg.cost.invept);
        ++m_stats->invepts;
    }
}

// kvm_noncoherent_dma_assignment_start_or_stop() (Linux >= 6.7): zap everything so that new
// entries pick up the new type, when the policy's era does so.
void hypervisor::on_transition(bool noncoherent, host_context& ctx) {
    ++m_stats->nc_transitions;
    ept_inputs in = vm_inputs();
    in.noncoherent = noncoherent;
    if (!m_policy->zaps_on_noncoherent_transition(in)) return;
    const build_work w = m_ept->zap_leaves(host_ext(ctx.pcpu, op_kind::store), ctx.delay);
    ctx.delay += t(m_cfg.cost.zap_per_entry * w.leaves_zapped);
    m_stats->ept_entry_writes += w.entries_written;
    m_stats->zapped_leaves += w.leaves_zapped;
    ++m_stats->zaps;
    invept_all(ctx.delay);
}

void hypervisor::write_raw_ept(std::uint64_t gpa, unsigned level, std::uint64_t value,
                               host_context& ctx) {
    const build_work w =
        m_ept->write_raw(gpa, level, value, host_ext(ctx.pcpu, op_kind::store), ctx.delay);
    ctx.delay += t(m_cfg.cost.ept_entry_write * w.entries_written);
    m_stats->ept_entry_writes += w.entries_written;
    m_stats->ept_tables += w.tables_allocated;
    invept_all(ctx.delay);
}

void hypervisor::vcpu_load(unsigned id, unsigned p, sc_core::sc_time&) {
    vcpu_state& v = vcpu(id);
    if (p >= m_cfg.pcpus)
        throw std::invalid_argument(
            fmt::format("kvm: vCPU {} loaded on pCPU {} (kvm.pcpus = {})", id, p, m_cfg.pcpus));
    ++m_stats->vcpu_loads;
    // kvm_arch_vcpu_load(): with WBINVD exiting, the pCPU joins the dirty mask while the VM
    // needs WBINVD emulated (non-coherent DMA).
    if (m_nc.noncoherent()) v.dirty_mask |= pcpu_mask{1} << p;
}

exit_outcome hypervisor::handle_exit(vm_exit& e, sc_core::sc_time& delay) {
    vcpu(e.vcpu);
    if (e.pcpu >= m_cfg.pcpus)
        throw std::invalid_argument(
            fmt::format("kvm: exit from pCPU {} (kvm.pcpus = {})", e.pcpu, m_cfg.pcpus));
    // The hardware exit and KVM's path into the handler, then the path out and the entry.
    delay += t(m_cfg.cost.vm_exit + m_cfg.cost.exit_handling);
    // The accounting's exit/entry part: the hardware transitions; the rest is KVM's handling.
    e.exit_entry_time = t(m_cfg.cost.vm_exit + m_cfg.cost.vm_entry);
    const exit_outcome out = dispatch(e, delay);
    delay += t(m_cfg.cost.vm_entry);
    return out;
}

exit_outcome hypervisor::dispatch(vm_exit& e, sc_core::sc_time& delay) {
    switch (e.reason) {
    case exit_reason::ept_violation:
        if (m_s2) return stage2_abort(e, delay);
        ++m_stats->exits_ept_violation;
        return ept_violation(e, delay);
    case exit_reason::ept_misconfig:
        ++m_stats->exits_ept_misconfig;
        // KVM installs no MMIO SPTEs in this model, so a misconfigured entry can only come
        // from a raw scenario write; KVM's answer to it is not modelled.
        throw not_modelled("KVM's handling of an EPT misconfiguration (the entry was written raw)",
                           fmt::format("kvm, vCPU {} at gpa {:#x}", e.vcpu, e.gpa));
    case exit_reason::wbinvd:
        ++m_stats->exits_wbinvd;
        {
            const sc_core::sc_time before = delay;
            const exit_outcome r = wbinvd_exit(e, delay);
            e.flush_time = delay - before; // the flushes on the pCPUs and their IPIs
            return r;
        }
    case exit_reason::invd:
        ++m_stats->exits_invd;
        return invd_exit(e, delay);
    case exit_reason::hlt:
        ++m_stats->exits_hlt;
        return exit_outcome::resume;
    case exit_reason::wrmsr:
        ++m_stats->exits_wrmsr;
        return wrmsr_exit(e, delay);
    }
    throw std::invalid_argument("kvm: unknown exit reason");
}

exit_outcome hypervisor::ept_violation(vm_exit& e, sc_core::sc_time& delay) {
    delay += t(m_cfg.cost.ept_violation);
    const memslot* s = m_slots.find(e.gpa);
    if (!s)
        throw std::runtime_error(fmt::format(
            "kvm: EPT violation on vCPU {} at gpa {:#x}, which lies in no memslot or MMIO region",
            e.vcpu, e.gpa));
    switch (s->kind) {
    case memslot_kind::mmio:
        return to_userspace(e, s, delay);
    case memslot_kind::pci_hole:
        return e.is_write ? to_userspace(e, s, delay) : pci_hole_read(e, delay);
    case memslot_kind::ram:
        if (e.is_write && s->read_only) return to_userspace(e, s, delay);
        build_leaf(e, *s, delay);
        return exit_outcome::retry;
    }
    throw std::invalid_argument("kvm: unknown memslot kind");
}

exit_outcome hypervisor::to_userspace(const vm_exit& e, const memslot* s, sc_core::sc_time& delay) {
    if (!e.final_translation)
        throw not_modelled(
            "emulating guest page tables outside RAM",
            fmt::format("kvm, paging-structure access at gpa {:#x} in {} region '{}'", e.gpa,
                        to_string(s->kind), s->name));
    if (!e.data || e.size == 0)
        throw std::invalid_argument(
            fmt::format("kvm: exit at gpa {:#x} to emulate carries no data", e.gpa));
    if (!m_vmm)
        throw std::runtime_error(fmt::format(
            "kvm: {} at gpa {:#x} ({} region '{}') exits to the VMM, but no VMM is attached",
            e.is_write ? "write" : "read", e.gpa, to_string(s->kind), s->name));
    // handle_ept_violation -> kvm_mmu_page_fault -> x86_emulate_instruction: the emulator
    // decodes the MOV, finds no in-kernel device, and fills kvm_run for the VMM.
    ++m_stats->emulated_insns;
    ++m_stats->mmio_exits;
    delay += t(m_cfg.cost.emulate_insn);
    std::uint8_t block[24] = {};
    for (unsigned i = 0; i < 8; ++i) block[i] = static_cast<std::uint8_t>(e.gpa >> (8 * i));
    const unsigned n = std::min(e.size, 8u);
    if (e.is_write) std::memcpy(block + 8, e.data, n);
    block[16] = static_cast<std::uint8_t>(n);
    block[20] = e.is_write ? 1 : 0;
    std::uint8_t reason[4] = {6, 0, 0, 0}; // KVM_EXIT_MMIO
    run_page_access(e, tlm::TLM_WRITE_COMMAND, run_mmio, block, sizeof block, delay);
    run_page_access(e, tlm::TLM_WRITE_COMMAND, run_exit_reason, reason, sizeof reason, delay);
    // KVM_RUN returns; the VMM reads the exit and dispatches it to the device.
    delay += t(m_cfg.cost.userspace_return);
    run_page_access(e, tlm::TLM_READ_COMMAND, run_exit_reason, reason, sizeof reason, delay);
    run_page_access(e, tlm::TLM_READ_COMMAND, run_mmio, block, sizeof block, delay);
    delay += t(m_cfg.cost.vmm_dispatch);
    if (e.is_write) {
        m_vmm->mmio_write(e.gpa, e.size, e.data, delay);
    } else {
        m_vmm->mmio_read(e.gpa, e.size, e.data, delay);
        // The VMM puts the answer in kvm_run; complete_emulated_mmio() copies it into the
        // register on the next KVM_RUN. Accesses wider than kvm_run's 8 bytes pass whole.
        if (e.size <= 8) {
            run_page_access(e, tlm::TLM_WRITE_COMMAND, run_mmio_data, e.data, e.size, delay);
            run_page_access(e, tlm::TLM_READ_COMMAND, run_mmio_data, e.data, e.size, delay);
        }
    }
    return exit_outcome::emulated;
}

// The KVM_MEM_PCI_HOLE proposal (docs/reference/kvm-policy.md §5): a read of a KVM_MEM_PCI_HOLE
// slot returns all-ones from inside KVM (RET_PF_EMULATE, __kvm_read_guest_page memset 0xff), with
// no exit to the VMM.
exit_outcome hypervisor::pci_hole_read(const vm_exit& e, sc_core::sc_time& delay) {
    if (!e.final_translation)
        throw not_modelled("a guest paging-structure read from a PCI hole",
                           fmt::format("kvm, gpa {:#x}", e.gpa));
    if (!e.data || e.size == 0)
        throw std::invalid_argument(
            fmt::format("kvm: PCI-hole read at gpa {:#x} carries no buffer", e.gpa));
    ++m_stats->pci_hole_reads;
    ++m_stats->emulated_insns;
    delay += t(m_cfg.cost.emulate_insn);
    std::memset(e.data, 0xff, e.size);
    return exit_outcome::emulated;
}

// An access of KVM (or the VMM, on the same pCPU: the vCPU thread returned from KVM_RUN) to
// the exiting vCPU's kvm_run page, a WB host page, through the pCPU's caches.
void hypervisor::run_page_access(const vm_exit& e, tlm::tlm_command cmd, unsigned offset,
                                 std::uint8_t* data, unsigned len, sc_core::sc_time& delay) {
    const std::uint64_t addr = m_cfg.run_page_base + std::uint64_t{e.vcpu} * page + offset;
    transport(e.pcpu, cmd, addr, data, len,
              host_ext(e.pcpu, cmd == tlm::TLM_READ_COMMAND ? op_kind::load : op_kind::store),
              delay);
}

// The largest leaf the slot allows at gpa: 2 MiB when asked for, inside one RAM slot, with the
// gpa and hpa equally aligned (kvm_alloc_memslot_metadata's disallow_lpage rule) and one guest
// MTRR type over the range (kvm_mtrr_check_gfn_range_consistency); PCI-hole slots never get
// one (the KVM_MEM_PCI_HOLE proposal), nor do they get leaves at all.
unsigned hypervisor::leaf_level(std::uint64_t gpa, const memslot& s) const {
    if (!m_cfg.ept.huge_pages || s.kind != memslot_kind::ram) return 1;
    const std::uint64_t base = gpa & ~(huge - 1);
    if (base < s.gpa || base + huge > s.end()) return 1;
    if (((s.gpa ^ s.hpa) & (huge - 1)) != 0) return 1;
    const memtype first = m_guest_mtrr(base >> 12);
    for (std::uint64_t g = (base >> 12) + 1; g < (base + huge) >> 12; ++g)
        if (m_guest_mtrr(g) != first) return 1;
    return 2;
}

void hypervisor::build_leaf(const vm_exit& e, const memslot& s, sc_core::sc_time& delay) {
    const std::uint64_t gfn = e.gpa >> 12;
    ept_inputs in = vm_inputs();
    in.mmio = s.host_mmio;
    in.guest_cd = vcpu(e.vcpu).cd;
    in.guest_mtrr = m_guest_mtrr(gfn);
    in.memslot_noncoherent = s.non_coherent_dma;
    leaf_request r;
    r.level = leaf_level(e.gpa, s);
    const std::uint64_t size = r.level == 2 ? huge : page;
    r.gpa = e.gpa & ~(size - 1);
    r.hpa = s.hpa_of(r.gpa);
    r.rwx = s.read_only ? 5 : 7;
    // make_spte(): a leaf installed by a fault is accessed; a writable one is also dirty.
    r.accessed = true;
    r.dirty = !s.read_only;
    r.decision = m_policy->decide(in);
    r.inputs = in;
    r.policy = std::string(m_policy->name());
    r.slot = s.name;
    const build_work w = m_ept->map(r, host_ext(e.pcpu, op_kind::store), delay);
    delay += t(m_cfg.cost.ept_entry_write * w.entries_written);
    ++m_stats->ept_leaves_built;
    m_stats->ept_entry_writes += w.entries_written;
    m_stats->ept_tables += w.tables_allocated;
}

void hypervisor::set_vm_facts(bool assigned_device, bool iommu_snoop) {
    m_assigned_device = assigned_device;
    m_iommu_snoop = iommu_snoop;
}

// A guest INVD: KVM skips it (kvm_emulate_invd() -> kvm_emulate_as_nop()); a handling that
// treats it as WBINVD (Xen's vmx_wbinvd_intercept()) goes the WBINVD way. No handling runs a
// real INVD for a guest: it would drop other owners' dirty lines.
exit_outcome hypervisor::invd_exit(const vm_exit& e, sc_core::sc_time& delay) {
    if (!m_wbinvd->invd_as_wbinvd()) {
        ++m_stats->wbinvd_nops;
        return exit_outcome::resume;
    }
    return wbinvd_exit(e, delay);
}

exit_outcome hypervisor::wbinvd_exit(const vm_exit& e, sc_core::sc_time& delay) {
    // kvm_emulate_wbinvd_noskip(): nothing to do unless the VM has non-coherent DMA (the
    // handling's emulates(); Xen asks for an assigned device and no forced snooping).
    if (!m_wbinvd->emulates({m_nc.noncoherent(), m_assigned_device, m_iommu_snoop})) {
        ++m_stats->wbinvd_nops;
        return exit_outcome::resume;
    }
    vcpu_state& v = vcpu(e.vcpu);
    const pcpu_mask all = m_cfg.pcpus >= 64 ? ~pcpu_mask{0} : (pcpu_mask{1} << m_cfg.pcpus) - 1;
    const wbinvd_plan plan = m_wbinvd->plan({v.dirty_mask, e.pcpu, all});
    v.dirty_mask = plan.mask_after;
    // The flushes run in parallel (on_each_cpu_mask waits for all): the exit resumes when
    // the slowest one is done. KVM flushes with WBINVD for guest WBINVD and WBNOINVD alike.
    if (plan.flush & ~all)
        throw std::logic_error("kvm: a WBINVD plan names a pCPU beyond kvm.pcpus");
    const sc_core::sc_time start = delay;
    sc_core::sc_time done = delay;
    for (unsigned p = 0; p < m_cfg.pcpus; ++p) {
        if (!(plan.flush >> p & 1)) continue;
        sc_core::sc_time d = start;
        if (p != e.pcpu) d += t(m_cfg.cost.wbinvd_ipi);
        transport(p, tlm::TLM_IGNORE_COMMAND, 0, nullptr, 0, host_ext(p, op_kind::wbinvd), d);
        ++*m_stats->wbinvd_runs[p];
        done = std::max(done, d);
    }
    delay = done;
    return exit_outcome::resume;
}

} // namespace mtsim::kvm
