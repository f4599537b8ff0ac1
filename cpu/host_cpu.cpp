#include "cpu/host_cpu.h"

#include <stdexcept>

#include <fmt/format.h>

#include "model/memtype_table.h"

namespace mtsim::cpu {

host_cpu::host_cpu(const sc_core::sc_module_name& name, const agent_config& cfg,
                   const agent_setup& setup)
    : agent(name, cfg, setup, requester_kind::vmm) {}

void host_cpu::map(const host_range& r) {
    constexpr std::uint64_t page = 4096;
    if (r.size == 0 || (r.hva | r.hpa | r.size) % page != 0)
        throw std::invalid_argument(
            fmt::format("{}: host mapping hva {:#x} -> hpa {:#x} size {:#x} is not 4 KiB aligned",
                        name(), r.hva, r.hpa, r.size));
    if (r.mtrr == memtype::uc_minus)
        throw std::invalid_argument(std::string(name()) + ": UC- is not an MTRR type");
    for (const host_range& o : m_ranges)
        if (r.hva < o.hva + o.size && o.hva < r.hva + r.size)
            throw std::invalid_argument(fmt::format(
                "{}: host mapping at hva {:#x} overlaps the one at {:#x}", name(), r.hva, o.hva));
    m_ranges.push_back(r);
}

agent::xlate_status host_cpu::translate(std::uint64_t la, access_kind, std::uint8_t*, unsigned,
                                        xlate& out) {
    for (const host_range& r : m_ranges) {
        if (la < r.hva || la - r.hva >= r.size) continue;
        const memtype_cell c = combine_range_pat(r.mtrr, r.pat);
        out = {r.hpa + (la - r.hva), c.type, c.source};
        return xlate_status::translated;
    }
    throw std::runtime_error(
        fmt::format("host-virtual address {:#x} is not mapped by the VMM's host mapping", la));
}

void host_cpu::whole_cache_op(op_code c) {
    const op_kind k = c == op_code::wbinvd     ? op_kind::wbinvd
                      : c == op_code::wbnoinvd ? op_kind::wbnoinvd
                                               : op_kind::invd;
    transport(tlm::TLM_IGNORE_COMMAND, k, 0, nullptr, 0, memtype::wb, type_source::fixed);
}

void host_cpu::on_migrate(unsigned, unsigned) {
    ++m_migrations;
}

} // namespace mtsim::cpu
