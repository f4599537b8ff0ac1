// The vCPU workloads do what their names claim, checked on the vCPU's, MMU's, TLB's and memory
// system's counters with a small access count. One workload per case: each elaborates once.
#include <doctest/doctest.h>

#include "bench/workload.h"

using namespace mtsim;
using namespace mtsim::bench;

namespace {

result run(std::string_view name, std::uint64_t n) {
    const workload* w = find_workload(name);
    REQUIRE(w != nullptr);
    bench_config cfg;
    cfg.accesses = n;
    const result r = w->run(cfg);
    CHECK(r.accesses == n);
    CHECK(r.host_seconds > 0);
    CHECK(r.simulated_ns > 0);
    return r;
}

std::uint64_t at(const nlohmann::json& j, std::initializer_list<const char*> path) {
    const nlohmann::json* n = &j;
    for (const char* p : path) n = &n->at(p);
    return n->get<std::uint64_t>();
}

} // namespace

TEST_CASE("tlb-hit stream: one walk, then every translation hits the TLB and the L1D") {
    const std::uint64_t n = 8000;
    const result r = run("tlb-hit", n);
    const auto& c = r.counters;
    CHECK(at(c, {"vcpu0", "loads"}) == n);
    CHECK(at(c, {"vcpu0", "exits"}) == 1); // the HLT at the end
    CHECK(at(c, {"vcpu0", "mmu", "walks"}) == 1);
    CHECK(at(c, {"vcpu0", "mmu", "exits"}) == 0);
    CHECK(at(c, {"vcpu0", "mmu", "tlb", "misses"}) == 1);
    CHECK(at(c, {"vcpu0", "mmu", "tlb", "hits"}) == n - 1);
    // The single cold walk, shortened by the paging-structure caches it fills itself: the guest
    // tables share one 2 MiB EPT region, so the first guest table costs a 4-level EPT walk and
    // the other three one EPT PTE each (EPT PDE cached); the data's gpa is in another 1 GiB, so
    // its EPT walk starts at the PDPTE (EPT PML4E cached). 4 guest entries + 4 + 3 + 3 = 14.
    const std::uint64_t refs = at(c, {"vcpu0", "mmu", "walk_references"});
    CHECK(refs == 14);
    // Data: the first pass over the 4 KiB page misses once per line, every later load hits.
    const std::uint64_t accesses = n + refs;
    CHECK(at(c, {"mem", "l1d_hits"}) + at(c, {"mem", "l1d_misses"}) == accesses);
    CHECK(at(c, {"mem", "l1d_hits"}) >= n - 4096 / 64);
}

TEST_CASE("walk-miss stream: every load misses the TLB and walks all 24 references") {
    const std::uint64_t n = 4000;
    const result r = run("walk-miss", n);
    const auto& c = r.counters;
    CHECK(at(c, {"vcpu0", "loads"}) == n);
    CHECK(at(c, {"vcpu0", "exits"}) == 1);
    CHECK(at(c, {"vcpu0", "mmu", "walks"}) == n);
    CHECK(at(c, {"vcpu0", "mmu", "exits"}) == 0);
    CHECK(at(c, {"vcpu0", "mmu", "tlb", "hits"}) == 0);
    CHECK(at(c, {"vcpu0", "mmu", "tlb", "misses"}) == n);
    CHECK(at(c, {"vcpu0", "mmu", "walk_references"}) == 24 * n);
    CHECK(at(c, {"vcpu0", "mmu", "psc", "guest_psc_hits"}) == 0);
    CHECK(at(c, {"vcpu0", "mmu", "psc", "ept_psc_hits"}) == 0);
    // Every reference and every load went through pCPU 0's caches.
    CHECK(at(c, {"mem", "l1d_hits"}) + at(c, {"mem", "l1d_misses"}) == 25 * n);
}
