// The space file and the generator, without the kernel: canonical forms, the counts of a
// level, every generated scenario loads, bad space files name FILE:LINE and the key.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "model/config.h"
#include "scenarios/scenario.h"
#include "search/generate.h"
#include "search/space.h"

using namespace mtsim::search;
namespace fs = std::filesystem;

namespace {

std::string write_tmp(const std::string& name, const std::string& text) {
    const fs::path d = fs::temp_directory_path() / "mtsim_search_tests";
    fs::create_directories(d);
    const fs::path p = d / name;
    std::ofstream(p) << text;
    return p.string();
}

const std::string two_buffers = R"(
name: two
scenario:
  platform: {cache: {pcpus: 2}}
  guest: {ram: 4MiB}
  devices:
    gpu: {mode: virtio, no_snoop: true}
buffers:
  - {name: b0, kind: blob, gpa: 0x10000000, size: 4KiB, pat: WC}
  - {name: b1, kind: blob, gpa: 0x10010000, size: 4KiB, pat: WC}
agents:
  vcpu0: [store, load, sfence, mfence]
  gpu: [read]
hosts: [linux-6.6]
k: 3
)";

int letter_of(const space& s, const std::string& agent, const std::string& op, int buffer) {
    for (std::size_t i = 0; i < s.alphabet.size(); ++i)
        if (s.alphabet[i].agent == agent && s.alphabet[i].op == op &&
            s.alphabet[i].buffer == buffer)
            return int(i);
    FAIL("no letter");
    return -1;
}

} // namespace

TEST_CASE("renaming symmetric buffers gives one canonical program") {
    const space s = load_space(write_tmp("two.yaml", two_buffers));
    const int st1 = letter_of(s, "vcpu0", "store", 1), rd1 = letter_of(s, "gpu", "read", 1);
    const int st0 = letter_of(s, "vcpu0", "store", 0), rd0 = letter_of(s, "gpu", "read", 0);
    CHECK(canonical(s, {st1, rd1}) == program{st0, rd0});
    CHECK(canonical(s, {st0, rd0}) == program{st0, rd0});
}

TEST_CASE("independent letters of one agent commute into one order but a hand-off does not") {
    const space s = load_space(write_tmp("two.yaml", two_buffers));
    const int st0 = letter_of(s, "vcpu0", "store", 0), ld1 = letter_of(s, "vcpu0", "load", 1);
    const int rd0 = letter_of(s, "gpu", "read", 0), sf = letter_of(s, "vcpu0", "sfence", -1);
    CHECK(independent(s, st0, ld1));
    CHECK_FALSE(independent(s, st0, rd0));
    CHECK_FALSE(independent(s, st0, sf));
    // load(b1) store(b0) and store(b0) load(b1) are one class; renaming then sorts it to
    // store(b0) load(b1).
    CHECK(canonical(s, {ld1, st0}) == canonical(s, {st0, ld1}));
    // A fence between them orders them: two classes.
    CHECK(canonical(s, {ld1, sf, st0}) != canonical(s, {st0, sf, ld1}));
}

TEST_CASE("a level keeps canonical programs that write and end in a read without a double fence") {
    const space s = load_space(write_tmp("two.yaml", two_buffers));
    level_count c;
    const auto ps = programs(s, 2, true, &c);
    CHECK(c.all == s.alphabet.size() * s.alphabet.size());
    for (const auto& p : ps) {
        CHECK(canonical(s, p) == p);
        CHECK(ends_in_read(s, p));
        CHECK(writes(s, p));
        CHECK_FALSE(fence_after_fence(s, p));
    }
    // Of store(bX) then a read of either buffer: store(b0) load(b0), store(b0) load(b1),
    // store(b0) read(b0), store(b0) read(b1) — the renamed twins are gone.
    CHECK(ps.size() == 4);
    const auto all = programs(s, 2, false, &c);
    CHECK(all.size() == c.all);
}

TEST_CASE("every generated program of a level is a scenario the loader accepts") {
    const space s = load_space(write_tmp("two.yaml", two_buffers));
    for (unsigned n = 1; n <= 3; ++n)
        for (const auto& p : programs(s, n, true)) {
            const std::string f = write_tmp("prog.yaml", scenario_yaml(s, p));
            CHECK_NOTHROW(mtsim::scenarios::load_scenario(f, "", {}));
        }
}

TEST_CASE("a bad space file names the file line and key") {
    auto err = [](const std::string& text) {
        try {
            load_space(write_tmp("bad.yaml", text));
        } catch (const mtsim::config_error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(err(two_buffers + "colour: red\n").find("bad.yaml:16: key 'colour'") !=
          std::string::npos);
    std::string bad_op = two_buffers;
    bad_op.replace(bad_op.find("[store, load") + 1, 5, "stor");
    CHECK(err(bad_op).find("key 'agents.vcpu0': unknown op 'stor'") != std::string::npos);
    std::string bad_pat = two_buffers;
    bad_pat.replace(bad_pat.find("pat: WC"), 7, "pat: XX");
    CHECK(err(bad_pat).find("key 'buffers[0].pat'") != std::string::npos);
    std::string bad_k = two_buffers;
    bad_k.replace(bad_k.find("k: 3"), 4, "k: 99");
    CHECK(err(bad_k).find(":15: key 'k'") != std::string::npos);
    std::string bad_host = two_buffers;
    bad_host.replace(bad_host.find("linux-6.6]"), 9, "linux-0.1");
    CHECK(err(bad_host).find("unknown host 'linux-0.1'") != std::string::npos);
}

TEST_CASE("a migrate letter moves the vCPU to the next pCPU and back and is a vCPU's only") {
    std::string text = two_buffers;
    text.replace(text.find("[store, load, sfence, mfence]"), 29, "[store, migrate]");
    const space s = load_space(write_tmp("mig.yaml", text));
    const int st = letter_of(s, "vcpu0", "store", 0), mg = letter_of(s, "vcpu0", "migrate", -1);
    const int rd = letter_of(s, "gpu", "read", 0);
    CHECK_FALSE(independent(s, st, mg));
    const std::string y = scenario_yaml(s, {st, mg, mg, mg, rd});
    const auto first = y.find("migrate: 1");
    REQUIRE(first != std::string::npos);
    const auto back = y.find("migrate: 0", first);
    REQUIRE(back != std::string::npos);
    CHECK(y.find("migrate: 1", back) != std::string::npos);
    CHECK_NOTHROW(mtsim::scenarios::load_scenario(write_tmp("migp.yaml", y), "", {}));
    std::string vmm = text;
    vmm.replace(vmm.find("  gpu: [read]"), 0, "  vmm: [migrate]\n");
    CHECK_THROWS_AS(load_space(write_tmp("bad-mig.yaml", vmm)), mtsim::config_error);
}
