// 64-byte line reads straight into the DRAM controller, sequential over 1 GiB: the cost of the
// controller (calendar, sparse store lookup) without any cache in front.
#include "bench/stream_initiator.h"
#include "bench/workload_list.h"
#include "model/dram.h"
#include "model/stats.h"

namespace mtsim::bench {

result run_dram_stream(const bench_config& cfg) {
    set_quantum(cfg);
    auto gen = [](std::uint64_t i, tlm::tlm_generic_payload& gp, access_ext& ext) {
        gp.set_command(tlm::TLM_READ_COMMAND);
        gp.set_address((i * 64) % GiB);
        gp.set_data_length(64);
        ext.op = op_kind::load;
    };
    stream_initiator<decltype(gen)> init("init", cfg.accesses, gen);
    dram mem("dram", cfg.dram);
    init.isock.bind(mem.tsock);
    result r = timed_run("dram", cfg.accesses, init);
    r.counters = dump_stats();
    return r;
}

} // namespace mtsim::bench
