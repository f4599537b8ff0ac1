// The hypervisor's parameters go through the shared config machinery: every one is listed
// with a description, the policy and WBINVD choices come from the registries, and a YAML
// file or --set can change them.
#include <doctest/doctest.h>

#include <string>

#include "kvm/hypervisor.h"
#include "model/config.h"

using namespace mtsim;
using namespace mtsim::kvm;

TEST_CASE("hypervisor config: every parameter is described and the choices are the registries") {
    const auto params = list_params<hypervisor_config>();
    CHECK(params.size() == 8 + 6 + 11); // top level, ept, cost
    for (const auto& p : params) {
        CAPTURE(p.path);
        CHECK_FALSE(p.description.empty());
        // A cost names its source or says it is an assumption (docs/reference/costs.md).
        if (p.path.rfind("cost.", 0) == 0) {
            CHECK(p.unit == "cycles");
            const bool sourced = p.description.find("assumption") != std::string::npos ||
                                 p.description.find("kvm-unit-tests") != std::string::npos;
            CHECK(sourced);
        }
    }
    hypervisor_config c;
    apply_set("policy=linux-6.6", c);
    apply_set("wbinvd=all-but-local", c);
    apply_set("cost.vmm_dispatch=12000", c);
    apply_set("ept.huge_pages=true", c);
    CHECK(c.policy == "linux-6.6");
    CHECK(c.wbinvd == "all-but-local");
    CHECK(c.cost.vmm_dispatch == cycles{12000});
    CHECK(c.ept.huge_pages);
    CHECK_THROWS(apply_set("policy=linux-9.9", c));
    CHECK_THROWS(apply_set("wbinvd=everywhere", c));
    const auto j = config_to_json(c);
    CHECK(j.dump().find("all-but-local") != std::string::npos);
}
