#include "stress/tester.h"

#include <chrono>
#include <fmt/format.h>
#include <random>
#include <stdexcept>
#include <unistd.h>

#include <systemc>
// sc_spawn: <systemc> includes it only under SC_INCLUDE_DYNAMIC_PROCESSES.
#include <sysc/kernel/sc_spawn.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "cache/memory_system.h"
#include "model/dram.h"
#include "model/stats.h"

namespace mtsim::stress {

void validate(const stress_config& cfg) {
    if (cfg.agents + cfg.dma_agents == 0)
        throw std::invalid_argument("stress: --agents plus --dma-agents must be at least 1");
    if (cfg.ops == 0) throw std::invalid_argument("stress: --ops must be at least 1");
    const double cpu_mix =
        cfg.p_store + cfg.p_clflush + cfg.p_clflushopt + cfg.p_clwb + cfg.p_fence + cfg.p_wbinvd;
    if (cpu_mix > 1.0)
        throw std::invalid_argument(
            fmt::format("stress: the CPU op probabilities add up to {} (> 1)", cpu_mix));
    if (cfg.base % cfg.memory.line_size != 0)
        throw std::invalid_argument("stress: base must be aligned to memory.line_size");
    if (cfg.memory.line_size < 8)
        throw std::invalid_argument("stress: memory.line_size must be at least 8");
    // The cache arrays take (line_size + 48) bytes per line (measured, scenarios/validate.cpp);
    // a configuration this machine cannot hold is refused with the estimate, not swapped.
    const auto& m = cfg.memory;
    const double lines =
        (double(std::max(1u, cfg.agents)) * (double(m.l1d.size_bytes) + double(m.l2.size_bytes)) +
         double(m.llc.size_bytes)) /
        m.line_size;
    const double bytes = lines * (m.line_size + 48.0) + 16.0 * MiB;
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    const double budget = pages > 0 && page > 0 ? double(pages) * double(page) / 2 : 8.0 * GiB;
    if (bytes > budget)
        throw std::invalid_argument(fmt::format(
            "stress: the caches would take about {:.0f} MiB of host memory, more than half of "
            "this machine's ({:.0f} MiB): reduce memory.l1d/l2/llc.size or --agents",
            bytes / MiB, budget / MiB));
}

namespace {

// The payloads live on an agent's stack with a stack extension; ~tlm_generic_payload deletes
// every extension still set, so the extension must be cleared on every exit, exceptions
// included.
struct extension_guard {
    tlm::tlm_generic_payload& gp;
    ~extension_guard() { gp.clear_extension<access_ext>(); }
};

// The tester's SystemC side: the memory system under test, its DRAM, the agents' sockets and
// threads, and the liveness watchdog.
class tester : public sc_core::sc_module {
public:
    sc_core::sc_vector<tlm_utils::simple_initiator_socket<tester>> cpu_sock;
    tlm_utils::simple_initiator_socket<tester> dma_sock;

    tester(const sc_core::sc_module_name& name, const stress_config& cfg, const table_patch& patch)
        : sc_core::sc_module(name), cpu_sock("cpu_sock", std::max(1u, cfg.agents)),
          dma_sock("dma_sock"), m_cfg(cfg), m_dram("dram", cfg.dram), m_mem("mem", memory_cfg(cfg)),
          m_check(m_mem, checker::config{cfg.base, cfg.lines, cfg.memory.line_size, cfg.history,
                                         cfg.max_reported, cfg.memory.llc.wbinvd_sharers}),
          m_clock(cfg.memory.clock_mhz) {
        m_mem.to_dram.bind(m_dram.tsock);
        // With no CPU agent the one pCPU's port is still bound (SystemC requires it), idle.
        for (unsigned a = 0; a < cpu_sock.size(); ++a) cpu_sock[a].bind(m_mem.cpu[a]);
        dma_sock.bind(m_mem.dma);
        if (patch) patch(m_mem.protocol());

        const unsigned n = cfg.agents + cfg.dma_agents;
        m_progress.assign(n, sc_core::SC_ZERO_TIME);
        m_done.assign(n, false);
        m_stuck.assign(n, false);
        for (unsigned i = 0; i < n; ++i) {
            const std::uint64_t quota = cfg.ops / n + (i < cfg.ops % n ? 1 : 0);
            const std::string nm =
                i < cfg.agents ? fmt::format("cpu{}", i) : fmt::format("dma{}", i - cfg.agents);
            if (i < cfg.agents)
                sc_core::sc_spawn([this, i, quota] { cpu_agent(i, quota); }, nm.c_str());
            else
                sc_core::sc_spawn([this, i, quota] { dma_agent(i, quota); }, nm.c_str());
        }
        sc_core::sc_spawn([this] { watchdog(); }, "watchdog");
    }

    std::uint64_t ops() const { return m_seq; }
    const memory_system& memory() const { return m_mem; }
    // The table as patched, i.e. the one the run used.
    const protocol_table& table() { return m_mem.protocol(); }
    const checker& check() const { return m_check; }

private:
    static memory_system_config memory_cfg(const stress_config& cfg) {
        memory_system_config m = cfg.memory;
        m.pcpus = std::max(1u, cfg.agents);
        return m;
    }

    std::uint64_t line_size() const { return m_cfg.memory.line_size; }
    std::uint64_t set_bytes() const { return line_size() * m_cfg.lines; }

    std::mt19937_64 rng_for(unsigned agent) const {
        std::seed_seq s{m_cfg.seed, std::uint64_t(agent), std::uint64_t(0x6d74'7369'6d00)};
        return std::mt19937_64(s);
    }

    // Issues gp, then records and checks it. Returns false when the agent must stop.
    bool issue(unsigned agent, tlm_utils::simple_initiator_socket<tester>& sock,
               tlm_utils::tlm_quantumkeeper& qk, tlm::tlm_generic_payload& gp, op_record rec) {
        sc_core::sc_time delay = qk.get_local_time();
        const std::uint64_t line = rec.addr / line_size() * line_size();
        try {
            sock->b_transport(gp, delay);
        } catch (const std::exception& e) {
            m_check.fail("model-error", line, m_seq + 1,
                         fmt::format("{} {} raised: {}", rec.agent, to_string(rec.op), e.what()));
            return false;
        }
        if (!gp.is_response_ok()) {
            m_check.fail("model-error", line, m_seq + 1,
                         fmt::format("{} {} answered {}", rec.agent, to_string(rec.op),
                                     gp.get_response_string()));
            return false;
        }
        qk.set(delay);
        const sc_core::sc_time now = qk.get_current_time();
        rec.seq = ++m_seq;
        rec.cycle = m_clock.to_cycles(now).n;
        if (gp.is_read()) {
            const unsigned char* p = gp.get_data_ptr();
            rec.data.assign(p, p + gp.get_data_length());
        }
        try {
            m_check.after(rec); // reads every copy of the line; a DRAM error surfaces here too
        } catch (const std::exception& e) {
            m_check.fail(
                "model-error", line, rec.seq,
                fmt::format("checking {} {} raised: {}", rec.agent, to_string(rec.op), e.what()));
            return false;
        }
        if (now - m_progress[agent] > m_clock.to_time(m_cfg.liveness)) {
            m_check.fail("liveness", line, rec.seq,
                         fmt::format("{} made no progress for {} cycles (limit {})", rec.agent,
                                     m_clock.to_cycles(now - m_progress[agent]).n,
                                     m_cfg.liveness.n));
        }
        m_progress[agent] = now;
        return true;
    }

    void think(std::mt19937_64& rng, tlm_utils::tlm_quantumkeeper& qk) {
        qk.inc(m_clock.to_time(cycles{rng() % (m_cfg.max_think.n + 1)}));
        if (qk.need_sync()) qk.sync();
    }

    void cpu_agent(unsigned a, std::uint64_t quota) {
        auto rng = rng_for(a);
        std::uniform_real_distribution<double> u(0.0, 1.0);
        tlm_utils::tlm_quantumkeeper qk;
        qk.reset();
        tlm::tlm_generic_payload gp;
        access_ext ext;
        ext.type = memtype::wb;
        ext.source = type_source::fixed;
        ext.who = requester{requester_kind::tester, std::uint16_t(a), std::uint16_t(a), 0, 0};
        gp.set_extension(&ext);
        const extension_guard clear_ext{gp};
        std::array<unsigned char, 8> buf{};
        const unsigned slots = static_cast<unsigned>(line_size() / 8);

        for (std::uint64_t k = 0; k < quota; ++k) {
            const double r = u(rng);
            double edge = m_cfg.p_store;
            op_kind op = op_kind::load;
            if (r < edge)
                op = op_kind::store;
            else if (r < (edge += m_cfg.p_clflush))
                op = op_kind::clflush;
            else if (r < (edge += m_cfg.p_clflushopt))
                op = op_kind::clflushopt;
            else if (r < (edge += m_cfg.p_clwb))
                op = op_kind::clwb;
            else if (r < (edge += m_cfg.p_fence))
                op = rng() % 2 ? op_kind::sfence : op_kind::mfence;
            else if (r < (edge += m_cfg.p_wbinvd))
                op = rng() % 2 ? op_kind::wbinvd : op_kind::wbnoinvd;

            // Naturally aligned 1/2/4/8 bytes; stores favour this agent's 8-byte slot.
            const unsigned len = 1u << (rng() % 4);
            const std::uint64_t line = rng() % m_cfg.lines;
            const unsigned slot = op == op_kind::store && u(rng) < m_cfg.p_own_slot
                                      ? a % slots
                                      : static_cast<unsigned>(rng() % slots);
            const std::uint64_t addr =
                m_cfg.base + line * line_size() + slot * 8 + (rng() % (8 / len)) * len;

            op_record rec;
            rec.agent = fmt::format("cpu{}", a);
            rec.pcpu = static_cast<int>(a);
            rec.op = op;
            ext.op = op;
            gp.set_byte_enable_ptr(nullptr);
            gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
            gp.set_data_ptr(buf.data());
            if (op == op_kind::load || op == op_kind::store) {
                gp.set_command(op == op_kind::load ? tlm::TLM_READ_COMMAND
                                                   : tlm::TLM_WRITE_COMMAND);
                gp.set_address(addr);
                gp.set_data_length(len);
                gp.set_streaming_width(len);
                rec.addr = addr;
                rec.len = len;
                if (op == op_kind::store) {
                    for (unsigned i = 0; i < len; ++i) buf[i] = static_cast<unsigned char>(rng());
                    rec.data.assign(buf.begin(), buf.begin() + len);
                }
            } else {
                const bool line_op =
                    op == op_kind::clflush || op == op_kind::clflushopt || op == op_kind::clwb;
                gp.set_command(tlm::TLM_IGNORE_COMMAND);
                gp.set_address(line_op ? addr : 0);
                gp.set_data_length(0);
                gp.set_streaming_width(0);
                rec.addr = line_op ? addr : 0;
            }
            if (!issue(a, cpu_sock[a], qk, gp, std::move(rec))) break;
            think(rng, qk);
        }
        m_done[a] = true;
    }

    void dma_agent(unsigned i, std::uint64_t quota) {
        const unsigned d = i - m_cfg.agents;
        auto rng = rng_for(i);
        std::uniform_real_distribution<double> u(0.0, 1.0);
        tlm_utils::tlm_quantumkeeper qk;
        qk.reset();
        tlm::tlm_generic_payload gp;
        access_ext ext;
        ext.type = memtype::wb;
        ext.source = type_source::fixed;
        ext.no_snoop = false;
        ext.who = requester{requester_kind::device, std::uint16_t(d), 0, std::uint16_t(d), 0};
        gp.set_extension(&ext);
        const extension_guard clear_ext{gp};
        std::vector<unsigned char> buf(2 * line_size());

        for (std::uint64_t k = 0; k < quota; ++k) {
            const bool write = u(rng) < m_cfg.p_dma_write;
            const std::uint64_t off = rng() % set_bytes();
            const unsigned len = static_cast<unsigned>(
                std::min<std::uint64_t>(1 + rng() % buf.size(), set_bytes() - off));
            op_record rec;
            rec.agent = fmt::format("dma{}", d);
            rec.op = write ? op_kind::dma_write : op_kind::dma_read;
            rec.addr = m_cfg.base + off;
            rec.len = len;
            ext.op = rec.op;
            if (write) {
                for (unsigned b = 0; b < len; ++b) buf[b] = static_cast<unsigned char>(rng());
                rec.data.assign(buf.begin(), buf.begin() + len);
            }
            gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
            gp.set_address(rec.addr);
            gp.set_data_ptr(buf.data());
            gp.set_data_length(len);
            gp.set_streaming_width(len);
            gp.set_byte_enable_ptr(nullptr);
            gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
            if (!issue(i, dma_sock, qk, gp, std::move(rec))) break;
            think(rng, qk);
        }
        m_done[i] = true;
    }

    // Agents are LT initiators and cannot block in a correct model; the watchdog catches one
    // that stops advancing anyway (a target that waits forever, a lost wake-up) and ends the
    // run instead of hanging it.
    void watchdog() {
        const sc_core::sc_time period = m_clock.to_time(m_cfg.liveness);
        for (;;) {
            wait(period);
            bool all_done = true, any_stuck = false;
            for (std::size_t i = 0; i < m_done.size(); ++i) {
                if (m_done[i]) continue;
                all_done = false;
                const sc_core::sc_time now = sc_core::sc_time_stamp();
                if (now > m_progress[i] && now - m_progress[i] > period && !m_stuck[i]) {
                    m_stuck[i] = true;
                    any_stuck = true;
                    m_check.fail("liveness", 0, m_seq,
                                 fmt::format("agent {} made no progress since cycle {} (now {})", i,
                                             m_clock.to_cycles(m_progress[i]).n,
                                             m_clock.to_cycles(now).n));
                }
            }
            if (all_done) return;
            if (any_stuck) {
                sc_core::sc_stop();
                return;
            }
        }
    }

    stress_config m_cfg;
    dram m_dram;
    memory_system m_mem;
    checker m_check;
    mtsim::clock m_clock; // the memory system's clock: cycles in reports are its cycles
    std::uint64_t m_seq = 0;
    std::vector<sc_core::sc_time> m_progress; // each agent's last completion
    std::vector<bool> m_done, m_stuck;
};

} // namespace

stress_report run_stress(const stress_config& cfg, const table_patch& patch) {
    validate(cfg);
    tlm_utils::tlm_quantumkeeper::set_global_quantum(
        sc_core::sc_time(static_cast<double>(cfg.quantum_ns), sc_core::SC_NS));
    tester top("stress", cfg, patch);
    const auto t0 = std::chrono::steady_clock::now();
    sc_core::sc_start();
    const auto t1 = std::chrono::steady_clock::now();
    stress_report r;
    r.seed = cfg.seed;
    r.ops = top.ops();
    r.violations = top.check().violations();
    r.reported = top.check().reported();
    r.host_seconds = std::chrono::duration<double>(t1 - t0).count();
    r.simulated_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
    r.counters = dump_stats();
    const protocol_table& table = top.table();
    for (unsigned st = 0; st < mesi_count; ++st) {
        for (unsigned ev = 0; ev < proto_event_count; ++ev) {
            if (!table.cells[st][ev].defined) continue;
            ++r.cells_defined;
            if (top.memory().protocol_counts()[st][ev] > 0)
                ++r.cells_taken;
            else
                r.cells_never_taken.push_back(
                    fmt::format("{} x {}", to_string(mesi(st)), to_string(proto_event(ev))));
        }
    }
    return r;
}

nlohmann::json to_json(const stress_report& r) {
    nlohmann::json rep = nlohmann::json::array();
    for (const auto& v : r.reported)
        rep.push_back({{"kind", v.kind},
                       {"line", v.line},
                       {"seq", v.seq},
                       {"message", v.message},
                       {"history", v.history},
                       {"copies", v.copies}});
    return {{"violations", r.violations},
            {"ops", r.ops},
            {"ops_per_s", r.ops_per_s()},
            {"seed", r.seed},
            {"simulated_ns", r.simulated_ns},
            {"counters", r.counters},
            {"coverage",
             {{"cells_defined", r.cells_defined},
              {"cells_taken", r.cells_taken},
              {"never_taken", r.cells_never_taken}}},
            {"reported", rep}};
}

std::string to_text(const stress_report& r) {
    std::string s = fmt::format("seed {}: {} ops checked, {} violation(s), {:.0f} ops/s\n", r.seed,
                                r.ops, r.violations, r.ops_per_s());
    s += fmt::format("protocol cells taken: {} of {} defined", r.cells_taken, r.cells_defined);
    if (!r.cells_never_taken.empty()) {
        s += "; never taken:";
        for (const auto& c : r.cells_never_taken) s += " [" + c + "]";
    }
    s += "\n";
    for (std::size_t i = 0; i < r.reported.size(); ++i) {
        const auto& v = r.reported[i];
        s +=
            fmt::format("\nviolation {}: {} after op #{}\n  {}\n", i + 1, v.kind, v.seq, v.message);
        if (!v.history.empty()) {
            s += fmt::format("  last operations on line {:#x} (oldest first):\n", v.line);
            for (const auto& h : v.history) s += "    " + h + "\n";
        }
        if (!v.copies.empty()) {
            s += "  copies at detection:\n";
            for (const auto& c : v.copies) s += "    " + c + "\n";
        }
    }
    if (r.violations > r.reported.size())
        s += fmt::format("\n({} more not shown)\n", r.violations - r.reported.size());
    return s;
}

} // namespace mtsim::stress
