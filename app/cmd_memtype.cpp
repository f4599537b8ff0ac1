// mtsim memtype: explains one memory-type resolution step by step. Four modes, chosen by the
// flags given (the flag names and JSON keys are a contract with scripts):
//   --range-type T --pat-type P                                   SDM Table 11-7
//   --ept-type T --ipat 0|1 --pat-type P [--cd 0|1]                guest access under EPT
//   --policy NAME --mmio ... --guest-mtrr T [--memslot-flag] [--pat-type P]   KVM policy
//   --arch arm64 --fwb 0|1 --s1 A --s2 B                           arm64 stage 1 x stage 2
//     (A: a type or a MAIR_EL1 Attr byte such as 0x44; B: a type, as-s1, or a stage-2
//     MemAttr such as 0x5 or 0b0101, read with or without FWB as --fwb says)
//   --arm64-policy NAME --frame ram|vfio-bar|device-memory --s1 A [--fwb 0|1] [--dic 0|1]
//     the stage-2 attribute a KVM/arm64 policy gives the frame, then stage 1 x stage 2
// Human-readable by default; --json prints exactly one JSON object.
#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/cli.h"
#include "kvm/arm64_policy.h"
#include "kvm/policy.h"
#include "model/arm64_attr.h"
#include "model/arm64_memtype.h"
#include "model/ept_memtype.h"
#include "model/memtype.h"
#include "model/memtype_table.h"

namespace mtsim::app {

namespace po = boost::program_options;
using nlohmann::json;

namespace {

struct mode_spec {
    std::string name;
    std::string selector; // the flag that selects the mode
    std::vector<std::string> required;
    std::vector<std::string> optional;
    std::string summary;
};

const std::vector<mode_spec>& modes() {
    static const std::vector<mode_spec> m{
        {"range",
         "range-type",
         {"range-type", "pat-type"},
         {},
         "range type x PAT type (SDM Table 11-7)"},
        {"ept",
         "ept-type",
         {"ept-type", "ipat", "pat-type"},
         {"cd"},
         "guest access under EPT: CR0.CD, IPAT, EPT type x guest PAT"},
        {"policy",
         "policy",
         {"policy", "mmio", "noncoherent", "cd", "quirk-cd-nw-cleared", "self-snoop",
          "quirk-ignore-guest-pat", "guest-mtrr"},
         {"memslot-flag", "pat-type"},
         "the (EPT type, IPAT) a KVM policy chooses, and with --pat-type the effective type"},
        {"arm64",
         "arch",
         {"arch", "fwb", "s1", "s2"},
         {},
         "arm64 stage-1 x stage-2, with or without FWB"},
        {"arm64-policy",
         "arm64-policy",
         {"arm64-policy", "frame", "s1"},
         {"fwb", "dic"},
         "the stage-2 attribute a KVM/arm64 policy gives a frame, combined with stage 1"},
    };
    return m;
}

std::string flag_list(const std::vector<std::string>& flags) {
    std::string out;
    for (const auto& f : flags) out += (out.empty() ? "--" : ", --") + f;
    return out;
}

std::string value_hint(const std::string& flag) {
    if (flag == "arch") return "arm64";
    if (flag == "policy" || flag == "arm64-policy") return "NAME";
    if (flag == "frame") return "ram|vfio-bar|device-memory";
    if (flag == "s1") return "A";
    if (flag == "s2") return "B";
    if (flag == "pat-type") return "P";
    if (flag.size() > 5 && flag.compare(flag.size() - 5, 5, "-type") == 0) return "T";
    if (flag == "guest-mtrr") return "T";
    return "0|1";
}

std::string mode_usage() {
    std::string out = "modes:\n";
    for (const auto& m : modes()) {
        out += "  " + m.summary + ":\n    ";
        for (const auto& f : m.required) out += " --" + f + " " + value_hint(f);
        for (const auto& f : m.optional) out += " [--" + f + " " + value_hint(f) + "]";
        out += "\n";
    }
    out += "x86 types (case-insensitive): " + memtype_names() + "\n";
    out += "arm64 types (case-insensitive): " + arm64_memtype_names() + "; stage 2 with FWB also " +
           std::string(arm64_as_s1_name) +
           "; or the encodings: --s1 a MAIR_EL1 Attr byte (0x44), --s2 a stage-2 MemAttr (0x5)\n";
    out += "add --json for one JSON object instead of the explanation";
    return out;
}

po::options_description options() {
    po::options_description o("mtsim memtype options");
    o.add_options()("help,h", "print the modes and their flags")("json", "print one JSON object");
    std::set<std::string> seen;
    for (const auto& m : modes())
        for (const auto* list : {&m.required, &m.optional})
            for (const auto& f : *list)
                if (seen.insert(f).second) o.add_options()(f.c_str(), po::value<std::string>());
    return o;
}

// Reads the flags of one mode from the parsed map.
class flags {
public:
    explicit flags(const po::variables_map& vm) : m_vm(vm) {}
    bool has(const std::string& f) const { return m_vm.count(f) > 0; }
    std::string str(const std::string& f) const { return m_vm[f].as<std::string>(); }
    bool bit(const std::string& f) const { return parse_bit(f, str(f)); }
    bool bit_or(const std::string& f, bool dflt) const { return has(f) ? bit(f) : dflt; }

    // Any x86 type (a PAT type may be UC-).
    memtype pat_type(const std::string& f) const {
        const auto t = parse_memtype(str(f));
        if (!t)
            throw cli_error("--" + f + ": unknown memory type '" + str(f) +
                            "'; valid: " + memtype_names());
        return *t;
    }
    // A type an MTRR or an EPT leaf can hold: UC- is refused with the reason.
    memtype range_type(const std::string& f, const std::string& why_not_uc_minus) const {
        const memtype t = pat_type(f);
        if (t == memtype::uc_minus)
            throw cli_error("--" + f + ": UC- " + why_not_uc_minus + "; valid: UC, WC, WT, WP, WB");
        return t;
    }
    arm64_memtype arm64_type(const std::string& f) const {
        const auto t = parse_arm64_memtype(str(f));
        if (!t)
            throw cli_error("--" + f + ": unknown arm64 memory type '" + str(f) +
                            "'; valid: " + arm64_memtype_names());
        return *t;
    }

private:
    const po::variables_map& m_vm;
};

const mode_spec& select_mode(const po::variables_map& vm) {
    std::vector<const mode_spec*> chosen;
    for (const auto& m : modes())
        if (vm.count(m.selector)) chosen.push_back(&m);
    if (chosen.empty())
        throw cli_error("no mode selected: give one of --range-type, --ept-type, --policy, "
                        "--arch arm64, --arm64-policy\n" +
                        mode_usage());
    if (chosen.size() > 1)
        throw cli_error("--" + chosen[0]->selector + " and --" + chosen[1]->selector +
                        " select different modes; give only one\n" + mode_usage());
    const mode_spec& m = *chosen.front();
    for (const auto& opt : vm) {
        const std::string& f = opt.first;
        if (f == "json" || f == "help") continue;
        const bool ok = std::count(m.required.begin(), m.required.end(), f) ||
                        std::count(m.optional.begin(), m.optional.end(), f);
        if (!ok)
            throw cli_error("--" + f + " does not belong to the " + m.name + " mode (" + m.summary +
                            "); its flags are " + flag_list(m.required) +
                            (m.optional.empty() ? "" : ", optional " + flag_list(m.optional)));
    }
    for (const auto& f : m.required)
        if (!vm.count(f))
            throw cli_error("the " + m.name + " mode needs --" + f + "; its flags are " +
                            flag_list(m.required) +
                            (m.optional.empty() ? "" : ", optional " + flag_list(m.optional)));
    return m;
}

// Adds the effective x86 type and how it came about to the JSON object.
void put_effective(json& j, const memtype_explained& e) {
    j["effective"] = std::string(to_string(e.type));
    j["source"] = std::string(to_string(e.source));
    j["must_snoop_own_caches"] =
        e.type == memtype::uc ? json(uc_must_check_caches(e.source)) : json(nullptr);
}

void print_steps(std::ostream& os, const std::vector<std::string>& steps, std::size_t first = 1) {
    for (std::size_t i = 0; i < steps.size(); ++i)
        os << "  " << (first + i) << ". " << steps[i] << "\n";
}

void print_effective(std::ostream& os, const memtype_explained& e) {
    os << "effective: " << to_string(e.type) << " (decided by: " << to_string(e.source);
    if (e.type == memtype::uc)
        os << (uc_must_check_caches(e.source) ? "; must snoop the CPU's own caches"
                                              : "; need not snoop the CPU's own caches");
    os << ")\n";
}

int run_range(const flags& f, bool as_json) {
    const memtype range =
        f.range_type("range-type", "is a PAT-only type, no MTRR or EPT leaf holds it");
    const memtype pat = f.pat_type("pat-type");
    const memtype_explained e = explain_range_pat(range, pat);
    if (as_json) {
        json j{{"mode", "range"},
               {"range_type", std::string(to_string(range))},
               {"pat_type", std::string(to_string(pat))}};
        put_effective(j, e);
        j["steps"] = e.steps;
        std::cout << j.dump() << "\n";
        return 0;
    }
    std::cout << "range type " << to_string(range) << " x PAT type " << to_string(pat) << "\n";
    print_steps(std::cout, e.steps);
    print_effective(std::cout, e);
    return 0;
}

int run_ept(const flags& f, bool as_json) {
    const ept_access in{f.bit_or("cd", false),
                        f.range_type("ept-type", "(7) in an EPT leaf is an EPT misconfiguration"),
                        f.bit("ipat"), f.pat_type("pat-type")};
    const memtype_explained e = ept_effective_memtype(in);
    if (as_json) {
        json j{{"mode", "ept"},
               {"ept_type", std::string(to_string(in.ept_type))},
               {"ipat", in.ipat ? 1 : 0},
               {"pat_type", std::string(to_string(in.guest_pat))},
               {"cd", in.cr0_cd ? 1 : 0}};
        put_effective(j, e);
        j["steps"] = e.steps;
        std::cout << j.dump() << "\n";
        return 0;
    }
    std::cout << "guest access under EPT: CR0.CD " << in.cr0_cd << ", EPT leaf "
              << to_string(in.ept_type) << ", IPAT " << in.ipat << ", guest PAT "
              << to_string(in.guest_pat) << "\n";
    print_steps(std::cout, e.steps);
    print_effective(std::cout, e);
    return 0;
}

const kvm::ept_policy& find_policy(const std::string& name) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (const kvm::ept_policy* p = kvm::find_policy(lower)) return *p;
    throw cli_error("--policy: unknown policy '" + name + "'; valid: " + kvm::policy_names());
}

int run_policy(const flags& f, bool as_json) {
    const kvm::ept_policy& policy = find_policy(f.str("policy"));
    kvm::ept_inputs in;
    in.mmio = f.bit("mmio");
    in.noncoherent = f.bit("noncoherent");
    in.guest_cd = f.bit("cd");
    in.quirk_cd_nw_cleared = f.bit("quirk-cd-nw-cleared");
    in.self_snoop = f.bit("self-snoop");
    in.quirk_ignore_guest_pat = f.bit("quirk-ignore-guest-pat");
    in.guest_mtrr = f.range_type("guest-mtrr", "is a PAT-only type, no MTRR holds it");
    in.memslot_noncoherent = f.bit_or("memslot-flag", false);
    std::optional<memtype> pat;
    if (f.has("pat-type")) pat = f.pat_type("pat-type");

    kvm::ept_decision d;
    try {
        d = policy.decide(in);
    } catch (const std::invalid_argument& e) {
        throw cli_error("policy " + std::string(policy.name()) +
                        " refuses the inputs: " + e.what());
    }

    // The guest's CR0.CD reaches the hardware only where the policy says so (SVM without
    // CD_NW_CLEARED); VMX keeps it clear and emulates it through the EPT type.
    std::optional<memtype_explained> e;
    if (pat) {
        e = ept_effective_memtype({d.hardware_cd, d.ept_type, d.ipat, *pat});
        if (!d.hardware_cd)
            e->steps.insert(e->steps.begin(),
                            "the guest's CR0.CD acted through the policy only: the hardware CR0.CD "
                            "stays clear while the guest runs");
    }
    const bool zaps = policy.zaps_on_noncoherent_transition(in);

    if (as_json) {
        json j{{"mode", "policy"},
               {"policy", std::string(policy.name())},
               {"inputs",
                {{"mmio", in.mmio ? 1 : 0},
                 {"noncoherent", in.noncoherent ? 1 : 0},
                 {"cd", in.guest_cd ? 1 : 0},
                 {"quirk_cd_nw_cleared", in.quirk_cd_nw_cleared ? 1 : 0},
                 {"self_snoop", in.self_snoop ? 1 : 0},
                 {"quirk_ignore_guest_pat", in.quirk_ignore_guest_pat ? 1 : 0},
                 {"guest_mtrr", std::string(to_string(in.guest_mtrr))},
                 {"memslot_flag", in.memslot_noncoherent ? 1 : 0}}},
               {"ept_type", std::string(to_string(d.ept_type))},
               {"ipat", d.ipat ? 1 : 0},
               {"why", d.why},
               {"notes", d.notes},
               {"zaps_on_noncoherent_transition", zaps}};
        if (e) {
            j["pat_type"] = std::string(to_string(*pat));
            put_effective(j, *e);
            j["steps"] = e->steps;
        }
        std::cout << j.dump() << "\n";
        return 0;
    }
    std::cout << "policy " << policy.name() << ": " << policy.description() << "\n"
              << "  source: " << policy.source() << "\n"
              << "  1. decision: " << d.why << "\n"
              << "     EPT type " << to_string(d.ept_type) << ", IPAT " << d.ipat << "\n";
    for (const auto& n : d.notes) std::cout << "     note: " << n << "\n";
    std::cout << "     zaps EPT on a non-coherent count change: " << (zaps ? "yes" : "no") << "\n";
    if (e) {
        print_steps(std::cout, e->steps, 2);
        print_effective(std::cout, *e);
    } else {
        std::cout << "ept_type: " << to_string(d.ept_type) << ", ipat: " << d.ipat
                  << " (add --pat-type P for the effective type of a guest mapping)\n";
    }
    return 0;
}

// "0x44", "0b0101" or a decimal number no larger than `max`: an encoding of --flag; nullopt
// for a name.
std::optional<unsigned> parse_encoding(const std::string& flag, const std::string& s,
                                       unsigned max) {
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0]))) return std::nullopt;
    int base = 10;
    std::string digits = s;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) base = 16;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) base = 2;
    if (base != 10) digits = s.substr(2);
    std::size_t used = 0;
    unsigned long v = 0;
    try {
        v = std::stoul(digits, &used, base);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != digits.size() || v > max)
        throw cli_error(fmt::format("--{}: '{}' is not an encoding of 0..{:#x}", flag, s, max));
    return unsigned(v);
}

int run_arm64(const flags& f, bool as_json) {
    std::string arch = f.str("arch");
    std::transform(arch.begin(), arch.end(), arch.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (arch != "arm64")
        throw cli_error("--arch: unknown architecture '" + f.str("arch") +
                        "'; valid: arm64 (x86 is the default and takes no --arch)");
    arm64_access in;
    in.fwb = f.bit("fwb");
    // An encoding (0x.., 0b..) is decoded as the hardware reads it (model/arm64_attr.h).
    std::optional<unsigned> s1_enc = parse_encoding("s1", f.str("s1"), 0xff);
    std::optional<unsigned> s2_enc = parse_encoding("s2", f.str("s2"), 0xf);
    std::optional<arm64_s2> s2;
    try {
        in.s1 = s1_enc ? decode_mair_attr(std::uint8_t(*s1_enc)) : f.arm64_type("s1");
    } catch (const std::exception& err) {
        throw cli_error(std::string("--s1: ") + err.what());
    }
    try {
        s2 = s2_enc ? std::optional(decode_s2_memattr(in.fwb, std::uint8_t(*s2_enc)))
                    : parse_arm64_s2(f.str("s2"));
    } catch (const std::exception& err) {
        throw cli_error(std::string("--s2: ") + err.what());
    }
    if (!s2)
        throw cli_error("--s2: unknown arm64 stage-2 type '" + f.str("s2") +
                        "'; valid: " + arm64_memtype_names() + ", " +
                        std::string(arm64_as_s1_name) + " (with FWB)");
    in.s2 = *s2;
    arm64_explained e;
    try {
        e = arm64_effective_memtype(in);
    } catch (const std::invalid_argument& err) {
        throw cli_error(std::string("--s2: ") + err.what() +
                        (in.fwb ? std::string() : "; valid without FWB: " + arm64_memtype_names()));
    }
    if (as_json) {
        json j{{"mode", "arm64"},
               {"fwb", in.fwb ? 1 : 0},
               {"s1", std::string(to_string(in.s1))},
               {"s2", to_string(in.s2)},
               {"effective", std::string(to_string(e.type))},
               {"s1_mair_attr", s1_enc ? json(*s1_enc) : json()},
               {"s2_memattr", s2_enc ? json(*s2_enc) : json()},
               {"fwb_device_over_device",
                in.fwb_device_device == arm64_fwb_device_choice::stage2 ? "stage2" : "stronger"},
               {"steps", e.steps}};
        std::cout << j.dump() << "\n";
        return 0;
    }
    std::cout << "arm64, FWB " << in.fwb << ": stage 1 " << to_string(in.s1)
              << (s1_enc ? fmt::format(" (MAIR Attr {:#04x})", *s1_enc) : "") << ", stage 2 "
              << to_string(in.s2) << (s2_enc ? fmt::format(" (MemAttr {:#06b})", *s2_enc) : "")
              << "\n";
    print_steps(std::cout, e.steps);
    std::cout << "effective: " << to_string(e.type) << "\n";
    return 0;
}

// The frames of docs/reference/arm64.md §2 as user_mem_abort() sees them. vfio-pci sets
// VM_ALLOW_ANY_UNCACHED on its mmaps from Linux 6.9 (a 6.8 kernel does not read it).
kvm::arm64_s2_inputs arm64_frame(const std::string& frame, const kvm::arm64_host_caps& caps) {
    kvm::arm64_s2_inputs in;
    in.caps = caps;
    if (frame == "ram") return in;
    in.map_memory = false;
    in.pfnmap = true;
    in.allow_any_uncached = true;
    if (frame == "vfio-bar") {
        in.vma_cacheable = false;
        return in;
    }
    if (frame == "device-memory") {
        in.vma_cacheable = true; // coherent (C2C/CXL) device memory a vfio driver maps cacheable
        return in;
    }
    throw cli_error("--frame: unknown frame '" + frame + "'; valid: ram, vfio-bar, device-memory");
}

int run_arm64_policy(const flags& f, bool as_json) {
    const kvm::arm64_s2_policy* p = kvm::find_arm64_policy(f.str("arm64-policy"));
    if (!p)
        throw cli_error("--arm64-policy: unknown policy '" + f.str("arm64-policy") +
                        "'; valid: " + kvm::arm64_policy_names());
    const kvm::arm64_host_caps caps{f.bit_or("fwb", true), f.bit_or("dic", true)};
    const kvm::arm64_s2_inputs in = arm64_frame(f.str("frame"), caps);
    const arm64_memtype s1 = f.arm64_type("s1");
    json j{{"mode", "arm64-policy"},  {"policy", std::string(p->name())},
           {"frame", f.str("frame")}, {"fwb", caps.fwb ? 1 : 0},
           {"dic", caps.dic ? 1 : 0}, {"s1", std::string(to_string(s1))}};
    if (const auto r = p->memslot_refusal(in)) {
        j["refused"] = {{"call", r->call()}, {"errno", r->errno_name()}, {"reason", r->reason()}};
        if (as_json)
            std::cout << j.dump() << "\n";
        else
            std::cout << p->name() << ", frame " << f.str("frame") << ": KVM refuses " << r->call()
                      << ": -" << r->errno_name() << " (" << r->reason() << ")\n";
        return 0;
    }
    const kvm::arm64_s2_decision d = p->choose(in);
    arm64_access a;
    a.fwb = caps.fwb;
    a.s1 = s1;
    a.s2 = d.s2;
    arm64_explained e = arm64_effective_memtype(a);
    e.steps.insert(e.steps.begin(), std::string(p->name()) + ": " + d.why);
    j["s2"] = to_string(d.s2);
    j["s2_memattr"] = encode_s2_memattr(caps.fwb, d.s2);
    j["effective"] = std::string(to_string(e.type));
    j["steps"] = e.steps;
    if (as_json) {
        std::cout << j.dump() << "\n";
        return 0;
    }
    std::cout << p->name() << ", frame " << f.str("frame") << ", FWB " << caps.fwb << ": stage 1 "
              << to_string(s1) << ", stage 2 " << to_string(d.s2)
              << fmt::format(" (MemAttr {:#06b})", encode_s2_memattr(caps.fwb, d.s2)) << "\n";
    print_steps(std::cout, e.steps);
    std::cout << "effective: " << to_string(e.type) << "\n";
    return 0;
}

} // namespace

int cmd_memtype(const std::vector<std::string>& args) {
    const po::options_description opts = options();
    po::variables_map vm;
    try {
        vm = parse_args(args, opts);
    } catch (const cli_error& e) {
        throw cli_error(std::string(e.what()) + "\n" + mode_usage());
    }
    if (vm.count("help")) {
        std::cout << "usage: mtsim memtype MODE-FLAGS [--json]\n" << mode_usage() << "\n";
        return 0;
    }
    const mode_spec& m = select_mode(vm);
    const flags f(vm);
    const bool as_json = vm.count("json") > 0;
    if (m.name == "range") return run_range(f, as_json);
    if (m.name == "ept") return run_ept(f, as_json);
    if (m.name == "policy") return run_policy(f, as_json);
    if (m.name == "arm64-policy") return run_arm64_policy(f, as_json);
    return run_arm64(f, as_json);
}

} // namespace mtsim::app
