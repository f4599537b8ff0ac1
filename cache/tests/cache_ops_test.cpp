// Cache-control operations and the LLC's inclusiveness.
#include <doctest/doctest.h>

#include "cache/tests/rig.h"
#include "model/not_modelled.h"

using namespace mtsim;
using namespace mtsim::test;

namespace {

memory_system_config inclusive(bool yes) {
    auto c = rig::small_config();
    c.llc_inclusive = yes;
    c.llc.wbinvd_sharers = yes; // non-inclusive: CPUID.4:EDX[0]=1, WBINVD stays on its pCPU
    return c;
}

} // namespace

TEST_CASE("CLWB writes a dirty line back and keeps it valid and clean") {
    rig r;
    r.start();
    r.store(0, 0x1000, fill(4, 0x12));
    r.op(0, op_kind::clwb, 0x1000);
    CHECK(r.ms.read_dram(0x1000, 4) == fill(4, 0x12));
    CHECK(r.state(0, 0x1000) == mesi::e);
    for (const line_view& v : r.ms.copies(0x1000)) {
        CAPTURE(to_string(v.level));
        CHECK_FALSE(v.dirty);
        CHECK(std::vector<std::uint8_t>(v.data.begin(), v.data.begin() + 4) == fill(4, 0x12));
    }
    CHECK(r.load(0, 0x1000, 4) == fill(4, 0x12));
}

TEST_CASE("INVD loses dirty data") {
    rig r;
    r.start();
    r.mem.byte(0x1000) = 0x01;
    r.store(0, 0x1000, fill(1, 0x02));
    r.op(0, op_kind::invd);
    CHECK(r.ms.copies(0x1000).empty());
    CHECK(r.ms.stats().invd_dirty_lost.value() >= 1);
    CHECK(r.load(0, 0x1000, 1) == fill(1, 0x01));
}

TEST_CASE("WBINVD with an inclusive LLC also flushes other pCPUs' private copies") {
    rig r(inclusive(true));
    r.start();
    r.store(0, 0x1000, fill(1, 0xa0));
    r.store(1, 0x2000, fill(1, 0xb0));
    r.op(0, op_kind::wbinvd);
    CHECK(r.ms.copies(0x1000).empty());
    CHECK(r.ms.copies(0x2000).empty());
    CHECK(r.ms.read_dram(0x1000, 1) == fill(1, 0xa0));
    CHECK(r.ms.read_dram(0x2000, 1) == fill(1, 0xb0));
}

TEST_CASE("WBINVD with a non-inclusive LLC leaves other pCPUs' private copies dirty") {
    rig r(inclusive(false));
    r.start();
    r.store(0, 0x1000, fill(1, 0xa0));
    r.store(1, 0x2000, fill(1, 0xb0));
    r.op(0, op_kind::wbinvd);
    CHECK(r.ms.read_dram(0x1000, 1) == fill(1, 0xa0));
    CHECK(r.state(1, 0x2000) == mesi::m);
    CHECK(r.ms.read_dram(0x2000, 1) == fill(1, 0x00)); // the migrated-vCPU hazard
    CHECK(r.dma_read(0x2000, 1, true) == fill(1, 0x00));
    CHECK(r.dma_read(0x2000, 1, false) == fill(1, 0xb0));
}

TEST_CASE("WBNOINVD writes back and keeps lines valid") {
    rig r;
    r.start();
    r.store(0, 0x1000, fill(1, 0xa0));
    r.store(1, 0x2000, fill(1, 0xb0));
    r.op(0, op_kind::wbnoinvd);
    CHECK(r.state(0, 0x1000) == mesi::e);
    CHECK(r.state(1, 0x2000) == mesi::e); // inclusive: the LLC walk reaches p1's copy
    CHECK(r.ms.read_dram(0x1000, 1) == fill(1, 0xa0));
    CHECK(r.ms.read_dram(0x2000, 1) == fill(1, 0xb0));
}

TEST_CASE("INVD with an inclusive LLC drops other pCPUs' dirty lines too") {
    rig r(inclusive(true));
    r.start();
    r.store(1, 0x2000, fill(1, 0xb0));
    r.op(0, op_kind::invd);
    CHECK(r.ms.copies(0x2000).empty());
    CHECK(r.load(1, 0x2000, 1) == fill(1, 0x00));
}

TEST_CASE("an inclusive LLC back-invalidates the private copy when it evicts the line") {
    rig r(inclusive(true));
    r.start();
    r.load(0, 0x000, 1);   // line 0, LLC set 0
    r.load(1, 8 * 64, 1);  // line 8, LLC set 0
    r.load(1, 16 * 64, 1); // line 16 evicts line 0 from the LLC
    CHECK(r.state(0, 0x000) == mesi::i);
    CHECK(r.ms.stats().back_invalidations.value() == 1);
}

TEST_CASE("a non-inclusive LLC keeps the private copy when it evicts the line") {
    rig r(inclusive(false));
    r.start();
    r.load(0, 0x000, 1);
    r.load(1, 8 * 64, 1);
    r.load(1, 16 * 64, 1);
    CHECK(r.state(0, 0x000) == mesi::e);
    CHECK(r.ms.stats().back_invalidations.value() == 0);
    bool in_llc = false;
    for (const line_view& v : r.ms.copies(0x000)) in_llc = in_llc || v.level == cache_level::llc;
    CHECK_FALSE(in_llc);
    CHECK(r.ms.directory(0x000).owner == 0);
}

TEST_CASE("requests without access_ext, on the wrong socket or with bad ops are refused") {
    rig r;
    r.start();
    std::uint8_t b[4] = {};
    tlm::tlm_generic_payload gp;
    prepare(gp, tlm::TLM_READ_COMMAND, 0, b, 4);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    CHECK_THROWS_AS(r.cpu[0]->b_transport(gp, d), std::invalid_argument);
    CHECK_THROWS_AS(r.dev->b_transport(gp, d), std::invalid_argument);
    access_ext ext;
    ext.who.pcpu = 1;
    {
        ext_guard guard(gp, ext);
        CHECK_THROWS_AS(r.cpu[0]->b_transport(gp, d), std::invalid_argument);
    }
    CHECK_THROWS_AS(r.access(0, tlm::TLM_WRITE_COMMAND, op_kind::load, memtype::wb, 0, b, 4),
                    std::invalid_argument);
    CHECK_THROWS_AS(r.access(0, tlm::TLM_IGNORE_COMMAND, op_kind::load, memtype::wb, 0, b, 0),
                    std::invalid_argument);
}

TEST_CASE("cpu ports are LT only: nb_transport_fw is refused and no DMI is granted") {
    rig r;
    r.start();
    std::uint8_t b[8] = {};
    tlm::tlm_generic_payload gp;
    prepare(gp, tlm::TLM_READ_COMMAND, 0x40, b, 8);
    tlm::tlm_phase phase = tlm::BEGIN_REQ;
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    CHECK_THROWS_WITH_AS(r.cpu[1]->nb_transport_fw(gp, phase, d),
                         doctest::Contains("not modelled: nb_transport_fw"), not_modelled);
    tlm::tlm_dmi dmi;
    CHECK_FALSE(r.cpu[0]->get_direct_mem_ptr(gp, dmi));
}

TEST_CASE("the device port is LT only too: nb_transport_fw is refused and no DMI is granted") {
    rig r;
    r.start();
    std::uint8_t b[8] = {};
    tlm::tlm_generic_payload gp;
    prepare(gp, tlm::TLM_READ_COMMAND, 0x40, b, 8);
    tlm::tlm_phase phase = tlm::BEGIN_REQ;
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    CHECK_THROWS_WITH_AS(r.dev->nb_transport_fw(gp, phase, d),
                         doctest::Contains("not modelled: nb_transport_fw"), not_modelled);
    CHECK_THROWS_WITH_AS(r.dev->nb_transport_fw(gp, phase, d), doctest::Contains("ms.dma"),
                         not_modelled);
    tlm::tlm_dmi dmi;
    CHECK_FALSE(r.dev->get_direct_mem_ptr(gp, dmi));
}

TEST_CASE("accesses spanning two lines are split and both lines are served") {
    rig r;
    r.start();
    r.store(0, 0x103c, fill(8, 0x44));
    CHECK(r.load(1, 0x103c, 8) == fill(8, 0x44));
    CHECK(r.state(0, 0x1000) == mesi::s);
    CHECK(r.state(0, 0x1040) == mesi::s);
}

TEST_CASE("invalid configurations are refused naming the parameter") {
    auto c = rig::small_config();
    c.l1d.size_bytes = 3 * 64;
    CHECK_THROWS_WITH_AS(validate(c), doctest::Contains("l1d.size"), std::invalid_argument);
    c = rig::small_config();
    c.line_size = 48;
    CHECK_THROWS_WITH_AS(validate(c), doctest::Contains("line_size"), std::invalid_argument);
    c = rig::small_config();
    c.l2.ways = 3;
    c.l2.size_bytes = 3 * 4 * 64;
    c.l2.replacement = replacement_kind::tree_plru;
    CHECK_THROWS_WITH_AS(validate(c), doctest::Contains("l2.ways"), std::invalid_argument);
    c = rig::small_config();
    c.wc_buffer_size = 128;
    CHECK_THROWS_WITH_AS(validate(c), doctest::Contains("wc_buffer_size"), std::invalid_argument);
}
