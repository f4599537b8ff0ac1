// The checks before the run (scenarios/validate.h): the static wait/signal check on programs
// built by hand, the host-memory estimate, and the run-time deadlock report that remains for
// what the static check cannot see.
#include <doctest/doctest.h>

#include <string>

#include "scenarios/runner.h"
#include "scenarios/validate.h"

using namespace mtsim;
using namespace mtsim::scenarios;

namespace {

const std::string upload = "scenarios/catalogue/01-virtio-gpu-wc-upload.yaml";

scenario_op sync_op(op_type t, const std::string& name, unsigned line) {
    scenario_op op;
    op.type = t;
    op.name = name;
    op.line = line;
    return op;
}

scenario two_vcpus(std::vector<scenario_op> a, std::vector<scenario_op> b) {
    scenario s;
    s.file = "hand.yaml";
    s.programs = {{"vcpu0", 0, std::move(a)}, {"vcpu1", 1, std::move(b)}};
    return s;
}

std::string sync_error(const scenario& s) {
    try {
        validate_sync(s);
    } catch (const config_error& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("a wait signalled by another agent passes the static check") {
    CHECK(sync_error(two_vcpus({sync_op(op_type::wait, "x", 3)},
                               {sync_op(op_type::signal, "x", 5)})) == "");
}

TEST_CASE("a signal only after the agent's own wait is refused at the wait's line") {
    const auto e = sync_error(
        two_vcpus({sync_op(op_type::wait, "x", 3), sync_op(op_type::signal, "x", 4)}, {}));
    CHECK(e.find("hand.yaml:3: key 'programs.vcpu0[0].wait'") != std::string::npos);
    CHECK(e.find("signalled only by vcpu0 at line 4") != std::string::npos);
}

TEST_CASE("two agents waiting for each other are both named") {
    const auto e =
        sync_error(two_vcpus({sync_op(op_type::wait, "a", 3), sync_op(op_type::signal, "b", 4)},
                             {sync_op(op_type::wait, "b", 7), sync_op(op_type::signal, "a", 8)}));
    CHECK(e.find("vcpu0 `wait: a` at line 3") != std::string::npos);
    CHECK(e.find("vcpu1 `wait: b` at line 7") != std::string::npos);
}

TEST_CASE("vm_pause satisfies a wait for vm-pause") {
    CHECK(sync_error(two_vcpus({sync_op(op_type::vm_pause, "", 3)},
                               {sync_op(op_type::wait, "vm-pause", 6)})) == "");
}

TEST_CASE("the host-memory estimate grows with the caches and the budget refuses it") {
    scenario s = load_scenario(upload, "", {});
    const auto small = estimate_host_memory(s).total;
    s.platform.cache.l1d.size_bytes = 256 * MiB;
    const auto big = estimate_host_memory(s).total;
    // Two pCPUs x 256 MiB x (64 + 48) / 64 bytes per line of array.
    CHECK(big - small >= 2 * 256 * MiB * 7 / 4 - 2 * 4 * KiB * 7 / 4);
    CHECK(host_memory_budget(s) > 0);
    const auto e = [&] {
        try {
            load_scenario(upload, "",
                          {"platform.cache.l1d.size=256MiB", "run.max_host_memory=64MiB"});
        } catch (const config_error& err) {
            return err;
        }
        return config_error("", 0, "", "");
    }();
    CHECK(e.file() == "--set platform.cache.l1d.size=256MiB");
    CHECK(e.key() == "platform.cache.l1d.size");
    CHECK(e.message().find("more than run.max_host_memory (64 MiB)") != std::string::npos);
}

TEST_CASE("a deadlock that happens at run time names the agent and its wait's line") {
    // The static check passes a loaded scenario; removing the GPU's interrupt afterwards
    // leaves vcpu0's `wait: uploaded` (line 17 of the catalogue file) without its signal.
    scenario s = load_scenario(upload, "", {});
    auto& gpu = s.programs.back();
    REQUIRE(gpu.agent == "gpu");
    REQUIRE(gpu.ops.back().type == op_type::gpu_interrupt);
    gpu.ops.pop_back();
    std::string what;
    try {
        run_scenario(s);
    } catch (const std::runtime_error& e) {
        what = e.what();
    }
    CHECK(what.find("agents still waiting: vcpu0 (`wait: uploaded` at line 17)") !=
          std::string::npos);
}
