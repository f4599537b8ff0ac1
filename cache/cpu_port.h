// One pCPU's port into the memory system (bound to memory_system::cpu[p]): it checks every
// request once, here and only here, then dispatches it. A request must carry access_ext with
// who.pcpu equal to the port's pCPU. TLM_IGNORE_COMMAND is a cache-control op (CLFLUSH(OPT),
// CLWB on the address's line; WBINVD, WBNOINVD, INVD, SFENCE, MFENCE). A data access passes
// check_data_access() (byte enables and streaming widths are not modelled, op and command
// must agree, source cd comes with UC), drains this pCPU's WC buffers holding its bytes when
// it is cacheable, and is split per line and dispatched by memory type: WB/WT/WP to the
// private hierarchy (private_hierarchy.h), UC/UC- and WC loads to the home agent
// (home_agent.h) after draining the WC buffers, WC and streaming stores to the WC unit
// (wc_unit.h), CR0.CD no-fill accesses to whichever serves them. A WB load or store within
// one line takes the private hierarchy's fast path after the same checks.
// arm64 (cpu_port_arm64.cpp): Device-* accesses (access_ext::device) take the uncached path
// with their G/R/E costs, DC CIVAC/CVAC/IVAC and DSB/DMB are cache-control ops, LDXR/STXR use
// this pCPU's exclusive monitor (home_agent.h) and an LSE atomic on Normal-WB memory is a
// locked read-modify-write; on any other memory those three are plain accesses of its type
// (the vCPU reports the malfunction) and STXR fails.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <tlm>

#include "cache/home_agent.h"
#include "cache/ms_context.h"
#include "cache/private_hierarchy.h"
#include "cache/wc_unit.h"
#include "model/access_ext.h"
#include "model/lt_target.h"

namespace mtsim {

class cpu_port final : public lt_target {
public:
    cpu_port(const ms_context& ctx, home_agent& home, private_hierarchy& caches, wc_unit& wc,
             unsigned pcpu);
    void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) override;
    unsigned int transport_dbg(tlm::tlm_generic_payload& gp) override;

private:
    std::string lt_target_name() const override;
    // The checks every data access (READ/WRITE) passes, the fast path included. Throws
    // std::invalid_argument or not_modelled naming the fault. Inline: the fast path runs it
    // on every access; the message is built out of line.
    void check_data_access(const access_ext& ext, const tlm::tlm_generic_payload& gp) const {
        const bool write = gp.get_command() == tlm::TLM_WRITE_COMMAND;
        const bool op_ok =
            ext.op == op_kind::load || ext.op == op_kind::ldxr ? !write
            : ext.op == op_kind::store || ext.op == op_kind::nt_store || ext.op == op_kind::stxr
                ? write
                : ext.op == op_kind::locked_rmw || ext.op == op_kind::lse_atomic;
        if (!op_ok || gp.get_byte_enable_ptr() != nullptr ||
            gp.get_streaming_width() < gp.get_data_length() ||
            (ext.source == type_source::cd && ext.type != memtype::uc))
            refuse_data_access(ext, gp);
    }
    [[noreturn]] [[gnu::cold]] [[gnu::noinline]] void
    refuse_data_access(const access_ext& ext, const tlm::tlm_generic_payload& gp) const;
    [[noreturn]] [[gnu::cold]] [[gnu::noinline]] void refuse_request(const access_ext* ext) const;
    // A checked data access, split per line and dispatched by memory type.
    void data_access(const access_ext& ext, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    void wb_beyond_l1(private_hierarchy::wb_hit r, const access_ext& ext,
                      tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    void no_fill_access(bool write, std::uint64_t addr, std::uint8_t* ptr, unsigned len,
                        sc_core::sc_time& delay);
    void cache_op(const access_ext& ext, std::uint64_t addr, sc_core::sc_time& delay);
    // arm64 (cpu_port_arm64.cpp). An exclusive or atomic on Normal-WB memory, within one line;
    // false when the access is not one (the caller dispatches it by its type).
    bool exclusive_access(access_ext& ext, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
    // One line's piece of a Device-* access (type UC, ext.device set).
    void device_piece(const access_ext& ext, bool write, std::uint64_t addr, std::uint8_t* ptr,
                      unsigned len, sc_core::sc_time& delay);
    // DC CIVAC/CVAC/IVAC, DSB, DMB; false when ext.op is none of them.
    bool arm64_cache_op(const access_ext& ext, std::uint64_t addr, sc_core::sc_time& delay);

    const ms_context& m_ctx;
    home_agent& m_home;
    private_hierarchy& m_caches;
    wc_unit& m_wc;
    unsigned m_p;
    // Device-R stores in flight: when each of the device_outstanding slots frees (absolute).
    std::vector<sc_core::sc_time> m_device_slots;
    unsigned m_next_slot = 0;
};

} // namespace mtsim
