#include "scenarios/device_plan.h"

#include <fmt/format.h>

#include "cpu/program.h"
#include "scenarios/address_plan.h"

namespace mtsim::scenarios {

std::uint64_t device_addr(const scenario& s, const kvm::memslot_table& slots, const buffer& b) {
    return is_vfio(s) ? b.gpa : hpa_of_gpa(slots, b.gpa);
}

gpu_ring_plan plan_gpu_ring(const scenario& s, const kvm::memslot_table& slots,
                            pattern_source& patterns) {
    gpu_ring_plan plan;
    std::uint64_t vram_off = 0;
    std::uint32_t count = 0;
    bool started = false;
    for (const auto& p : s.programs) {
        if (p.agent != "gpu") continue;
        for (const auto& op : p.ops) {
            if (op.type == op_type::gpu_wait_doorbell) {
                if (started) plan.tails.push_back(count);
                started = true;
                continue;
            }
            if (!started)
                throw config_error(s.file, op.line, "programs.gpu",
                                   "the GPU's program starts with wait_doorbell");
            const bool ns = op.no_snoop.value_or(s.devices.gpu.no_snoop);
            if (op.type == op_type::gpu_interrupt) {
                plan.ring.push_back(gpu::make_interrupt(std::uint32_t(plan.irq_names.size())));
                plan.irq_names.push_back(op.name);
            } else {
                const buffer& b = s.find_buffer(op.buffer);
                for (unsigned r = 0; r < op.repeat; ++r) {
                    const std::uint64_t a = device_addr(s, slots, b) + op.offset + r * op.stride;
                    if (op.type == op_type::gpu_read) {
                        plan.ring.push_back(gpu::make_read_to_vram(a, vram_off, op.len, ns));
                        if (!op.reg.empty())
                            plan.regs.push_back({op.reg, vram_off, unsigned(op.len)});
                    } else {
                        // `value:` (docs/litmus.md): the device writes those bytes.
                        plan.vram_init.push_back(
                            {vram_off, op.store_value
                                           ? cpu::le_bytes(*op.store_value, unsigned(op.len))
                                           : std::vector<std::uint8_t>(op.len, patterns.next())});
                        plan.ring.push_back(gpu::make_write_from_vram(vram_off, a, op.len, ns));
                    }
                    vram_off += (op.len + 63) & ~std::uint64_t(63);
                }
            }
            count = std::uint32_t(plan.ring.size());
        }
    }
    if (started) plan.tails.push_back(count);
    while (plan.entries <= plan.ring.size()) plan.entries *= 2;
    plan.base = ring_hpa;
    // The ring in guest memory: always for a pass-through GPU; for the host's virtio-gpu when
    // the guest has a buffer of that name (its driver writes the ring, the device reads it
    // through the memory system), else the host driver's ring before time zero.
    const buffer* rb = nullptr;
    for (const auto& b : s.buffers)
        if (b.name == s.devices.gpu.ring) rb = &b;
    if (started && (is_vfio(s) || rb)) {
        const std::string key = "devices.gpu.ring";
        if (!rb) {
            // At the key that asks for the ring: devices.gpu.ring when a file names it, else
            // devices.gpu.mode (vfio is what puts the ring in guest memory).
            auto at = s.origins.find(key);
            if (at == s.origins.end()) at = s.origins.find("devices.gpu.mode");
            const param_origin where = at == s.origins.end() ? param_origin{s.file, 0} : at->second;
            throw config_error(where.file, where.line, key,
                               fmt::format("no guest buffer named '{}' (with devices.gpu.mode "
                                           "vfio the GPU's ring lives in guest memory: declare "
                                           "a ram buffer '{}' or name one here)",
                                           s.devices.gpu.ring, s.devices.gpu.ring));
        }
        if (rb->kind != buffer_kind::ram)
            throw config_error(s.file, rb->line, key, "the ring is a buffer of kind ram");
        const std::uint64_t need = std::uint64_t(plan.entries) * gpu::descriptor_bytes;
        if (rb->size < need || rb->gpa % gpu::descriptor_bytes != 0)
            throw config_error(
                s.file, rb->line, key,
                fmt::format("ring buffer '{}' must be 32-byte aligned and hold {} descriptors "
                            "({} bytes)",
                            rb->name, plan.entries, need));
        plan.guest_ring = rb;
        plan.base = device_addr(s, slots, *rb); // IOVA = GPA, or the host-physical address
    }
    return plan;
}

void write_ring(const gpu_ring_plan& plan, dram& mem) {
    for (std::size_t i = 0; i < plan.ring.size(); ++i) {
        const auto img = gpu::encode(plan.ring[i]);
        mem.poke(ring_hpa + i * gpu::descriptor_bytes, img.data(), img.size());
    }
}

} // namespace mtsim::scenarios
