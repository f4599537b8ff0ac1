// The vtd sc_module between a device initiator and a simple TLM memory standing in for the
// memory system's dma port: translated address, forwarded no_snoop, table walks as real
// accesses on the same socket, faults that never reach memory, exact annotated delays.
// Each TEST_CASE elaborates once (its own process).
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "iommu/vtd.h"
#include "model/config.h"
#include "model/not_modelled.h"

using namespace mtsim;
using namespace mtsim::iommu;

namespace {

constexpr std::uint16_t dev = 0x0208;

// Byte-addressed memory that logs every access with the attributes it arrived with.
struct test_memory : sc_core::sc_module {
    struct access {
        std::uint64_t addr;
        unsigned len;
        bool write;
        bool no_snoop;
        bool page_walk;
    };
    tlm_utils::simple_target_socket<test_memory> tsock{"tsock"};
    std::map<std::uint64_t, unsigned char> bytes;
    std::vector<access> log;
    mtsim::clock clk{1000.0};
    cycles latency{100};

    explicit test_memory(const sc_core::sc_module_name& n) : sc_core::sc_module(n) {
        tsock.register_b_transport(this, &test_memory::b_transport);
    }
    void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
        const auto* ext = gp.get_extension<access_ext>();
        REQUIRE(ext != nullptr);
        const bool w = gp.is_write();
        log.push_back({gp.get_address(), gp.get_data_length(), w, ext->no_snoop, ext->page_walk});
        for (unsigned i = 0; i < gp.get_data_length(); ++i) {
            if (w)
                bytes[gp.get_address() + i] = gp.get_data_ptr()[i];
            else
                gp.get_data_ptr()[i] =
                    bytes.count(gp.get_address() + i) ? bytes[gp.get_address() + i] : 0;
        }
        delay += clk.to_time(latency);
        gp.set_response_status(tlm::TLM_OK_RESPONSE);
    }
    unsigned data_accesses() const {
        unsigned n = 0;
        for (const auto& a : log) n += !a.page_walk;
        return n;
    }
};

struct device : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<device> isock{"isock"};
    std::function<void(device&)> body;

    SC_HAS_PROCESS(device);
    explicit device(const sc_core::sc_module_name& n) : sc_core::sc_module(n) { SC_THREAD(run); }
    void run() { body(*this); }

    struct result {
        tlm::tlm_response_status status;
        std::uint64_t cycles;
        std::uint64_t address_after;
        bool no_snoop_after;
    };
    result dma(bool write, std::uint64_t iova, std::vector<unsigned char>& buf, bool ns) {
        tlm::tlm_generic_payload gp;
        access_ext ext;
        ext.op = write ? op_kind::dma_write : op_kind::dma_read;
        ext.who.kind = requester_kind::device;
        ext.who.bdf = dev;
        ext.no_snoop = ns;
        gp.set_extension(&ext);
        gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
        gp.set_address(iova);
        gp.set_data_ptr(buf.data());
        gp.set_data_length(static_cast<unsigned>(buf.size()));
        gp.set_streaming_width(static_cast<unsigned>(buf.size()));
        gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        isock->b_transport(gp, d);
        wait(d);
        result r{gp.get_response_status(), static_cast<std::uint64_t>(d.value() / 1000),
                 gp.get_address(), ext.no_snoop};
        gp.clear_extension(&ext);
        return r;
    }
};

vtd_config module_config() {
    vtd_config c;
    c.clock_mhz = 1000.0;
    c.remap_latency = cycles{10};
    c.walk_step = cycles{2};
    c.ecap_c = false; // walks go straight to memory: visible as no_snoop on walk references
    return c;
}

domain_config module_domain() {
    domain_config d;
    d.id = 3;
    d.address_width = 48;
    d.table_base = 0x2000000;
    return d;
}

void run(const vtd_config& cfg, std::function<void(device&, vtd&, test_memory&)> body) {
    test_memory mem("mem");
    vtd unit("vtd", cfg);
    device drv("drv");
    drv.isock.bind(unit.in);
    unit.out.bind(mem.tsock);
    drv.body = [&](device& d) { body(d, unit, mem); };
    sc_core::sc_start();
}

} // namespace

TEST_CASE("vtd forwards the translated address and the snoop decision") {
    run(module_config(), [](device& d, vtd& unit, test_memory& mem) {
        iommu_domain dom(module_domain());
        sc_core::sc_time t;
        REQUIRE(unit.attach_device(dev, dom, t));
        mapping m;
        m.iova = 0x5000;
        m.hpa = 0x300000;
        m.bytes = 4096;
        unit.map(dom, m, t);
        // The driver's table writes are snooped writes.
        for (const auto& a : mem.log) {
            if (!a.write) continue;
            CHECK(a.page_walk);
            CHECK_FALSE(a.no_snoop);
        }
        mem.log.clear();

        std::vector<unsigned char> data(64);
        for (unsigned i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i + 1);
        auto r = d.dma(true, 0x5040, data, true);
        CHECK(r.status == tlm::TLM_OK_RESPONSE);
        CHECK(r.address_after == 0x5040); // restored for the device
        CHECK(r.no_snoop_after);
        REQUIRE(mem.data_accesses() == 1);
        const auto& a = mem.log.back();
        CHECK(a.addr == 0x300040);
        CHECK(a.write);
        CHECK(a.no_snoop); // SNP=0, NS=1: not snooped
        CHECK(mem.bytes[0x300040] == 1);
        CHECK(mem.bytes[0x30007f] == 64);
        for (const auto& w : mem.log)
            if (w.page_walk) CHECK(w.no_snoop); // ECAP.C = 0
        // 3 context references + 4 levels, each 2 + 100 cycles, then the data access.
        CHECK(r.cycles == 10 + 7 * 102 + 100);

        // Coherency enforced: the same No-Snoop write is now snooped.
        REQUIRE(unit.enforce_cache_coherency(dom, t));
        r = d.dma(true, 0x5080, data, true);
        CHECK(r.status == tlm::TLM_OK_RESPONSE);
        CHECK(mem.log.back().addr == 0x300080);
        CHECK_FALSE(mem.log.back().no_snoop);
        // Enforcing invalidated the domain (context cache, IOTLB, paging-structure cache): a
        // cold walk again.
        CHECK(r.cycles == 10 + 7 * 102 + 100);

        std::vector<unsigned char> back(64);
        r = d.dma(false, 0x5040, back, false);
        CHECK(r.status == tlm::TLM_OK_RESPONSE);
        CHECK(back == data);
        CHECK(r.cycles == 10 + 100); // IOTLB hit
        CHECK(unit.counters().iotlb_hits.value() == 1);
        CHECK(unit.counters().snooped.value() == 2);
        CHECK(unit.counters().not_snooped.value() == 1);
        CHECK(unit.counters().iotlb_hit_rate.value() == doctest::Approx(1.0 / 3.0));
        CHECK(find_stat("vtd.walk_references") == &unit.counters().walk_references);
    });
}

TEST_CASE("a faulting request through vtd never reaches memory") {
    run(module_config(), [](device& d, vtd& unit, test_memory& mem) {
        iommu_domain dom(module_domain());
        sc_core::sc_time t;
        REQUIRE(unit.attach_device(dev, dom, t));
        mapping m;
        m.iova = 0x5000;
        m.hpa = 0x300000;
        m.bytes = 4096;
        m.write = false;
        unit.map(dom, m, t);
        const auto bytes_before = mem.bytes;
        const unsigned data_before = mem.data_accesses();

        std::vector<unsigned char> data(32, 0xee);
        auto r = d.dma(true, 0x5000, data, false); // read-only page
        CHECK(r.status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        r = d.dma(true, 0x9000, data, false); // unmapped
        CHECK(r.status == tlm::TLM_ADDRESS_ERROR_RESPONSE);
        CHECK(mem.data_accesses() == data_before);
        CHECK(mem.bytes == bytes_before);
        REQUIRE(unit.faults().records().size() == 2);
        CHECK(unit.faults().records()[0].reason == fault_reason::no_write);
        CHECK(unit.faults().records()[0].address == 0x5000);
        CHECK(unit.faults().records()[0].bdf == dev);
        CHECK(unit.faults().records()[1].reason == fault_reason::not_present);
        CHECK(unit.counters().faults.value() == 2);
        unit.clear_faults();
        CHECK(unit.faults().records().empty());
    });
}

TEST_CASE("snoop control off leaves No-Snoop to the device and refuses enforcement") {
    vtd_config cfg = module_config();
    cfg.ecap_sc = false;
    cfg.ecap_c = true;
    run(cfg, [](device& d, vtd& unit, test_memory& mem) {
        iommu_domain dom(module_domain());
        sc_core::sc_time t;
        REQUIRE(unit.attach_device(dev, dom, t));
        mapping m;
        m.iova = 0x5000;
        m.hpa = 0x300000;
        m.bytes = 4096;
        unit.map(dom, m, t);
        CHECK_FALSE(unit.enforce_cache_coherency(dom, t));
        std::vector<unsigned char> data(8, 1);
        CHECK(d.dma(false, 0x5000, data, true).status == tlm::TLM_OK_RESPONSE);
        CHECK(mem.log.back().no_snoop);
        CHECK(d.dma(false, 0x5000, data, false).status == tlm::TLM_OK_RESPONSE);
        CHECK_FALSE(mem.log.back().no_snoop);
        for (const auto& a : mem.log)
            if (a.page_walk && !a.write) CHECK_FALSE(a.no_snoop); // ECAP.C = 1
    });
}

TEST_CASE("vtd parameters are declared with defaults") {
    const auto params = list_params<vtd_config>();
    CHECK(params.size() == 18);
    vtd_config c;
    apply_set("ecap_sc=false", c);
    apply_set("iotlb_entries=128", c);
    CHECK_FALSE(c.ecap_sc);
    CHECK(c.iotlb_entries == 128);
    CHECK_THROWS(apply_set("no_such_key=1", c));
}

TEST_CASE("vtd refuses requests it does not model") {
    run(module_config(), [](device& d, vtd& unit, test_memory& mem) {
        iommu_domain dom(module_domain());
        sc_core::sc_time t;
        REQUIRE(unit.attach_device(dev, dom, t));
        mapping m;
        m.iova = 0x5000;
        m.hpa = 0x300000;
        m.bytes = 2 * 4096;
        unit.map(dom, m, t);
        std::vector<unsigned char> buf(16);
        tlm::tlm_generic_payload gp;
        gp.set_command(tlm::TLM_READ_COMMAND);
        gp.set_address(0x5000);
        gp.set_data_ptr(buf.data());
        gp.set_data_length(16);
        gp.set_streaming_width(16);
        sc_core::sc_time delay;
        CHECK_THROWS_AS(d.isock->b_transport(gp, delay), std::invalid_argument); // no access_ext
        access_ext ext;
        ext.who.bdf = dev;
        ext.who.pasid = 7;
        gp.set_extension(&ext);
        CHECK_THROWS_AS(d.isock->b_transport(gp, delay), not_modelled); // PASID
        ext.who.pasid = 0;
        gp.set_address(0x5ff8); // crosses into the next page
        CHECK_THROWS_AS(d.isock->b_transport(gp, delay), std::invalid_argument);
        gp.set_address(0x5000);
        gp.set_command(tlm::TLM_IGNORE_COMMAND);
        CHECK_THROWS_AS(d.isock->b_transport(gp, delay), std::invalid_argument);
        gp.clear_extension(&ext);
        CHECK(mem.data_accesses() == 0);
    });
}
