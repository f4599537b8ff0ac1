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
