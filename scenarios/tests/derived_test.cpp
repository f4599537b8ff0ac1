// One source of truth: every parameter that restates a platform fact is derived from it, and a
// value that contradicts the fact is refused naming the key and the fact.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "scenarios/derived.h"
#include "scenarios/scenario.h"
#include "scenarios/tests/load_error.h"

using namespace mtsim;
using namespace mtsim::scenarios;

namespace {
const std::string f07a = "scenarios/catalogue/07a-live-migration-wc-alias.yaml";

config_error refusal(const std::string& file, std::vector<std::string> sets) {
    return testing::load_error(file, "kvm-virtio-rfc", std::move(sets));
}
} // namespace

TEST_CASE("each derived parameter follows its source") {
    const scenario s = load_scenario(f07a, "kvm-virtio-rfc",
                                     {"platform.cache.pcpus=3", "platform.cache.self_snoop=false",
                                      "platform.cache.line_size=128"});
    CHECK(s.host.kvm.pcpus == 3);
    CHECK_FALSE(s.host.kvm.self_snoop);
    CHECK(s.platform.vcpu.core.line_size == 128);
    CHECK(s.platform.vmm.line_size == 128);
}

TEST_CASE("a derived parameter given its source's value is accepted") {
    const scenario s = load_scenario(
        f07a, "kvm-virtio-rfc",
        {"host.kvm.pcpus=2", "host.kvm.self_snoop=true", "platform.vcpu.core.line_size=64"});
    CHECK(s.host.kvm.pcpus == 2);
}

TEST_CASE("a derived parameter that contradicts its source is refused naming key and fact") {
    struct row {
        const char* set;
        const char* key;
        const char* fact;
    };
    const row rows[] = {
        {"host.kvm.pcpus=7", "host.kvm.pcpus", "platform.cache.pcpus (2)"},
        {"host.kvm.self_snoop=false", "host.kvm.self_snoop", "platform.cache.self_snoop (true)"},
        {"platform.vcpu.core.line_size=128", "platform.vcpu.core.line_size",
         "platform.cache.line_size (64)"},
        {"platform.vmm.line_size=32", "platform.vmm.line_size", "platform.cache.line_size (64)"},
    };
    for (const row& r : rows) {
        CAPTURE(r.set);
        const config_error e = refusal(f07a, {r.set});
        CHECK(e.key() == r.key);
        CHECK(e.file() == std::string("--set ") + r.set);
        CHECK(e.message().find(r.fact) != std::string::npos);
    }
    CHECK(derived_facts().size() == 4); // a new derived fact gets a row above
}

TEST_CASE("a contradicting derived parameter in a scenario file names the file") {
    const std::string f = "scenarios/tests/data/bad-derived-line-size.yaml";
    const config_error e = refusal(f, {});
    CHECK(e.file() == f);
    CHECK(e.key() == "platform.vmm.line_size");
    // The source changed to match (and the WC buffers, at most a line): accepted.
    CHECK(load_scenario(f, "", {"platform.cache.line_size=32", "platform.cache.wc_buffer_size=32"})
              .platform.vmm.line_size == 32);
}

TEST_CASE("a --set that the scenario makes a block ignore is refused") {
    const std::string virtio = "scenarios/catalogue/01-virtio-gpu-wc-upload.yaml";
    const std::string vfio = "scenarios/catalogue/04-vfio-snoop-control.yaml";
    for (const char* a : {"platform.iommu.ecap_sc=false", "devices.gpu.hotplug=true"}) {
        CAPTURE(a);
        try {
            load_scenario(virtio, "", {a});
            FAIL("accepted");
        } catch (const config_error& e) {
            CHECK(e.message().find("ignored by this scenario") != std::string::npos);
        }
    }
    CHECK_FALSE(load_scenario(vfio, "", {"platform.iommu.ecap_sc=false"}).platform.iommu.ecap_sc);
    CHECK_THROWS_AS(load_scenario(vfio, "", {"host.memslot_noncoherent=true"}), config_error);
}
