#include "scenarios/scenario_parts.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "litmus/herd.h"
#include "scenarios/validate.h"

namespace mtsim::scenarios::detail {

[[noreturn]] void fail(const std::string& file, const YAML::Node& n, const std::string& key,
                       const std::string& msg) {
    throw config_error(file, n.IsDefined() ? unsigned(n.Mark().line + 1) : 0, key, msg);
}

// A herdtools7 `.litmus` file is read as the YAML scenario it translates to (litmus/herd.h).
YAML::Node parse_herd_file(const std::string& file) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        throw config_error(file, 0, "", "cannot open the file (not a regular file)");
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in || text.bad()) throw config_error(file, 0, "", "read error");
    return parse_yaml_string(litmus::herd_to_yaml(text.str(), file), file);
}

YAML::Node parse_file(const std::string& file) {
    YAML::Node n = litmus::is_herd_file(file) ? parse_herd_file(file) : parse_yaml_file(file);
    if (!n.IsMap()) throw config_error(file, 1, "", "a scenario is a YAML mapping");
    return n;
}

// A mapping without the keys the describe() tree does not own.
YAML::Node without(const YAML::Node& n, const std::set<std::string>& drop) {
    YAML::Node out(YAML::NodeType::Map);
    for (auto it = n.begin(); it != n.end(); ++it)
        if (!drop.count(it->first.as<std::string>())) out[it->first] = it->second;
    return out;
}

std::string scalar(const std::string& file, const YAML::Node& n, const std::string& key) {
    if (!n.IsScalar()) fail(file, n, key, "expected a scalar");
    return n.as<std::string>();
}

std::uint64_t number(const std::string& file, const YAML::Node& n, const std::string& key) {
    const auto v = parse_size(scalar(file, n, key));
    if (!v) fail(file, n, key, "expected an unsigned number (or a size such as 4KiB)");
    return *v;
}

bool flag_of(const std::string& file, const YAML::Node& n, const std::string& key) {
    const std::string v = scalar(file, n, key);
    if (v == "true") return true;
    if (v == "false") return false;
    fail(file, n, key, "expected true or false");
}

struct op_name {
    const char* name;
    op_type type;
    bool cpu;
    bool gpu;
};
constexpr op_name op_names[] = {
    {"load", op_type::load, true, false},
    {"store", op_type::store, true, false},
    {"fill", op_type::fill, true, false},
    {"nt_fill", op_type::nt_fill, true, false},
    {"clflush", op_type::clflush, true, false},
    {"clflushopt", op_type::clflushopt, true, false},
    {"clwb", op_type::clwb, true, false},
    {"sfence", op_type::sfence, true, false},
    {"mfence", op_type::mfence, true, false},
    {"wbinvd", op_type::wbinvd, true, false},
    {"wbnoinvd", op_type::wbnoinvd, true, false},
    {"invd", op_type::invd, true, false},
    {"doorbell", op_type::doorbell, true, false},
    {"write_descriptors", op_type::write_descriptors, true, false},
    {"read_status", op_type::read_status, true, false},
    {"signal", op_type::signal, true, false},
    {"wait", op_type::wait, true, false},
    {"vm_pause", op_type::vm_pause, true, false},
    {"migrate", op_type::migrate, true, false},
    {"hotplug", op_type::hotplug, true, false},
    {"pause", op_type::pause, true, false},
    {"wait_doorbell", op_type::gpu_wait_doorbell, false, true},
    {"read", op_type::gpu_read, false, true},
    {"write", op_type::gpu_write, false, true},
    {"interrupt", op_type::gpu_interrupt, false, true},
    {"label", op_type::label, true, false},
    {"poll", op_type::poll, true, false},
    {"unplug", op_type::unplug, true, false},
    {"xchg", op_type::xchg, true, false},
    {"lock_add", op_type::lock_add, true, false},
    {"wrmsr", op_type::wrmsr, true, false},
    {"dc", op_type::dc, true, false},
    {"dsb", op_type::dsb, true, false},
    {"dmb", op_type::dmb, true, false},
    {"ldxr", op_type::ldxr, true, false},
    {"stxr", op_type::stxr, true, false},
    {"ldadd", op_type::ldadd, true, false},
    {"cas", op_type::cas, true, false},
};

scenario_op parse_op(const std::string& file, const YAML::Node& n, const std::string& k, bool gpu,
                     const scenario& s) {
    scenario_op op;
    op.line = unsigned(n.Mark().line + 1);
    std::string name;
    // Default-constructed (no node yet): assigning shares the document's node instead of
    // merging the whole document into a fresh node's memory (yaml-cpp Node::AssignNode), which
    // made loading quadratic in the number of ops.
    YAML::Node arg;
    bool has_arg = false;
    // A resolved file (resolved.h) adds `line`: the op's line in the file it was resolved
    // from, which findings cite; an op without arguments then has a null argument.
    const bool with_line = n.IsMap() && n.size() == 2 && n["line"];
    if (n.IsScalar())
        name = n.as<std::string>();
    else if (n.IsMap() && (n.size() == 1 || with_line)) {
        for (auto it = n.begin(); it != n.end(); ++it) {
            if (it->first.as<std::string>() == "line") continue;
            name = it->first.as<std::string>();
            arg = it->second;
            has_arg = !arg.IsNull();
        }
        if (with_line) op.line = unsigned(number(file, n["line"], k + ".line"));
    } else
        fail(file, n, k,
             "an op is a name or a one-key mapping {name: arguments} (and optionally line)");
    const op_name* found = nullptr;
    std::string valid;
    for (const auto& o : op_names) {
        if ((gpu ? o.gpu : o.cpu)) valid += std::string(valid.empty() ? "" : ", ") + o.name;
        if (name == o.name && (gpu ? o.gpu : o.cpu)) found = &o;
    }
    if (!found) fail(file, n, k, "unknown op '" + name + "'; valid: " + valid);
    op.type = found->type;
    const std::string ka = k + "." + name;
    if (const char* arch = op_arch(op.type); arch && s.platform.arch != arch)
        fail(file, n, ka,
             fmt::format("'{}' is an {} op: it has no meaning on platform.arch {}", name, arch,
                         s.platform.arch));
    if (scenarios::is_memory_op(op.type)) {
        // Ops with an operand (`value`) that are one atomic access of len <= 8 bytes.
        const bool locked = op.type == op_type::xchg || op.type == op_type::lock_add ||
                            op.type == op_type::stxr || op.type == op_type::ldadd ||
                            op.type == op_type::cas;
        const bool reg_op = op.type == op_type::load || op.type == op_type::gpu_read ||
                            op.type == op_type::ldxr || locked;
        if (!has_arg || !arg.IsMap())
            fail(file, n, ka, "expected {buffer: NAME, offset, len, repeat, stride}");
        for (auto it = arg.begin(); it != arg.end(); ++it) {
            const std::string key = it->first.as<std::string>();
            const std::string kk = ka + "." + key;
            if (key == "buffer")
                op.buffer = scalar(file, it->second, kk);
            else if (key == "offset")
                op.offset = number(file, it->second, kk);
            else if (key == "len")
                op.len = number(file, it->second, kk);
            else if (key == "repeat") {
                const std::uint64_t r = number(file, it->second, kk);
                if (r > max_repeat)
                    fail(file, it->second, kk,
                         fmt::format("at most {} repeats (each is an instruction or a "
                                     "descriptor of the run)",
                                     max_repeat));
                op.repeat = unsigned(r);
            } else if (key == "stride")
                op.stride = number(file, it->second, kk);
            else if (key == "no_snoop" && gpu)
                op.no_snoop = flag_of(file, it->second, kk);
            else if (key == "reg" && reg_op)
                op.reg = register_name(file, it->second, kk);
            else if (key == "op" && op.type == op_type::dc) {
                op.name = scalar(file, it->second, kk);
                if (op.name != "civac" && op.name != "cvac" && op.name != "ivac")
                    fail(file, it->second, kk, "valid: civac, cvac, ivac");
            } else if (key == "expect" && op.type == op_type::cas)
                op.compare = number(file, it->second, kk);
            else if (key == "value" && (op.type == op_type::store || op.type == op_type::nt_fill ||
                                        op.type == op_type::gpu_write || locked))
                op.store_value = number(file, it->second, kk);
            else
                fail(file, it->first, kk,
                     std::string("unknown key; valid: buffer, offset, len, repeat, stride") +
                         (gpu ? ", no_snoop" : "") + (op.type == op_type::dc ? ", op" : "") +
                         (op.type == op_type::cas ? ", expect" : "") + (reg_op ? ", reg" : "") +
                         (op.type == op_type::store || op.type == op_type::nt_fill ||
                                  op.type == op_type::gpu_write || locked
                              ? ", value"
                              : ""));
        }
        // A locked op (XCHG, LOCK XADD) is one atomic read-modify-write of len bytes with an
        // operand.
        if (locked && !op.store_value)
            fail(file, arg, ka + ".value",
                 op.type == op_type::xchg || op.type == op_type::lock_add
                     ? "a locked op needs its operand: value"
                     : "'" + name + "' needs its operand: value");
        if (op.type == op_type::cas && !op.compare)
            fail(file, arg, ka + ".expect", "cas needs the value it expects: expect");
        if (op.type == op_type::dc && op.name.empty())
            fail(file, arg, ka + ".op", "dc needs its operation: op: civac | cvac | ivac");
        if ((locked || op.type == op_type::ldxr) && op.len != 1 && op.len != 2 && op.len != 4 &&
            op.len != 8)
            fail(file, arg, ka + ".len", "an exclusive or atomic access is 1, 2, 4 or 8 bytes");
        if (!op.reg.empty() || op.store_value) {
            const char* what = op.reg.empty() ? "value" : "reg";
            if (op.len == 0 || op.len > 8)
                fail(file, arg, ka + ".len",
                     fmt::format("an op with `{}` takes len 1 to 8 (bytes, little-endian)", what));
            if (op.repeat != 1)
                fail(file, arg, ka + ".repeat", fmt::format("an op with `{}` runs once", what));
            if (op.store_value && op.len < 8 && (*op.store_value >> (8 * op.len)) != 0)
                fail(file, arg, ka + ".value",
                     fmt::format("{:#x} does not fit {} byte(s)", *op.store_value, op.len));
        }
        const buffer* b = nullptr;
        for (const auto& x : s.buffers)
            if (x.name == op.buffer) b = &x;
        if (!b) fail(file, arg, ka + ".buffer", "no guest buffer named '" + op.buffer + "'");
        if (op.len == 0) op.len = b->size - std::min(b->size, op.offset);
        if (op.repeat == 0) fail(file, arg, ka + ".repeat", "must be at least 1");
        // offset + (repeat - 1) x stride + len, refused on a 64-bit wrap as well.
        std::uint64_t last = 0;
        const bool wraps = __builtin_mul_overflow(std::uint64_t(op.repeat - 1), op.stride, &last) ||
                           __builtin_add_overflow(last, op.offset, &last) ||
                           __builtin_add_overflow(last, op.len, &last);
        if (wraps)
            fail(file, arg, ka,
                 fmt::format("offset + (repeat - 1) x stride + len exceeds 64 bits, beyond "
                             "buffer '{}' ({:#x} bytes)",
                             b->name, b->size));
        if (op.offset >= b->size || last > b->size)
            fail(file, arg, ka,
                 fmt::format("range ends at {:#x}, beyond buffer '{}' ({:#x} bytes)", last, b->name,
                             b->size));
    } else if (op.type == op_type::poll) {
        if (!has_arg) fail(file, n, ka, "expected {buffer, offset, len, until, max_cycles}");
        parse_poll(file, arg, ka, s, op);
    } else if (op.type == op_type::wrmsr) {
        if (!has_arg) fail(file, n, ka, "expected {msr: N, value: V}");
        parse_wrmsr(file, arg, ka, op);
    } else if (op.type == op_type::signal || op.type == op_type::wait ||
               op.type == op_type::gpu_interrupt || op.type == op_type::label) {
        if (!has_arg) fail(file, n, ka, "expected a name: {" + name + ": NAME}");
        op.name = scalar(file, arg, ka);
    } else if (op.type == op_type::migrate || op.type == op_type::pause) {
        if (!has_arg) fail(file, n, ka, "expected a number");
        op.value = number(file, arg, ka);
        if (op.type == op_type::pause && op.value > max_pause_cycles)
            fail(file, arg, ka,
                 fmt::format("at most {} cycles (2^40: the simulated time SystemC's 64-bit "
                             "sc_time holds at 1 ps, at the slowest 1 MHz clock)",
                             max_pause_cycles));
        if (op.type == op_type::migrate && op.value >= s.platform.cache.pcpus)
            fail(file, arg, ka,
                 fmt::format("pCPU {} does not exist (platform.cache.pcpus = {})", op.value,
                             s.platform.cache.pcpus));
    } else if (has_arg)
        fail(file, arg, ka, "'" + name + "' takes no arguments");
    return op;
}

void parse_programs(const std::string& file, const YAML::Node& progs, scenario& s) {
    if (!progs.IsMap()) fail(file, progs, "programs", "expected a mapping agent -> program");
    std::vector<std::pair<unsigned, agent_program>> vcpus;
    std::vector<agent_program> rest;
    for (auto it = progs.begin(); it != progs.end(); ++it) {
        const std::string agent = it->first.as<std::string>();
        const std::string k = "programs." + agent;
        const bool gpu = agent == "gpu";
        const bool vmm = agent == "vmm";
        unsigned idx = 0;
        if (!gpu && !vmm) {
            // vcpuN with N in decimal without leading zeros (vcpu0 .. vcpu4095).
            if (agent.rfind("vcpu", 0) != 0 || agent.size() == 4 || agent.size() > 8 ||
                agent.find_first_not_of("0123456789", 4) != std::string::npos ||
                (agent[4] == '0' && agent.size() > 5))
                fail(file, it->first, k, "agents are vcpuN (N = 0..4095), vmm and gpu");
            idx = unsigned(std::stoul(agent.substr(4)));
            if (idx > 4095) fail(file, it->first, k, "agents are vcpuN (N = 0..4095), vmm and gpu");
        }
        agent_program p;
        p.agent = agent;
        p.pcpu = vmm ? s.vmm.pcpu : idx % s.platform.cache.pcpus;
        // A copy (a handle): `it->second` lives in a proxy that dies with the full expression.
        const YAML::Node prog = it->second;
        // Not `ops = prog["ops"]` on a node bound to prog: yaml-cpp would assign into prog.
        const YAML::Node ops = prog.IsMap() ? YAML::Node(prog["ops"]) : prog;
        if (prog.IsMap()) {
            for (auto jt = prog.begin(); jt != prog.end(); ++jt) {
                const std::string key = jt->first.as<std::string>();
                if (key == "pcpu") {
                    const std::uint64_t pcpu = number(file, jt->second, k + ".pcpu");
                    if (pcpu >= s.platform.cache.pcpus)
                        fail(file, jt->second, k + ".pcpu", "no such pCPU");
                    p.pcpu = unsigned(pcpu);
                } else if (key != "ops")
                    fail(file, jt->first, k + "." + key, "unknown key; valid: pcpu, ops");
            }
        }
        if (!ops.IsDefined() || !ops.IsSequence())
            fail(file, prog, k, "expected a list of ops (or {pcpu: N, ops: [...]})");
        std::set<std::string> regs;
        for (std::size_t i = 0; i < ops.size(); ++i) {
            p.ops.push_back(parse_op(file, ops[i], fmt::format("{}[{}]", k, i), gpu, s));
            const std::string& r = p.ops.back().reg;
            if (!r.empty() && !regs.insert(r).second)
                fail(file, ops[i], fmt::format("{}[{}]", k, i),
                     "register '" + r + "' is already named by an earlier load of " + agent);
        }
        if (gpu || vmm)
            rest.push_back(std::move(p));
        else
            vcpus.emplace_back(idx, std::move(p));
    }
    // Numeric order (vcpu2 before vcpu10).
    std::sort(vcpus.begin(), vcpus.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < vcpus.size(); ++i)
        if (vcpus[i].first != i)
            fail(file, progs, "programs",
                 fmt::format("vCPUs are numbered vcpu0, vcpu1, ... without gaps (no vcpu{})", i));
    if (vcpus.empty()) fail(file, progs, "programs", "at least one vCPU program (vcpu0)");
    std::sort(rest.begin(), rest.end(),
              [](const auto& a, const auto& b) { return a.agent > b.agent; }); // vmm, gpu
    s.programs.clear();
    for (auto& v : vcpus) s.programs.push_back(std::move(v.second));
    s.programs.insert(s.programs.end(), rest.begin(), rest.end());
}

void parse_expect(const std::string& file, const YAML::Node& e, scenario& s) {
    if (!e.IsMap()) fail(file, e, "expect", "expected a mapping host -> verdict (or default)");
    for (auto it = e.begin(); it != e.end(); ++it) {
        const std::string h = it->first.as<std::string>();
        if (h != "default" && !is_host_name(h))
            fail(file, it->first, "expect." + h, "unknown host; see `mtsim list hosts`");
        const std::string text = scalar(file, it->second, "expect." + h);
        if (text == "refused" && h != "default") {
            s.expect_refused.insert(h);
            continue;
        }
        const auto v = verdict_from_string(text);
        if (!v)
            fail(file, it->second, "expect." + h,
                 "expected clean, race, stale-read, torn, lost-write, corrupt-unknown or (for a "
                 "host) refused");
        s.expect[h] = *v;
    }
}

} // namespace mtsim::scenarios::detail

namespace mtsim::scenarios {

bool is_memory_op(op_type t) {
    switch (t) {
    case op_type::load:
    case op_type::store:
    case op_type::fill:
    case op_type::nt_fill:
    case op_type::clflush:
    case op_type::clflushopt:
    case op_type::clwb:
    case op_type::gpu_read:
    case op_type::gpu_write:
    case op_type::xchg:
    case op_type::lock_add:
    case op_type::dc:
    case op_type::ldxr:
    case op_type::stxr:
    case op_type::ldadd:
    case op_type::cas:
        return true;
    default:
        return false;
    }
}

const char* op_name_of(op_type t) {
    for (const auto& o : detail::op_names)
        if (o.type == t) return o.name;
    return "?";
}

} // namespace mtsim::scenarios
