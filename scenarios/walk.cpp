#include "scenarios/walk.h"

#include <exception>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <systemc>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "cpu/walker.h"
#include "model/oracle.h"
#include "model/text.h"
#include "scenarios/arm64_walk.h"
#include "scenarios/builder.h"

namespace mtsim::scenarios {

using sc_core::sc_time;

namespace {

// How many EPT violations KVM may resolve before the shown walk: one per guest table level
// and the final page (5 + 1), with room for 5-level EPT and A/D writes; more means KVM's
// leaves do not resolve the walk, which the shown walk then reports.
constexpr unsigned max_build_exits = 16;

template <std::size_t N>
nlohmann::json decode_bits(const std::array<bit_field, N>& fields, std::uint64_t v) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& f : fields) j[std::string(f.name)] = field_get(f, v);
    return j;
}

std::string outcome_name(cpu::walk_outcome o) {
    switch (o) {
    case cpu::walk_outcome::translated:
        return "translated";
    case cpu::walk_outcome::ept_violation:
        return "ept-violation";
    case cpu::walk_outcome::ept_misconfig:
        return "ept-misconfig";
    case cpu::walk_outcome::page_fault:
        return "page-fault";
    }
    throw std::logic_error("walk: unknown outcome");
}

nlohmann::json step_json(const cpu::walk_step& st) {
    return {{"stage", std::string(cpu::to_string(st.stage))},
            {"level", st.level},
            {"for_guest_level", st.for_guest_level},
            {"access", st.write ? "write" : "read"},
            {"entry_hpa", hex(st.address)},
            {"gpa", hex(st.guest_address)},
            {"value", hex(st.value)},
            {"memtype", std::string(to_string(st.type))},
            {"type_source", std::string(to_string(st.source))},
            {"cycles", st.cost.n}};
}

nlohmann::json exit_json(const cpu::walk_result& w) {
    nlohmann::json e;
    e["description"] = cpu::describe_exit(w);
    switch (w.outcome) {
    case cpu::walk_outcome::ept_violation:
        e["reason"] = "ept-violation";
        e["exit_reason"] = 48;
        e["gpa"] = hex(w.exit_gpa);
        e["gla"] = hex(w.gva);
        e["qualification"] = hex(w.qualification);
        e["qualification_bits"] = decode_bits(cpu::qualification_fields, w.qualification);
        break;
    case cpu::walk_outcome::ept_misconfig:
        e["reason"] = "ept-misconfig";
        e["exit_reason"] = 49;
        e["gpa"] = hex(w.exit_gpa);
        e["misconfig"] = std::string(cpu::to_string(w.misconfig));
        e["level"] = w.exit_level;
        e["entry"] = hex(w.exit_entry);
        break;
    case cpu::walk_outcome::page_fault:
        e["reason"] = "page-fault";
        e["vector"] = 14;
        e["cr2"] = hex(w.gva);
        e["error_code"] = hex(w.error_code);
        e["error_code_bits"] = decode_bits(cpu::pf_error_fields, w.error_code);
        e["level"] = w.exit_level;
        e["entry"] = hex(w.exit_entry);
        if (w.pf_reserved != cpu::guest_reserved::none)
            e["reserved"] = std::string(cpu::to_string(w.pf_reserved));
        break;
    case cpu::walk_outcome::translated:
        break;
    }
    return e;
}

// The walk runs in its own thread: the vCPU's MMU reaches memory through the pCPU's port,
// whose targets may be called only from a process.
class walk_driver : public sc_core::sc_module {
public:
    walk_driver(const sc_core::sc_module_name& n, platform& p, const walk_request& r)
        : sc_module(n), m_p(p), m_r(r) {
        SC_HAS_PROCESS(walk_driver);
        SC_THREAD(run);
    }
    nlohmann::json result;
    std::exception_ptr error; // what stopped the walk, rethrown after the simulation

private:
    void run() {
        try {
            walk();
        } catch (...) {
            error = std::current_exception();
        }
    }

    void walk() {
        if (m_p.scn().platform.arch == "arm64") {
            sc_time d0 = sc_core::SC_ZERO_TIME;
            result = arm64_walk(m_p, m_r, d0);
            return;
        }
        cpu::vcpu& v = m_p.vcpu(m_r.vcpu);
        cpu::mmu& m = v.mmu();
        const bool user = m_p.scn().platform.vcpu.user_mode;
        sc_time d = sc_core::SC_ZERO_TIME;
        nlohmann::json built = nlohmann::json::array();
        std::uint8_t data[8] = {};
        for (unsigned n = 0; n < max_build_exits; ++n) {
            if (m.translate(m_r.gva, m_r.kind, user, d).ok()) break;
            const cpu::walk_result& w = m.last_walk();
            if (w.outcome != cpu::walk_outcome::ept_violation) break;
            const kvm::memslot* sl = m_p.hv.memslots().find(w.exit_gpa);
            const bool write = field_get(field(cpu::qual_field::write), w.qualification) != 0;
            if (!sl || sl->kind != kvm::memslot_kind::ram || (write && sl->read_only)) break;
            vm_exit e;
            e.reason = exit_reason::ept_violation;
            e.vcpu = v.vcpu_id();
            e.pcpu = v.current_pcpu();
            e.gva = m_r.gva;
            e.gpa = w.exit_gpa;
            e.qualification = w.qualification;
            e.is_write = write;
            e.final_translation =
                field_get(field(cpu::qual_field::final_translation), w.qualification) != 0;
            e.size = 8;
            e.data = data;
            const std::uint64_t gpa = w.exit_gpa;
            if (m_p.hv.handle_exit(e, d) != exit_outcome::retry) break;
            built.push_back(hex(gpa));
        }
        kvm::host_context ctx{v.current_pcpu(), d};
        m_p.apply_raw_ept(ctx);
        m.invept();
        const sc_time before = d;
        m.translate(m_r.gva, m_r.kind, user, d);
        const cpu::walk_result& w = m.last_walk();

        nlohmann::json& j = result;
        j["build"] = {{"ept_violations_handled", built.size()}, {"gpas", built}};
        j["steps"] = nlohmann::json::array();
        for (const auto& st : w.steps) j["steps"].push_back(step_json(st));
        j["references"] = w.references();
        j["cycles"] = w.cost.n;
        j["time_ns"] = (d - before).to_seconds() * 1e9;
        j["outcome"] = outcome_name(w.outcome);
        if (w.outcome != cpu::walk_outcome::translated) {
            j["exit"] = exit_json(w);
            if (w.outcome != cpu::walk_outcome::page_fault) {
                const kvm::memslot* sl = m_p.hv.memslots().find(w.exit_gpa);
                j["exit"]["memslot"] =
                    sl ? nlohmann::json{{"name", sl->name},
                                        {"kind", std::string(kvm::to_string(sl->kind))},
                                        {"read_only", sl->read_only}}
                       : nlohmann::json();
            }
            return;
        }
        j["gpa"] = hex(w.gpa);
        j["hpa"] = hex(w.hpa);
        j["guest_leaf_level"] = w.guest_leaf_level;
        j["ept_leaf_level"] = w.ept_leaf_level;
        const memtype_explained x = cpu::explain_memtype(w);
        j["effective_type"] = std::string(to_string(x.type));
        j["type_source"] = std::string(to_string(x.source));
        j["derivation"] = {{"guest_pat_index", w.guest_pat_index},
                           {"guest_pat_type", std::string(to_string(w.guest_pat_type))},
                           {"ept_type", std::string(to_string(w.ept_type))},
                           {"ipat", w.ipat},
                           {"cr0_cd", w.cr0_cd},
                           {"steps", x.steps}};
        if (const kvm::leaf_record* lr = m_p.hv.decision_for(w.gpa >> 12))
            j["derivation"]["policy"] = {
                {"name", lr->policy},
                {"slot", lr->slot},
                {"ept_type", std::string(to_string(lr->decision.ept_type))},
                {"ipat", lr->decision.ipat},
                {"why", lr->decision.why},
                {"notes", lr->decision.notes}};
    }

    platform& m_p;
    walk_request m_r;
};

} // namespace

unsigned vcpu_count(const scenario& s) {
    unsigned n = 0;
    for (const auto& p : s.programs) n += p.agent.rfind("vcpu", 0) == 0;
    return n;
}

bool guest_maps(const scenario& s, std::uint64_t gva) {
    for (const auto& b : s.buffers)
        if (gva >= b.gpa && gva < b.gpa + b.size) return true;
    const std::uint64_t bar = s.devices.gpu.bar_gpa;
    return gva >= bar && gva < bar + 4096;
}

nlohmann::json walk_scenario(const scenario& in, const walk_request& r) {
    require_runnable(in);
    if (r.vcpu >= vcpu_count(in))
        throw std::invalid_argument(
            fmt::format("vcpu{} does not exist (the scenario has {})", r.vcpu, vcpu_count(in)));
    scenario s = in;
    for (auto& p : s.programs) p.ops.clear();
    s.platform.vcpu.mmu.walk.record_steps = true;
    tlm_utils::tlm_quantumkeeper::set_global_quantum(
        sc_core::sc_time(s.run.quantum_ns, sc_core::SC_NS));
    oracle o;
    platform p("platform", s, o);
    p.defer_raw_ept();
    walk_driver drv("walk", p, r);
    sc_core::sc_start();
    if (drv.error) std::rethrow_exception(drv.error);
    nlohmann::json j;
    j["scenario"] = scenario_name(s.file);
    j["file"] = s.file;
    j["host"] = s.host_name;
    j["policy"] = s.platform.arch == "arm64" ? s.host.arm64.policy : s.host.kvm.policy;
    j["vcpu"] = r.vcpu;
    j["gva"] = hex(r.gva);
    j["access"] = std::string(cpu::to_string(r.kind));
    j["noncoherent_count"] = p.hv.noncoherent_count();
    j.update(drv.result);
    return j;
}

std::string format_walk(const nlohmann::json& w) {
    if (w.value("arch", "") == "arm64") return format_arm64_walk(w);
    std::ostringstream os;
    auto str = [](const nlohmann::json& v) { return v.get<std::string>(); };
    os << "walk: " << str(w["scenario"]) << " under " << str(w["host"]) << " (policy "
       << str(w["policy"]) << ", non-coherent DMA count " << w["noncoherent_count"] << "), vcpu"
       << w["vcpu"] << " " << str(w["access"]) << " gva " << str(w["gva"]) << "\n";
    const auto& b = w["build"];
    os << "KVM built the EPT first: " << b["ept_violations_handled"] << " EPT violation(s) handled";
    if (!b["gpas"].empty()) {
        os << " (gpa";
        for (const auto& g : b["gpas"]) os << " " << str(g);
        os << ")";
    }
    os << "; then raw EPT entries, INVEPT, and this walk:\n";
    os << fmt::format("{:>3}  {:<5} {:>3} {:>4} {:<5} {:<18} {:<18} {:<18} {:<4} {:>6}\n", "#",
                      "stage", "lvl", "for", "acc", "entry hpa", "gpa", "value", "type", "cycles");
    unsigned i = 0;
    for (const auto& st : w["steps"]) {
        const unsigned f = st["for_guest_level"];
        const std::string for_s =
            str(st["stage"]) == "ept" ? (f ? fmt::format("g{}", f) : "final") : std::string("");
        os << fmt::format("{:>3}  {:<5} {:>3} {:>4} {:<5} {:<18} {:<18} {:<18} {:<4} {:>6}\n", ++i,
                          str(st["stage"]), st["level"].get<unsigned>(), for_s, str(st["access"]),
                          str(st["entry_hpa"]), str(st["gpa"]), str(st["value"]),
                          str(st["memtype"]), st["cycles"].get<std::uint64_t>());
    }
    os << w["references"] << " references, " << w["cycles"] << " cycles\n";
    if (w.contains("exit")) {
        const auto& e = w["exit"];
        os << "exit: " << str(e["description"]) << "\n";
        if (e.contains("memslot"))
            os << "  memslot: "
               << (e["memslot"].is_null()
                       ? std::string("none")
                       : str(e["memslot"]["name"]) + " (" + str(e["memslot"]["kind"]) +
                             (e["memslot"]["read_only"].get<bool>() ? ", read-only" : "") + ")")
               << "\n";
        for (const char* k : {"qualification_bits", "error_code_bits"})
            if (e.contains(k)) {
                os << "  " << k << ":";
                for (const auto& [name, v] : e[k].items()) os << " " << name << "=" << v;
                os << "\n";
            }
        return os.str();
    }
    os << "translated: gva " << str(w["gva"]) << " -> gpa " << str(w["gpa"]) << " -> hpa "
       << str(w["hpa"]) << "\n";
    os << "effective memory type: " << str(w["effective_type"]) << "\n";
    const auto& d = w["derivation"];
    if (d.contains("policy")) {
        const auto& p = d["policy"];
        os << "  policy " << str(p["name"]) << " (slot " << str(p["slot"]) << "): EPT type "
           << str(p["ept_type"]) << ", IPAT=" << (p["ipat"].get<bool>() ? 1 : 0) << ": "
           << str(p["why"]) << "\n";
        for (const auto& n : p["notes"]) os << "    note: " << str(n) << "\n";
    }
    for (const auto& s : d["steps"]) os << "  " << str(s) << "\n";
    return os.str();
}

} // namespace mtsim::scenarios
