// Agents in the scenario language: vCPUs ordered by number, many vCPUs, loading time linear in
// the number of agents.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "scenarios/scenario.h"

using namespace mtsim;
using namespace mtsim::scenarios;

namespace {
// A scenario with n vCPUs, each storing 8 bytes to its own line of one buffer, written in the
// order given by `order` (indices into 0..n-1).
std::string many_vcpus(unsigned n, const std::vector<unsigned>& order, const std::string& tag) {
    const auto path =
        std::filesystem::temp_directory_path() / fmt::format("mtsim-agents-{}-{}.yaml", tag, n);
    std::ofstream f(path);
    f << "platform: {cache: {pcpus: 2}}\nguest:\n  ram: 4MiB\n  buffers:\n"
      << fmt::format("    - {{name: b, kind: ram, gpa: 0x100000, size: {}}}\n",
                     4096 * ((n * 64 + 4095) / 4096))
      << "programs:\n";
    for (unsigned i : order)
        f << fmt::format("  vcpu{}:\n    - store: {{buffer: b, offset: {}, len: 8}}\n", i, i * 64);
    return path.string();
}
std::vector<unsigned> iota(unsigned n) {
    std::vector<unsigned> v(n);
    for (unsigned i = 0; i < n; ++i) v[i] = i;
    return v;
}
} // namespace

TEST_CASE("vCPUs are ordered by number: vcpu2 before vcpu10") {
    const std::vector<unsigned> order{10, 2, 0, 11, 1, 3, 4, 5, 6, 7, 8, 9};
    const scenario s = load_scenario(many_vcpus(12, order, "order"), "", {});
    REQUIRE(s.programs.size() == 12);
    for (unsigned i = 0; i < 12; ++i) CHECK(s.programs[i].agent == fmt::format("vcpu{}", i));
    CHECK(s.programs[10].ops.front().offset == 640);
    CHECK(s.programs[5].pcpu == 1); // vCPU N starts on pCPU N mod pcpus
}

TEST_CASE("a gap in the vCPU numbers names the missing vCPU") {
    try {
        load_scenario(many_vcpus(12, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11}, "gap"), "", {});
        FAIL("a gap was accepted");
    } catch (const config_error& e) {
        CHECK(e.key() == "programs");
        CHECK(std::string(e.what()).find("no vcpu10") != std::string::npos);
    }
}

TEST_CASE("64 vCPUs load") {
    const scenario s = load_scenario(many_vcpus(64, iota(64), "64"), "", {});
    REQUIRE(s.programs.size() == 64);
    CHECK(s.programs[63].agent == "vcpu63");
}

TEST_CASE("loading time grows linearly with the number of vCPUs") {
    auto seconds = [](unsigned n) {
        const std::string f = many_vcpus(n, iota(n), "time");
        const auto t0 = std::chrono::steady_clock::now();
        const scenario s = load_scenario(f, "", {});
        CHECK(s.programs.size() == n);
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    seconds(256); // warm the file system and the allocator
    const double small = seconds(256), large = seconds(2048);
    // 8x the agents: linear is ~8x; the quadratic loader this guards against took ~50x.
    CHECK(large < 20 * small + 0.05);
}
