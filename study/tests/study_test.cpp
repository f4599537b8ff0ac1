// The study file: values (lists, ranges, zipped groups), the order of the points, and errors
// that name FILE:LINE and the key.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "model/config.h"
#include "study/csv.h"
#include "study/study.h"

using namespace mtsim;
using namespace mtsim::study;

namespace {

const std::string catalogue = "scenarios/catalogue";

// A study file in a fresh temporary folder.
std::string write_study(const std::string& text) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "mtsim-study-test";
    fs::create_directories(dir);
    const fs::path f = dir / "s.yaml";
    std::ofstream(f) << text;
    return f.string();
}

config_error refused(const std::string& text) {
    const std::string f = write_study(text);
    try {
        load_study(f, catalogue);
    } catch (const config_error& e) {
        return e;
    }
    FAIL("no config_error for " << text);
    return config_error("", 0, "", "");
}

} // namespace

TEST_CASE("a range steps or multiplies up to its end inclusive") {
    CHECK(range_values("4KiB", "16KiB", "2", true) ==
          std::vector<std::string>{"4KiB", "8KiB", "16KiB"});
    CHECK(range_values("1", "7", "3", false) == std::vector<std::string>{"1", "4", "7"});
    CHECK(range_values("0.5", "1.5", "0.5", false) == std::vector<std::string>{"0.5", "1", "1.5"});
    CHECK(range_values("100", "100", "1", false) == std::vector<std::string>{"100"});
    CHECK_THROWS_AS(range_values("4", "1", "1", false), std::invalid_argument);
    CHECK_THROWS_AS(range_values("1", "4", "0", false), std::invalid_argument);
    CHECK_THROWS_AS(range_values("1", "4", "1", true), std::invalid_argument);
}

TEST_CASE("points are scenario x host x axes x seeds, the last axis fastest") {
    const auto s = load_study(write_study(R"(
scenarios: [virtio-gpu-wc-upload, clflushopt-doorbell]
hosts: [linux-6.6, linux-6.16]
axes:
  - {param: platform.cache.self_snoop, values: [true, false]}
  - zip:
      - {param: platform.cache.llc.ways, values: [8, 16]}
      - {param: platform.cache.llc.size, values: [1MiB, 2MiB]}
  - {param: "guest.buffers[buf].size", values: {from: 4KiB, to: 8KiB, step: 4KiB}, only: [clflushopt-doorbell]}
seeds: {from: 1, to: 2, step: 1}
)"),
                              catalogue);
    CHECK(s.axis_columns() ==
          std::vector<std::string>{"platform.cache.self_snoop", "platform.cache.llc.ways",
                                   "platform.cache.llc.size", "guest.buffers[buf].size"});
    const auto p = points(s);
    // upload: 2 hosts x 2 x 2 x 1 x 2 seeds; doorbell: 2 x 2 x 2 x 2 x 2.
    REQUIRE(p.size() == 16 + 32);
    CHECK(p[0].scenario == "virtio-gpu-wc-upload");
    CHECK(p[0].axis_values == std::vector<std::string>{"true", "8", "1MiB", ""});
    CHECK(p[0].sets == std::vector<std::string>{"platform.cache.self_snoop=true",
                                                "platform.cache.llc.ways=8",
                                                "platform.cache.llc.size=1MiB", "run.seed=1"});
    CHECK(p[1].seed == 2);
    CHECK(p[2].axis_values[1] == "16");
    CHECK(p[2].axis_values[2] == "2MiB");
    CHECK(p[16].scenario == "clflushopt-doorbell");
    CHECK(p[16].axis_values[3] == "4KiB");
    CHECK(p[18].axis_values[3] == "8KiB");
    for (std::size_t i = 0; i < p.size(); ++i) CHECK(p[i].index == i);
}

TEST_CASE("a bad study names the line and the key") {
    auto e = refused("scenarios: [virtio-gpu-wc-upload]\nbogus: 1\n");
    CHECK(e.line() == 2);
    CHECK(e.key() == "bogus");
    e = refused("scenarios: [no-such-scenario]\n");
    CHECK(e.key() == "scenarios[0]");
    CHECK(e.line() == 1);
    e = refused("scenarios: virtio-gpu-wc-upload\nhosts: [linux-9]\n");
    CHECK(e.key() == "hosts");
    e = refused("scenarios: virtio-gpu-wc-upload\naxes:\n  - {param: a.b}\n");
    CHECK(e.key() == "axes[0].values");
    CHECK(e.line() == 3);
    e = refused("scenarios: virtio-gpu-wc-upload\naxes:\n  - zip:\n      - {param: a, values: "
                "[1, 2]}\n      - {param: b, values: [1]}\n");
    CHECK(e.key() == "axes[0].zip[1].values");
    CHECK(e.line() == 5);
    e = refused("scenarios: virtio-gpu-wc-upload\naxes:\n  - {param: a, values: {from: 1, to: "
                "4}}\n");
    CHECK(e.message().find("exactly one of step and factor") != std::string::npos);
    e = refused("scenarios: virtio-gpu-wc-upload\naxes:\n  - {param: run.seed, values: [1]}\n");
    CHECK(e.key() == "axes[0].param");
}

TEST_CASE("csv fields round-trip through quoting") {
    const std::vector<std::string> f{"a", "b,c", "say \"hi\"", "", " x"};
    const std::string line = csv_line(f);
    CHECK(line == "a,\"b,c\",\"say \"\"hi\"\"\",,\" x\"\n");
    CHECK(parse_csv_line(line.substr(0, line.size() - 1)) == f);
}
