#include "scenarios/guest_tables.h"

#include <cstring>

#include <fmt/format.h>

#include "model/page_table_writer.h"
#include "model/pat.h"
#include "scenarios/address_plan.h"

namespace mtsim::scenarios {

namespace {

std::uint64_t guest_pat_msr(const scenario& s) {
    if (s.guest.pat == "linux") return pat_linux_value;
    if (s.guest.pat == "reset") return 0x0007040600070406ULL;
    if (auto v = parse_uint(s.guest.pat)) return *v;
    throw config_error(s.file, 0, "guest.pat", "expected linux, reset or a 64-bit value");
}

// The guest tables live in guest RAM (no cache holds them yet): reads and writes are DRAM
// peeks and pokes at the RAM memslot's host-physical address.
page_table_writer::memory guest_ram_io(dram& mem, const kvm::memslot_table& slots,
                                       std::function<std::uint64_t()> alloc) {
    page_table_writer::memory io;
    io.read = [&mem, &slots](std::uint64_t gpa) {
        std::uint64_t v = 0;
        mem.peek(hpa_of_gpa(slots, gpa), reinterpret_cast<unsigned char*>(&v), 8);
        return v;
    };
    io.write = [&mem, &slots](std::uint64_t gpa, std::uint64_t v) {
        mem.poke(hpa_of_gpa(slots, gpa), reinterpret_cast<const unsigned char*>(&v), 8);
    };
    io.alloc_table = std::move(alloc);
    return io;
}

// guest.raw_pte: the edit is a DRAM write like the builder's own.
void apply_raw_ptes(const scenario& s, const cpu::guest_regs& regs, page_table_writer& w, dram& mem,
                    const kvm::memslot_table& slots) {
    for (std::size_t i = 0; i < s.raw_ptes.size(); ++i) {
        const raw_entry& r = s.raw_ptes[i];
        const std::string key = fmt::format("guest.raw_pte[{}]", i);
        const auto in_ram = [&](std::uint64_t at) { return hpa_of_gpa(slots, at) != 0; };
        const page_table_writer::lookup f = w.find(regs.cr3, r.address, r.level, in_ram);
        if (f.missing && !in_ram(f.at))
            throw config_error(s.file, r.line, key,
                               fmt::format("the level-{} table at gpa {:#x} is not in guest RAM",
                                           f.missing, address_of(f.at)));
        if (f.missing)
            throw config_error(s.file, r.line, key,
                               fmt::format("gva {:#x} is not mapped: its level-{} entry is not "
                                           "present",
                                           r.address, f.missing));
        std::uint64_t e = 0;
        mem.peek(hpa_of_gpa(slots, f.at), reinterpret_cast<unsigned char*>(&e), 8);
        e = r.apply(e);
        mem.poke(hpa_of_gpa(slots, f.at), reinterpret_cast<const unsigned char*>(&e), 8);
    }
}

} // namespace

cpu::guest_regs build_guest_tables(const scenario& s, dram& mem, const kvm::memslot_table& slots) {
    cpu::guest_regs regs;
    const auto pat = decode_pat(guest_pat_msr(s));
    if (!pat.ok()) throw config_error(s.file, 0, "guest.pat", "not a valid IA32_PAT value");
    regs.pat = pat.value();
    regs.cr0_cd = s.guest.cr0_cd;

    // Tables are taken downwards from the top of guest RAM.
    std::uint64_t next_table = s.guest.ram;
    auto alloc = [&s, &next_table]() {
        next_table -= 4096;
        for (const auto& b : s.buffers)
            if (b.kind == buffer_kind::ram && next_table < b.gpa + b.size &&
                b.gpa < next_table + 4096)
                throw config_error(s.file, b.line, "guest.buffers." + b.name,
                                   "overlaps the guest page tables at the top of guest RAM");
        return next_table;
    };
    page_table_writer w({4, guest_p, guest_table_bits}, guest_ram_io(mem, slots, alloc));
    regs.cr3 = alloc();
    auto bits_for = [&](memtype t, unsigned line, const std::string& key) {
        for (unsigned i = 0; i < 8; ++i)
            if (regs.pat[i] == t) return pat_index_bits(i, page_size::size_4k);
        throw config_error(
            s.file, line, key,
            fmt::format("the guest PAT ({}) has no {} entry", s.guest.pat, to_string(t)));
    };
    auto map_page = [&](std::uint64_t a, std::uint64_t bits) {
        w.map(regs.cr3, a, a | guest_table_bits | guest_d | bits);
    };
    for (const auto& b : s.buffers) {
        const std::uint64_t bits = bits_for(b.pat, b.line, "guest.buffers." + b.name + ".pat");
        for (std::uint64_t a = b.gpa; a < b.gpa + b.size; a += 4096) map_page(a, bits);
    }
    // The GPU's BAR, as the guest driver maps its registers (ioremap: UC; ioremap_wc: WC).
    map_page(s.devices.gpu.bar_gpa, bits_for(s.devices.gpu.bar_pat, 0, "devices.gpu.bar_pat"));
    apply_raw_ptes(s, regs, w, mem, slots);
    return regs;
}

// raw_ept: the current value is what a coherent reader sees at the entry KVM's tables hold
// for the gpa.
void apply_raw_ept(const scenario& s, kvm::hypervisor& hv, const memory_system& ms,
                   kvm::host_context& ctx) {
    const unsigned levels = hv.ept().config().levels;
    for (std::size_t i = 0; i < s.raw_ept.size(); ++i) {
        const raw_entry& r = s.raw_ept[i];
        const std::string key = fmt::format("raw_ept[{}]", i);
        if (r.level > levels)
            throw config_error(s.file, r.line, key + ".level",
                               fmt::format("the EPT has {} levels", levels));
        std::uint64_t table = hv.ept().root();
        std::uint64_t current = 0;
        for (unsigned l = levels; l >= r.level; --l) {
            std::uint64_t e = 0;
            const auto b =
                ms.read_coherent(page_table_writer::entry_address(table, r.address, l), 8);
            std::memcpy(&e, b.data(), 8);
            if (l == r.level) {
                current = e;
                break;
            }
            // Not present, or a leaf above (PS in a PDPTE or PDE).
            if (!(e & ept_rwx_mask) || (l <= 3 && ept_bit(ept_field::ps, e))) break;
            table = address_of(e);
        }
        hv.write_raw_ept(r.address, r.level, r.apply(current), ctx);
    }
}

} // namespace mtsim::scenarios
