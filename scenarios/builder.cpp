#include "scenarios/builder.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "model/not_modelled.h"
#include "model/perturb.h"
#include "scenarios/arm64_scenario.h"
#include "scenarios/guest_tables.h"

namespace mtsim::scenarios {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

// KVM-VFIO asks the IOMMU (VT-d) whether it can force the device's DMA to snoop.
class platform::iommu_query final : public kvm::coherency_query {
public:
    iommu_query(iommu::vtd& u, iommu::iommu_domain& d) : m_u(u), m_d(d) {}
    bool enforce_cache_coherency(sc_time& delay) override {
        return m_u.enforce_cache_coherency(m_d, delay);
    }

private:
    iommu::vtd& m_u;
    iommu::iommu_domain& m_d;
};

platform::platform(const sc_core::sc_module_name& n, const scenario& s, oracle& o)
    : sc_module(n), m_s(s), m_o(o), m_tap(m_s, o, ms, hv), ms("mem", s.platform.cache),
      mem("dram", s.platform.dram), bridge("host_bridge"), bus("bus", s.platform.cache.pcpus),
      hv("kvm", s.host.kvm), gpu("gpu", s.platform.gpu), dma_obs("dma_observer", m_tap),
      bar_port("bar_port") {
    const unsigned pcpus = s.platform.cache.pcpus;
    for (unsigned p = 0; p < pcpus; ++p) {
        bus.out(p).bind(ms.cpu[p]);
        hv.pcpu[p].bind(bus.in(p));
    }
    ms.to_dram.bind(bridge.in);
    bar_port.bind(bridge.in);
    bridge.memory.bind(mem.tsock);
    bridge.device.bind(gpu.bar);
    bridge.set_window(gpu_bar_hpa, gpu::reg::bar_bytes);
    bridge.add_device_memory(legacy_vga_hpa, legacy_vga_bytes);
    ms.set_device_memory(bridge.device_ranges(),
                         [this](const access_ext& ext, std::uint64_t addr, unsigned len) {
                             m_tap.on_machine_check(ext, addr, len);
                         });
    bridge.on_device_write([this](std::uint64_t off, const std::uint8_t* data, unsigned size) {
        device_write(off, data, size);
    });
    dma_obs.out.bind(ms.dma);
    if (is_vfio(s)) {
        m_vtd = std::make_unique<iommu::vtd>("vtd", s.platform.iommu);
        gpu.mem.bind(m_vtd->in);
        m_vtd->out.bind(dma_obs.in);
        iommu::domain_config dc;
        dc.table_base = domain_table_base;
        m_dom = std::make_unique<iommu::iommu_domain>(dc);
        m_query = std::make_unique<iommu_query>(*m_vtd, *m_dom);
    } else {
        gpu.mem.bind(dma_obs.in);
        gpu::virtio_gpu_backend_config bc;
        bc.noncoherent_blobs = s.devices.gpu.no_snoop;
        m_backend = std::make_unique<gpu::virtio_gpu_backend>(gpu, bc);
    }
    m_vmm_devices = std::make_unique<vmm_devices>(m_s, hv.memslots(), bar_port);
    hv.set_vmm(*m_vmm_devices);
    hv.set_guest_mtrr_default(s.guest.mtrr_default); // the guest's MTRRs before it runs
    // A pass-through GPU is an assigned device from the VM's creation; VT-d snoop control
    // forces its DMA to snoop (what Xen's epte_get_entry_emt() and WBINVD intercept look at).
    const bool vfio = s.devices.gpu.mode == "vfio";
    hv.set_vm_facts(vfio, vfio && s.platform.iommu.ecap_sc);
    hv.set_arm64(s.host.arm64); // nothing for an x86 host
    build_memslots(m_s, hv, m_o);
    cpu::guest_regs regs;
    if (s.platform.arch == "arm64")
        m_arm64_regs = build_arm64_guest_tables(m_s, mem, hv.memslots());
    else
        regs = build_guest_tables(m_s, mem, hv.memslots());
    check_programs();
    create_agents(regs);
    m_ring = plan_gpu_ring(m_s, hv.memslots(), m_patterns);
    if (!m_ring.guest_ring) write_ring(m_ring, mem);
    std::size_t vi = 0;
    for (const auto& p : m_s.programs) {
        if (p.agent == "gpu") continue;
        cpu::agent& a = p.agent == "vmm" ? static_cast<cpu::agent&>(*m_vmm)
                                         : static_cast<cpu::agent&>(*m_vcpus[vi++]);
        auto& slots = m_reg_slots.emplace_back(&a, std::vector<reg_slot>{}).second;
        a.set_program(
            compile_cpu_program(m_s, p, m_tap.id_of(a), m_ring, m_patterns, *this, &slots));
        a.set_perturbation(s.run.perturb);
    }
    ms.set_perturbation(s.run.perturb);
    gpu.set_perturbation(s.run.perturb);
    gpu.on_interrupt(
        [this](std::uint32_t vector) { signal(m_gpu_agent, m_ring.irq_names.at(vector)); });
    m_o.set_presence_hook([this](const write_record& w, std::uint64_t a, std::uint64_t l) {
        return m_tap.presence(w, a, l);
    });
}

platform::~platform() = default;

void platform::check_programs() const {
    const scenario& s = m_s;
    const unsigned pcpus = s.platform.cache.pcpus;
    unsigned ringers = 0;
    for (const auto& p : s.programs) {
        if (p.agent != "gpu" && p.pcpu >= pcpus)
            throw config_error(
                s.file, 0, "programs." + p.agent + ".pcpu",
                fmt::format("pCPU {} does not exist (platform.cache.pcpus = {})", p.pcpu, pcpus));
        for (const auto& op : p.ops)
            if (op.type == op_type::migrate && op.value >= pcpus)
                throw config_error(s.file, op.line, "programs." + p.agent + ".migrate",
                                   fmt::format("pCPU {} does not exist", op.value));
        if (std::any_of(p.ops.begin(), p.ops.end(),
                        [](const scenario_op& op) { return op.type == op_type::doorbell; }))
            ++ringers;
    }
    if (ringers > 1)
        throw not_modelled("doorbells from more than one agent (the ring's tail order would "
                           "depend on timing)",
                           s.file + ": programs");
}

// One oracle agent each, in the scenario's order (vCPUs, vmm), then the GPU.
void platform::create_agents(const cpu::guest_regs& regs) {
    const scenario& s = m_s;
    const unsigned pcpus = s.platform.cache.pcpus;
    for (const auto& p : s.programs) {
        if (p.agent == "gpu") continue;
        const agent_id id = m_o.add_agent(p.agent);
        if (p.agent == "vmm") {
            m_vmm = std::make_unique<cpu::host_cpu>("vmm", s.platform.vmm,
                                                    cpu::agent_setup{0, pcpus, p.pcpu});
            cpu::bind_ports(*m_vmm, bus);
            for (const auto& sl : hv.memslots().slots())
                if (sl.kind == kvm::memslot_kind::ram && !sl.host_mmio)
                    m_vmm->map({vmm_hva_base + sl.gpa, sl.hpa, sl.size, s.vmm.pat, memtype::wb});
            // The host driver's mapping of the GPU's registers (ioremap: UC).
            m_vmm->map({vmm_bar_hva, gpu_bar_hpa, gpu::reg::bar_bytes, memtype::uc, memtype::uc});
            m_tap.add_agent(*m_vmm, id);
            continue;
        }
        const unsigned vid = unsigned(m_vcpus.size());
        auto v = std::make_unique<cpu::vcpu>(p.agent.c_str(), s.platform.vcpu,
                                             cpu::agent_setup{vid, pcpus, p.pcpu});
        cpu::bind_ports(*v, bus);
        v->set_handler(hv);
        if (s.platform.arch == "arm64") v->set_arm64(m_arm64_regs);
        hv.attach_vcpu(*v);
        hv.set_guest_cd(vid, s.guest.cr0_cd);
        v->set_guest_regs(regs);
        m_tap.add_agent(*v, id);
        m_vcpus.push_back(std::move(v));
    }
    m_gpu_agent = m_o.add_agent("gpu");
    m_tap.set_gpu_agent(m_gpu_agent);
    m_tap.set_gpu_track(gpu.name());
    auto serializer = [this](unsigned p, sc_time& d) { ms.serialize(p, d); };
    for (auto& v : m_vcpus) {
        v->set_serializer(serializer);
        v->set_observer(&m_tap);
    }
    if (m_vmm) {
        m_vmm->set_serializer(serializer);
        m_vmm->set_observer(&m_tap);
    }
}

void platform::start_of_simulation() {
    const scenario& s = m_s;
    sc_time d = SC_ZERO_TIME;
    kvm::host_context ctx{s.vmm.pcpu, d};
    for (const auto& [off, bytes] : m_ring.vram_init)
        gpu.write_vram(off, bytes.data(), bytes.size());
    if (is_vfio(s)) {
        // VFIO: the container attaches the device, maps guest RAM (IOVA = GPA) and asks the
        // IOMMU to enforce coherency where it can (IOMMU_CAP_ENFORCE_CACHE_COHERENCY).
        const auto bdf = std::uint16_t(s.platform.gpu.bdf);
        m_vtd->attach_device(bdf, *m_dom, d);
        for (const auto& sl : hv.memslots().slots())
            if (sl.kind == kvm::memslot_kind::ram && !sl.host_mmio)
                m_vtd->map(*m_dom, {sl.gpa, sl.hpa, sl.size}, d);
        if (s.platform.iommu.ecap_sc) m_vtd->enforce_cache_coherency(*m_dom, d);
        // The guest driver's set-up of its device (before time zero): Device Control and the
        // ring's own No-Snoop attribute.
        gpu.set_enable_no_snoop(s.devices.gpu.enable_no_snoop);
        gpu.write_reg(gpu::reg::ring_ctl, s.devices.gpu.ring_no_snoop ? gpu::ring_ctl_no_snoop : 0);
        if (s.devices.gpu.kvm_vfio && !s.devices.gpu.hotplug) {
            m_vfio = &hv.create_vfio_device();
            m_vfio->add_file("gpu0", *m_query, ctx);
        }
    } else {
        m_backend->realize();
        // A ring in guest memory: its own No-Snoop attribute, as the driver set it up.
        if (m_ring.guest_ring)
            gpu.write_reg(gpu::reg::ring_ctl,
                          s.devices.gpu.ring_no_snoop ? gpu::ring_ctl_no_snoop : 0);
        std::uint32_t id = 1;
        for (const auto& b : s.buffers)
            if (b.kind == buffer_kind::blob)
                m_backend->create_blob(id++, device_addr(s, hv.memslots(), b), b.size);
        if (s.host.kvm_virtio_device && m_backend->registers_noncoherent_dma()) {
            m_virtio_dev = &hv.create_virtio_device();
            m_virtio_dev->set_attr(kvm::kvm_virtio_device::group_noncoherent,
                                   kvm::kvm_virtio_device::attr_noncoherent_set, ctx);
        }
    }
    gpu.program_ring(m_ring.base, m_ring.entries);
    if (!m_defer_raw_ept) apply_raw_ept(ctx);
    // Set-up ran on the VMM thread's clock before the guest starts (QEMU realizes and attaches
    // devices before it runs the vCPUs): the programs start when it is done, so no guest
    // access waits behind the set-up's table writes and their cycles count from there.
    m_setup_time = d;
    gpu.set_account_start(d);
    // Perturbed (docs/litmus.md): each agent starts up to run.start_jitter_ns later, drawn
    // in the scenario's agent order; its cycles still count from its own start.
    perturb_stream starts(s.run.perturb, "start");
    const auto jitter_ps = std::uint64_t(s.run.start_jitter_ns * 1000.0);
    auto start = [&] { return d + sc_time(double(starts.upto(jitter_ps)), sc_core::SC_PS); };
    for (auto& v : m_vcpus) v->set_start_time(start());
    if (m_vmm) m_vmm->set_start_time(start());
}

void platform::apply_raw_ept(kvm::host_context& ctx) {
    scenarios::apply_raw_ept(m_s, hv, ms, ctx);
}

void platform::signal(agent_id a, const std::string& key) {
    m_o.release(a, key);
    m_signaled.insert(key);
    m_signal_event.notify(SC_ZERO_TIME);
}

void platform::wait_signal(agent_id a, const std::string& key) {
    m_waiting[a] = key;
    while (!m_signaled.count(key)) sc_core::wait(m_signal_event);
    m_waiting.erase(a);
    m_o.acquire(a, key);
}

void platform::vm_pause(agent_id a, cpu::agent& ag) {
    // The pause is a VM exit: it drains the pCPU's WC buffers, then the VMM may look.
    sc_time d = SC_ZERO_TIME;
    ms.serialize(ag.pcpu(), d);
    sc_core::wait(d);
    signal(a, "vm-pause");
}

void platform::hotplug(cpu::agent& ag) {
    if (!m_query) throw std::runtime_error(m_s.file + ": hotplug needs devices.gpu.mode vfio");
    sc_time d = SC_ZERO_TIME;
    kvm::host_context ctx{ag.pcpu(), d};
    if (!m_vfio) m_vfio = &hv.create_vfio_device();
    m_vfio->add_file("gpu0", *m_query, ctx);
    sc_core::wait(d);
}

// Hot-unplug. Pass-through: KVM_DEV_VFIO_FILE_DEL of the GPU's file (virt/kvm/vfio.c
// kvm_vfio_file_del -> kvm_vfio_update_coherency). virtio-gpu: the VMM unrealizes the device
// and closes the KVM virtio device's fd (the RFC's release -> kvm_arch_unregister_noncoherent_dma);
// a VMM that never created one (no kvm_virtio_device host, or a coherent backend) has nothing
// to tell KVM. Either way, when it was the VM's only non-coherent registration the count goes
// 1 -> 0 and the era's rule decides whether every EPT entry is zapped
// (kvm_noncoherent_dma_assignment_start_or_stop, Linux >= 6.7).
void platform::unplug(cpu::agent& ag) {
    sc_time d = SC_ZERO_TIME;
    kvm::host_context ctx{ag.pcpu(), d};
    if (is_vfio(m_s)) {
        if (!m_vfio) throw std::runtime_error(m_s.file + ": unplug without an attached device");
        m_vfio->remove_file("gpu0", ctx);
    } else if (m_virtio_dev) {
        m_virtio_dev->release(ctx);
    }
    sc_core::wait(d);
}

void platform::release(agent_id a, const std::string& key) {
    m_o.release(a, key);
}

void platform::device_write(std::uint64_t offset, const std::uint8_t* data, unsigned size) {
    if (offset != gpu::reg::doorbell || size != 4) return;
    std::uint32_t tail = 0;
    std::memcpy(&tail, data, 4);
    const auto& tails = m_ring.tails;
    // The first doorbell not yet acquired that publishes this tail (WC stores to the register
    // may have combined several doorbells into the last one).
    std::size_t last = tails.size();
    for (std::size_t k = m_doorbells_acquired; k < tails.size() && last == tails.size(); ++k)
        if (tails[k] == tail) last = k;
    if (last == tails.size()) return; // a tail no doorbell op publishes: nothing to acquire
    for (; m_doorbells_acquired <= last; ++m_doorbells_acquired)
        m_o.acquire(m_gpu_agent, fmt::format("doorbell{}", m_doorbells_acquired));
}

bool platform::all_finished() const {
    for (const auto& v : m_vcpus)
        if (!v->finished()) return false;
    return !m_vmm || m_vmm->finished();
}

std::string platform::unfinished() const {
    std::string s;
    auto describe = [&](const cpu::agent& a, const std::string& name) {
        s += " " + name;
        const auto w = m_waiting.find(m_tap.id_of(a));
        if (w == m_waiting.end()) return;
        std::string lines;
        for (const auto& p : m_s.programs)
            if (p.agent == name)
                for (const auto& op : p.ops)
                    if (op.type == op_type::wait && op.name == w->second)
                        lines += (lines.empty() ? "" : ", ") + std::to_string(op.line);
        s += fmt::format(" (`wait: {}` at line {})", w->second, lines);
    };
    for (const auto& v : m_vcpus)
        if (!v->finished()) describe(*v, v->basename());
    if (m_vmm && !m_vmm->finished()) describe(*m_vmm, "vmm");
    return s;
}

} // namespace mtsim::scenarios
