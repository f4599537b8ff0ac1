// A VT-d DMA-remapping unit (legacy mode) as a TLM component. Device requests arrive on `in`
// with an IOVA; the unit finds the device's context (bus/device/function -> domain), walks the
// domain's second-level tables in host memory with real accesses on `out` (snooped iff
// ECAP.C), checks permissions and reserved bits, decides whether the access snoops the CPU
// caches (iommu/snoop_table.h) and forwards it on `out` with the host-physical address and
// access_ext.no_snoop set accordingly.
//
// Contract of `in` (LT, never waits):
// - READ or WRITE with access_ext attached (who.bdf names the device, who.pasid must be 0:
//   requests with PASID need scalable mode, which is not modelled and is refused with an
//   exception). The request must not cross a 4 KiB boundary (a PCIe rule); violations throw.
// - Costs added to the annotated delay: remap_latency on every request (context-cache and
//   IOTLB lookup), then on a miss each table reference costs walk_step plus the memory's own
//   delay for it; the walker serves one miss at a time (busy-until calendar), so a miss that
//   arrives while it is busy waits.
// - A request that faults never reaches `out` with its data: it completes with
//   TLM_ADDRESS_ERROR_RESPONSE and the fault is in faults() (unless the context has FPD=1).
// - After forwarding, the payload's address and access_ext.no_snoop are restored to what the
//   device sent.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "iommu/domain.h"
#include "iommu/fault.h"
#include "iommu/remap_unit.h"
#include "model/cycles.h"
#include "model/params.h"
#include "model/stats.h"

namespace mtsim::iommu {

// Every parameter of a remapping unit and its default (model/params.h conventions).
struct vtd_config {
    double clock_mhz = 1000.0;
    bool ecap_c = true;  // table walks snoop the CPU caches
    bool ecap_sc = true; // snoop control: leaves may carry SNP
    unsigned host_address_width = 46;
    bool agaw_39 = true;  // CAP.SAGAW: 3-level tables
    bool agaw_48 = true;  // 4-level
    bool agaw_57 = false; // 5-level
    bool large_2m = true; // CAP.SLLPS
    bool large_1g = true;
    unsigned iotlb_entries = 64;
    unsigned iotlb_ways = 4;
    unsigned psc_entries = 32;           // paging-structure cache, fully associative
    unsigned context_cache_entries = 16; // fully associative
    unsigned fault_records = 8;
    cycles remap_latency{10};
    cycles walk_step{2};
    // Region of host memory holding the root table (first page) and context tables. It must
    // read as zero at start and belong to no one else; pages are never reused.
    std::uint64_t table_base = 60 * GiB;
    std::uint64_t table_bytes = 1 * MiB;

    void describe(param_visitor& v) {
        v.real("clock_mhz", clock_mhz, "remapping unit clock", "MHz", 1.0, 100000.0);
        v.flag("ecap_c", ecap_c, "ECAP.C: page-walk references snoop the CPU caches");
        v.flag("ecap_sc", ecap_sc, "ECAP.SC: snoop control, leaf SNP forces snooping");
        v.uint("host_address_width", host_address_width,
               "physical address bits; table addresses above are reserved", "bits", 32, 52);
        v.flag("agaw_39", agaw_39, "CAP.SAGAW: 39-bit, 3-level tables supported");
        v.flag("agaw_48", agaw_48, "CAP.SAGAW: 48-bit, 4-level tables supported");
        v.flag("agaw_57", agaw_57, "CAP.SAGAW: 57-bit, 5-level tables supported");
        v.flag("large_2m", large_2m, "CAP.SLLPS: 2 MiB second-level pages");
        v.flag("large_1g", large_1g, "CAP.SLLPS: 1 GiB second-level pages");
        v.uint("iotlb_entries", iotlb_entries, "IOTLB capacity", "entries", 1, 65536);
        v.uint("iotlb_ways", iotlb_ways, "IOTLB associativity", "ways", 1, 65536);
        v.uint("psc_entries", psc_entries, "paging-structure cache capacity (0: none)", "entries",
               0, 4096);
        v.uint("context_cache_entries", context_cache_entries, "context-cache capacity (0: none)",
               "entries", 0, 4096);
        v.uint("fault_records", fault_records, "primary fault recording registers", "records", 1,
               256);
        v.cycles("remap_latency", remap_latency, "context-cache and IOTLB lookup, every request");
        v.cycles("walk_step", walk_step, "walker cost per table reference, besides memory's");
        v.size("table_base", table_base, "host address of the root and context tables");
        v.size("table_bytes", table_bytes, "size of that region", 4 * KiB);
    }
};

// Throws std::invalid_argument naming the parameter when cfg cannot describe a unit.
void validate(const vtd_config& cfg);

// Counters of one unit, dumped as "<unit>.<counter>".
struct vtd_counters {
    counter requests;
    counter iotlb_hits;
    counter iotlb_misses;
    counter context_cache_hits;
    counter context_cache_misses;
    counter psc_hits;
    counter walk_references;
    counter walker_wait_cycles;
    counter faults;
    counter faults_dropped;
    counter snooped;
    counter not_snooped;
    counter invalidations;
    counter table_writes;
    derived_stat iotlb_hit_rate; // iotlb_hits / (iotlb_hits + iotlb_misses), at dump time

    explicit vtd_counters(std::string_view path);
};

class vtd : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<vtd> in;     // device requests (IOVA)
    tlm_utils::simple_initiator_socket<vtd> out; // to the memory system's dma port

    vtd(const sc_core::sc_module_name& name, const vtd_config& cfg = {});
    ~vtd() override;

    const vtd_config& config() const { return m_cfg; }
    const vtd_counters& counters() const { return m_counters; }

    // Control calls of the host's IOMMU driver; table updates are real writes on `out`
    // whose cost is added to `delay`. See iommu/remap_unit.h for each contract.
    bool attach_device(std::uint16_t bdf, iommu_domain& d, sc_core::sc_time& delay);
    void detach_device(std::uint16_t bdf, sc_core::sc_time& delay);
    void map(iommu_domain& d, const mapping& m, sc_core::sc_time& delay);
    void unmap(iommu_domain& d, std::uint64_t iova, std::uint64_t bytes, sc_core::sc_time& delay);
    bool enforce_cache_coherency(iommu_domain& d, sc_core::sc_time& delay);
    void invalidate_all();
    void invalidate_domain(std::uint16_t did);
    void invalidate_pages(std::uint16_t did, std::uint64_t iova, unsigned am, bool leaf_only);
    const fault_log& faults() const;
    void clear_faults();

private:
    class socket_memory;

    void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);

    vtd_config m_cfg;
    vtd_counters m_counters;
    std::unique_ptr<socket_memory> m_memory;
    std::unique_ptr<remap_unit> m_unit;
};

} // namespace mtsim::iommu
