#include "scenarios/program_compiler.h"

#include <fmt/format.h>

#include "cpu/vcpu.h"
#include "gpu/descriptor.h"
#include "scenarios/address_plan.h"

namespace mtsim::scenarios {

cpu::program compile_cpu_program(const scenario& s, const agent_program& p, agent_id id,
                                 const gpu_ring_plan& ring, pattern_source& patterns,
                                 program_hooks& hooks, std::vector<reg_slot>* regs) {
    cpu::program prog;
    const unsigned line = s.platform.cache.line_size;
    const std::vector<std::uint32_t>& tails = ring.tails;
    unsigned doorbells = 0;
    std::uint32_t written = 0; // ring entries the driver has written
    // The pass-through driver writes the descriptors up to doorbell k's tail into its ring.
    auto write_descriptors = [&](unsigned k, unsigned src_line) {
        if (!ring.guest_ring) return;
        const std::uint64_t at = (p.agent == "vmm" ? vmm_hva_base : 0) + ring.guest_ring->gpa;
        if (k >= tails.size())
            throw config_error(s.file, src_line, "programs." + p.agent,
                               fmt::format("descriptors for doorbell {} without a wait_doorbell "
                                           "in the GPU's program",
                                           k + 1));
        for (; written < tails[k]; ++written) {
            const auto img = gpu::encode(ring.ring.at(written));
            prog.store(at + std::uint64_t(written) * gpu::descriptor_bytes,
                       std::vector<std::uint8_t>(img.begin(), img.end()),
                       fmt::format("{} descriptor {}", p.agent, written));
        }
    };
    const bool vmm = p.agent == "vmm";
    const std::uint64_t base = vmm ? vmm_hva_base : 0;
    auto linear = [&](const scenario_op& op, unsigned r) {
        return base + s.find_buffer(op.buffer).gpa + op.offset + std::uint64_t(r) * op.stride;
    };
    for (const auto& op : p.ops) {
        const std::string lbl = fmt::format("{} line {}", p.agent, op.line);
        const std::size_t first = prog.size();
        switch (op.type) {
        case op_type::load:
            if (!op.reg.empty() && regs) regs->push_back({prog.size(), op.reg});
            for (unsigned r = 0; r < op.repeat; ++r) prog.load(linear(op, r), op.len, lbl);
            break;
        case op_type::store:
        case op_type::fill:
        case op_type::nt_fill:
            for (unsigned r = 0; r < op.repeat; ++r) {
                const std::uint64_t a0 = linear(op, r);
                if (op.store_value) {
                    auto bytes = cpu::le_bytes(*op.store_value, unsigned(op.len));
                    if (op.type == op_type::nt_fill)
                        prog.nt_store(a0, std::move(bytes), lbl); // MOVNTI
                    else
                        prog.store(a0, std::move(bytes), lbl);
                    continue;
                }
                const std::uint8_t pat = patterns.next();
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
                const std::uint64_t a0 = linear(op, r);
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
        case op_type::xchg:
        case op_type::lock_add:
            // The old value is the op's result, as a load's (cpu/agent.h).
            if (!op.reg.empty() && regs) regs->push_back({prog.size(), op.reg});
            if (op.type == op_type::xchg)
                prog.xchg(linear(op, 0), op.store_value.value_or(0), unsigned(op.len), lbl);
            else
                prog.locked_add(linear(op, 0), op.store_value.value_or(0), unsigned(op.len), lbl);
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
        case op_type::wbnoinvd:
            prog.wbnoinvd();
            break;
        case op_type::invd:
            prog.invd();
            break;
        case op_type::migrate:
            prog.migrate(unsigned(op.value));
            break;
        case op_type::pause:
            prog.pause(cycles{op.value});
            break;
        case op_type::signal:
            prog.callback("signal " + op.name,
                          [&hooks, id, n = op.name](cpu::agent&) { hooks.signal(id, n); });
            break;
        case op_type::wait:
            prog.callback("wait " + op.name, [&hooks, id, n = op.name](cpu::agent& ag) {
                hooks.wait_signal(id, n);
                ag.close_gap(cost_part::sync_wait);
            });
            break;
        case op_type::vm_pause:
            prog.callback("vm_pause", [&hooks, id](cpu::agent& ag) {
                hooks.vm_pause(id, ag);
                ag.close_gap(cost_part::mem_wc_drain); // the exit drained the WC buffers
            });
            break;
        case op_type::hotplug:
            prog.callback("hotplug", [&hooks](cpu::agent& ag) { hooks.hotplug(ag); });
            break;
        case op_type::label:
            prog.mark(op.name);
            break;
        case op_type::unplug:
            prog.callback("unplug", [&hooks](cpu::agent& ag) { hooks.unplug(ag); });
            break;
        case op_type::wrmsr: {
            // The guest's WRMSR exits to KVM (cpu/vcpu.h), which keeps the MTRR and, where its
            // era honors guest MTRRs, zaps the range (kvm/guest_mtrr.cpp).
            const auto msr = std::uint32_t(op.value);
            const std::uint64_t v = *op.store_value;
            prog.callback(fmt::format("wrmsr {:#x}", msr), [msr, v](cpu::agent& ag) {
                auto* vc = dynamic_cast<cpu::vcpu*>(&ag);
                if (!vc) throw std::logic_error("wrmsr on an agent that is not a vCPU");
                vc->wrmsr(msr, v);
            });
            break;
        }
        case op_type::poll:
            prog.poll(linear(op, 0), *op.until, unsigned(op.len), cycles{op.value}, lbl);
            break;
        case op_type::read_status:
            prog.load(s.devices.gpu.bar_gpa + gpu::reg::status, 4, lbl);
            break;
        case op_type::write_descriptors:
            if (!ring.guest_ring)
                throw config_error(s.file, op.line, "programs." + p.agent + ".write_descriptors",
                                   "the GPU's ring is not in guest memory: it is with "
                                   "devices.gpu.mode vfio, or with virtio when a guest buffer is "
                                   "named as devices.gpu.ring");
            write_descriptors(doorbells, op.line);
            break;
        case op_type::doorbell: {
            const unsigned k = doorbells++;
            const std::string key = fmt::format("doorbell{}", k);
            if (k >= tails.size())
                throw config_error(s.file, op.line, "programs." + p.agent,
                                   fmt::format("doorbell {} has no wait_doorbell in the GPU's "
                                               "program",
                                               k + 1));
            const std::uint32_t tail = tails[k];
            write_descriptors(k, op.line);
            prog.callback(key, [&hooks, id, key](cpu::agent&) { hooks.release(id, key); });
            prog.store_value((vmm ? vmm_bar_hva : s.devices.gpu.bar_gpa) + gpu::reg::doorbell, tail,
                             4, key);
            break;
        }
        default:
            throw config_error(s.file, op.line, "programs." + p.agent, "not a CPU op");
        }
        prog.set_line(first, op.line);
    }
    return prog;
}

} // namespace mtsim::scenarios
