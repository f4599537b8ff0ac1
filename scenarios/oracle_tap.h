// The oracle tap: what every agent did, told to the happens-before oracle (model/oracle.h)
// independently of the data path. Contract: CPU agents report through cpu::agent_observer
// (every executed store and non-temporal store with its bytes, every load with the bytes it
// got; emulated loads at oracle address emulated_space + gpa); the GPU's DMA is seen by
// `dma_observer`, a pass-through on the memory system's device port that forwards first and
// then reports what reached memory or VRAM (descriptor fetches and page-walk accesses are not
// data). For each corrupt read it records a cause chain (at most 8): the oracle's explanation,
// every copy of the line right after the read, the KVM decision that typed the page, the flush
// instructions the programs have for the buffer. `presence` answers the oracle's "are the
// expected bytes anywhere" (caches, WC buffers, DRAM). It decides no verdict itself.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "cache/memory_system.h"
#include "cpu/agent.h"
#include "kvm/hypervisor.h"
#include "model/oracle.h"
#include "scenarios/scenario.h"

namespace mtsim::scenarios {

class oracle_tap final : public cpu::agent_observer, public label_source {
public:
    oracle_tap(const scenario& s, oracle& o, const memory_system& ms, const kvm::hypervisor& hv);

    void add_agent(const cpu::agent& a, agent_id id) { m_agent_ids[&a] = id; }
    agent_id id_of(const cpu::agent& a) const { return m_agent_ids.at(&a); }
    void set_gpu_agent(agent_id a) { m_gpu_agent = a; }
    void set_gpu_track(std::string track) { m_gpu_track = std::move(track); }

    void on_load(const cpu::agent& a, const cpu::access_record& r) override;
    void on_store(const cpu::agent& a, const cpu::access_record& r) override;
    void on_poll_end(const cpu::agent& a, const cpu::op& o, std::size_t op_index,
                     bool seen) override;
    // `done`: when the request completed (a write: acknowledged at the point of coherence).
    void on_dma(bool write, std::uint64_t hpa, const std::uint8_t* data, unsigned len,
                const sc_core::sc_time& done);
    // A cacheable CPU access the memory system found on a device range (oracle_tap_poll.cpp).
    void on_machine_check(const access_ext& ext, std::uint64_t hpa, unsigned len);
    // An arm64 exclusive or atomic on memory that is not Normal-WB (oracle_tap_events.cpp).
    void on_malfunction(const cpu::agent& a, const cpu::access_record& r,
                        const std::string& attribute) override;
    bool presence(const write_record& w, std::uint64_t addr, std::uint64_t len) const;
    const nlohmann::json& causes() const { return m_causes; }
    // label_source: the records' labels, formatted only when a finding is explained (buffer
    // names come from the memslots then; the model never moves a memslot under a buffer).
    std::string label_text(std::uint64_t a, std::uint64_t b) const override;

private:
    struct place {
        const buffer* b = nullptr;
        std::uint64_t off = 0;
    };
    place where(std::uint64_t hpa) const;
    std::string label(const char* what, std::uint64_t hpa, memtype t, bool typed) const;
    void record_cause(read_id r);
    // The read's corruption findings as instants on the reader's track (model/trace.h).
    void trace_corruption(read_id r, const std::string& track, sc_core::sc_time at) const;
    // Polls: a write to a polled value is published (the poller acquires it when it sees it)
    // and its completion time kept; a poll's loads are flag reads, its timeout is checked for
    // a hang against those times.
    bool polled(std::uint64_t hpa, std::uint64_t len) const;
    void wrote(agent_id id, write_id w, std::uint64_t hpa, std::uint64_t len,
               const sc_core::sc_time& done);
    void poll_load(const cpu::agent& a, const cpu::access_record& r);
    void record_hang_cause(read_id r, std::uint64_t hpa);
    nlohmann::json line_view_json(std::uint64_t line, const write_record& exp) const;
    nlohmann::json flushes_of(const buffer& b) const;

    const scenario& m_s;
    oracle& m_o;
    const memory_system& m_ms;
    const kvm::hypervisor& m_hv;
    std::map<const cpu::agent*, agent_id> m_agent_ids;
    agent_id m_gpu_agent = 0;
    std::string m_gpu_track = "gpu";
    nlohmann::json m_causes = nlohmann::json::array();
    struct poll_state {
        std::uint64_t addr = 0; // oracle address of the value
        unsigned len = 0;
        std::uint8_t last[8] = {};
        memtype type = memtype::wb;
        sc_core::sc_time at; // the last load
        std::size_t loads = 0;
        std::size_t op_index = 0;
    };
    std::map<const cpu::agent*, poll_state> m_polls;
    std::map<write_id, sc_core::sc_time> m_completed; // published writes: when they completed
    std::vector<std::pair<std::uint64_t, std::uint64_t>> m_poll_gpas; // polled (gpa, len)
};

// Pass-through on the memory system's device port: records the GPU's DMA in the oracle.
class dma_observer : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<dma_observer> in;
    tlm_utils::simple_initiator_socket<dma_observer> out;
    dma_observer(const sc_core::sc_module_name& n, oracle_tap& tap);

private:
    void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& d);
    oracle_tap& m_tap;
};

} // namespace mtsim::scenarios
