#include "scenarios/arm64_scenario.h"

#include <fmt/format.h>

#include "model/not_modelled.h"
#include "model/page_table_writer.h"
#include "scenarios/address_plan.h"

namespace mtsim::scenarios {

void validate_arch(const scenario& s) {
    const bool arm64 = s.platform.arch == "arm64";
    for (std::size_t i = 0; i < s.buffers.size(); ++i) {
        const buffer& b = s.buffers[i];
        const std::string key = fmt::format("guest.buffers[{}].pat", i);
        if (arm64 && b.pat_given)
            throw config_error(s.file, b.line, key,
                               fmt::format("'{}' is an x86 memory type; an arm64 platform maps "
                                           "buffers with a stage-1 type: {}",
                                           to_string(b.pat), arm64_memtype_names()));
        if (!arm64 && b.s1)
            throw config_error(s.file, b.line, key,
                               fmt::format("'{}' is an arm64 memory type; an x86 platform maps "
                                           "buffers with a PAT type: {}",
                                           to_string(*b.s1), memtype_names()));
        if (!arm64 && (b.kind == buffer_kind::device_bar || b.kind == buffer_kind::device_coherent))
            throw not_modelled("device memory buffers (kind device_bar, device_coherent) on an "
                               "x86 platform",
                               fmt::format("{}:{}", s.file, b.line));
    }
    if (!arm64) return;
    if (!s.raw_ptes.empty())
        throw config_error(s.file, s.raw_ptes.front().line, "guest.raw_pte",
                           "x86 paging entries; an arm64 platform has no such tables");
    if (!s.raw_ept.empty())
        throw config_error(s.file, s.raw_ept.front().line, "raw_ept",
                           "EPT entries; an arm64 platform has stage-2 tables instead");
}

void require_arm64_runnable(const scenario& s) {
    const auto refuse = [&](const std::string& what) {
        throw not_modelled(what + " on an arm64 platform", s.file);
    };
    if (s.devices.gpu.mode == "vfio")
        refuse("VFIO pass-through (devices.gpu.mode vfio: the SMMU is not modelled)");
    if (s.guest.cr0_cd) refuse("guest.cr0_cd (an x86 control register)");
    if (s.platform.vcpu.user_mode) refuse("EL0 accesses (platform.vcpu.user_mode)");
    for (const auto& p : s.programs) {
        if (p.agent == "vmm" || p.agent == "gpu")
            refuse(fmt::format("a `{}` program (the host side of an arm64 platform)", p.agent));
        for (const auto& op : p.ops) {
            switch (op.type) {
            case op_type::load:
            case op_type::store:
            case op_type::fill:
            case op_type::signal:
            case op_type::wait:
            case op_type::label:
            case op_type::pause:
            case op_type::poll:
            case op_type::migrate:
            case op_type::dc:
            case op_type::dsb:
            case op_type::dmb:
            case op_type::ldxr:
            case op_type::stxr:
            case op_type::ldadd:
            case op_type::cas:
                break;
            default:
                throw not_modelled(fmt::format("the op `{}` on an arm64 vCPU", op_name_of(op.type)),
                                   fmt::format("{}:{}", s.file, op.line));
            }
        }
    }
}

arm64_memtype arm64_bar_type(const scenario& s) {
    switch (s.devices.gpu.bar_pat) {
    case memtype::uc:
        return arm64_memtype::device_ngnre; // ioremap(): PROT_DEVICE_nGnRE
    case memtype::wc:
        return arm64_memtype::normal_nc; // ioremap_wc(): PROT_NORMAL_NC
    default:
        throw not_modelled(fmt::format("devices.gpu.bar_pat {} on arm64 (ioremap gives "
                                       "Device-nGnRE, ioremap_wc Normal-NC)",
                                       to_string(s.devices.gpu.bar_pat)),
                           s.file);
    }
}

cpu::arm64_regs build_arm64_guest_tables(const scenario& s, dram& mem,
                                         const kvm::memslot_table& slots) {
    cpu::arm64_regs regs;
    regs.mair = cpu::arm64_linux_mair();
    regs.fwb = s.host.arm64.caps.fwb;
    // Tables are taken downwards from the top of guest RAM (as on x86).
    std::uint64_t next_table = s.guest.ram;
    const auto alloc = [&s, &next_table]() {
        next_table -= 4096;
        for (const auto& b : s.buffers)
            if (b.kind == buffer_kind::ram && next_table < b.gpa + b.size &&
                b.gpa < next_table + 4096)
                throw config_error(s.file, b.line, "guest.buffers." + b.name,
                                   "overlaps the guest page tables at the top of guest RAM");
        return next_table;
    };
    page_table_writer::memory io;
    io.read = [&mem, &slots](std::uint64_t ipa) {
        std::uint64_t v = 0;
        mem.peek(hpa_of_gpa(slots, ipa), reinterpret_cast<unsigned char*>(&v), 8);
        return v;
    };
    io.write = [&mem, &slots](std::uint64_t ipa, std::uint64_t v) {
        mem.poke(hpa_of_gpa(slots, ipa), reinterpret_cast<const unsigned char*>(&v), 8);
    };
    io.alloc_table = alloc;
    // The writer's levels count from the bottom (1 = arm64 level 3); a descriptor is valid
    // with bit 0 set and a table descriptor is 0b11 (Arm ARM D8.3).
    page_table_writer w({4, 1, cpu::encode_s1_table(0)}, std::move(io));
    regs.ttbr0 = alloc();
    const auto map_page = [&](std::uint64_t a, arm64_memtype t) {
        w.map(regs.ttbr0, a, cpu::encode_s1_page(a, cpu::arm64_linux_attr_index(t), false));
    };
    for (const auto& b : s.buffers)
        for (std::uint64_t a = b.gpa; a < b.gpa + b.size; a += 4096) map_page(a, b.s1_type());
    map_page(s.devices.gpu.bar_gpa, arm64_bar_type(s));
    return regs;
}

} // namespace mtsim::scenarios
