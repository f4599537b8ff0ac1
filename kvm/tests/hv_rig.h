// Test rig for the hypervisor: the real memory system (cache/) over the real DRAM (model/),
// a pass-through per pCPU so that the hypervisor and a test "guest" initiator share each
// pCPU's port (as cpu/pcpu_bus does in a platform), fake vCPUs that record INVEPTs and their
// EPTP, a fake VMM that records MMIO exits, and fake IOMMU coherency answers. EPT entries are
// read back from memory and decoded with cpu/ept.h (an independent decoder).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include "cache/memory_system.h"
#include "cpu/ept.h"
#include "kvm/hypervisor.h"
#include "model/dram.h"

namespace mtsim::kvm::test {

using bytes = std::vector<std::uint8_t>;

class port_mux : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket<port_mux> in;
    tlm_utils::simple_initiator_socket<port_mux> out;
    explicit port_mux(const sc_core::sc_module_name& n) : sc_module(n), in("in"), out("out") {
        in.register_b_transport(this, &port_mux::b_transport);
    }

private:
    void b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& d) {
        out->b_transport(gp, d);
    }
};

struct fake_vcpu final : vcpu_control {
    unsigned id = 0, pcpu = 0, invepts = 0;
    std::uint64_t eptp = 0;
    unsigned vcpu_id() const override { return id; }
    unsigned current_pcpu() const override { return pcpu; }
    void invept() override { ++invepts; }
    void load_eptp(std::uint64_t raw) override { eptp = raw; }
};

struct fake_vmm final : mmio_handler {
    struct access {
        bool write;
        std::uint64_t gpa;
        bytes data;
    };
    std::vector<access> log;
    std::uint8_t read_value = 0x5a;
    void mmio_read(std::uint64_t gpa, unsigned size, std::uint8_t* data,
                   sc_core::sc_time&) override {
        std::memset(data, read_value, size);
        log.push_back({false, gpa, bytes(data, data + size)});
    }
    void mmio_write(std::uint64_t gpa, unsigned size, const std::uint8_t* data,
                    sc_core::sc_time&) override {
        log.push_back({true, gpa, bytes(data, data + size)});
    }
};

struct fake_iommu final : coherency_query {
    bool snoop_control = true;
    unsigned asked = 0;
    explicit fake_iommu(bool sc) : snoop_control(sc) {}
    bool enforce_cache_coherency(sc_core::sc_time&) override {
        ++asked;
        return snoop_control;
    }
};

// What a decoded EPT leaf says.
struct leaf_view {
    unsigned level = 0;
    std::uint64_t value = 0;
    std::uint64_t address = 0; // of the entry
};

class hv_rig : public sc_core::sc_module {
public:
    using init_socket = tlm_utils::simple_initiator_socket<hv_rig>;
    memory_system ms;
    dram mem;
    sc_core::sc_vector<port_mux> mux;
    hypervisor hv;
    sc_core::sc_vector<init_socket> guest; // a test initiator per pCPU
    init_socket dev;                       // the device port (unused, must be bound)
    fake_vcpu vcpu0;
    fake_vmm vmm;

    static memory_system_config small_caches(unsigned pcpus) {
        memory_system_config c;
        c.pcpus = pcpus;
        c.clock_mhz = 3000.0;
        c.l1d = {4 * KiB, 4, cycles{4}, replacement_kind::lru, 1};
        c.l2 = {32 * KiB, 8, cycles{14}, replacement_kind::lru, 2};
        c.llc = {256 * KiB, 16, cycles{40}, replacement_kind::lru, 3};
        // Non-inclusive, CPUID.4:EDX[0]=1 on the LLC: a WBINVD on one pCPU leaves the other
        // pCPUs' private lines alone, so which pCPUs KVM flushes is visible in DRAM.
        c.llc_inclusive = false;
        c.llc.wbinvd_sharers = false;
        return c;
    }

    explicit hv_rig(const hypervisor_config& cfg, unsigned pcpus = 2,
                    const sc_core::sc_module_name& n = "rig")
        : sc_module(n), ms("ms", small_caches(pcpus)), mem("mem"), mux("mux", pcpus),
          hv("hv", with_pcpus(cfg, pcpus)), guest("guest", pcpus), dev("dev") {
        for (unsigned p = 0; p < pcpus; ++p) {
            hv.pcpu[p].bind(mux[p].in);
            guest[p].bind(mux[p].in);
            mux[p].out.bind(ms.cpu[p]);
        }
        ms.to_dram.bind(mem.tsock);
        dev.bind(ms.dma);
        hv.attach_vcpu(vcpu0);
        hv.set_vmm(vmm);
    }

    static hypervisor_config with_pcpus(hypervisor_config c, unsigned pcpus) {
        c.pcpus = pcpus;
        return c;
    }

    void start() { sc_core::sc_start(sc_core::SC_ZERO_TIME); }

    // A guest access that found no EPT entry (or lacked permission) on vcpu0.
    exit_outcome violation(std::uint64_t gpa, bool write, std::uint8_t* data = nullptr,
                           unsigned size = 0, unsigned pcpu = 0,
                           sc_core::sc_time* delay = nullptr) {
        vm_exit e;
        e.reason = exit_reason::ept_violation;
        e.vcpu = vcpu0.id;
        e.pcpu = pcpu;
        e.gpa = gpa;
        e.is_write = write;
        e.size = size;
        e.data = data;
        sc_core::sc_time local = sc_core::SC_ZERO_TIME;
        return hv.handle_exit(e, delay ? *delay : local);
    }
    exit_outcome wbinvd(unsigned pcpu, sc_core::sc_time& delay) {
        vm_exit e;
        e.reason = exit_reason::wbinvd;
        e.vcpu = vcpu0.id;
        e.pcpu = pcpu;
        return hv.handle_exit(e, delay);
    }

    // The 8 bytes at pa as a snooped reader (the vCPU's walker through the caches) sees them.
    std::uint64_t coherent_qword(std::uint64_t pa) const {
        const bytes b = ms.read_coherent(pa, 8);
        std::uint64_t v = 0;
        for (unsigned i = 0; i < 8; ++i) v |= std::uint64_t(b[i]) << (8 * i);
        return v;
    }

    // Walks the EPT in memory from the EPTP the vCPU was given: the leaf for gpa, or nullopt
    // when an entry on the way is not present.
    std::optional<leaf_view> ept_leaf(std::uint64_t gpa) const {
        const cpu::eptp ep = cpu::decode_eptp(vcpu0.eptp, cpu::ept_caps{});
        std::uint64_t table = ep.root;
        for (unsigned level = ep.levels; level >= 1; --level) {
            const std::uint64_t at = table + 8 * cpu::level_index(gpa, level);
            const std::uint64_t e = coherent_qword(at);
            if (cpu::ept_rwx(e) == 0) return std::nullopt;
            if (cpu::is_leaf(cpu::ept_kind(level, e))) return leaf_view{level, e, at};
            table = cpu::address_of(e);
        }
        return std::nullopt;
    }

    void guest_store(unsigned p, std::uint64_t hpa, bytes b) {
        access_ext ext;
        ext.type = memtype::wb;
        ext.op = op_kind::store;
        ext.who.kind = requester_kind::vcpu;
        ext.who.pcpu = static_cast<std::uint16_t>(p);
        tlm::tlm_generic_payload gp;
        gp.set_command(tlm::TLM_WRITE_COMMAND);
        gp.set_address(hpa);
        gp.set_data_ptr(b.data());
        gp.set_data_length(static_cast<unsigned>(b.size()));
        gp.set_streaming_width(static_cast<unsigned>(b.size()));
        gp.set_extension(&ext);
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        guest[p]->b_transport(gp, d);
        gp.clear_extension(&ext);
    }
};

inline memslot ram_slot(std::string name, std::uint64_t gpa, std::uint64_t size,
                        std::uint64_t hpa) {
    memslot s;
    s.name = std::move(name);
    s.kind = memslot_kind::ram;
    s.gpa = gpa;
    s.size = size;
    s.hpa = hpa;
    return s;
}

inline hypervisor_config config_for(std::string policy, std::string wbinvd = "dirty-mask") {
    hypervisor_config c;
    c.policy = std::move(policy);
    c.wbinvd = std::move(wbinvd);
    return c;
}

} // namespace mtsim::kvm::test
