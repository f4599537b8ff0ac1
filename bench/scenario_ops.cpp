// The scenario-ops workloads: a vCPU program through the whole stack a scenario run uses
// (loader, platform builder, vCPU with its MMU and TLB, caches, DRAM, KVM's EPT, and the
// happens-before oracle fed by the platform's observer), timed over sc_start only.
//
// The program: blocks of 64 8-byte WB stores one per line over a 4 KiB buffer, then 64 loads
// of the same bytes; every store is an oracle write, every load an oracle read that is
// checked. `scenario-ops` runs `accesses / 2` guest ops (1 M by default) and
// `scenario-ops-quarter` a quarter of that: time(4N) / time(N) is the cost's growth with the
// program's length (the runner prints it), 4.0 when the cost per op is constant.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include <systemc>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "bench/workload_list.h"
#include "model/oracle.h"
#include "scenarios/builder.h"
#include "scenarios/scenario.h"

namespace mtsim::bench {

namespace {

constexpr unsigned block = 64; // stores (then loads) per block: one per line of the buffer

constexpr const char* base_scenario = R"(description: scenario-ops benchmark
guest:
  buffers:
    - {name: buf, gpa: 0x100000, size: 4KiB, pat: WB}
programs:
  vcpu0:
    - store: {buffer: buf, len: 8, repeat: 64, stride: 64}
    - load: {buffer: buf, len: 8, repeat: 64, stride: 64}
)";

// The base scenario through the real loader (defaults, host linux-6.16), from a temporary file.
scenarios::scenario load_base() {
    char path[] = "/tmp/mtsim-scenario-ops-XXXXXX.yaml";
    const int fd = mkstemps(path, 5);
    if (fd < 0) throw std::runtime_error("scenario-ops: cannot create a temporary file");
    const std::string text = base_scenario;
    const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    close(fd);
    if (!ok) {
        unlink(path);
        throw std::runtime_error("scenario-ops: cannot write the temporary scenario");
    }
    try {
        scenarios::scenario s = scenarios::load_scenario(path, "", {});
        unlink(path);
        return s;
    } catch (...) {
        unlink(path);
        throw;
    }
}

result run_ops(const bench_config& cfg, std::uint64_t ops, const char* name) {
    scenarios::scenario s = load_base();
    auto& prog = s.programs.at(0).ops;
    const scenarios::scenario_op store = prog.at(0), load = prog.at(1);
    prog.clear();
    const std::uint64_t blocks = std::max<std::uint64_t>(1, ops / (2 * block));
    prog.reserve(2 * blocks);
    for (std::uint64_t b = 0; b < blocks; ++b) {
        prog.push_back(store);
        prog.push_back(load);
    }
    tlm_utils::tlm_quantumkeeper::set_global_quantum(
        sc_core::sc_time(double(cfg.quantum_ns), sc_core::SC_NS));
    oracle o;
    scenarios::platform p("platform", s, o);
    const auto t0 = std::chrono::steady_clock::now();
    sc_core::sc_start();
    const auto t1 = std::chrono::steady_clock::now();
    if (!p.all_finished()) throw std::runtime_error("scenario-ops: the vCPU did not finish");
    const auto& sum = o.summary();
    if (sum.overall != verdict::clean)
        throw std::runtime_error("scenario-ops: the oracle found " +
                                 std::string(to_string(sum.overall)));
    result r;
    r.workload = name;
    r.accesses = sum.reads + sum.writes;
    r.host_seconds = std::chrono::duration<double>(t1 - t0).count();
    r.simulated_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
    r.counters = p.stats_json();
    r.counters["oracle"] = o.summary_json();
    r.counters["oracle"]["writes_held"] = o.writes_held();
    r.counters["oracle"]["reads_held"] = o.reads_held();
    return r;
}

} // namespace

result run_scenario_ops(const bench_config& cfg) {
    return run_ops(cfg, cfg.accesses / 2, "scenario-ops");
}

result run_scenario_ops_quarter(const bench_config& cfg) {
    return run_ops(cfg, cfg.accesses / 8, "scenario-ops-quarter");
}

} // namespace mtsim::bench
