// The oracle's findings as text and JSON: the first links of a cause chain (which read, which
// write it should have seen, whose bytes it got). The runner appends the data path's links.
#include <fmt/format.h>

#include "model/oracle.h"

namespace mtsim {

namespace {

std::string spans_text(const finding& f) {
    std::string s;
    for (const auto& sp : f.spans) {
        if (!s.empty()) s += ' ';
        s += fmt::format("+{:#x}..+{:#x}", sp.offset, sp.offset + sp.len);
    }
    if (f.spans_truncated) s += " ...";
    return s;
}

} // namespace

std::string oracle::explain(const finding& f) const {
    const read_record& r = read_info(f.read);
    if (f.kind == verdict::machine_check)
        return fmt::format("machine-check: access #{} by {} '{}' [{:#x}, +{}): a cacheable access "
                           "that the platform decodes as device memory",
                           r.id, agent_name(r.agent), r.what.str(), r.addr, r.len);
    if (f.kind == verdict::malfunction)
        return fmt::format("malfunction: access #{} by {} '{}' [{:#x}, +{}): an exclusive or "
                           "atomic on memory that is not Normal cacheable (CONSTRAINED "
                           "UNPREDICTABLE: fails or faults on real parts)",
                           r.id, agent_name(r.agent), r.what.str(), r.addr, r.len);
    const write_record& e = write_info(f.expected);
    if (f.kind == verdict::hang) {
        std::string s = fmt::format(
            "hang: poll by {} '{}' [{:#x}, +{}) never saw write #{} by {} '{}', which had "
            "reached the point of coherence long enough before its last read",
            agent_name(r.agent), r.what.str(), r.addr, r.len, e.id, agent_name(e.agent),
            e.what.str());
        if (f.has_source) {
            const write_record& src = write_info(f.source);
            s += fmt::format("; its last read got the bytes of write #{} by {} '{}'", src.id,
                             agent_name(src.agent), src.what.str());
        }
        return s;
    }
    std::string s =
        fmt::format("{}: read #{} by {} '{}' [{:#x}, +{}): {} byte(s) at {}", to_string(f.kind),
                    r.id, agent_name(r.agent), r.what.str(), r.addr, r.len, f.bytes, spans_text(f));
    s += fmt::format("; {} write #{} by {} '{}'", f.concurrent ? "concurrent with" : "expected",
                     e.id, agent_name(e.agent), e.what.str());
    if (f.found_at_write) s += " (recorded after the read)";
    if (f.expected_writes > 1) s += fmt::format(" and {} more write(s)", f.expected_writes - 1);
    if (f.has_source) {
        const write_record& src = write_info(f.source);
        s += fmt::format("; received the bytes of write #{} by {} '{}'", src.id,
                         agent_name(src.agent), src.what.str());
        if (f.source_writes > 1) s += fmt::format(" and of {} other write(s)", f.source_writes - 1);
    }
    if (f.kind == verdict::lost_write) s += "; the expected bytes are held nowhere any more";
    return s;
}

nlohmann::json oracle::to_json(const finding& f) const {
    const read_record& r = read_info(f.read);
    auto write_json = [&](write_id w) {
        const write_record& rec = write_info(w);
        return nlohmann::json{{"id", rec.id},
                              {"agent", agent_name(rec.agent)},
                              {"what", rec.what.str()},
                              {"addr", rec.addr},
                              {"len", rec.len}};
    };
    nlohmann::json spans = nlohmann::json::array();
    for (const auto& sp : f.spans) spans.push_back({{"offset", sp.offset}, {"len", sp.len}});
    nlohmann::json j{
        {"class", std::string(to_string(f.kind))},
        {"read",
         {{"id", r.id},
          {"agent", agent_name(r.agent)},
          {"what", r.what.str()},
          {"addr", r.addr},
          {"len", r.len}}},
        {"expected", write_json(f.expected)},
        {"expected_writes", f.expected_writes},
        {"bytes", f.bytes},
        {"spans", spans},
        {"spans_truncated", f.spans_truncated},
        {"concurrent", f.concurrent},
        {"found_at_write", f.found_at_write},
    };
    j["source"] = f.has_source ? write_json(f.source) : nlohmann::json(nullptr);
    j["source_writes"] = f.source_writes;
    return j;
}

nlohmann::json oracle::summary_json() const {
    const oracle_summary& s = m_summary;
    nlohmann::json counts = nlohmann::json::object();
    for (int i = 0; i < verdict_count; ++i)
        counts[std::string(to_string(static_cast<verdict>(i)))] = s.findings[i];
    return {{"verdict", std::string(to_string(s.overall))},
            {"findings", counts},
            {"findings_dropped", s.findings_dropped},
            {"reads", s.reads},
            {"writes", s.writes},
            {"bytes_read", s.bytes_read},
            {"bytes_written", s.bytes_written},
            {"write_write_races", s.write_write_races}};
}

} // namespace mtsim
