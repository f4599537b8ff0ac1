// The loader's parsers of `guest.buffers` and of the raw entries (`guest.raw_pte`, `raw_ept`):
// split from scenario_parts.cpp, which keeps the program ops and `expect`.
#include "scenarios/scenario_parts.h"

#include <fmt/format.h>

#include "scenarios/validate.h"

namespace mtsim::scenarios::detail {

memtype type_of(const std::string& file, const YAML::Node& n, const std::string& key) {
    const auto t = parse_memtype(scalar(file, n, key));
    if (!t) fail(file, n, key, "expected a memory type: " + memtype_names());
    return *t;
}

void parse_buffers(const std::string& file, const YAML::Node& list, scenario& s) {
    if (!list.IsSequence()) fail(file, list, "guest.buffers", "expected a list of buffers");
    for (std::size_t i = 0; i < list.size(); ++i) {
        const YAML::Node& b = list[i];
        const std::string k = fmt::format("guest.buffers[{}]", i);
        if (!b.IsMap()) fail(file, b, k, "expected a mapping with name, gpa, size");
        buffer out;
        out.line = unsigned(b.Mark().line + 1);
        for (auto it = b.begin(); it != b.end(); ++it) {
            const std::string key = it->first.as<std::string>();
            const std::string kk = k + "." + key;
            if (key == "name")
                out.name = scalar(file, it->second, kk);
            else if (key == "gpa")
                out.gpa = number(file, it->second, kk);
            else if (key == "size")
                out.size = number(file, it->second, kk);
            else if (key == "pat") {
                // x86 PAT types and arm64 stage-1 types; platform.arch decides which are valid
                // (scenarios/arm64_scenario.cpp).
                if (const auto a = parse_arm64_memtype(scalar(file, it->second, kk)))
                    out.s1 = *a;
                else if (!parse_memtype(scalar(file, it->second, kk)))
                    fail(file, it->second, kk,
                         "expected a memory type: " + memtype_names() + " (x86), or " +
                             arm64_memtype_names() + " (arm64)");
                else {
                    out.pat = type_of(file, it->second, kk);
                    out.pat_given = true;
                }
            } else if (key == "kind") {
                const std::string v = scalar(file, it->second, kk);
                if (v == "ram")
                    out.kind = buffer_kind::ram;
                else if (v == "blob")
                    out.kind = buffer_kind::blob;
                else if (v == "pci_hole")
                    out.kind = buffer_kind::pci_hole;
                else if (v == "mmio_hole")
                    out.kind = buffer_kind::mmio_hole;
                else if (v == "vga_window")
                    out.kind = buffer_kind::vga_window;
                else if (v == "device_bar")
                    out.kind = buffer_kind::device_bar;
                else if (v == "device_coherent")
                    out.kind = buffer_kind::device_coherent;
                else
                    fail(file, it->second, kk,
                         "expected one of: ram, blob, pci_hole, mmio_hole, vga_window, "
                         "device_bar, device_coherent");
            } else
                fail(file, it->first, kk, "unknown key; valid: name, kind, gpa, size, pat");
        }
        if (out.name.empty()) fail(file, b, k + ".name", "a buffer needs a name");
        if (out.size == 0 || out.size % 4096 || out.gpa % 4096)
            fail(file, b, k, "gpa and size must be non-zero multiples of 4 KiB");
        if (out.gpa + out.size < out.gpa || out.gpa + out.size > guest_linear_limit)
            fail(file, b, k + ".size",
                 fmt::format("the buffer ends beyond {:#x}: guest linear addresses equal "
                             "guest-physical ones, and 4-level paging translates only the "
                             "canonical lower half",
                             guest_linear_limit));
        for (const auto& o : s.buffers) {
            if (o.name == out.name) fail(file, b, k + ".name", "duplicate buffer name");
            if (out.gpa < o.gpa + o.size && o.gpa < out.gpa + out.size)
                fail(file, b, k + ".gpa", "overlaps buffer '" + o.name + "'");
        }
        s.buffers.push_back(out);
    }
}

void parse_raw(const std::string& file, const YAML::Node& list, const std::string& key,
               const char* addr_key, unsigned max_level, std::vector<raw_entry>& out) {
    if (!list.IsSequence())
        fail(file, list, key,
             fmt::format("expected a list of {{{}, level, value | set/clear}}", addr_key));
    for (std::size_t i = 0; i < list.size(); ++i) {
        const YAML::Node& n = list[i];
        const std::string k = fmt::format("{}[{}]", key, i);
        if (!n.IsMap())
            fail(file, n, k, fmt::format("expected a mapping with {}, level", addr_key));
        raw_entry r;
        r.line = unsigned(n.Mark().line + 1);
        bool has_addr = false, has_level = false, has_edit = false;
        for (auto it = n.begin(); it != n.end(); ++it) {
            const std::string kk = it->first.as<std::string>();
            const std::string full = k + "." + kk;
            if (kk == addr_key) {
                r.address = number(file, it->second, full);
                has_addr = true;
            } else if (kk == "level") {
                r.level = unsigned(number(file, it->second, full));
                if (r.level < 1 || r.level > max_level)
                    fail(file, it->second, full, fmt::format("expected 1..{}", max_level));
                has_level = true;
            } else if (kk == "value") {
                r.value = number(file, it->second, full);
            } else if (kk == "set") {
                r.set = number(file, it->second, full);
                has_edit = true;
            } else if (kk == "clear") {
                r.clear = number(file, it->second, full);
                has_edit = true;
            } else
                fail(file, it->first, full,
                     fmt::format("unknown key; valid: {}, level, value, set, clear", addr_key));
        }
        if (!has_addr) fail(file, n, k + "." + addr_key, "missing");
        if (!has_level) fail(file, n, k + ".level", "missing");
        if (r.value && has_edit) fail(file, n, k, "give either value or set/clear, not both");
        if (!r.value && !has_edit) fail(file, n, k, "give value, or set and/or clear");
        out.push_back(r);
    }
}

} // namespace mtsim::scenarios::detail
