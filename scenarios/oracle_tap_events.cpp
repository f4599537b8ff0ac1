// The oracle tap's part for bounded polls and machine checks (scenarios/oracle_tap.h). Polls:
// writes to a polled value
// are published with their completion time, a poll's loads are flag reads (acquire loads, not
// data), and a poll that timed out asks the oracle whether it is a hang. The cause chain of a
// hang is a stale read's (the copies of the line at the poll's last read: where its loads were
// served from; the KVM decision that typed the page) plus the poll's own memory type and loads.
// Machine checks: the memory system reports a cacheable access to a device range; the tap
// names the agent, the access and the derivation of its type (guest PAT type of the buffer,
// the KVM decision for the page, which of the two decided).
#include <fmt/format.h>

#include "scenarios/address_plan.h"
#include "scenarios/oracle_tap.h"

namespace mtsim::scenarios {

bool oracle_tap::polled(std::uint64_t hpa, std::uint64_t len) const {
    for (const auto& [gpa, n] : m_poll_gpas) {
        const std::uint64_t h = hpa_of_gpa(m_hv.memslots(), gpa);
        if (h && hpa < h + n && h < hpa + len) return true;
    }
    return false;
}

void oracle_tap::wrote(agent_id id, write_id w, std::uint64_t, std::uint64_t,
                       const sc_core::sc_time& done) {
    m_o.publish(id, w);
    m_completed[w] = done;
}

void oracle_tap::poll_load(const cpu::agent& a, const cpu::access_record& r) {
    poll_state& st = m_polls[&a];
    if (st.loads == 0 || st.op_index != r.op_index) st = poll_state{};
    st.op_index = r.op_index;
    st.addr = r.emulated ? emulated_space + r.linear : r.hpa;
    st.len = r.len;
    std::copy(r.data, r.data + r.len, st.last);
    st.type = r.type;
    st.at = r.at;
    ++st.loads;
    m_o.poll_read(m_agent_ids.at(&a), st.addr, r.data, r.len);
}

void oracle_tap::on_poll_end(const cpu::agent& a, const cpu::op& o, std::size_t op_index,
                             bool seen) {
    auto it = m_polls.find(&a);
    if (it == m_polls.end() || it->second.op_index != op_index) return;
    const poll_state st = it->second;
    m_polls.erase(it);
    if (seen) return;
    const sc_core::sc_time age = a.clk().to_time(m_s.run.hang_cycles);
    const auto completed = [&](const write_record& w) {
        const auto c = m_completed.find(w.id);
        return c != m_completed.end() && c->second + age <= st.at;
    };
    const agent_id id = m_agent_ids.at(&a);
    const std::string what =
        fmt::format("{} op {} {}", a.basename(), op_index, label("poll", st.addr, st.type, true));
    if (m_o.poll_timeout(id, st.addr, st.len, o.data.data(), st.last, what, completed) !=
        verdict::hang)
        return;
    const std::size_t before = m_causes.size();
    record_cause(m_o.findings().back().read);
    if (m_causes.size() > before) {
        const auto exp = m_completed.find(m_o.findings().back().expected);
        m_causes.back()["poll"] = {{"loads", st.loads},
                                   {"type", std::string(to_string(st.type))},
                                   {"last_read_at_ns", st.at.to_seconds() * 1e9},
                                   {"write_completed_at_ns", exp->second.to_seconds() * 1e9},
                                   {"hang_cycles", m_s.run.hang_cycles.n}};
    }
}

void oracle_tap::on_machine_check(const access_ext& ext, std::uint64_t hpa, unsigned len) {
    agent_id id = no_agent;
    for (const auto& [ag, aid] : m_agent_ids) {
        const requester w = ag->who();
        if (w.kind == ext.who.kind && w.id == ext.who.id) id = aid;
    }
    if (id == no_agent) return; // not a program's access (KVM's own page-table writes)
    const std::string what =
        fmt::format("{} {} from {}", m_o.agent_name(id),
                    label(to_string(ext.op).data(), hpa, ext.type, true), to_string(ext.source));
    m_o.machine_check(id, hpa, len, what);
    if (m_causes.size() >= 8) return;
    nlohmann::json c;
    c["finding"] = m_o.explain(m_o.findings().back());
    c["access"] = {{"op", std::string(to_string(ext.op))},
                   {"hpa", fmt::format("{:#x}", hpa)},
                   {"len", len},
                   {"pcpu", ext.who.pcpu},
                   {"effective_type", std::string(to_string(ext.type))},
                   {"type_from", std::string(to_string(ext.source))}};
    const place p = where(hpa);
    if (p.b) {
        const std::uint64_t gfn = (p.b->gpa + p.off) >> 12;
        nlohmann::json d = {{"buffer", p.b->name},
                            {"gfn", fmt::format("{:#x}", gfn)},
                            {"guest_pat_type", std::string(to_string(p.b->pat))}};
        if (const kvm::leaf_record* lr = m_hv.decision_for(gfn))
            d["ept"] = {{"type", std::string(to_string(lr->decision.ept_type))},
                        {"ipat", lr->decision.ipat},
                        {"policy", lr->policy},
                        {"why", lr->decision.why}};
        d["rule"] = "SDM Vol. 3A Table 11-7 (guest PAT type x EPT type; IPAT=1: the EPT type)";
        c["derivation"] = d;
    }
    m_causes.push_back(c);
}

void oracle_tap::on_malfunction(const cpu::agent& a, const cpu::access_record& r,
                                const std::string& attribute) {
    const agent_id id = m_agent_ids.at(&a);
    const std::string what =
        fmt::format("{} op {} {}: {}", m_o.agent_name(id), r.op_index,
                    label(to_string(r.kind).data(), r.hpa, r.type, false), attribute);
    m_o.malfunction(id, r.hpa, r.len, what);
    if (m_causes.size() >= 8) return;
    nlohmann::json c;
    c["finding"] = m_o.explain(m_o.findings().back());
    c["access"] = {{"op", std::string(to_string(r.kind))},
                   {"hpa", fmt::format("{:#x}", r.hpa)},
                   {"len", r.len},
                   {"effective_attribute", attribute}};
    m_causes.push_back(std::move(c));
}

} // namespace mtsim::scenarios
