#include "scenarios/validate.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <unistd.h>

#include <fmt/format.h>

#include "gpu/descriptor.h"
#include "scenarios/address_plan.h"
#include "scenarios/device_plan.h"

namespace mtsim::scenarios {

[[noreturn]] void fail_at(const scenario& s, const std::string& key, const std::string& message) {
    auto it = s.origins.find(key);
    if (it == s.origins.end()) {
        // A section: the first parameter set under it.
        const std::string prefix = key + ".";
        for (auto jt = s.origins.lower_bound(prefix);
             jt != s.origins.end() && jt->first.compare(0, prefix.size(), prefix) == 0; ++jt)
            if (it == s.origins.end() || jt->second.line < it->second.line) it = jt;
    }
    if (it == s.origins.end()) throw config_error(s.file, 0, key, message);
    throw config_error(it->second.file, it->second.line, key, message);
}

namespace {

bool is_hole(buffer_kind k) {
    return k == buffer_kind::pci_hole || k == buffer_kind::mmio_hole;
}

// A block's validate() names its parameter inside quotes or as its first word; the key is
// that parameter under the block's section when it can be found, else the section.
template <class F>
void block_check(const scenario& s, const std::string& section, F&& check) {
    try {
        check();
    } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        std::string key = section;
        const auto q = what.find('\'');
        const auto q2 = q == std::string::npos ? q : what.find('\'', q + 1);
        if (q2 != std::string::npos) key = section + "." + what.substr(q + 1, q2 - q - 1);
        fail_at(s, key, what);
    }
}

// entries / ways sets, a power of two (cpu/tlb.h set_assoc::configure).
void tlb_geometry(const scenario& s) {
    const auto& t = s.platform.vcpu.mmu.tlb;
    const struct {
        const char* entries;
        std::uint64_t n;
        const char* ways;
        std::uint64_t w;
    } rows[] = {{"entries_4k", t.entries_4k, "ways_4k", t.ways_4k},
                {"entries_2m", t.entries_2m, "ways_2m", t.ways_2m},
                {"entries_1g", t.entries_1g, "ways_1g", t.ways_1g},
                {"guest_psc_entries", t.guest_psc_entries, "guest_psc_ways", t.guest_psc_ways},
                {"ept_psc_entries", t.ept_psc_entries, "ept_psc_ways", t.ept_psc_ways}};
    for (const auto& r : rows) {
        if (r.n == 0) continue;
        const std::uint64_t sets = r.w ? r.n / r.w : 0;
        if (r.w == 0 || r.n % r.w != 0 || (sets & (sets - 1)) != 0)
            fail_at(s, std::string("platform.vcpu.mmu.tlb.") + r.entries,
                    fmt::format("{} = {} with {} = {}: entries / ways must be a power-of-two "
                                "number of sets",
                                r.entries, r.n, r.ways, r.w));
    }
}

void blocks(const scenario& s) {
    block_check(s, "platform.cache", [&] { validate(s.platform.cache); });
    block_check(s, "platform.dram", [&] { validate(s.platform.dram); });
    block_check(s, "platform.gpu", [&] { gpu::validate(s.platform.gpu); });
    block_check(s, "host.kvm.ept", [&] { kvm::validate(s.host.kvm.ept); });
    if (is_vfio(s)) block_check(s, "platform.iommu", [&] { iommu::validate(s.platform.iommu); });
    tlb_geometry(s);
}

// Distinct 2^shift-byte regions the buffers (and the BAR page) cover: the guest page tables
// of one level that page_table_writer allocates for them.
std::uint64_t regions(const scenario& s, unsigned shift) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> r;
    for (const auto& b : s.buffers) r.emplace_back(b.gpa >> shift, (b.gpa + b.size - 1) >> shift);
    r.emplace_back(s.devices.gpu.bar_gpa >> shift, s.devices.gpu.bar_gpa >> shift);
    std::sort(r.begin(), r.end());
    std::uint64_t n = 0, end = 0;
    bool open = false;
    for (const auto& [a, z] : r) {
        if (open && a <= end) {
            if (z > end) n += z - end;
        } else
            n += z - a + 1;
        end = open ? std::max(end, z) : z;
        open = true;
    }
    return n;
}

std::uint64_t guest_table_count(const scenario& s) {
    return 1 + regions(s, 39) + regions(s, 30) + regions(s, 21); // PML4, PDPTs, PDs, PTs
}

void buffers(const scenario& s) {
    const std::uint64_t blob_limit = ring_hpa - blob_hpa_base; // blobs at 8 GiB + gpa
    const buffer* largest = nullptr;
    std::uint64_t ram_top = 0; // end of the highest ram buffer
    for (const auto& b : s.buffers) {
        const std::string key = "guest.buffers." + b.name;
        if (b.gpa + b.size < b.gpa || b.gpa + b.size > guest_linear_limit)
            throw config_error(s.file, b.line, key,
                               fmt::format("ends beyond {:#x}: guest linear addresses equal "
                                           "guest-physical ones and 4-level paging translates "
                                           "only the canonical lower half",
                                           guest_linear_limit));
        if (b.kind == buffer_kind::blob && b.gpa + b.size > blob_limit)
            throw config_error(
                s.file, b.line, key,
                fmt::format("a blob ends at gpa {:#x}; blobs live at host-physical 8 GiB + gpa "
                            "and must end below the GPU ring at 12 GiB (gpa + size <= {:#x})",
                            b.gpa + b.size, blob_limit));
        if ((b.kind == buffer_kind::device_bar || b.kind == buffer_kind::device_coherent) &&
            b.gpa + b.size > devmem_gpa_limit)
            throw config_error(s.file, b.line, key,
                               fmt::format("device memory ends at gpa {:#x}; it lives at "
                                           "host-physical 32 GiB + gpa (gpa + size <= {:#x})",
                                           b.gpa + b.size, devmem_gpa_limit));
        if (b.kind == buffer_kind::ram) ram_top = std::max(ram_top, b.gpa + b.size);
        if (!largest || b.size > largest->size) largest = &b;
    }
    const std::uint64_t tables = guest_table_count(s);
    const std::uint64_t room = s.guest.ram > ram_top ? (s.guest.ram - ram_top) / 4096 : 0;
    if (tables > room) {
        const unsigned line = largest ? largest->line : 0;
        throw config_error(
            s.file, line, largest ? "guest.buffers." + largest->name + ".size" : "guest.ram",
            fmt::format("the guest page tables for these buffers need {} tables ({}) at the top "
                        "of guest RAM, which has {} free above its highest ram buffer (guest.ram "
                        "= {}); huge guest pages are not modelled: use smaller buffers or more "
                        "guest.ram",
                        tables, fmt::format("{} MiB", (tables * 4096 + MiB - 1) / MiB),
                        format_size(room * 4096), format_size(s.guest.ram)));
    }
    std::uint64_t need = ring_hpa + ring_bytes;
    for (const auto& b : s.buffers)
        if (b.kind == buffer_kind::blob)
            need = std::max(need, blob_hpa_base + b.gpa + b.size);
        else if (b.kind == buffer_kind::device_bar || b.kind == buffer_kind::device_coherent)
            need = std::max(need, devmem_hpa_base + b.gpa + b.size);
    if (is_vfio(s)) need = std::max(need, domain_table_base + s.platform.iommu.table_bytes);
    if (s.platform.dram.size_bytes < need)
        fail_at(s, "platform.dram.size",
                fmt::format("DRAM of {} cannot hold the address plan, which reaches {:#x} "
                            "(scenarios/address_plan.h)",
                            format_size(s.platform.dram.size_bytes), need));
}

std::string op_key(const agent_program& p, std::size_t i, const scenario_op& op) {
    return fmt::format("programs.{}[{}].{}", p.agent, i, op_name_of(op.type));
}

bool is_flush(op_type t) {
    return t == op_type::clflush || t == op_type::clflushopt || t == op_type::clwb ||
           t == op_type::dc;
}

void ops(const scenario& s) {
    std::uint64_t vram = 0, descriptors = 0, hotplugs = 0, unplugs = 0;
    const std::uint64_t ring_capacity = ring_bytes / gpu::descriptor_bytes - 1;
    for (const auto& p : s.programs) {
        const bool gpu = p.agent == "gpu", vmm = p.agent == "vmm";
        if (vmm && s.vmm.pcpu >= s.platform.cache.pcpus)
            fail_at(s, "vmm.pcpu",
                    fmt::format("pCPU {} does not exist (platform.cache.pcpus = {})", s.vmm.pcpu,
                                s.platform.cache.pcpus));
        std::uint64_t paused = 0;
        for (std::size_t i = 0; i < p.ops.size(); ++i) {
            const scenario_op& op = p.ops[i];
            const std::string key = op_key(p, i, op);
            auto fail = [&](const std::string& m) { throw config_error(s.file, op.line, key, m); };
            if (op.type == op_type::pause) {
                paused += op.value; // each value <= 2^40 (the parser), so no wrap
                if (paused > max_pause_cycles)
                    fail(fmt::format("the program's pauses add up to {} cycles, more than {} (the "
                                     "simulated time SystemC's sc_time holds)",
                                     paused, max_pause_cycles));
            }
            if (op.type == op_type::hotplug) {
                if (!is_vfio(s))
                    fail("hotplug adds a pass-through device: it needs devices.gpu.mode vfio");
                if (!s.devices.gpu.hotplug && s.devices.gpu.kvm_vfio)
                    fail("the device is registered with KVM at start (devices.gpu.hotplug is "
                         "false): a hotplug op would attach it twice (-EEXIST)");
                if (++hotplugs > 1)
                    fail("the device is hot-plugged once; this is a second hotplug");
            }
            if (op.type == op_type::unplug) {
                if (is_vfio(s) && !s.devices.gpu.kvm_vfio)
                    fail("unplug removes the pass-through device's file from the KVM-VFIO "
                         "device: with devices.gpu.mode vfio it needs devices.gpu.kvm_vfio");
                if (p.agent != "vmm")
                    fail("unplug is the VMM's: it removes the device and tells KVM");
                if (s.devices.gpu.hotplug && hotplugs == 0)
                    fail("unplug before the device was hot-plugged (KVM_DEV_VFIO_FILE_DEL of a "
                         "file not attached: -ENOENT)");
                if (++unplugs > 1) fail("the device is unplugged once; this is a second unplug");
            }
            if (op.type == op_type::wrmsr && vmm)
                fail("wrmsr writes a guest MTRR: a vCPU's op (the VMM thread is host code)");
            if (gpu && op.type == op_type::gpu_interrupt) ++descriptors;
            if (!is_memory_op(op.type)) continue;
            const buffer& b = s.find_buffer(op.buffer);
            if (is_hole(b.kind) && (gpu || vmm))
                fail(fmt::format("buffer '{}' is a {}: {} reaches guest memory only (ram and blob "
                                 "buffers)",
                                 b.name, b.kind == buffer_kind::pci_hole ? "pci_hole" : "mmio_hole",
                                 gpu ? "the GPU's DMA" : "the VMM's mapping"));
            if (is_hole(b.kind) && is_flush(op.type))
                fail(fmt::format("buffer '{}' is a hole: no memory and no cache line behind it to "
                                 "flush (the access exits to the VMM)",
                                 b.name));
            if (gpu) {
                vram += op.repeat * ((op.len + 63) / 64 * 64); // device_plan.cpp: 64-byte slots
                descriptors += op.repeat;
                if (vram > s.platform.gpu.vram_bytes)
                    fail(fmt::format("the GPU's reads and writes so far stage {} in VRAM, more "
                                     "than platform.gpu.vram_bytes ({})",
                                     format_size(vram), format_size(s.platform.gpu.vram_bytes)));
                if (descriptors > ring_capacity)
                    fail(fmt::format("the GPU's program needs {} descriptors, more than its ring "
                                     "holds ({} of {} bytes)",
                                     descriptors, ring_capacity, gpu::descriptor_bytes));
            }
        }
    }
}

std::uint64_t physical_memory() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? std::uint64_t(pages) * std::uint64_t(page) : 8 * GiB;
}

std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) {
    return a + b < a ? UINT64_MAX : a + b;
}
std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b) {
    return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

void host_memory(const scenario& s) {
    const auto e = estimate_host_memory(s);
    const std::uint64_t budget = host_memory_budget(s);
    if (e.total <= budget) return;
    const memory_estimate::part* big = &e.parts.front();
    std::string parts;
    for (const auto& p : e.parts) {
        if (p.bytes > big->bytes) big = &p;
        if (p.bytes >= MiB)
            parts += fmt::format("{}{} {} MiB", parts.empty() ? "" : ", ", p.what, p.bytes / MiB);
    }
    fail_at(s, big->key,
            fmt::format("the run would take about {} MiB of host memory ({}), more than "
                        "run.max_host_memory ({} MiB{}); reduce it or raise run.max_host_memory",
                        e.total / MiB, parts, budget / MiB,
                        s.run.max_host_memory ? "" : ": half of this machine's memory"));
}

} // namespace

std::uint64_t host_memory_budget(const scenario& s) {
    return s.run.max_host_memory ? s.run.max_host_memory : physical_memory() / 2;
}

// Factors measured on this model (RSS of `mtsim run`, release build): a cache array takes
// (line_size + 48) bytes per line (1.75x its capacity at 64-byte lines, l1d/l2/llc of
// 256 MiB each: 1.38 GB); a filled guest byte ~3.6 bytes (sparse DRAM page + the oracle's
// per-byte write record: a 64 MiB fill added 232 MB), a loaded byte ~1.5 bytes (100 MB per
// 64 MiB); an idle run 12 MB. Assumptions: ~64 bytes per compiled instruction or descriptor,
// 2 bytes per VRAM byte (the staged pattern and VRAM).
memory_estimate estimate_host_memory(const scenario& s) {
    memory_estimate e;
    const auto& c = s.platform.cache;
    const std::uint64_t cache_bytes =
        sat_add(sat_mul(c.pcpus, sat_add(c.l1d.size_bytes, c.l2.size_bytes)), c.llc.size_bytes);
    const std::string cache_key =
        c.llc.size_bytes >= c.l2.size_bytes && c.llc.size_bytes >= c.l1d.size_bytes
            ? "platform.cache.llc.size"
        : c.l2.size_bytes >= c.l1d.size_bytes ? "platform.cache.l2.size"
                                              : "platform.cache.l1d.size";
    e.parts.push_back(
        {"caches", cache_key, sat_mul(cache_bytes / c.line_size, std::uint64_t(c.line_size) + 48)});
    e.parts.push_back({"guest page tables", "guest.buffers", guest_table_count(s) * 4096});
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> touched; // written, read
    std::uint64_t instructions = 0, vram = 0;
    std::string op_key_big = "guest.buffers";
    std::uint64_t op_big = 0;
    for (const auto& p : s.programs)
        for (std::size_t i = 0; i < p.ops.size(); ++i) {
            const scenario_op& op = p.ops[i];
            if (!is_memory_op(op.type)) {
                ++instructions;
                continue;
            }
            // Bytes this op covers: repeats at a stride below len overlap.
            const std::uint64_t span =
                sat_add(sat_mul(op.repeat - 1, std::min(op.stride, op.len)), op.len);
            const bool write = op.type == op_type::store || op.type == op_type::fill ||
                               op.type == op_type::nt_fill || op.type == op_type::gpu_read ||
                               op.type == op_type::xchg || op.type == op_type::lock_add ||
                               op.type == op_type::stxr || op.type == op_type::ldadd ||
                               op.type == op_type::cas;
            auto& t = touched[op.buffer];
            if (is_flush(op.type))
                instructions = sat_add(instructions, sat_mul(op.repeat, op.len / c.line_size + 1));
            else {
                (write ? t.first : t.second) = sat_add(write ? t.first : t.second, span);
                instructions = sat_add(instructions, op.repeat);
            }
            if (p.agent == "gpu") vram = sat_add(vram, sat_mul(op.repeat, op.len));
            if (span > op_big) {
                op_big = span;
                op_key_big = op_key(p, i, op);
            }
        }
    std::uint64_t guest = 0;
    for (const auto& [name, t] : touched) {
        const std::uint64_t size = s.find_buffer(name).size;
        guest = sat_add(guest, sat_add(sat_mul(std::min(t.first, size), 4),
                                       sat_mul(std::min(t.second, size), 2)));
    }
    e.parts.push_back({"guest memory touched", op_key_big, guest});
    e.parts.push_back({"VRAM", "platform.gpu.vram_bytes", sat_mul(vram, 2)});
    e.parts.push_back({"compiled programs", op_key_big, sat_mul(instructions, 64)});
    e.parts.push_back({"the rest of the model", "run.max_host_memory", 16 * MiB});
    for (const auto& p : e.parts) e.total = sat_add(e.total, p.bytes);
    return e;
}

void validate_scenario(const scenario& s) {
    if (s.guest.mtrr_default == memtype::uc_minus)
        fail_at(s, "guest.mtrr_default",
                "UC- is a PAT-only encoding; an MTRR holds UC, WC, WT, WP or WB");
    validate_arch(s);
    blocks(s);
    buffers(s);
    ops(s);
    validate_sync(s);
    host_memory(s);
}

} // namespace mtsim::scenarios
