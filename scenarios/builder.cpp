#include "scenarios/builder.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "model/pat.h"

namespace mtsim::scenarios {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {
constexpr std::uint64_t G_P = 1, G_RW = 2, G_US = 4, G_A = 32, G_D = 64;
std::uint64_t level_index(std::uint64_t a, unsigned level) {
    return (a >> (12 + 9 * (level - 1))) & 0x1ff;
}
bool is_vfio(const scenario& s) {
    return s.devices.gpu.mode == "vfio";
}
cpu::vcpu_config vcpu_cfg(const scenario& s) {
    return s.platform.vcpu;
}
kvm::hypervisor_config hv_cfg(const scenario& s) {
    kvm::hypervisor_config c = s.host.kvm;
    c.pcpus = s.platform.cache.pcpus;
    c.self_snoop = s.platform.cache.self_snoop;
    return c;
}
} // namespace

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

dma_observer::dma_observer(const sc_core::sc_module_name& n, platform& p)
    : sc_module(n), in("in"), out("out"), m_p(p) {
    in.register_b_transport(this, &dma_observer::b_transport);
}

void dma_observer::b_transport(tlm::tlm_generic_payload& gp, sc_time& d) {
    out->b_transport(gp, d);
    const access_ext* ext = gp.get_extension<access_ext>();
    if (!gp.is_response_ok() || (ext && ext->page_walk)) return;
    if (gp.is_read() || gp.is_write())
        m_p.on_dma(gp.is_write(), gp.get_address(), gp.get_data_ptr(), gp.get_data_length());
}

platform::platform(const sc_core::sc_module_name& n, const scenario& s, oracle& o)
    : sc_module(n), ms("mem", s.platform.cache), mem("dram", s.platform.dram),
      bus("bus", s.platform.cache.pcpus), hv("kvm", hv_cfg(s)), gpu("gpu", s.platform.gpu),
      dma_obs("dma_observer", *this), bar_port("bar_port"), m_s(s), m_o(o) {
    const unsigned pcpus = s.platform.cache.pcpus;
    for (unsigned p = 0; p < pcpus; ++p) {
        bus.out(p).bind(ms.cpu[p]);
        hv.pcpu[p].bind(bus.in(p));
    }
    ms.to_dram.bind(mem.tsock);
    dma_obs.out.bind(ms.dma);
    bar_port.bind(gpu.bar);
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
    hv.set_vmm(*this);
    const memtype mtrr = s.guest.mtrr_default;
    hv.set_guest_mtrr([mtrr](std::uint64_t) { return mtrr; });
    build_memslots();

    cpu::guest_regs regs;
    std::uint64_t pat_msr = 0;
    if (s.guest.pat == "linux")
        pat_msr = pat_linux_value;
    else if (s.guest.pat == "reset")
        pat_msr = 0x0007040600070406ULL;
    else if (auto v = parse_uint(s.guest.pat))
        pat_msr = *v;
    else
        throw config_error(s.file, 0, "guest.pat", "expected linux, reset or a 64-bit value");
    const auto pat = decode_pat(pat_msr);
    if (!pat.ok()) throw config_error(s.file, 0, "guest.pat", "not a valid IA32_PAT value");
    regs.pat = pat.value();
    regs.cr0_cd = s.guest.cr0_cd;
    build_guest_tables(regs);
    apply_raw_ptes(regs);

    // Agents: one oracle agent each, in the scenario's order (vCPUs, vmm, gpu).
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
        throw config_error(s.file, 0, "programs",
                           "doorbells from more than one agent are not modelled (the ring's tail "
                           "order would depend on timing)");
    for (const auto& p : s.programs) {
        if (p.agent == "gpu") continue;
        const agent_id id = m_o.add_agent(p.agent);
        if (p.agent == "vmm") {
            m_vmm = std::make_unique<cpu::host_cpu>("vmm", s.platform.vmm,
                                                    cpu::agent_setup{0, pcpus, p.pcpu});
            cpu::bind_ports(*m_vmm, bus);
            for (const auto& sl : hv.memslots().slots())
                if (sl.kind == kvm::memslot_kind::ram)
                    m_vmm->map({vmm_hva_base + sl.gpa, sl.hpa, sl.size, s.vmm.pat, memtype::wb});
            m_agent_ids[m_vmm.get()] = id;
            continue;
        }
        const unsigned vid = unsigned(m_vcpus.size());
        auto v = std::make_unique<cpu::vcpu>(p.agent.c_str(), vcpu_cfg(s),
                                             cpu::agent_setup{vid, pcpus, p.pcpu});
        cpu::bind_ports(*v, bus);
        v->set_handler(hv);
        hv.attach_vcpu(*v);
        hv.set_guest_cd(vid, s.guest.cr0_cd);
        v->set_guest_regs(regs);
        m_agent_ids[v.get()] = id;
        m_vcpus.push_back(std::move(v));
    }
    m_gpu_agent = m_o.add_agent("gpu");
    auto serializer = [this](unsigned p, sc_time& d) { ms.serialize(p, d); };
    for (auto& v : m_vcpus) {
        v->set_serializer(serializer);
        v->set_observer(this);
    }
    if (m_vmm) {
        m_vmm->set_serializer(serializer);
        m_vmm->set_observer(this);
    }
    build_gpu_ring();
    std::size_t vi = 0;
    for (const auto& p : s.programs) {
        if (p.agent == "gpu") continue;
        cpu::agent& a = p.agent == "vmm" ? static_cast<cpu::agent&>(*m_vmm)
                                         : static_cast<cpu::agent&>(*m_vcpus[vi++]);
        a.set_program(cpu_program(p, a));
    }
    gpu.on_interrupt([this](std::uint32_t vector) { signal(m_gpu_agent, m_irq_names.at(vector)); });
    m_o.set_presence_hook([this](const write_record& w, std::uint64_t a, std::uint64_t l) {
        return presence(w, a, l);
    });
}

platform::~platform() = default;

void platform::build_memslots() {
    const scenario& s = m_s;
    kvm::memslot ram;
    ram.name = "ram";
    ram.gpa = 0;
    ram.size = s.guest.ram;
    ram.hpa = ram_hpa_base;
    hv.add_memslot(ram);
    for (const auto& b : s.buffers) {
        const bool in_ram = b.gpa + b.size <= s.guest.ram;
        if (b.kind == buffer_kind::ram) {
            if (!in_ram)
                throw config_error(s.file, b.line, "guest.buffers." + b.name,
                                   "a ram buffer lies inside guest.ram");
            continue;
        }
        if (b.gpa < s.guest.ram)
            throw config_error(s.file, b.line, "guest.buffers." + b.name,
                               "blob and hole buffers lie above guest.ram");
        kvm::memslot sl;
        sl.name = b.name;
        sl.gpa = b.gpa;
        sl.size = b.size;
        if (b.kind == buffer_kind::blob) {
            sl.kind = kvm::memslot_kind::ram;
            sl.hpa = blob_hpa_base + b.gpa;
            sl.non_coherent_dma = s.host.memslot_noncoherent && !is_vfio(s);
        } else
            sl.kind = b.kind == buffer_kind::pci_hole ? kvm::memslot_kind::pci_hole
                                                      : kvm::memslot_kind::mmio;
        try {
            hv.add_memslot(sl);
        } catch (const std::invalid_argument& e) {
            throw config_error(s.file, b.line, "guest.buffers." + b.name, e.what());
        }
        if (b.kind == buffer_kind::pci_hole || b.kind == buffer_kind::mmio_hole)
            m_o.declare_initial_fill(emulated_space + b.gpa, b.size, 0xff,
                                     b.name + " (absent functions read all-ones)");
    }
    kvm::memslot bar;
    bar.name = "gpu-bar";
    bar.kind = kvm::memslot_kind::mmio;
    bar.gpa = s.devices.gpu.bar_gpa;
    bar.size = gpu::reg::bar_bytes;
    try {
        hv.add_memslot(bar);
    } catch (const std::invalid_argument& e) {
        throw config_error(s.file, 0, "devices.gpu.bar_gpa", e.what());
    }
}

std::uint64_t platform::hpa_of_gpa(std::uint64_t gpa) const {
    const kvm::memslot* sl = hv.memslots().find(gpa);
    if (!sl || sl->kind != kvm::memslot_kind::ram) return 0;
    return sl->hpa_of(gpa);
}

// 4-level guest tables at the top of guest RAM; every buffer identity-mapped with 4 KiB
// pages whose PAT/PCD/PWT bits select the buffer's type in the guest PAT.
void platform::build_guest_tables(cpu::guest_regs& regs) {
    const scenario& s = m_s;
    m_next_table_gpa = s.guest.ram;
    auto alloc = [&]() {
        m_next_table_gpa -= 4096;
        for (const auto& b : s.buffers)
            if (b.kind == buffer_kind::ram && m_next_table_gpa < b.gpa + b.size &&
                b.gpa < m_next_table_gpa + 4096)
                throw config_error(s.file, b.line, "guest.buffers." + b.name,
                                   "overlaps the guest page tables at the top of guest RAM");
        return m_next_table_gpa;
    };
    auto rd = [&](std::uint64_t gpa) {
        std::uint64_t v = 0;
        mem.peek(hpa_of_gpa(gpa), reinterpret_cast<unsigned char*>(&v), 8);
        return v;
    };
    auto wr = [&](std::uint64_t gpa, std::uint64_t v) {
        mem.poke(hpa_of_gpa(gpa), reinterpret_cast<const unsigned char*>(&v), 8);
    };
    const std::uint64_t pml4 = alloc();
    regs.cr3 = pml4;
    auto map_page = [&](std::uint64_t a, std::uint64_t bits) {
        std::uint64_t table = pml4;
        for (unsigned l = 4; l > 1; --l) {
            const std::uint64_t at = table + 8 * level_index(a, l);
            std::uint64_t e = rd(at);
            if (!(e & G_P)) {
                e = alloc() | G_P | G_RW | G_US | G_A;
                wr(at, e);
            }
            table = e & 0x000ffffffffff000ULL;
        }
        wr(table + 8 * level_index(a, 1), a | G_P | G_RW | G_US | G_A | G_D | bits);
    };
    auto bits_for = [&](memtype t, unsigned line, const std::string& key) {
        for (unsigned i = 0; i < 8; ++i)
            if (regs.pat[i] == t) return pat_index_bits(i, page_size::size_4k);
        throw config_error(
            s.file, line, key,
            fmt::format("the guest PAT ({}) has no {} entry", s.guest.pat, to_string(t)));
    };
    for (const auto& b : s.buffers) {
        const std::uint64_t bits = bits_for(b.pat, b.line, "guest.buffers." + b.name + ".pat");
        for (std::uint64_t a = b.gpa; a < b.gpa + b.size; a += 4096) map_page(a, bits);
    }
    // The GPU's BAR, as the guest driver maps registers: UC.
    map_page(s.devices.gpu.bar_gpa, bits_for(memtype::uc, 0, "guest.pat"));
}

// guest.raw_pte: the guest tables live in guest RAM (no cache holds them yet), so the edit is
// a DRAM write like the builder's own.
void platform::apply_raw_ptes(const cpu::guest_regs& regs) {
    const scenario& s = m_s;
    for (std::size_t i = 0; i < s.raw_ptes.size(); ++i) {
        const raw_entry& r = s.raw_ptes[i];
        const std::string key = fmt::format("guest.raw_pte[{}]", i);
        std::uint64_t table = regs.cr3 & 0x000ffffffffff000ULL;
        std::uint64_t at = 0;
        for (unsigned l = 4; l >= r.level; --l) {
            at = table + 8 * level_index(r.address, l);
            if (!hpa_of_gpa(at))
                throw config_error(
                    s.file, r.line, key,
                    fmt::format("the level-{} table at gpa {:#x} is not in guest RAM", l, table));
            if (l == r.level) break;
            std::uint64_t e = 0;
            mem.peek(hpa_of_gpa(at), reinterpret_cast<unsigned char*>(&e), 8);
            if (!(e & G_P))
                throw config_error(s.file, r.line, key,
                                   fmt::format("gva {:#x} is not mapped: its level-{} entry is not "
                                               "present",
                                               r.address, l));
            table = e & 0x000ffffffffff000ULL;
        }
        std::uint64_t e = 0;
        mem.peek(hpa_of_gpa(at), reinterpret_cast<unsigned char*>(&e), 8);
        e = r.apply(e);
        mem.poke(hpa_of_gpa(at), reinterpret_cast<const unsigned char*>(&e), 8);
    }
}

// raw_ept: the current value is what a coherent reader sees at the entry KVM's tables hold
// for the gpa (0 when a table above is missing: write_raw_ept builds it).
void platform::apply_raw_ept(kvm::host_context& ctx) {
    const scenario& s = m_s;
    const unsigned levels = hv.ept().config().levels;
    for (std::size_t i = 0; i < s.raw_ept.size(); ++i) {
        const raw_entry& r = s.raw_ept[i];
        const std::string key = fmt::format("raw_ept[{}]", i);
        if (r.level > levels)
            throw config_error(s.file, r.line, key + ".level",
                               fmt::format("the EPT has {} levels", levels));
        std::uint64_t table = hv.ept().root();
        std::uint64_t current = 0;
        for (unsigned l = levels; l >= r.level; --l) {
            std::uint64_t e = 0;
            const auto b = ms.read_coherent(table + 8 * level_index(r.address, l), 8);
            std::memcpy(&e, b.data(), 8);
            if (l == r.level) {
                current = e;
                break;
            }
            if (!(e & 7) || (l <= 3 && (e & 0x80))) break; // not present, or a leaf above
            table = e & 0x000ffffffffff000ULL;
        }
        hv.write_raw_ept(r.address, r.level, r.apply(current), ctx);
    }
}

std::uint64_t platform::device_addr(const buffer& b) const {
    return is_vfio(m_s) ? b.gpa : hpa_of_gpa(b.gpa);
}

std::uint8_t platform::next_pattern() {
    // distinct, never 0x00 (initial memory) nor 0xff (the PCI hole)
    return std::uint8_t(1 + (m_pattern++ * 37) % 253);
}

void platform::build_gpu_ring() {
    const scenario& s = m_s;
    std::uint64_t vram_off = 0;
    std::uint32_t count = 0;
    bool started = false;
    for (const auto& p : s.programs) {
        if (p.agent != "gpu") continue;
        for (const auto& op : p.ops) {
            if (op.type == op_type::gpu_wait_doorbell) {
                if (started) m_tails.push_back(count);
                started = true;
                continue;
            }
            if (!started)
                throw config_error(s.file, op.line, "programs.gpu",
                                   "the GPU's program starts with wait_doorbell");
            const bool ns = s.devices.gpu.no_snoop;
            if (op.type == op_type::gpu_interrupt) {
                m_ring.push_back(gpu::make_interrupt(std::uint32_t(m_irq_names.size())));
                m_irq_names.push_back(op.name);
            } else {
                const buffer& b = s.find_buffer(op.buffer);
                for (unsigned r = 0; r < op.repeat; ++r) {
                    const std::uint64_t a = device_addr(b) + op.offset + r * op.stride;
                    if (op.type == op_type::gpu_read)
                        m_ring.push_back(gpu::make_read_to_vram(a, vram_off, op.len, ns));
                    else {
                        m_vram_init.push_back(
                            {vram_off, std::vector<std::uint8_t>(op.len, next_pattern())});
                        m_ring.push_back(gpu::make_write_from_vram(vram_off, a, op.len, ns));
                    }
                    vram_off += (op.len + 63) & ~std::uint64_t(63);
                }
            }
            ++count;
            count = std::uint32_t(m_ring.size());
        }
    }
    if (started) m_tails.push_back(count);
    while (m_ring_entries <= m_ring.size()) m_ring_entries *= 2;
    for (std::size_t i = 0; i < m_ring.size(); ++i) {
        const auto img = gpu::encode(m_ring[i]);
        mem.poke(ring_hpa + i * gpu::descriptor_bytes, img.data(), img.size());
    }
}

void platform::start_of_simulation() {
    const scenario& s = m_s;
    sc_time d = SC_ZERO_TIME;
    kvm::host_context ctx{s.vmm.pcpu, d};
    for (const auto& [off, bytes] : m_vram_init) gpu.write_vram(off, bytes.data(), bytes.size());
    if (is_vfio(s)) {
        // VFIO: the container attaches the device, maps guest RAM (IOVA = GPA) and asks the
        // IOMMU to enforce coherency where it can (IOMMU_CAP_ENFORCE_CACHE_COHERENCY).
        const auto bdf = std::uint16_t(s.platform.gpu.bdf);
        m_vtd->attach_device(bdf, *m_dom, d);
        for (const auto& sl : hv.memslots().slots())
            if (sl.kind == kvm::memslot_kind::ram) m_vtd->map(*m_dom, {sl.gpa, sl.hpa, sl.size}, d);
        m_vtd->map(*m_dom, {ring_hpa, ring_hpa, 1 * MiB}, d);
        if (s.platform.iommu.ecap_sc) m_vtd->enforce_cache_coherency(*m_dom, d);
        gpu.set_enable_no_snoop(s.devices.gpu.no_snoop);
        if (s.devices.gpu.kvm_vfio && !s.devices.gpu.hotplug) {
            m_vfio = &hv.create_vfio_device();
            m_vfio->add_file("gpu0", *m_query, ctx);
        }
    } else {
        m_backend->realize();
        std::uint32_t id = 1;
        for (const auto& b : s.buffers)
            if (b.kind == buffer_kind::blob) m_backend->create_blob(id++, device_addr(b), b.size);
        if (s.host.kvm_virtio_device && m_backend->registers_noncoherent_dma())
            hv.create_virtio_device().set_attr(kvm::kvm_virtio_device::group_noncoherent,
                                               kvm::kvm_virtio_device::attr_noncoherent_set, ctx);
    }
    gpu.program_ring(ring_hpa, m_ring_entries);
    if (!m_defer_raw_ept) apply_raw_ept(ctx);
}

std::uint64_t platform::gva(const scenario_op& op, unsigned r) const {
    return m_s.find_buffer(op.buffer).gpa + op.offset + std::uint64_t(r) * op.stride;
}

void platform::signal(agent_id a, const std::string& key) {
    m_o.release(a, key);
    m_signaled.insert(key);
    m_signal_event.notify(SC_ZERO_TIME);
}

void platform::wait_signal(agent_id a, const std::string& key) {
    while (!m_signaled.count(key)) sc_core::wait(m_signal_event);
    m_o.acquire(a, key);
}

cpu::program platform::cpu_program(const agent_program& p, cpu::agent& a) {
    cpu::program prog;
    const agent_id id = m_agent_ids.at(&a);
    const unsigned line = m_s.platform.cache.line_size;
    unsigned doorbells = 0;
    const bool vmm = p.agent == "vmm";
    for (const auto& op : p.ops) {
        const std::string lbl = fmt::format("{} line {}", p.agent, op.line);
        switch (op.type) {
        case op_type::load:
            for (unsigned r = 0; r < op.repeat; ++r)
                prog.load((vmm ? vmm_hva_base : 0) + gva(op, r), op.len, lbl);
            break;
        case op_type::store:
        case op_type::fill:
        case op_type::nt_fill:
            for (unsigned r = 0; r < op.repeat; ++r) {
                const std::uint8_t pat = next_pattern();
                const std::uint64_t a0 = (vmm ? vmm_hva_base : 0) + gva(op, r);
                if (op.type == op_type::store && op.len <= 8)
                    prog.store(a0, std::vector<std::uint8_t>(op.len, pat), lbl);
                else
                    prog.fill(a0, op.len, {pat}, op.type == op_type::nt_fill, lbl);
            }
            break;
        case op_type::clflush:
        case op_type::clflushopt:
        case op_type::clwb:
            for (unsigned r = 0; r < op.repeat; ++r) {
                const std::uint64_t a0 = (vmm ? vmm_hva_base : 0) + gva(op, r);
                for (std::uint64_t x = a0 & ~std::uint64_t(line - 1); x < a0 + op.len; x += line) {
                    if (op.type == op_type::clflush)
                        prog.clflush(x);
                    else if (op.type == op_type::clflushopt)
                        prog.clflushopt(x);
                    else
                        prog.clwb(x);
                }
            }
            break;
        case op_type::sfence:
            prog.sfence();
            break;
        case op_type::mfence:
            prog.mfence();
            break;
        case op_type::wbinvd:
            prog.wbinvd();
            break;
        case op_type::migrate:
            prog.migrate(unsigned(op.value));
            break;
        case op_type::pause:
            prog.pause(cycles{op.value});
            break;
        case op_type::signal:
            prog.callback("signal " + op.name,
                          [this, id, n = op.name](cpu::agent&) { signal(id, n); });
            break;
        case op_type::wait:
            prog.callback("wait " + op.name,
                          [this, id, n = op.name](cpu::agent&) { wait_signal(id, n); });
            break;
        case op_type::vm_pause:
            // The pause is a VM exit: it drains the pCPU's WC buffers, then the VMM may look.
            prog.callback("vm_pause", [this, id](cpu::agent& ag) {
                sc_time d = SC_ZERO_TIME;
                ms.serialize(ag.pcpu(), d);
                sc_core::wait(d);
                signal(id, "vm-pause");
            });
            break;
        case op_type::hotplug:
            prog.callback("hotplug", [this](cpu::agent& ag) {
                if (!m_query)
                    throw std::runtime_error(m_s.file + ": hotplug needs devices.gpu.mode vfio");
                sc_time d = SC_ZERO_TIME;
                kvm::host_context ctx{ag.pcpu(), d};
                if (!m_vfio) m_vfio = &hv.create_vfio_device();
                m_vfio->add_file("gpu0", *m_query, ctx);
                sc_core::wait(d);
            });
            break;
        case op_type::doorbell: {
            const unsigned k = doorbells++;
            const std::string key = fmt::format("doorbell{}", k);
            if (k >= m_tails.size())
                throw config_error(m_s.file, op.line, "programs." + p.agent,
                                   fmt::format("doorbell {} has no wait_doorbell in the GPU's "
                                               "program",
                                               k + 1));
            const std::uint32_t tail = m_tails[k];
            if (is_vfio(m_s) || vmm) {
                prog.callback(key, [this, id, key, tail](cpu::agent&) {
                    m_o.release(id, key);
                    m_o.acquire(m_gpu_agent, key);
                    gpu.write_reg(gpu::reg::doorbell, tail, 4, SC_ZERO_TIME);
                });
            } else {
                prog.callback(key, [this, id, key](cpu::agent&) { m_o.release(id, key); });
                prog.store_value(m_s.devices.gpu.bar_gpa + gpu::reg::doorbell, tail, 4, key);
            }
            break;
        }
        default:
            throw config_error(m_s.file, op.line, "programs." + p.agent, "not a CPU op");
        }
    }
    return prog;
}

void platform::mmio_read(std::uint64_t gpa, unsigned size, std::uint8_t* data, sc_time& delay) {
    const std::uint64_t bar = m_s.devices.gpu.bar_gpa;
    if (gpa >= bar && gpa < bar + gpu::reg::bar_bytes) {
        tlm::tlm_generic_payload gp;
        gp.set_command(tlm::TLM_READ_COMMAND);
        gp.set_address(gpa - bar);
        gp.set_data_ptr(data);
        gp.set_data_length(size);
        gp.set_streaming_width(size);
        bar_port->b_transport(gp, delay);
        return;
    }
    const kvm::memslot* sl = hv.memslots().find(gpa);
    if (sl && sl->kind != kvm::memslot_kind::ram) {
        std::memset(data, 0xff, size); // absent PCI functions: all-ones
        return;
    }
    throw std::runtime_error(
        fmt::format("VMM: MMIO read at gpa {:#x} hits no emulated device", gpa));
}

void platform::mmio_write(std::uint64_t gpa, unsigned size, const std::uint8_t* data,
                          sc_time& delay) {
    const std::uint64_t bar = m_s.devices.gpu.bar_gpa;
    if (gpa >= bar && gpa < bar + gpu::reg::bar_bytes) {
        if (gpa - bar == gpu::reg::doorbell)
            m_o.acquire(m_gpu_agent, fmt::format("doorbell{}", m_doorbells_seen++));
        tlm::tlm_generic_payload gp;
        gp.set_command(tlm::TLM_WRITE_COMMAND);
        gp.set_address(gpa - bar);
        gp.set_data_ptr(const_cast<std::uint8_t*>(data));
        gp.set_data_length(size);
        gp.set_streaming_width(size);
        bar_port->b_transport(gp, delay);
        return;
    }
    const kvm::memslot* sl = hv.memslots().find(gpa);
    if (sl && sl->kind != kvm::memslot_kind::ram) return; // writes to absent functions drop
    throw std::runtime_error(
        fmt::format("VMM: MMIO write at gpa {:#x} hits no emulated device", gpa));
}

platform::place platform::where(std::uint64_t hpa) const {
    for (const auto& b : m_s.buffers) {
        const std::uint64_t h = hpa_of_gpa(b.gpa);
        if (h && hpa >= h && hpa < h + b.size) return {&b, hpa - h};
    }
    return {};
}

std::string platform::label(const char* what, std::uint64_t hpa, memtype t, bool typed) const {
    const place p = where(hpa);
    const std::string loc =
        p.b ? fmt::format("{}+{:#x}", p.b->name, p.off) : fmt::format("hpa {:#x}", hpa);
    return typed ? fmt::format("{} {} ({})", what, loc, to_string(t))
                 : fmt::format("{} {}", what, loc);
}

// Lazy labels: a = the address the label names (hpa, or the gpa of an emulated load);
// b = op index (bits 0-31) | oracle agent (32-39) | op_kind (40-47) | memtype (48-55) | form
// (56-63). Built with fmt only when a finding is explained.
namespace {
enum label_form : std::uint64_t { cpu_access, emulated_load, dma_write, dma_read };
constexpr std::uint64_t pack_label(std::uint64_t op_index, agent_id agent, op_kind k, memtype t,
                                   label_form form) {
    return op_index | std::uint64_t(agent) << 32 | std::uint64_t(k) << 40 | std::uint64_t(t) << 48 |
           std::uint64_t(form) << 56;
}
} // namespace

std::string platform::label_text(std::uint64_t a, std::uint64_t b) const {
    const std::uint64_t op_index = b & 0xffffffffu;
    const std::string& who = m_o.agent_name(agent_id((b >> 32) & 0xff));
    const auto kind = op_kind((b >> 40) & 0xff);
    const auto type = memtype((b >> 48) & 0xff);
    switch (label_form(b >> 56)) {
    case cpu_access:
        return fmt::format(
            "{} op {} {}", who, op_index,
            label(kind == op_kind::load ? "load" : to_string(kind).data(), a, type, true));
    case emulated_load:
        return fmt::format("{} op {} emulated load gpa {:#x}", who, op_index, a);
    case dma_write:
        return label("gpu dma-write", a, memtype::wb, false);
    case dma_read:
        return label("gpu dma-read", a, memtype::wb, false);
    }
    return "?";
}

namespace {
// The lazy label when the numbers fit their fields, else the text now.
template <class F>
record_label lazy_or_text(const label_source& src, std::uint64_t a, std::uint64_t op_index,
                          agent_id agent, op_kind k, memtype t, label_form form, F&& text) {
    if (op_index > 0xffffffffu || agent > 0xff) return record_label(text());
    return record_label(src, a, pack_label(op_index, agent, k, t, form));
}
} // namespace

void platform::on_store(const cpu::agent& a, const cpu::access_record& r) {
    if (r.emulated || (r.kind != op_kind::store && r.kind != op_kind::nt_store)) return;
    const agent_id id = m_agent_ids.at(&a);
    m_o.write(id, r.hpa, r.data, r.len,
              lazy_or_text(*this, r.hpa, r.op_index, id, r.kind, r.type, cpu_access, [&] {
                  return fmt::format("{} op {} {}", a.basename(), r.op_index,
                                     label(to_string(r.kind).data(), r.hpa, r.type, true));
              }));
}

void platform::on_load(const cpu::agent& a, const cpu::access_record& r) {
    const std::uint64_t addr = r.emulated ? emulated_space + r.linear : r.hpa;
    const agent_id id = m_agent_ids.at(&a);
    const record_label what =
        r.emulated
            ? lazy_or_text(*this, r.linear, r.op_index, id, op_kind::load, r.type, emulated_load,
                           [&] {
                               return fmt::format("{} op {} emulated load gpa {:#x}", a.basename(),
                                                  r.op_index, r.linear);
                           })
            : lazy_or_text(*this, r.hpa, r.op_index, id, op_kind::load, r.type, cpu_access, [&] {
                  return fmt::format("{} op {} {}", a.basename(), r.op_index,
                                     label("load", r.hpa, r.type, true));
              });
    const auto res = m_o.read(id, addr, r.data, r.len, what);
    if (is_corruption(res.kind)) record_cause(res.id);
}

void platform::on_dma(bool write, std::uint64_t hpa, const std::uint8_t* data, unsigned len) {
    if (hpa >= ring_hpa && hpa < ring_hpa + 1 * MiB) return; // descriptor fetches
    if (write) {
        m_o.write(
            m_gpu_agent, hpa, data, len,
            record_label(*this, hpa, pack_label(0, 0, op_kind::dma_write, memtype::wb, dma_write)));
        return;
    }
    const auto res = m_o.read(
        m_gpu_agent, hpa, data, len,
        record_label(*this, hpa, pack_label(0, 0, op_kind::dma_read, memtype::wb, dma_read)));
    if (is_corruption(res.kind)) record_cause(res.id);
}

bool platform::presence(const write_record& w, std::uint64_t addr, std::uint64_t len) const {
    if (addr >= emulated_space) return true;
    const unsigned line = m_s.platform.cache.line_size;
    for (std::uint64_t a = addr; a < addr + len; a = (a | (line - 1)) + 1) {
        const std::uint64_t base = a & ~std::uint64_t(line - 1);
        const std::uint64_t end = std::min<std::uint64_t>(addr + len, base + line);
        auto holds = [&](const std::vector<std::uint8_t>& data, std::uint64_t data_base) {
            for (std::uint64_t x = a; x < end; ++x)
                if (data[x - data_base] != w.byte_at(x)) return false;
            return true;
        };
        bool found = false;
        for (const auto& c : ms.copies(base))
            if (holds(c.data, base)) found = true;
        for (unsigned p = 0; p < m_s.platform.cache.pcpus && !found; ++p)
            if (ms.in_wc_buffer(p, a)) found = true;
        if (!found && holds(ms.read_dram(base, line), base)) found = true;
        if (!found) return false;
    }
    return true;
}

nlohmann::json platform::line_view_json(std::uint64_t line, const write_record& exp) const {
    const unsigned ls = m_s.platform.cache.line_size;
    auto match = [&](const std::vector<std::uint8_t>& d) {
        unsigned same = 0, total = 0;
        for (unsigned i = 0; i < ls; ++i)
            if (exp.covers(line + i)) {
                ++total;
                same += d[i] == exp.byte_at(line + i);
            }
        return fmt::format("{}/{} bytes of the expected write", same, total);
    };
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : ms.copies(line))
        out.push_back({{"where", c.pcpu < 0 ? std::string("LLC")
                                            : fmt::format("pCPU{} {}", c.pcpu, to_string(c.level))},
                       {"state", std::string(to_string(c.state))},
                       {"dirty", c.dirty},
                       {"holds", match(c.data)}});
    for (unsigned p = 0; p < m_s.platform.cache.pcpus; ++p)
        if (ms.in_wc_buffer(p, line))
            out.push_back({{"where", fmt::format("pCPU{} WC buffer", p)}});
    out.push_back({{"where", "DRAM"}, {"holds", match(ms.read_dram(line, ls))}});
    return out;
}

void platform::record_cause(read_id r) {
    if (m_causes.size() >= 8) return;
    for (const auto& f : m_o.findings()) {
        if (f.read != r || !is_corruption(f.kind)) continue;
        const read_record& rr = m_o.read_info(r);
        const write_record& exp = m_o.write_info(f.expected);
        const std::uint64_t off = f.spans.empty() ? 0 : f.spans.front().offset;
        const std::uint64_t at = rr.addr + off;
        nlohmann::json c;
        c["finding"] = m_o.explain(f);
        if (at < emulated_space) {
            const std::uint64_t line = at & ~std::uint64_t(m_s.platform.cache.line_size - 1);
            c["line"] = fmt::format("{:#x}", line);
            c["copies_at_read"] = line_view_json(line, exp);
            // Which policy decision typed the page the expected write went through.
            const place p = where(exp.addr);
            if (p.b) {
                const std::uint64_t gfn = (p.b->gpa + p.off) >> 12;
                if (const kvm::leaf_record* lr = hv.decision_for(gfn))
                    c["ept"] = {{"gfn", fmt::format("{:#x}", gfn)},
                                {"type", std::string(to_string(lr->decision.ept_type))},
                                {"ipat", lr->decision.ipat},
                                {"policy", lr->policy},
                                {"why", lr->decision.why}};
                else
                    c["ept"] = {{"gfn", fmt::format("{:#x}", gfn)}, {"leaf", "none now"}};
                nlohmann::json flushes = nlohmann::json::array();
                for (const auto& prog : m_s.programs)
                    for (const auto& op : prog.ops) {
                        const bool line_op =
                            (op.type == op_type::clflush || op.type == op_type::clflushopt ||
                             op.type == op_type::clwb) &&
                            op.buffer == p.b->name;
                        const bool whole = op.type == op_type::wbinvd ||
                                           op.type == op_type::sfence || op.type == op_type::mfence;
                        if (line_op || whole)
                            flushes.push_back(fmt::format("{} line {}: {}", prog.agent, op.line,
                                                          line_op ? "cache-line flush of the buffer"
                                                          : op.type == op_type::wbinvd ? "wbinvd"
                                                                                       : "fence"));
                    }
                if (flushes.empty()) flushes.push_back("no instruction flushed this buffer");
                c["flushes"] = flushes;
                c["wbinvd_exits_skipped"] = hv.stats().wbinvd_nops.value();
            }
        }
        m_causes.push_back(c);
    }
}

bool platform::all_finished() const {
    for (const auto& v : m_vcpus)
        if (!v->finished()) return false;
    return !m_vmm || m_vmm->finished();
}

std::string platform::unfinished() const {
    std::string s;
    for (const auto& v : m_vcpus)
        if (!v->finished()) s += std::string(" ") + v->basename();
    if (m_vmm && !m_vmm->finished()) s += " vmm";
    return s;
}

nlohmann::json platform::cycles_json() const {
    nlohmann::json j;
    for (const auto& v : m_vcpus) j[v->basename()] = v->m_cycles.value();
    if (m_vmm) j["vmm"] = m_vmm->m_cycles.value();
    j["gpu"] = gpu.completed().empty() ? 0 : gpu.completed().back().end.n;
    return j;
}

nlohmann::json platform::stats_json() const {
    const auto& h = hv.stats();
    return {{"exits_ept_violation", h.exits_ept_violation.value()},
            {"exits_wbinvd", h.exits_wbinvd.value()},
            {"wbinvd_nops", h.wbinvd_nops.value()},
            {"mmio_exits", h.mmio_exits.value()},
            {"pci_hole_reads", h.pci_hole_reads.value()},
            {"zaps", h.zaps.value()},
            {"noncoherent_count", hv.noncoherent_count()},
            {"dram_writes", ms.stats().dram_writes.value()},
            {"wc_drains", ms.stats().wc_drains.value()},
            {"dma_non_snooped", ms.stats().dma_non_snooped.value()},
            {"dma_snooped", ms.stats().dma_snooped.value()},
            {"wbinvd_writebacks", ms.stats().wbinvd_writebacks.value()}};
}

} // namespace mtsim::scenarios
