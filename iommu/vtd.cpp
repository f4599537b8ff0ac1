#include "iommu/vtd.h"
#include "model/not_modelled.h"

#include <stdexcept>
#include <string>

namespace mtsim::iommu {

void validate(const vtd_config& cfg) {
    if (!(cfg.clock_mhz > 0.0)) throw std::invalid_argument("vtd.clock_mhz must be > 0");
    if (cfg.host_address_width < 32 || cfg.host_address_width > 52)
        throw std::invalid_argument("vtd.host_address_width must be in [32, 52]");
    if (!cfg.agaw_39 && !cfg.agaw_48 && !cfg.agaw_57)
        throw std::invalid_argument("vtd.agaw_*: at least one address width must be supported");
    if (cfg.iotlb_entries == 0 || cfg.iotlb_ways == 0 || cfg.iotlb_entries % cfg.iotlb_ways)
        throw std::invalid_argument("vtd.iotlb_entries must be a nonzero multiple of iotlb_ways");
    if (cfg.fault_records == 0) throw std::invalid_argument("vtd.fault_records must be >= 1");
    if (cfg.table_base % 4096 || cfg.table_bytes < 4096)
        throw std::invalid_argument("vtd.table_base must be 4 KiB aligned, table_bytes >= 4 KiB");
    if ((cfg.table_base + cfg.table_bytes - 1) >> cfg.host_address_width)
        throw std::invalid_argument("vtd.table_base: region beyond the host address width");
}

vtd_counters::vtd_counters(std::string_view path)
    : requests(path, "requests", "device requests translated or faulted", "requests"),
      iotlb_hits(path, "iotlb_hits", "requests whose translation was in the IOTLB", "requests"),
      iotlb_misses(path, "iotlb_misses", "requests that walked the tables", "requests"),
      context_cache_hits(path, "context_cache_hits", "context found in the context cache",
                         "requests"),
      context_cache_misses(path, "context_cache_misses", "root and context entries read",
                           "requests"),
      psc_hits(path, "psc_hits", "walks started below a cached non-leaf entry", "walks"),
      walk_references(path, "walk_references", "root, context and paging entries read",
                      "references"),
      walker_wait_cycles(path, "walker_wait_cycles", "misses waiting for the busy walker",
                         "cycles"),
      faults(path, "faults", "requests blocked by a remapping fault", "requests"),
      faults_dropped(path, "faults_dropped", "faults not recorded: fault log full", "faults"),
      snooped(path, "snooped", "forwarded requests that snoop the CPU caches", "requests"),
      not_snooped(path, "not_snooped", "forwarded requests that skip the CPU caches", "requests"),
      invalidations(path, "invalidations", "context/IOTLB invalidation commands", "commands"),
      table_writes(path, "table_writes", "root, context and page-table entries the driver wrote",
                   "writes"),
      iotlb_hit_rate(path, "iotlb_hit_rate", "IOTLB hits over lookups", "ratio", [this] {
          return ratio(double(iotlb_hits.value()),
                       double(iotlb_hits.value() + iotlb_misses.value()));
      }) {}

// table_memory over `out`: one 8-byte little-endian access per call, on one reused payload.
class vtd::socket_memory : public table_memory {
public:
    socket_memory(tlm_utils::simple_initiator_socket<vtd>& out, std::string owner)
        : m_out(out), m_owner(std::move(owner)) {
        m_gp.set_data_ptr(m_bytes);
        m_gp.set_data_length(8);
        m_gp.set_streaming_width(8);
        m_gp.set_extension(&m_ext);
    }
    ~socket_memory() override { m_gp.clear_extension(&m_ext); }

    std::uint64_t read_entry(std::uint64_t pa, const access_ext& ext,
                             sc_core::sc_time& delay) override {
        transfer(tlm::TLM_READ_COMMAND, pa, ext, delay);
        std::uint64_t v = 0;
        for (int i = 7; i >= 0; --i) v = (v << 8) | m_bytes[i];
        return v;
    }
    void write_entry(std::uint64_t pa, std::uint64_t value, const access_ext& ext,
                     sc_core::sc_time& delay) override {
        for (int i = 0; i < 8; ++i) m_bytes[i] = static_cast<unsigned char>(value >> (8 * i));
        transfer(tlm::TLM_WRITE_COMMAND, pa, ext, delay);
    }

private:
    void transfer(tlm::tlm_command cmd, std::uint64_t pa, const access_ext& ext,
                  sc_core::sc_time& delay) {
        m_ext.copy_from(ext);
        m_gp.set_command(cmd);
        m_gp.set_address(pa);
        m_gp.set_byte_enable_ptr(nullptr);
        m_gp.set_byte_enable_length(0);
        m_gp.set_dmi_allowed(false);
        m_gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        m_out->b_transport(m_gp, delay);
        if (!m_gp.is_response_ok())
            throw std::runtime_error(m_owner + ": table reference at address " +
                                     std::to_string(pa) + " failed: " + m_gp.get_response_string());
    }

    tlm_utils::simple_initiator_socket<vtd>& m_out;
    std::string m_owner;
    unsigned char m_bytes[8] = {};
    access_ext m_ext;
    tlm::tlm_generic_payload m_gp;
};

vtd::vtd(const sc_core::sc_module_name& name, const vtd_config& cfg)
    : sc_core::sc_module(name), in("in"), out("out"), m_cfg(cfg), m_counters(this->name()),
      m_memory(std::make_unique<socket_memory>(out, this->name())),
      m_unit(std::make_unique<remap_unit>(m_cfg, m_counters, *m_memory)) {
    in.register_b_transport(this, &vtd::b_transport);
}

vtd::~vtd() = default;

void vtd::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    access_ext* ext = gp.get_extension<access_ext>();
    if (!ext)
        throw std::invalid_argument(std::string(name()) +
                                    ": device request without access_ext (requester unknown)");
    const tlm::tlm_command cmd = gp.get_command();
    if (cmd != tlm::TLM_READ_COMMAND && cmd != tlm::TLM_WRITE_COMMAND)
        throw std::invalid_argument(std::string(name()) +
                                    ": only READ and WRITE are device memory requests");
    if (ext->who.pasid != 0)
        throw not_modelled("a request with PASID (needs scalable mode)", name());
    if (gp.get_streaming_width() < gp.get_data_length())
        throw not_modelled("streaming device requests (width < length)", name());

    dma_request r;
    r.bdf = ext->who.bdf;
    r.iova = gp.get_address();
    r.length = gp.get_data_length();
    r.write = cmd == tlm::TLM_WRITE_COMMAND;
    r.no_snoop = ext->no_snoop;
    const translation t = m_unit->translate(r, delay);
    if (!t.ok) {
        gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    const bool device_no_snoop = ext->no_snoop;
    gp.set_address(t.hpa);
    ext->no_snoop = !t.snooped;
    out->b_transport(gp, delay);
    gp.set_address(r.iova);
    ext->no_snoop = device_no_snoop;
}

bool vtd::attach_device(std::uint16_t bdf, iommu_domain& d, sc_core::sc_time& delay) {
    return m_unit->attach_device(bdf, d, delay);
}
void vtd::detach_device(std::uint16_t bdf, sc_core::sc_time& delay) {
    m_unit->detach_device(bdf, delay);
}
void vtd::map(iommu_domain& d, const mapping& m, sc_core::sc_time& delay) {
    m_unit->map(d, m, delay);
}
void vtd::unmap(iommu_domain& d, std::uint64_t iova, std::uint64_t bytes, sc_core::sc_time& delay) {
    m_unit->unmap(d, iova, bytes, delay);
}
bool vtd::enforce_cache_coherency(iommu_domain& d, sc_core::sc_time& delay) {
    return m_unit->enforce_cache_coherency(d, delay);
}
void vtd::invalidate_all() {
    m_unit->invalidate_all();
}
void vtd::invalidate_domain(std::uint16_t did) {
    m_unit->invalidate_domain(did);
}
void vtd::invalidate_pages(std::uint16_t did, std::uint64_t iova, unsigned am, bool leaf_only) {
    m_unit->invalidate_pages(did, iova, am, leaf_only);
}
const fault_log& vtd::faults() const {
    return m_unit->faults();
}
void vtd::clear_faults() {
    m_unit->clear_faults();
}

} // namespace mtsim::iommu
