#include <doctest/doctest.h>

#include "cache/tests/rig.h"

using namespace mtsim;
using namespace mtsim::test;

TEST_CASE("smoke: a WB store is read back by the same and by another pCPU") {
    rig r;
    r.start();
    r.store(0, 0x1000, fill(8, 0xab));
    CHECK(r.load(0, 0x1000, 8) == fill(8, 0xab));
    CHECK(r.load(1, 0x1000, 8) == fill(8, 0xab));
    CHECK(r.state(0, 0x1000) == mesi::s);
    CHECK(r.state(1, 0x1000) == mesi::s);
}

TEST_CASE("requests the general path refuses are refused on an L1D hit too") {
    rig r;
    r.start();
    r.store(0, 0x1000, fill(8, 0xab)); // the line is now in pCPU 0's L1D, state M
    std::uint8_t b[8] = {};
    // A load op carried by a cache-control command: a cache op it is not (it was once served
    // as an L1D hit by the fast path, which restated the general path's checks).
    CHECK_THROWS_AS(r.access(0, tlm::TLM_IGNORE_COMMAND, op_kind::load, memtype::wb, 0x1000, b, 8),
                    std::invalid_argument);
    CHECK_THROWS_AS(r.access(0, tlm::TLM_WRITE_COMMAND, op_kind::load, memtype::wb, 0x1000, b, 8),
                    std::invalid_argument);
    CHECK_THROWS_AS(r.access(0, tlm::TLM_READ_COMMAND, op_kind::store, memtype::wb, 0x1000, b, 8),
                    std::invalid_argument);
    CHECK_THROWS_AS(r.access(0, tlm::TLM_READ_COMMAND, op_kind::load, memtype::wb, 0x1000, b, 8,
                             type_source::cd),
                    std::invalid_argument);
    // The line is unchanged by the refused requests.
    CHECK(r.load(0, 0x1000, 8) == fill(8, 0xab));
}
