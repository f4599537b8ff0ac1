#include "scenarios/runner.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <systemc>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "kvm/quirks.h"
#include "model/oracle.h"
#include "model/stats.h"
#include "scenarios/builder.h"
#include "scenarios/resolved.h"

namespace mtsim::scenarios {

namespace {

// What KVM refuses of this scenario's host before anything runs (kvm/quirks.h); the
// hypervisor refuses the same at its ioctls.
std::optional<kvm::kvm_refusal> host_refusal(const scenario& s) {
    const kvm::ept_policy* p = kvm::find_policy(s.host.kvm.policy);
    if (!p) return std::nullopt; // the hypervisor names the unknown policy
    if (auto r = kvm::quirk_request_refusal(*p, s.host.kvm.quirk_ignore_guest_pat,
                                            s.host.kvm.self_snoop))
        return r;
    const bool flagged_blob = s.host.memslot_noncoherent && s.devices.gpu.mode != "vfio" &&
                              std::any_of(s.buffers.begin(), s.buffers.end(), [](const buffer& b) {
                                  return b.kind == buffer_kind::blob;
                              });
    if (flagged_blob) return kvm::memslot_flag_refusal(*p);
    return std::nullopt;
}

nlohmann::json header(const scenario& s, const std::string& verdict_name) {
    nlohmann::json r;
    r["scenario"] = s.name;
    r["file"] = s.file;
    r["host"] = s.host_name;
    r["verdict"] = verdict_name;
    const std::string exp = s.expected_text(s.host_name);
    r["expected"] = exp.empty() ? nlohmann::json() : nlohmann::json(exp);
    r["expect_met"] = exp.empty() || exp == verdict_name;
    return r;
}

void trailer(const scenario& s, nlohmann::json& r) {
    r["config"] = resolved_json(s);
    r["sets"] = s.sets;
    r["seed"] = s.run.seed;
    r["version"] = mtsim_version();
}

// Registers named by the programs, and a litmus test's locations and condition
// (docs/litmus.md §2).
void add_litmus(const scenario& s, const platform& p, nlohmann::json& r) {
    nlohmann::json regs = p.registers_json();
    if (!regs.empty()) r["registers"] = regs;
    if (!s.litmus.present) return;
    r["registers"] = regs;
    r["locations"] = p.locations_json();
    const litmus::outcome o = litmus::outcome_from_json(regs, r["locations"]);
    r["litmus"] = {
        {"quantifier", litmus::to_string(s.litmus.cond.q)},
        {"condition", s.litmus.cond.text},
        {"outcome", litmus::format_outcome(o)},
        {"satisfied", s.litmus.cond.satisfied_by(o)},
        {"expect", s.litmus.expect.empty() ? nlohmann::json() : nlohmann::json(s.litmus.expect)}};
}

} // namespace

nlohmann::json run_scenario(const scenario& s, nlohmann::json* all_stats) {
    if (const auto refusal = host_refusal(s)) {
        const std::string key = "host." + refusal->key();
        if (s.host.refuse != "skip")
            throw config_error(s.file, 0, key,
                               std::string(refusal->what()) +
                                   "; a host file may say `refuse: skip` to record it as the "
                                   "verdict refused");
        nlohmann::json r = header(s, "refused");
        r["refusal"] = {{"errno", refusal->err()},
                        {"errno_name", refusal->errno_name()},
                        {"call", refusal->call()},
                        {"key", key},
                        {"reason", refusal->reason()}};
        r["corruptions"] = 0;
        r["causes"] = nlohmann::json::array();
        r["cycles_per_agent"] = nlohmann::json::object();
        r["cycles"] = 0;
        r["stats"] = nlohmann::json::object();
        trailer(s, r);
        return r;
    }
    tlm_utils::tlm_quantumkeeper::set_global_quantum(
        sc_core::sc_time(s.run.quantum_ns, sc_core::SC_NS));
    oracle o;
    platform p("platform", s, o);
    sc_core::sc_start();
    if (!p.all_finished())
        throw std::runtime_error(
            s.file + ": the simulation stopped with agents still waiting:" + p.unfinished() +
            " (a wait without its signal, or a doorbell "
            "the GPU never serves)");
    const auto& sum = o.summary();
    nlohmann::json r = header(s, std::string(to_string(sum.overall)));
    std::uint64_t corruptions = 0;
    for (int v = 0; v < verdict_count; ++v)
        if (is_corruption(verdict(v))) corruptions += sum.findings[v];
    r["corruptions"] = corruptions;
    r["findings"] = o.summary_json();
    r["causes"] = p.causes();
    r["cycles_per_agent"] = p.cycles_json();
    r["cycles"] = p.cycles_json().value("vcpu0", std::uint64_t(0));
    r["stats"] = p.stats_json();
    add_litmus(s, p, r);
    if (all_stats) {
        nlohmann::json units = nlohmann::json::object();
        for (const auto& st : list_stats())
            units[st.path] = {
                {"unit", st.unit}, {"kind", st.kind}, {"description", st.description}};
        *all_stats = {{"stats", dump_stats()}, {"units", units}};
    }
    trailer(s, r);
    return r;
}

std::string format_result(const nlohmann::json& r) {
    std::ostringstream os;
    os << r["scenario"].get<std::string>() << " under " << r["host"].get<std::string>() << ": "
       << r["verdict"].get<std::string>();
    if (!r["expected"].is_null())
        os << " (expected " << r["expected"].get<std::string>()
           << (r["expect_met"].get<bool>() ? ", met" : ", NOT met") << ")";
    if (r.contains("refusal")) {
        const auto& f = r["refusal"];
        os << "\nKVM refuses " << f["call"].get<std::string>() << ": -"
           << f["errno_name"].get<std::string>() << " (" << f["errno"] << "), "
           << f["key"].get<std::string>() << ": " << f["reason"].get<std::string>();
    }
    os << "\ncorruptions: " << r["corruptions"] << "\n";
    std::size_t shown = 0;
    for (const auto& c : r["causes"]) {
        if (shown++ == 3) {
            os << "- ... " << r["causes"].size() - 3 << " more cause(s) in --json\n";
            break;
        }
        os << "- " << c["finding"].get<std::string>() << "\n";
        if (c.contains("copies_at_read")) {
            os << "  line " << c["line"].get<std::string>() << " at the read:\n";
            for (const auto& l : c["copies_at_read"]) {
                os << "    " << l["where"].get<std::string>();
                if (l.contains("state")) os << " " << l["state"].get<std::string>();
                if (l.contains("dirty") && l["dirty"].get<bool>()) os << " dirty";
                if (l.contains("holds")) os << ": " << l["holds"].get<std::string>();
                os << "\n";
            }
        }
        if (c.contains("ept")) os << "  EPT: " << c["ept"].dump() << "\n";
        if (c.contains("flushes"))
            for (const auto& f : c["flushes"]) os << "  flush: " << f.get<std::string>() << "\n";
    }
    if (r.contains("litmus")) {
        const auto& l = r["litmus"];
        os << "litmus: " << l["outcome"].get<std::string>() << " "
           << (l["satisfied"].get<bool>() ? "satisfies" : "does not satisfy") << " "
           << l["quantifier"].get<std::string>() << " (" << l["condition"].get<std::string>()
           << ")\n";
    } else if (r.contains("registers")) {
        os << "registers:";
        for (const auto& [a, regs] : r["registers"].items())
            for (const auto& [n, v] : regs.items()) os << " " << a << ":" << n << "=" << v;
        os << "\n";
    }
    os << "cycles:";
    for (const auto& [k, v] : r["cycles_per_agent"].items()) os << " " << k << "=" << v;
    os << "\nstats:";
    for (const auto& [k, v] : r["stats"].items()) os << " " << k << "=" << v;
    os << "\nseed " << r["seed"] << ", mtsim " << r["version"].get<std::string>() << "\n";
    return os.str();
}

} // namespace mtsim::scenarios
