// The memory system in front of the real DRAM controller (model/dram.h): masked WC drains,
// write-backs and non-snooped DMA land in DRAM's backing store byte for byte.
#include <doctest/doctest.h>

#include "cache/tests/rig.h"
#include "model/dram.h"

using namespace mtsim;
using namespace mtsim::test;

namespace {

struct dram_rig : sc_core::sc_module {
    memory_system ms;
    dram mem;
    sc_core::sc_vector<rig::init_socket> cpu;
    rig::init_socket dev;

    explicit dram_rig(const sc_core::sc_module_name& n = "dram_rig")
        : sc_module(n), ms("ms", rig::small_config()), mem("dram"), cpu("cpu", 2), dev("dev") {
        for (unsigned p = 0; p < 2; ++p) cpu[p].bind(ms.cpu[p]);
        dev.bind(ms.dma);
        ms.to_dram.bind(mem.tsock);
    }

    void send(unsigned p, tlm::tlm_command cmd, op_kind op, memtype t, std::uint64_t a, bytes& b,
              bool device = false, bool no_snoop = false) {
        access_ext ext;
        ext.type = t;
        ext.op = op;
        ext.who.pcpu = static_cast<std::uint16_t>(p);
        ext.no_snoop = no_snoop;
        tlm::tlm_generic_payload gp;
        gp.set_command(cmd);
        gp.set_address(a);
        gp.set_data_ptr(b.data());
        gp.set_data_length(static_cast<unsigned>(b.size()));
        gp.set_streaming_width(static_cast<unsigned>(b.size()));
        ext_guard g(gp, ext);
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        if (device)
            dev->b_transport(gp, d);
        else
            cpu[p]->b_transport(gp, d);
    }
};

bytes peek(const dram& m, std::uint64_t a, std::size_t n) {
    bytes b(n);
    m.peek(a, b.data(), n);
    return b;
}

} // namespace

TEST_CASE("with the DRAM controller: masked WC drain, write-back and non-snooped DMA") {
    dram_rig r;
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    bytes seed(64, 0xee);
    r.mem.poke(0x10000, seed.data(), 64);
    bytes two{1, 2};
    r.send(0, tlm::TLM_WRITE_COMMAND, op_kind::store, memtype::wc, 0x10004, two);
    bytes none;
    r.send(0, tlm::TLM_IGNORE_COMMAND, op_kind::sfence, memtype::wb, 0, none);
    CHECK(peek(r.mem, 0x10002, 6) == bytes{0xee, 0xee, 1, 2, 0xee, 0xee});

    bytes v(8, 0x77);
    r.send(1, tlm::TLM_WRITE_COMMAND, op_kind::store, memtype::wb, 0x20000, v);
    CHECK(peek(r.mem, 0x20000, 8) == bytes(8, 0));
    r.send(1, tlm::TLM_IGNORE_COMMAND, op_kind::clflush, memtype::wb, 0x20000, none);
    CHECK(peek(r.mem, 0x20000, 8) == bytes(8, 0x77));

    bytes dev(128, 0x3c);
    r.send(0, tlm::TLM_WRITE_COMMAND, op_kind::dma_write, memtype::wb, 0x30000, dev, true, true);
    CHECK(peek(r.mem, 0x30000, 128) == bytes(128, 0x3c));
    CHECK(r.ms.read_dram(0x30040, 4) == bytes(4, 0x3c));
}
