// The VMM's host thread (QEMU) on a host pCPU: the engine of cpu/agent.h in VMX root mode, no
// EPT. Its host-virtual addresses map to host-physical ranges through a flat table the
// platform builder sets up (the VMM's mapping of guest RAM and its own buffers). Each range
// carries the host PAT type of its pages (WB unless the builder says otherwise) and the host
// MTRR type of its memory (WB by default); the effective type is SDM Table 11-7 of the two.
//
// Promises: an access to an unmapped host-virtual address is refused, naming it. WBINVD,
// WBNOINVD and INVD execute directly on the current pCPU (after the store buffer drained).
// Migration drains, serializes the old pCPU and continues on the new one.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/agent.h"
#include "model/memtype.h"

namespace mtsim::cpu {

struct host_range {
    std::uint64_t hva = 0;
    std::uint64_t hpa = 0;
    std::uint64_t size = 0;     // bytes, a multiple of 4 KiB (as are hva and hpa)
    memtype pat = memtype::wb;  // the host page-table (PAT) type of the mapping
    memtype mtrr = memtype::wb; // the host MTRR type of the memory
};

class host_cpu : public agent {
public:
    host_cpu(const sc_core::sc_module_name& name, const agent_config& cfg,
             const agent_setup& setup);

    // Before the simulation starts. Ranges must not overlap in host-virtual space.
    void map(const host_range& r);
    const std::vector<host_range>& mappings() const { return m_ranges; }

    counter m_migrations{this, "migrations", "moves to another pCPU", "moves"};

protected:
    xlate_status translate(std::uint64_t la, access_kind kind, std::uint8_t* data, unsigned len,
                           xlate& out) override;
    void whole_cache_op(op_code c) override;
    void on_migrate(unsigned from, unsigned to) override;

private:
    std::vector<host_range> m_ranges;
};

} // namespace mtsim::cpu
