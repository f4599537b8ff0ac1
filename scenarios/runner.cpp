#include "scenarios/runner.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <systemc>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "kvm/arm64_policy.h"
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
    // KVM/arm64: KVM_SET_USER_MEMORY_REGION of a device-memory slot (a vfio-pci mmap,
    // kvm/arm64_abort.cpp: VM_PFNMAP, VM_ALLOW_ANY_UNCACHED, cacheable for coherent memory).
    if (const kvm::arm64_s2_policy* a = kvm::find_arm64_policy(s.host.arm64.policy))
        for (const auto& b : s.buffers) {
            if (b.kind != buffer_kind::device_bar && b.kind != buffer_kind::device_coherent)
                continue;
            kvm::arm64_s2_inputs in;
            in.caps = s.host.arm64.caps;
            in.map_memory = false;
            in.pfnmap = true;
            in.allow_any_uncached = true;
            in.vma_cacheable = b.kind == buffer_kind::device_coherent;
            if (auto r = a->memslot_refusal(in)) return r;
        }
    const kvm::ept_policy* p = kvm::find_policy(s.host.kvm.policy);
    if (!p) return std::nullopt; // the hypervisor names the unknown policy
    if (auto r = kvm::vm_type_refusal(*p, s.host.kvm.self_snoop)) return r;
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

// The measured phase: the agent's time from its first `from` label to the next `to` label.
nlohmann::json measure_result(const measure_spec& m, const nlohmann::json& marks,
                              const nlohmann::json& agents) {
    double from = -1, to = -1;
    if (marks.contains(m.agent))
        for (const auto& x : marks[m.agent]) {
            if (from < 0 && x["label"] == m.from)
                from = x["ns"].get<double>();
            else if (from >= 0 && x["label"] == m.to) {
                to = x["ns"].get<double>();
                break;
            }
        }
    if (from < 0 || to < 0)
        throw std::runtime_error(
            fmt::format("measure: {} never reached label '{}' after '{}'", m.agent, m.to, m.from));
    const double mhz = agents.at(m.agent).at("clock_mhz").get<double>();
    const double ns = std::round((to - from) * 1e3) / 1e3;
    return {{"agent", m.agent}, {"from", m.from}, {"to", m.to},
            {"ns", ns},         {"us", ns / 1e3}, {"cycles", std::llround(ns * mhz / 1e3)}};
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
    require_runnable(s);
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
        r["agents"] = nlohmann::json::object();
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
    r["agents"] = p.agents_json();
    if (s.measure) r["measure"] = measure_result(*s.measure, p.marks_json(), r["agents"]);
    r["cycles"] = p.cycles_json().value("vcpu0", std::uint64_t(0));
    r["stats"] = p.stats_json();
    add_litmus(s, p, r);
    if (all_stats)
        *all_stats = {{"scenario", s.name},
                      {"host", s.host_name},
                      {"seed", s.run.seed},
                      {"version", mtsim_version()},
                      {"stats", dump_stats_described()}};
    trailer(s, r);
    return r;
}

std::string format_result(const nlohmann::json& r) {
    std::ostringstream os;
    os << r["scenario"].get<std::string>() << " under " << r["host"].get<std::string>();
    if (r.contains("sets"))
        for (const auto& x : r["sets"]) os << " + " << x.get<std::string>();
    os << ": " << r["verdict"].get<std::string>();
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
    os << format_costs(r);
    os << "stats:";
    for (const auto& [k, v] : r["stats"].items()) os << " " << k << "=" << v;
    os << "\nseed " << r["seed"] << ", mtsim " << r["version"].get<std::string>() << "\n";
    return os.str();
}

} // namespace mtsim::scenarios
