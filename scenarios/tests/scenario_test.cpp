// The scenario language without the SystemC kernel: loading, includes, hosts, --set, errors.
#include <doctest/doctest.h>

#include "model/not_modelled.h"
#include "scenarios/matrix.h"
#include "scenarios/scenario.h"
#include "scenarios/tests/load_error.h"

using namespace mtsim;
using namespace mtsim::scenarios;
using mtsim::scenarios::testing::load_error;

namespace {
const std::string cat = "scenarios/catalogue/";
const std::string data = "scenarios/tests/data/";

} // namespace

TEST_CASE("a catalogue file resolves: includes, host, buffers, programs, expectations") {
    const scenario s = load_scenario(cat + "01-virtio-gpu-wc-upload.yaml", "", {});
    CHECK(s.host_name == "linux-6.16");
    CHECK(s.host.kvm.policy == "linux-6.16");
    CHECK(s.platform.cache.l1d.size_bytes == 4 * KiB); // from the catalogue's shared platform file
    CHECK(s.devices.gpu.mode == "virtio");
    REQUIRE(s.buffers.size() == 1);
    CHECK(s.buffers[0].kind == buffer_kind::blob);
    CHECK(s.buffers[0].pat == memtype::wc);
    REQUIRE(s.programs.size() == 2);
    CHECK(s.programs[0].agent == "vcpu0");
    CHECK(s.programs[1].agent == "gpu");
    CHECK(s.programs[0].ops[0].type == op_type::fill);
    CHECK(s.programs[0].ops[0].len == 8 * KiB); // len defaults to the buffer's rest
    CHECK(s.expected_for("linux-6.6") == verdict::stale_read);
    CHECK(s.expected_for("amd-npt") == verdict::clean); // default
}

TEST_CASE("--host picks the host file and --set overrides any parameter") {
    const scenario s =
        load_scenario(cat + "01-virtio-gpu-wc-upload.yaml", "kvm-virtio-rfc",
                      {"platform.cache.llc.size=1MiB", "host.kvm.wbinvd=local-only"});
    CHECK(s.host.kvm.policy == "linux-6.10");
    CHECK(s.host.kvm_virtio_device);
    CHECK(s.host.kvm.wbinvd == "local-only");
    CHECK(s.platform.cache.llc.size_bytes == 1 * MiB);
    const config_error e =
        load_error(cat + "01-virtio-gpu-wc-upload.yaml", "", {"platform.cache.nosuch=1"});
    CHECK(std::string(e.what()).find("platform.cache.nosuch") != std::string::npos);
}

TEST_CASE("errors name file, line and key") {
    struct row {
        const char* file;
        unsigned line;
        const char* key;
    };
    const row rows[] = {
        {"bad-unknown-key.yaml", 5, "platform.cache.l1d.sise"},
        {"bad-op.yaml", 8, "programs.vcpu0[1]"},
        {"bad-buffer-ref.yaml", 7, "programs.vcpu0[0].load.buffer"},
        {"bad-range.yaml", 4, "platform.cache.pcpus"},
        {"bad-expect.yaml", 5, "expect.default"},
        {"bad-include.yaml", 2, "include"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.file);
        const config_error e = load_error(data + r.file);
        CHECK(e.file() == data + r.file);
        CHECK(e.line() == r.line);
        CHECK(e.key() == r.key);
    }
    CHECK(load_error(data + "bad-yaml.yaml").line() > 0);
}

TEST_CASE("includes resolve relative to the including file") {
    const scenario s = load_scenario(data + "include-relative.yaml", "", {});
    CHECK(s.platform.cache.pcpus == 3);
    CHECK_FALSE(s.platform.cache.self_snoop);
}

TEST_CASE("the hosts in the policy registries' order (x86 then arm64), and every catalogue file "
          "under each") {
    // By the release each host's policy models (kvm/policy.h order key), the policy's own-name
    // host first; no list of hosts is kept anywhere else.
    const std::vector<std::string> expected{"linux-6.6",
                                            "crosvm-memslot-flag",
                                            "linux-6.10",
                                            "kvm-virtio-rfc",
                                            "memslot-flag-rfc",
                                            "linux-6.11-rc",
                                            "linux-6.15",
                                            "linux-6.16",
                                            "linux-6.16-honor-pat",
                                            "qemu-honor-pat-auto",
                                            "wbinvd-local-only",
                                            "linux-6.16-tdx",
                                            "amd-npt",
                                            "xen-4.19",
                                            "linux-arm64-6.8",
                                            "linux-arm64-6.9",
                                            "linux-arm64-6.17",
                                            "linux-arm64-6.17-nofwb"};
    CHECK(host_names() == expected);
    const auto files = collect_scenarios({"scenarios/catalogue"});
    CHECK(files.size() >= 17);
    for (const auto& f : files) {
        CAPTURE(f);
        CHECK_FALSE(describe_file(f).empty());
        for (const auto& h : host_names()) {
            CAPTURE(h);
            const scenario s = load_scenario(f, h, {});
            CHECK(s.host_name == h);
            // A pair of two architectures loads (the matrix prints it n/a) but does not run.
            if (host_arch(s.host) != s.platform.arch) {
                CHECK_FALSE(arch_mismatch(s).empty());
                CHECK_THROWS_AS(require_runnable(s), config_error);
                continue;
            }
            CHECK(arch_mismatch(s).empty());
            CHECK(s.expected_for(h).has_value());
        }
    }
}

TEST_CASE(
    "arm64 hosts carry their stage-2 policy and CPU features - unsupported arm64 ops are refused") {
    const host_config h = load_host("linux-arm64-6.17-nofwb");
    CHECK(host_arch(h) == "arm64");
    CHECK(h.arm64.policy == "linux-arm64-6.17");
    CHECK_FALSE(h.arm64.caps.fwb);
    CHECK(host_arch(load_host("linux-6.16")) == "x86");
    // An arm64 scenario under an arm64 host agrees in architecture; it runs when the arm64
    // vCPU supports its ops and is refused as not modelled otherwise.
    scenario s = load_scenario(data + "arm64-two-vcpus.yaml", "linux-arm64-6.9", {});
    CHECK(arch_mismatch(s).empty());
    CHECK_NOTHROW(require_runnable(s));
    s = load_scenario(data + "arm64-unsupported-op.yaml", "linux-arm64-6.9", {});
    CHECK_THROWS_AS(require_runnable(s), not_modelled);
    s = load_scenario(data + "include-relative.yaml", "linux-arm64-6.9", {});
    CHECK(arch_mismatch(s).find("n/a") != std::string::npos);
}

TEST_CASE("scenario names drop the catalogue's ordering prefix") {
    CHECK(scenario_name("a/07b-live-migration-wc-alias-no-selfsnoop.yaml") ==
          "live-migration-wc-alias-no-selfsnoop");
    CHECK(scenario_name("x/11-clflushopt-doorbell.yaml") == "clflushopt-doorbell");
    CHECK(scenario_name("plain.yaml") == "plain");
    CHECK(scenario_name("2024.yaml") == "2024");
}
