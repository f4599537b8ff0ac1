// `mtsim walk` on an arm64 scenario (scenarios/walk.h): the vCPU's stage-1 x stage-2 walk,
// after KVM/arm64 built the stage-2 leaves the walk needs (one stage-2 abort at a time, as at
// run time), shown reference by reference with both stages' attributes and their combination.
#include "scenarios/arm64_walk.h"

#include <sstream>

#include <fmt/format.h>

#include "cpu/arm64_walker.h"
#include "model/arm64_attr.h"
#include "model/text.h"

namespace mtsim::scenarios {

namespace {

// A stage-2 abort per stage-1 level and the final IPA, with room to spare.
constexpr unsigned max_build_aborts = 8;

cpu::arm64_access arm64_access_of(cpu::access_kind k) {
    return k == cpu::access_kind::write   ? cpu::arm64_access::write
           : k == cpu::access_kind::fetch ? cpu::arm64_access::fetch
                                          : cpu::arm64_access::read;
}

nlohmann::json step_json(const cpu::arm64_walk_step& st) {
    return {{"stage", st.stage2 ? "stage2" : "stage1"},
            {"level", st.level},
            {"for", st.stage2 ? (st.for_s1_level == 4 ? std::string("final")
                                                      : fmt::format("s1 L{}", st.for_s1_level))
                              : std::string("")},
            {"entry_pa", hex(st.address)},
            {"input", hex(st.input)},
            {"value", hex(st.value)},
            {"memtype", std::string(to_string(st.type))},
            {"cycles", st.cost.n}};
}

} // namespace

nlohmann::json arm64_walk(platform& p, const walk_request& r, sc_core::sc_time& d) {
    cpu::vcpu& v = p.vcpu(r.vcpu);
    cpu::arm64_mmu& m = v.arm64();
    const cpu::arm64_access a = arm64_access_of(r.kind);
    nlohmann::json built = nlohmann::json::array();
    std::uint8_t data[8] = {};
    for (unsigned n = 0; n < max_build_aborts; ++n) {
        if (m.translate(r.gva, a, d).ok()) break;
        const cpu::arm64_walk_result& w = m.last_walk();
        if (w.outcome != cpu::arm64_walk_outcome::stage2_fault) break;
        const kvm::memslot* sl = p.hv.memslots().find(w.fault_ipa);
        const bool write = a == cpu::arm64_access::write;
        if (!sl || sl->kind != kvm::memslot_kind::ram || (write && sl->read_only)) break;
        vm_exit e;
        e.reason = exit_reason::ept_violation;
        e.vcpu = v.vcpu_id();
        e.pcpu = v.current_pcpu();
        e.gva = r.gva;
        e.gpa = w.fault_ipa;
        e.esr = w.esr;
        e.qualification = w.esr;
        e.is_write = write && !w.s1ptw;
        e.final_translation = !w.s1ptw;
        e.size = 8;
        e.data = data;
        if (p.hv.handle_exit(e, d) != exit_outcome::retry) break;
        built.push_back(hex(w.fault_ipa));
    }
    m.invalidate_all();
    const sc_core::sc_time before = d;
    m.translate(r.gva, a, d);
    const cpu::arm64_walk_result& w = m.last_walk();
    nlohmann::json j;
    j["arch"] = "arm64";
    j["build"] = {{"stage2_aborts_handled", built.size()}, {"ipas", built}};
    j["steps"] = nlohmann::json::array();
    for (const auto& st : w.steps) j["steps"].push_back(step_json(st));
    j["references"] = w.reads;
    j["cycles"] = w.cost.n;
    j["time_ns"] = (d - before).to_seconds() * 1e9;
    j["outcome"] = std::string(enum_name(w.outcome));
    if (w.outcome != cpu::arm64_walk_outcome::translated) {
        nlohmann::json e;
        e["description"] = cpu::describe(w);
        e["fault_level"] = w.fault.level;
        if (w.outcome == cpu::arm64_walk_outcome::stage2_fault) {
            e["ipa"] = hex(w.fault_ipa);
            e["esr_el2"] = hex(w.esr);
            e["hpfar_el2"] = hex(w.hpfar);
            e["esr_bits"] = {{"EC", w.esr >> 26},
                             {"DFSC", w.esr & 0x3f},
                             {"WnR", (w.esr >> 6) & 1},
                             {"S1PTW", (w.esr >> 7) & 1},
                             {"CM", (w.esr >> 8) & 1}};
            const kvm::memslot* sl = p.hv.memslots().find(w.fault_ipa);
            e["memslot"] = sl ? nlohmann::json{{"name", sl->name},
                                               {"kind", std::string(kvm::to_string(sl->kind))},
                                               {"read_only", sl->read_only}}
                              : nlohmann::json();
        }
        j["exit"] = e;
        return j;
    }
    const bool fwb = v.arm64().regs().fwb;
    j["ipa"] = hex(w.ipa);
    j["pa"] = hex(w.pa);
    j["stage1"] = {{"level", w.s1_level},
                   {"attr_index", w.attr_index},
                   {"mair_attr", hex(w.mair_attr)},
                   {"type", std::string(to_string(decode_mair_attr(w.mair_attr)))}};
    j["stage2"] = {{"level", w.s2_level},
                   {"memattr", hex(w.s2_memattr)},
                   {"fwb", fwb},
                   {"attribute", to_string(decode_s2_memattr(fwb, w.s2_memattr))}};
    if (const kvm::s2_leaf_record* lr = p.hv.stage2()->leaf_for(w.ipa >> 12))
        j["stage2"]["policy"] = {
            {"name", lr->policy}, {"slot", lr->slot}, {"why", lr->decision.why}};
    j["effective_type"] = std::string(to_string(w.combined.type));
    j["combination"] = w.combined.steps;
    j["memory_path"] = {{"memtype", std::string(to_string(w.type))},
                        {"device", std::string(enum_name(w.device))}};
    return j;
}

std::string format_arm64_walk(const nlohmann::json& w) {
    std::ostringstream os;
    auto str = [](const nlohmann::json& v) { return v.get<std::string>(); };
    os << "walk: " << str(w["scenario"]) << " under " << str(w["host"]) << " (KVM/arm64 policy "
       << str(w["policy"]) << "), vcpu" << w["vcpu"] << " " << str(w["access"]) << " VA "
       << str(w["gva"]) << "\n";
    const auto& b = w["build"];
    os << "KVM built stage 2 first: " << b["stage2_aborts_handled"] << " stage-2 abort(s) handled";
    if (!b["ipas"].empty()) {
        os << " (IPA";
        for (const auto& g : b["ipas"]) os << " " << str(g);
        os << ")";
    }
    os << "; then TLBI VMALLS12E1 and this walk:\n";
    os << fmt::format("{:>3}  {:<6} {:>3} {:<6} {:<18} {:<18} {:<18} {:<4} {:>6}\n", "#", "stage",
                      "lvl", "for", "entry pa", "input", "value", "type", "cycles");
    unsigned i = 0;
    for (const auto& st : w["steps"])
        os << fmt::format("{:>3}  {:<6} {:>3} {:<6} {:<18} {:<18} {:<18} {:<4} {:>6}\n", ++i,
                          str(st["stage"]), st["level"].get<unsigned>(), str(st["for"]),
                          str(st["entry_pa"]), str(st["input"]), str(st["value"]),
                          str(st["memtype"]), st["cycles"].get<std::uint64_t>());
    os << w["references"] << " references, " << w["cycles"] << " cycles\n";
    if (w.contains("exit")) {
        const auto& e = w["exit"];
        os << "fault: " << str(e["description"]) << "\n";
        if (e.contains("esr_bits")) {
            os << "  ESR_EL2 bits:";
            for (const auto& [name, v] : e["esr_bits"].items()) os << " " << name << "=" << v;
            os << "\n";
        }
        return os.str();
    }
    os << "translated: VA " << str(w["gva"]) << " -> IPA " << str(w["ipa"]) << " -> PA "
       << str(w["pa"]) << "\n";
    const auto& s1 = w["stage1"];
    const auto& s2 = w["stage2"];
    os << "  stage 1: level " << s1["level"] << " descriptor, AttrIndx " << s1["attr_index"]
       << " -> MAIR_EL1.Attr" << s1["attr_index"] << " " << str(s1["mair_attr"]) << " = "
       << str(s1["type"]) << "\n";
    os << "  stage 2: level " << s2["level"] << " descriptor, MemAttr " << str(s2["memattr"])
       << (s2["fwb"].get<bool>() ? " (FWB)" : " (no FWB)") << " = " << str(s2["attribute"]);
    if (s2.contains("policy"))
        os << "; policy " << str(s2["policy"]["name"]) << " (slot " << str(s2["policy"]["slot"])
           << "): " << str(s2["policy"]["why"]);
    os << "\n";
    for (const auto& s : w["combination"]) os << "  " << str(s) << "\n";
    os << "effective: " << str(w["effective_type"])
       << " (memory system: " << str(w["memory_path"]["memtype"]) << ", "
       << str(w["memory_path"]["device"]) << ")\n";
    return os.str();
}

} // namespace mtsim::scenarios
