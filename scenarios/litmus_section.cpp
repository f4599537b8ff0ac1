// The scenario's `litmus:` section (docs/litmus.md §1): locations, one condition, expect.
// Every name the condition uses must exist: a register some load of that agent names, a
// location of `locations`.
#include <algorithm>

#include <fmt/format.h>

#include "scenarios/scenario_parts.h"

namespace mtsim::scenarios::detail {

void parse_litmus(const std::string& file, const YAML::Node& n, scenario& s) {
    if (!n.IsMap()) fail(file, n, "litmus", "expected a mapping: locations, exists, expect");
    litmus_section& l = s.litmus;
    l.present = true;
    l.line = unsigned(n.Mark().line + 1);
    bool have_cond = false;
    for (auto it = n.begin(); it != n.end(); ++it) {
        const std::string key = it->first.as<std::string>();
        const std::string k = "litmus." + key;
        const YAML::Node v = it->second;
        if (key == "locations") {
            if (!v.IsMap()) fail(file, v, k, "expected a mapping buffer -> bytes (1 to 8)");
            for (auto jt = v.begin(); jt != v.end(); ++jt) {
                const std::string name = jt->first.as<std::string>();
                const std::string kk = k + "." + name;
                const buffer* b = nullptr;
                for (const auto& x : s.buffers)
                    if (x.name == name) b = &x;
                if (!b) fail(file, jt->first, kk, "no guest buffer named '" + name + "'");
                if (b->kind != buffer_kind::ram && b->kind != buffer_kind::blob)
                    fail(file, jt->first, kk, "a location is guest memory (a ram or blob buffer)");
                const std::uint64_t bytes = number(file, jt->second, kk);
                if (bytes < 1 || bytes > 8) fail(file, jt->second, kk, "bytes: 1 to 8");
                l.locations.emplace_back(name, unsigned(bytes));
            }
        } else if (key == "exists" || key == "~exists" || key == "forall") {
            if (have_cond) fail(file, it->first, k, "one condition: exists, ~exists or forall");
            have_cond = true;
            const litmus::quantifier q = key == "exists"   ? litmus::quantifier::exists
                                         : key == "forall" ? litmus::quantifier::forall
                                                           : litmus::quantifier::not_exists;
            const std::string text = scalar(file, v, k);
            try {
                l.cond = litmus::parse_condition(q, text);
            } catch (const litmus::condition_error& e) {
                fail(file, v, k,
                     fmt::format("{} at character {} of '{}'", e.what(), e.offset + 1, text));
            }
        } else if (key == "expect") {
            l.expect = scalar(file, v, k);
            if (l.expect != "allow" && l.expect != "forbid")
                fail(file, v, k, "expected allow or forbid");
        } else
            fail(file, it->first, k,
                 "unknown key; valid: locations, exists, ~exists, forall, "
                 "expect");
    }
    // Name order: the order results list them in, whatever order the file used (a resolved
    // file's mapping is sorted).
    std::sort(l.locations.begin(), l.locations.end());
    if (!have_cond) fail(file, n, "litmus", "a litmus test needs exists, ~exists or forall");
    const std::string ck = std::string("litmus.") + litmus::to_string(l.cond.q);
    for (const litmus::cond_node* a : l.cond.atoms()) {
        if (a->agent.empty()) {
            bool found = false;
            for (const auto& loc : l.locations) found = found || loc.first == a->name;
            if (!found)
                fail(file, n[litmus::to_string(l.cond.q)], ck,
                     fmt::format("'{}' is not a location of litmus.locations", a->name));
            continue;
        }
        bool found = false;
        for (const auto& p : s.programs)
            if (p.agent == a->agent)
                for (const auto& op : p.ops) found = found || op.reg == a->name;
        if (!found)
            fail(file, n[litmus::to_string(l.cond.q)], ck,
                 fmt::format("'{}': no load of {} names register {}",
                             litmus::reg_key(a->agent, a->name), a->agent, a->name));
    }
}

} // namespace mtsim::scenarios::detail
