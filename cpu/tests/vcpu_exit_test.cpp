// The vCPU's side of VM exits: EPT violations fixed by the hypervisor and retried, MMIO
// emulation, WBINVD exits, migration with vcpu_load, and the cases the model refuses.
#include <doctest/doctest.h>

#include <string>

#include "cpu/tests/vcpu_rig.h"

using namespace mtsim;
using namespace mtsim::cpu;
using namespace mtsim::cpu::test;

TEST_CASE("An EPT violation the hypervisor fixes is retried over the whole 2-D walk") {
    rig r;
    vcpu& v = r.add_vcpu(0);
    const std::uint64_t a = r.data(0x18);
    const bytes want = le_bytes(0x0123456789abcdefULL, 8);
    r.mem.poke(gpa_data + 0x18, want.data(), 8);
    program p;
    p.load(a, 8, "x").load(a, 8, "again");
    v.set_program(p);
    r.run(); // no premap: every guest table page and the data page fault in EPT
    CHECK(v.load_labelled("x").bytes == want);
    CHECK(v.load_labelled("again").bytes == want);
    // PML4, PDPT, PD, PT pages (non-final) and the data page (final).
    REQUIRE(r.hv.count(exit_reason::ept_violation) == 5);
    for (unsigned i = 0; i < 4; ++i) {
        CAPTURE(i);
        CHECK_FALSE(r.hv.exits[i].final_translation);
        CHECK(r.hv.exits[i].gpa >= r.guest.first_table());
        CHECK(r.hv.exits[i].gpa < r.guest.end_of_tables());
        CHECK(r.hv.exits[i].size == 0);
    }
    const auto& fin = r.hv.exits[4];
    CHECK(fin.final_translation);
    CHECK(fin.gpa == gpa_data + 0x18);
    CHECK(fin.gva == a);
    CHECK((fin.qualification & 1) == 1);        // data read
    CHECK((fin.qualification & 2) == 0);        // not a write
    CHECK((fin.qualification & (1 << 7)) != 0); // guest-linear address valid
    CHECK((fin.qualification & (1 << 8)) != 0); // final translation
    CHECK(fin.size == 8);
    CHECK(v.m_exits_violation.value() == 5);
    // 600 hypervisor cycles at 3 GHz are 200 cycles of the 1 GHz vCPU, per exit.
    CHECK(v.m_exit_cycles.value() >= 5 * 200);
    CHECK(r.hv.exits.back().reason == exit_reason::hlt);
    // The walk read the guest's PML4 entry through pCPU 0's caches (guest tables are WB here).
    bool cached = false;
    for (const line_view& c : r.ms.copies(r.guest.cr3() + 8 * idx(a, 4))) cached |= c.pcpu == 0;
    CHECK(cached);
}

TEST_CASE("An MMIO load returns the bytes the hypervisor emulated") {
    rig r;
    vcpu& v = r.add_vcpu(0);
    const std::uint64_t reg = r.mmio(0x10);
    program p;
    p.store_value(r.data(0), 7, 8)
        .mmio_read(reg, 4, "status")
        .mmio_write(reg + 4, {1, 2, 3, 4}, "kick");
    v.set_program(p);
    r.premap();
    r.run();
    CHECK(v.load_labelled("status").bytes == bytes{0xab, 0xac, 0xad, 0xae});
    std::vector<test_hypervisor::exit_seen> mmio;
    for (const auto& e : r.hv.exits)
        if (e.reason == exit_reason::ept_violation && e.gpa >= gpa_mmio) mmio.push_back(e);
    REQUIRE(mmio.size() == 2);
    CHECK_FALSE(mmio[0].is_write);
    CHECK(mmio[0].gpa == gpa_mmio + 0x10);
    CHECK(mmio[0].size == 4);
    CHECK(mmio[1].is_write);
    CHECK(mmio[1].data == bytes{1, 2, 3, 4});
    CHECK(mmio[1].gpa == gpa_mmio + 0x14);
    CHECK(v.m_emulated.value() == 2);
    // The exit drained the older store: it is in memory, not the store buffer.
    CHECK(le_value(r.ms.read_coherent(gpa_data, 8).data(), 8) == 7);
}

TEST_CASE("An EPT misconfiguration exit carries the gpa and its emulation completes the load") {
    rig r;
    vcpu& v = r.add_vcpu(0);
    const std::uint64_t reg = r.mmio(0x20);
    program p;
    p.mmio_read(reg, 2, "reg");
    v.set_program(p);
    r.premap();
    r.hv.map_identity(gpa_mmio);
    // RWX with the reserved memory type 2 in a leaf: a misconfiguration (docs/reference/ept.md).
    r.hv.set_word(r.hv.leaf_address(gpa_mmio), gpa_mmio | 7 | (2u << 3));
    r.run();
    CHECK(v.load_labelled("reg").bytes == bytes{0xab, 0xac});
    REQUIRE(r.hv.count(exit_reason::ept_misconfig) == 1);
    CHECK(r.hv.count(exit_reason::ept_violation) == 0);
    const auto& e = r.hv.exits[0];
    CHECK(e.reason == exit_reason::ept_misconfig);
    CHECK(e.gpa == gpa_mmio + 0x20);
    CHECK(e.final_translation);
    CHECK(e.qualification == 0);
    CHECK(e.size == 2);
    CHECK(v.m_exits_misconfig.value() == 1);
}

TEST_CASE("A guest WBINVD and WBNOINVD reach the hypervisor after the store buffer drained") {
    rig_options o;
    o.policy = retire_policy::lazy;
    rig r(o);
    vcpu& v = r.add_vcpu(1);
    const std::uint64_t a = r.data(0);
    std::vector<bytes> visible;
    std::vector<std::size_t> buffered;
    r.hv.on_wbinvd = [&](const vm_exit&, sc_core::sc_time&) {
        visible.push_back(r.ms.read_coherent(gpa_data, 8));
        buffered.push_back(v.buffered().size());
    };
    program p;
    p.store_value(a, 0x99, 8).wbinvd().wbnoinvd();
    v.set_program(p);
    r.premap();
    r.run();
    std::vector<test_hypervisor::exit_seen> wb;
    for (const auto& e : r.hv.exits)
        if (e.reason == exit_reason::wbinvd) wb.push_back(e);
    REQUIRE(wb.size() == 2);
    CHECK_FALSE(wb[0].noinvd);
    CHECK(wb[1].noinvd);
    CHECK(wb[0].pcpu == 1);
    CHECK(wb[0].vcpu == 0);
    REQUIRE(visible.size() == 2);
    CHECK(le_value(visible[0].data(), 8) == 0x99);
    CHECK(buffered[0] == 0);
    CHECK(v.m_exits_wbinvd.value() == 2);
}

TEST_CASE("Migration calls vcpu_load with the new pCPU and uses its caches") {
    rig r;
    vcpu& v = r.add_vcpu(0);
    const std::uint64_t a = r.data(0), b = r.data(0x80);
    std::vector<line_view> b_copies;
    program p;
    p.store_value(a, 0x42, 8)
        .mfence()
        .migrate(2)
        .load(a, 8, "a")
        .store_value(b, 0x43, 8)
        .mfence()
        .callback("look", [&](agent&) { b_copies = r.ms.copies(gpa_data + 0x80); });
    v.set_program(p);
    r.premap();
    r.run();
    REQUIRE(r.hv.loads.size() == 2);
    CHECK(r.hv.loads[0] == std::pair<unsigned, unsigned>{0, 0});
    CHECK(r.hv.loads[1] == std::pair<unsigned, unsigned>{0, 2});
    CHECK(v.current_pcpu() == 2);
    CHECK(v.m_migrations.value() == 1);
    CHECK(le_value(v.load_labelled("a").bytes.data(), 8) == 0x42);
    bool on_new = false, on_old = false;
    for (const line_view& c : b_copies) {
        on_new |= c.pcpu == 2;
        on_old |= c.pcpu == 0;
    }
    CHECK(on_new);
    CHECK_FALSE(on_old);
    CHECK(r.hv.exits.back().pcpu == 2); // the HLT at the end is taken on the new pCPU
}

namespace {

std::string run_and_catch(rig& r) {
    try {
        r.run();
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

} // namespace

TEST_CASE("A guest page fault is refused naming the gva") {
    rig r;
    vcpu& v = r.add_vcpu(0);
    program p;
    p.load(gva_base + 0x50000000, 8);
    v.set_program(p);
    r.premap();
    const std::string msg = run_and_catch(r);
    CAPTURE(msg);
    CHECK(msg.find("page fault") != std::string::npos);
    CHECK(msg.find("0x7f0050000000") != std::string::npos);
}

TEST_CASE("A guest INVD exits with reason INVD and never reaches the caches") {
    // SDM Vol. 3C 26.1.2: INVD causes a VM exit unconditionally; the hypervisor decides.
    rig r;
    vcpu& v = r.add_vcpu(0);
    program p;
    const std::uint64_t a = r.data(0);
    p.store_value(a, 0x5a, 8).invd();
    v.set_program(p);
    r.premap();
    r.run();
    unsigned invd = 0;
    for (const auto& e : r.hv.exits)
        if (e.reason == exit_reason::invd) ++invd;
    CHECK(invd == 1);
    CHECK(r.ms.stats().invd_dirty_lost.value() == 0);
    CHECK(v.m_exits_wbinvd.value() == 1);
}

namespace {

// Answers every EPT violation with retry after mapping some other page.
class redirecting_handler : public vm_exit_handler {
public:
    explicit redirecting_handler(test_hypervisor& h) : m_h(h) {}
    exit_outcome handle_exit(vm_exit& e, sc_core::sc_time& d) override {
        if (e.reason != exit_reason::ept_violation) return m_h.handle_exit(e, d);
        m_h.map_identity(e.gpa + 0x200000);
        return exit_outcome::retry;
    }
    void vcpu_load(unsigned v, unsigned p, sc_core::sc_time& d) override { m_h.vcpu_load(v, p, d); }

private:
    test_hypervisor& m_h;
};

} // namespace

TEST_CASE("A hypervisor that answers retry without fixing the violation is refused") {
    rig r;
    vcpu& v = r.add_vcpu(0);
    redirecting_handler bad(r.hv);
    v.set_handler(bad);
    program p;
    p.load(r.data(0), 8);
    v.set_program(p);
    const std::string msg = run_and_catch(r);
    CAPTURE(msg);
    CHECK(msg.find("retry") != std::string::npos);
}
