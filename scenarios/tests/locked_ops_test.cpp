// Locked operations in the scenario language (xchg, lock_add): what the loader accepts and
// refuses, and what they compile to.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "scenarios/scenario.h"
#include "scenarios/tests/load_error.h"

using namespace mtsim;
using namespace mtsim::scenarios;
using mtsim::scenarios::testing::load_error;

namespace {
std::string write(const std::string& tag, const std::string& ops) {
    const auto path = std::filesystem::temp_directory_path() / ("mtsim-locked-" + tag + ".yaml");
    std::ofstream f(path);
    f << "platform: {cache: {pcpus: 2}}\nguest:\n  ram: 4MiB\n  buffers:\n"
      << "    - {name: x, gpa: 0x100000, size: 4KiB}\n"
      << "programs:\n  vcpu0:\n"
      << ops;
    return path.string();
}
} // namespace

TEST_CASE("xchg and lock_add load with their operand and register") {
    const scenario s = load_scenario(write("ok", "    - xchg: {buffer: x, offset: 8, len: 4, "
                                                 "value: 7, reg: r0}\n"
                                                 "    - lock_add: {buffer: x, len: 8, value: 1}\n"),
                                     "", {});
    REQUIRE(s.programs.at(0).ops.size() == 2);
    const scenario_op& a = s.programs[0].ops[0];
    CHECK(a.type == op_type::xchg);
    CHECK(a.offset == 8);
    CHECK(a.len == 4);
    CHECK(a.store_value == 7);
    CHECK(a.reg == "r0");
    const scenario_op& b = s.programs[0].ops[1];
    CHECK(b.type == op_type::lock_add);
    CHECK(b.store_value == 1);
    CHECK(b.reg.empty());
    CHECK(std::string(op_name_of(op_type::lock_add)) == "lock_add");
}

TEST_CASE("a locked op without its value or with a wide len is refused naming the key") {
    struct row {
        const char* op;
        const char* key;
    };
    const row rows[] = {
        {"    - xchg: {buffer: x, len: 4}\n", "programs.vcpu0[0].xchg.value"},
        {"    - lock_add: {buffer: x, len: 16, value: 1}\n", "programs.vcpu0[0].lock_add.len"},
        {"    - lock_add: {buffer: x, len: 4, value: 1, repeat: 2}\n",
         "programs.vcpu0[0].lock_add.repeat"},
        {"    - xchg: {buffer: x, len: 1, value: 256}\n", "programs.vcpu0[0].xchg.value"},
        {"    - xchg: {buffer: x, len: 4, value: 1, no_snoop: true}\n",
         "programs.vcpu0[0].xchg.no_snoop"},
    };
    unsigned i = 0;
    for (const auto& r : rows) {
        CAPTURE(r.op);
        const config_error e = load_error(write(fmt::format("bad{}", i++), r.op));
        CHECK(e.key() == r.key);
        CHECK(e.line() == 8);
    }
}
