// The program builder and the store buffer as plain data structures (no SystemC kernel).
#include <doctest/doctest.h>

#include "cpu/program.h"
#include "cpu/store_buffer.h"
#include "cpu/vcpu.h"
#include "model/config.h"

using namespace mtsim;
using namespace mtsim::cpu;

namespace {

buffered_store st(std::uint64_t hpa, std::vector<std::uint8_t> data) {
    buffered_store s;
    s.hpa = hpa;
    s.data = std::move(data);
    return s;
}

} // namespace

TEST_CASE("Store buffer forwards the youngest buffered byte of each address") {
    store_buffer sb(4);
    sb.push(st(0x1000, {1, 1, 1, 1, 1, 1, 1, 1}));
    sb.push(st(0x1002, {2, 2}));
    sb.push(st(0x1003, {3}));
    std::uint8_t got[8] = {};
    CHECK(sb.forward(0x1000, 8, got) == forward_result::full);
    const std::uint8_t want[8] = {1, 1, 2, 3, 1, 1, 1, 1};
    for (int i = 0; i < 8; ++i) CHECK(got[i] == want[i]);
}

TEST_CASE("Store buffer reports partial and absent coverage") {
    store_buffer sb(4);
    sb.push(st(0x1000, {9, 9, 9, 9}));
    sb.push(st(0x2000, {7}));
    std::uint8_t got[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(sb.forward(0x1002, 4, got) == forward_result::partial);
    CHECK(got[0] == 9);
    CHECK(got[1] == 9);
    CHECK(sb.forward(0x3000, 8, got) == forward_result::none);
    // Retiring for [0x1002, 0x1006) needs only the first entry; for 0x2000 both.
    CHECK(sb.retire_count_for(0x1002, 0x1006) == 1);
    CHECK(sb.retire_count_for(0x2000, 0x2001) == 2);
    CHECK(sb.retire_count_for(0x5000, 0x5008) == 0);
}

TEST_CASE("Store buffer is a FIFO with a capacity") {
    store_buffer sb(2);
    sb.push(st(0x10, {1}));
    sb.push(st(0x20, {2}));
    CHECK(sb.full());
    CHECK_THROWS_AS(sb.push(st(0x30, {3})), std::logic_error);
    CHECK(sb.pop_oldest().hpa == 0x10);
    CHECK(sb.pop_oldest().hpa == 0x20);
    CHECK(sb.empty());
    CHECK_THROWS_AS(sb.pop_oldest(), std::logic_error);
    CHECK_THROWS_AS(store_buffer(0), std::invalid_argument);
}

TEST_CASE("Program builder encodes values little-endian and validates operands") {
    program p;
    p.store_value(0x100, 0x1122334455667788ULL, 8).xchg(0x200, 0xabcd, 2).locked_add(0x300, 5, 4);
    REQUIRE(p.size() == 3);
    CHECK(p.ops()[0].data ==
          std::vector<std::uint8_t>{0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11});
    CHECK(p.ops()[0].len == 8);
    CHECK(p.ops()[1].code == op_code::xchg);
    CHECK(le_value(p.ops()[1].data.data(), 2) == 0xabcd);
    CHECK(p.ops()[2].len == 4);
    CHECK_THROWS_AS(p.store_value(0, 1, 3), std::invalid_argument);
    CHECK_THROWS_AS(p.xchg(0, 1, 16), std::invalid_argument);
    CHECK_THROWS_AS(p.store(0, {}), std::invalid_argument);
    CHECK_THROWS_AS(p.load(0, 0), std::invalid_argument);
    CHECK_THROWS_AS(p.fill(0, 64, {}), std::invalid_argument);
    CHECK_THROWS_AS(p.callback("x", nullptr), std::invalid_argument);
    for (unsigned c = 0; c < op_code_count; ++c) CHECK(to_string(static_cast<op_code>(c)) != "?");
}

TEST_CASE("vCPU parameters are declared with defaults in range and load from YAML") {
    const auto params = list_params<vcpu_config>();
    bool policy = false, retire = false;
    for (const param_info& p : params) {
        policy |= p.path == "core.store_buffer.policy";
        retire |= p.path == "core.store_buffer.retire_delay";
    }
    CHECK(policy);
    CHECK(retire);
    vcpu_config c;
    load_yaml_string("core: {store_buffer: {policy: lazy, entries: 8}}\nuser_mode: true", "t", c);
    CHECK(c.core.store_buffer.policy == retire_policy::lazy);
    CHECK(c.core.store_buffer.entries == 8);
    CHECK(c.user_mode);
    CHECK_THROWS_AS(load_yaml_string("core: {store_buffer: {policy: eager}}", "t", c),
                    config_error);
}
