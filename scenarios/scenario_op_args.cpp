// The arguments of the ops whose arguments need more than the memory-op keys (register names,
// poll, wrmsr); parse_op (scenario_parts.cpp) calls them.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "kvm/guest_mtrr.h"
#include "scenarios/scenario_parts.h"
#include "scenarios/validate.h"

namespace mtsim::scenarios::detail {

// A register name (docs/litmus.md): [A-Za-z_][A-Za-z0-9_]*.
std::string register_name(const std::string& file, const YAML::Node& n, const std::string& k) {
    const std::string r = scalar(file, n, k);
    const bool ok = !r.empty() && (std::isalpha(static_cast<unsigned char>(r[0])) || r[0] == '_') &&
                    std::all_of(r.begin(), r.end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                    });
    if (!ok) fail(file, n, k, "a register is a name: letters, digits and _, not a digit first");
    return r;
}

// `poll: {buffer, offset: 0, len: 4, until: V, max_cycles: N}`: a bounded spin on a value.
void parse_poll(const std::string& file, const YAML::Node& arg, const std::string& ka,
                const scenario& s, scenario_op& op) {
    if (!arg.IsMap()) fail(file, arg, ka, "expected {buffer, offset, len, until, max_cycles}");
    op.len = 4;
    bool budget = false;
    for (auto it = arg.begin(); it != arg.end(); ++it) {
        const std::string key = it->first.as<std::string>();
        const std::string kk = ka + "." + key;
        if (key == "buffer")
            op.buffer = scalar(file, it->second, kk);
        else if (key == "offset")
            op.offset = number(file, it->second, kk);
        else if (key == "len") {
            op.len = number(file, it->second, kk);
            if (op.len != 1 && op.len != 2 && op.len != 4 && op.len != 8)
                fail(file, it->second, kk, "a polled value is 1, 2, 4 or 8 bytes");
        } else if (key == "until")
            op.until = number(file, it->second, kk);
        else if (key == "max_cycles") {
            op.value = number(file, it->second, kk);
            budget = true;
            if (op.value == 0 || op.value > max_pause_cycles)
                fail(file, it->second, kk,
                     fmt::format("1 to {} cycles (2^40, as a pause)", max_pause_cycles));
        } else
            fail(file, it->first, kk, "unknown key; valid: buffer, offset, len, until, max_cycles");
    }
    if (!op.until) fail(file, arg, ka + ".until", "a poll needs the value it waits for");
    if (!budget) fail(file, arg, ka + ".max_cycles", "a poll needs its budget in cycles");
    if (op.len < 8 && *op.until >> (8 * op.len))
        fail(file, arg, ka + ".until", fmt::format("does not fit in {} bytes", op.len));
    const buffer* b = nullptr;
    for (const auto& x : s.buffers)
        if (x.name == op.buffer) b = &x;
    if (!b) fail(file, arg, ka + ".buffer", "no guest buffer named '" + op.buffer + "'");
    if (op.offset % op.len != 0 || op.offset >= b->size || b->size - op.offset < op.len)
        fail(file, arg, ka + ".offset",
             fmt::format("the value must be naturally aligned inside buffer '{}' ({:#x} bytes)",
                         b->name, b->size));
}

// `wrmsr: {msr: N, value: V}`: a guest WRMSR to one of the MTRRs KVM emulates; a value the
// CPU refuses with #GP (reserved bits, a reserved type, a range past MAXPHYADDR) is refused here.
void parse_wrmsr(const std::string& file, const YAML::Node& arg, const std::string& ka,
                 scenario_op& op) {
    if (!arg.IsMap()) fail(file, arg, ka, "expected {msr: N, value: V}");
    bool msr = false;
    for (auto it = arg.begin(); it != arg.end(); ++it) {
        const std::string key = it->first.as<std::string>();
        const std::string kk = ka + "." + key;
        if (key == "msr") {
            op.value = number(file, it->second, kk);
            msr = true;
        } else if (key == "value")
            op.store_value = number(file, it->second, kk);
        else
            fail(file, it->first, kk, "unknown key; valid: msr, value");
    }
    if (!msr) fail(file, arg, ka + ".msr", "a wrmsr needs its MSR number");
    if (!op.store_value) fail(file, arg, ka + ".value", "a wrmsr needs the value it writes");
    mtrr_state scratch(kvm::guest_mtrr_config());
    if (op.value > 0xFFFFFFFF || !scratch.rdmsr(std::uint32_t(op.value)))
        fail(file, arg, ka + ".msr",
             fmt::format("MSR {:#x} is not a guest MTRR (modelled: IA32_MTRR_DEF_TYPE 0x2ff, "
                         "IA32_MTRR_PHYSBASE0-7 / PHYSMASK0-7 0x200-0x20f, the fixed ranges "
                         "0x250, 0x258, 0x259, 0x268-0x26f)",
                         op.value));
    if (auto gp = scratch.wrmsr(std::uint32_t(op.value), *op.store_value))
        fail(file, arg, ka + ".value", "WRMSR raises #GP: " + gp->reason);
}

} // namespace mtsim::scenarios::detail
