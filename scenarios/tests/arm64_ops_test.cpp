// arm64 ops in the scenario language (dc, dsb, dmb, ldxr, stxr, ldadd, cas): what the loader
// accepts on an arm64 platform, what it compiles to, and the refusal of each architecture's
// ops on the other with FILE:LINE and key.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "scenarios/program_compiler.h"
#include "scenarios/scenario.h"
#include "scenarios/tests/load_error.h"

using namespace mtsim;
using namespace mtsim::scenarios;
using mtsim::scenarios::testing::load_error;

namespace {
std::string write(const std::string& tag, const std::string& arch, const std::string& ops) {
    const auto path = std::filesystem::temp_directory_path() / ("mtsim-arm64-" + tag + ".yaml");
    std::ofstream f(path);
    f << "platform: {arch: " << arch << ", cache: {pcpus: 2}}\nguest:\n  ram: 4MiB\n  buffers:\n"
      << "    - {name: x, gpa: 0x100000, size: 4KiB}\n"
      << "programs:\n  vcpu0:\n"
      << ops;
    return path.string();
}
const char* arm_host = "linux-arm64-6.9";
} // namespace

TEST_CASE("arm64 ops load on an arm64 platform with their operands and registers") {
    const scenario s =
        load_scenario(write("ok", "arm64",
                            "    - dc: {op: ivac, buffer: x, offset: 64, len: 128}\n"
                            "    - dsb\n"
                            "    - dmb\n"
                            "    - ldxr: {buffer: x, len: 8, reg: r0}\n"
                            "    - stxr: {buffer: x, len: 8, value: 5, reg: s0}\n"
                            "    - ldadd: {buffer: x, offset: 8, len: 4, value: 1}\n"
                            "    - cas: {buffer: x, offset: 16, len: 8, expect: 3, value: 4}\n"),
                      arm_host, {});
    const auto& ops = s.programs.at(0).ops;
    REQUIRE(ops.size() == 7);
    CHECK(ops[0].type == op_type::dc);
    CHECK(ops[0].name == "ivac");
    CHECK(ops[0].len == 128);
    CHECK(ops[1].type == op_type::dsb);
    CHECK(ops[2].type == op_type::dmb);
    CHECK(ops[3].reg == "r0");
    CHECK(ops[4].store_value == 5);
    CHECK(ops[4].reg == "s0");
    CHECK(ops[5].type == op_type::ldadd);
    CHECK(ops[6].compare == 3);
    CHECK(ops[6].store_value == 4);
}

TEST_CASE("an x86 op on an arm64 platform is refused naming its line and key") {
    const char* ops[] = {"clflush: {buffer: x, len: 64}",
                         "wbinvd",
                         "sfence",
                         "mfence",
                         "nt_fill: {buffer: x, len: 64}",
                         "xchg: {buffer: x, len: 4, value: 1}"};
    unsigned i = 0;
    for (const char* op : ops) {
        CAPTURE(op);
        const config_error e = load_error(
            write(fmt::format("x86-{}", i++), "arm64", fmt::format("    - {}\n", op)), arm_host);
        CHECK(e.line() == 8);
        CHECK(std::string(e.what()).find("is an x86 op") != std::string::npos);
    }
}

TEST_CASE("an arm64 op on an x86 platform is refused naming its line and key") {
    const char* ops[] = {"dsb", "dmb", "dc: {op: civac, buffer: x, len: 64}",
                         "ldxr: {buffer: x, len: 8}", "ldadd: {buffer: x, len: 8, value: 1}"};
    unsigned i = 0;
    for (const char* op : ops) {
        CAPTURE(op);
        const config_error e =
            load_error(write(fmt::format("arm-{}", i++), "x86", fmt::format("    - {}\n", op)));
        CHECK(e.line() == 8);
        CHECK(std::string(e.what()).find("is an arm64 op") != std::string::npos);
    }
}

TEST_CASE("arm64 ops missing an operand or with a bad size are refused naming the key") {
    struct row {
        const char* op;
        const char* key;
    };
    const row rows[] = {
        {"    - dc: {buffer: x, len: 64}\n", "programs.vcpu0[0].dc.op"},
        {"    - dc: {op: zva, buffer: x, len: 64}\n", "programs.vcpu0[0].dc.op"},
        {"    - stxr: {buffer: x, len: 8}\n", "programs.vcpu0[0].stxr.value"},
        {"    - cas: {buffer: x, len: 8, value: 1}\n", "programs.vcpu0[0].cas.expect"},
        {"    - ldxr: {buffer: x, len: 16}\n", "programs.vcpu0[0].ldxr.len"},
        {"    - ldadd: {buffer: x, len: 4, value: 1, expect: 2}\n",
         "programs.vcpu0[0].ldadd.expect"},
    };
    unsigned i = 0;
    for (const auto& r : rows) {
        CAPTURE(r.op);
        const config_error e =
            load_error(write(fmt::format("bad{}", i++), "arm64", r.op), arm_host);
        CHECK(e.key() == r.key);
        CHECK(e.line() == 8);
    }
}
