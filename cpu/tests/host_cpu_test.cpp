// The VMM's host thread: flat host mapping with host PAT types, direct cache-control ops.
#include <doctest/doctest.h>

#include <string>

#include "cpu/tests/vcpu_rig.h"

using namespace mtsim;
using namespace mtsim::cpu;
using namespace mtsim::cpu::test;

namespace {

struct recorder : agent_observer {
    std::vector<access_record> loads, stores;
    void on_load(const agent&, const access_record& r) override { loads.push_back(r); }
    void on_store(const agent&, const access_record& r) override { stores.push_back(r); }
};

constexpr std::uint64_t hva_wc = 0x10000000, hva_wb = 0x20000000, hva_uc = 0x30000000;
constexpr std::uint64_t hpa_wc = gpa_data + 0x8000, hpa_wb = gpa_data + 0x9000,
                        hpa_uc = gpa_data + 0xa000;

void map_three(host_cpu& h) {
    h.map({hva_wc, hpa_wc, 0x1000, memtype::wc});
    h.map({hva_wb, hpa_wb, 0x1000});
    h.map({hva_uc, hpa_uc, 0x1000, memtype::wb, memtype::uc});
}

} // namespace

TEST_CASE("The host agent accesses memory with the host PAT type of its mapping") {
    rig r;
    host_cpu& h = r.add_host(2);
    map_three(h);
    recorder rec;
    h.set_observer(&rec);
    bool in_wc = false;
    bytes wc_before, wc_after, wb_dram, wb_cache, uc_dram;
    program p;
    // UC first: a UC access drains the WC buffers (docs/reference/memory-types.md §5).
    p.store_value(hva_uc, 0x3434343434343434ULL, 8)
        .store_value(hva_wb, 0x3232323232323232ULL, 8)
        .store(hva_wc, fill(64, 0x31))
        .callback("before",
                  [&](agent&) {
                      in_wc = r.ms.in_wc_buffer(2, hpa_wc);
                      wc_before = r.ms.read_dram(hpa_wc, 64);
                      wb_dram = r.ms.read_dram(hpa_wb, 8);
                      wb_cache = r.ms.read_coherent(hpa_wb, 8);
                      uc_dram = r.ms.read_dram(hpa_uc, 8);
                  })
        .sfence()
        .callback("after", [&](agent&) { wc_after = r.ms.read_dram(hpa_wc, 64); })
        .load(hva_wb, 8, "wb");
    h.set_program(p);
    r.run();
    CHECK(in_wc);
    CHECK(wc_before == fill(64, 0));
    CHECK(wc_after == fill(64, 0x31));
    CHECK(wb_dram == fill(8, 0));
    CHECK(wb_cache == fill(8, 0x32));
    CHECK(uc_dram == fill(8, 0x34)); // MTRR UC x PAT WB = UC: straight to memory
    REQUIRE(rec.stores.size() == 3);
    CHECK(rec.stores[0].type == memtype::uc);
    CHECK(rec.stores[0].source_of_type == type_source::range);
    CHECK(rec.stores[1].type == memtype::wb);
    CHECK(rec.stores[2].type == memtype::wc);
    CHECK(rec.stores[2].hpa == hpa_wc);
    CHECK(le_value(h.load_labelled("wb").bytes.data(), 8) == 0x3232323232323232ULL);
}

TEST_CASE("The host agent runs WBINVD itself on its pCPU") {
    rig r;
    host_cpu& h = r.add_host(1);
    map_three(h);
    bytes dram;
    program p;
    p.store_value(hva_wb, 0x77, 8).wbinvd().callback("look", [&](agent&) {
        dram = r.ms.read_dram(hpa_wb, 8);
    });
    h.set_program(p);
    r.run();
    CHECK(le_value(dram.data(), 8) == 0x77);
    CHECK(r.ms.stats().wbinvd_writebacks.value() >= 1);
    CHECK(h.ops(op_code::wbinvd).value() == 1);
}

TEST_CASE("The host agent refuses an unmapped host-virtual address and bad mappings") {
    rig r;
    host_cpu& h = r.add_host(0);
    map_three(h);
    CHECK_THROWS_AS(h.map({hva_wb + 0x800, 0x1000, 0x1000}), std::invalid_argument);
    CHECK_THROWS_AS(h.map({hva_wb, 0x5000, 0x1000}), std::invalid_argument);
    program p;
    p.load(0x40000000, 8);
    h.set_program(p);
    std::string msg;
    try {
        r.run();
    } catch (const std::exception& e) {
        msg = e.what();
    }
    CAPTURE(msg);
    CHECK(msg.find("0x40000000") != std::string::npos);
}

TEST_CASE("A VMM thread and a vCPU share guest memory through the caches") {
    rig r;
    vcpu& v = r.add_vcpu(0);
    host_cpu& h = r.add_host(1);
    h.map({0x50000000, gpa_data, 0x1000});
    const std::uint64_t g = r.data(0x40);
    sc_core::sc_event written;
    bool done = false;
    program pv, ph;
    pv.fill(g, 128, {0xc3}).callback("ring", [&](agent&) {
        done = true;
        written.notify(sc_core::SC_ZERO_TIME);
    });
    ph.callback("wait",
                [&](agent&) {
                    if (!done) sc_core::wait(written);
                })
        .load(0x50000040, 128, "seen")
        .migrate(2)
        .load(0x50000040, 8, "after-migration");
    v.set_program(pv);
    h.set_program(ph);
    r.premap();
    r.run();
    CHECK(h.load_labelled("seen").bytes == fill(128, 0xc3));
    CHECK(h.load_labelled("after-migration").bytes == fill(8, 0xc3));
    CHECK(h.pcpu() == 2);
    CHECK(h.m_migrations.value() == 1);
}

namespace {

// The VMM reads a guest page (so its pCPU caches it clean), a device then writes the page to
// DRAM without snooping, and the VMM copies the page out: plainly or with the CLFLUSH
// mitigation. Returns what the copy delivered.
bytes copy_after_non_snooped_write(bool flushed) {
    rig r;
    host_cpu& h = r.add_host(0);
    h.map({0x50000000, gpa_data, 0x1000});
    h.map({0x60000000, gpa_data + 0x10000, 0x1000});
    program p;
    p.load(0x50000000, 128, "warm").callback("device writes", [&](agent&) {
        bytes b = fill(128, 0xd0);
        access_ext ext;
        ext.op = op_kind::dma_write;
        ext.no_snoop = true;
        ext.who.kind = requester_kind::device;
        tlm::tlm_generic_payload gp;
        gp.set_command(tlm::TLM_WRITE_COMMAND);
        gp.set_address(gpa_data);
        gp.set_data_ptr(b.data());
        gp.set_data_length(128);
        gp.set_streaming_width(128);
        gp.set_extension(&ext);
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        r.dev->b_transport(gp, d);
        gp.clear_extension(&ext);
    });
    if (flushed)
        p.flushed_copy(0x60000000, 0x50000000, 128);
    else
        p.copy(0x60000000, 0x50000000, 128);
    p.load(0x60000000, 128, "copied");
    h.set_program(p);
    r.run();
    CHECK(h.load_labelled("warm").bytes == fill(128, 0));
    return h.load_labelled("copied").bytes;
}

} // namespace

TEST_CASE("A plain VMM copy reads its stale cached line after a non-snooped device write") {
    CHECK(copy_after_non_snooped_write(false) == fill(128, 0));
}

TEST_CASE("A VMM copy with CLFLUSH around each line reads the device's bytes") {
    CHECK(copy_after_non_snooped_write(true) == fill(128, 0xd0));
}

TEST_CASE("an agent with a zero fill width or no fill buffer is refused by name") {
    cpu::agent_config a;
    a.fill_width = 0;
    CHECK_THROWS_WITH_AS(cpu::host_cpu("h0", a, {0, 1, 0}), doctest::Contains("fill_width"),
                         std::invalid_argument);
    cpu::agent_config b;
    b.store_buffer.fill_buffers = 0;
    CHECK_THROWS_WITH_AS(cpu::host_cpu("h1", b, {0, 1, 0}), doctest::Contains("fill_buffers"),
                         std::invalid_argument);
}
