#include "model/trace.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace mtsim::trace {

namespace detail {
unsigned g_mask = 0;
}

namespace {

constexpr std::string_view names[category_count] = {
    "op",       "vmexit",     "walk", "flush", "dma",   "snoop", "wc",
    "doorbell", "corruption", "dram", "llc",   "iommu", "link"};

struct event {
    std::uint32_t track;
    category cat;
    char ph;    // 'X' or 'i'
    double ts;  // µs
    double dur; // µs
    std::string name;
    nlohmann::json args;
};

struct track_info {
    std::string name;
    group g;
};

struct recorder {
    std::vector<event> events;
    std::vector<track_info> tracks;
    std::map<std::string, std::uint32_t, std::less<>> by_name;
    std::map<std::string, std::vector<double>, std::less<>> lane_ends; // per lane-split track
    std::size_t max_events = 0;
    std::size_t dropped = 0;
};

recorder& rec() {
    static recorder* r = new recorder; // never destroyed, like the stat registry
    return *r;
}

double micros(const sc_core::sc_time& t) {
    return t.to_seconds() * 1e6;
}

std::uint32_t track_id(std::string_view track, group g) {
    auto& r = rec();
    if (auto it = r.by_name.find(track); it != r.by_name.end()) return it->second;
    const auto id = static_cast<std::uint32_t>(r.tracks.size());
    r.tracks.push_back({std::string(track), g});
    r.by_name.emplace(std::string(track), id);
    return id;
}

// Agents' tracks are declared by the agents; a track first seen in an event is a resource's
// unless it was declared.
void add(std::string_view track, category c, char ph, double ts, double dur, std::string name,
         nlohmann::json args) {
    auto& r = rec();
    if (r.events.size() >= r.max_events) {
        ++r.dropped;
        return;
    }
    r.events.push_back(
        {track_id(track, group::shared), c, ph, ts, dur, std::move(name), std::move(args)});
}

} // namespace

std::string_view to_string(category c) {
    return names[unsigned(c)];
}

std::string category_names() {
    std::string s;
    for (const auto n : names) s += (s.empty() ? "" : ",") + std::string(n);
    return s;
}

unsigned parse_filter(std::string_view csv) {
    unsigned mask = 0;
    std::size_t begin = 0;
    while (begin <= csv.size()) {
        const std::size_t comma = std::min(csv.find(',', begin), csv.size());
        const std::string_view word = csv.substr(begin, comma - begin);
        const auto it = std::find(std::begin(names), std::end(names), word);
        if (it == std::end(names))
            throw std::invalid_argument("unknown trace category '" + std::string(word) +
                                        "'; valid: " + category_names());
        mask |= 1u << unsigned(it - std::begin(names));
        begin = comma + 1;
    }
    return mask;
}

void enable(unsigned mask, std::size_t max_events) {
    auto& r = rec();
    r = recorder{};
    r.max_events = max_events;
    detail::g_mask = mask & all_categories;
}

void disable() {
    detail::g_mask = 0;
}

void declare_track(std::string_view track, group g) {
    auto& r = rec();
    if (auto it = r.by_name.find(track); it != r.by_name.end())
        r.tracks[it->second].g = g;
    else
        track_id(track, g);
}

void slice(std::string_view track, category c, std::string name, sc_core::sc_time begin,
           sc_core::sc_time end, nlohmann::json args) {
    if (end < begin)
        throw std::logic_error("trace: a slice on '" + std::string(track) +
                               "' ends before it begins");
    const double b = micros(begin);
    add(track, c, 'X', b, micros(end) - b, std::move(name), std::move(args));
}

void slice_in_lane(std::string_view track, category c, std::string name, sc_core::sc_time begin,
                   sc_core::sc_time end, nlohmann::json args) {
    auto& ends = rec().lane_ends[std::string(track)];
    const double b = micros(begin);
    std::size_t lane = 0;
    while (lane < ends.size() && ends[lane] > b) ++lane;
    if (lane == ends.size()) ends.push_back(0);
    ends[lane] = micros(end);
    const std::string t =
        lane == 0 ? std::string(track) : std::string(track) + " #" + std::to_string(lane + 1);
    if (lane > 0 && !rec().by_name.count(t))
        declare_track(t, rec().tracks[track_id(track, group::agents)].g);
    slice(t, c, std::move(name), begin, end, std::move(args));
}

void instant(std::string_view track, category c, std::string name, sc_core::sc_time at,
             nlohmann::json args) {
    add(track, c, 'i', micros(at), 0, std::move(name), std::move(args));
}

std::size_t event_count() {
    return rec().events.size();
}

nlohmann::json document() {
    auto& r = rec();
    nlohmann::json ev = nlohmann::json::array();
    const auto pid = [&](std::uint32_t t) { return int(r.tracks[t].g); };
    ev.push_back({{"ph", "M"},
                  {"name", "process_name"},
                  {"pid", int(group::agents)},
                  {"tid", 0},
                  {"args", {{"name", "agents"}}}});
    ev.push_back({{"ph", "M"},
                  {"name", "process_name"},
                  {"pid", int(group::shared)},
                  {"tid", 0},
                  {"args", {{"name", "shared resources"}}}});
    for (std::uint32_t t = 0; t < r.tracks.size(); ++t) {
        ev.push_back({{"ph", "M"},
                      {"name", "thread_name"},
                      {"pid", pid(t)},
                      {"tid", t + 1},
                      {"args", {{"name", r.tracks[t].name}}}});
        ev.push_back({{"ph", "M"},
                      {"name", "thread_sort_index"},
                      {"pid", pid(t)},
                      {"tid", t + 1},
                      {"args", {{"sort_index", t}}}});
    }
    // Per track in time order; a slice before the slices it encloses (longer first at one ts).
    std::vector<std::uint32_t> order(r.events.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        const event& x = r.events[a];
        const event& y = r.events[b];
        if (x.track != y.track) return x.track < y.track;
        if (x.ts != y.ts) return x.ts < y.ts;
        return x.dur > y.dur;
    });
    for (const std::uint32_t i : order) {
        const event& e = r.events[i];
        nlohmann::json j = {
            {"name", e.name}, {"cat", to_string(e.cat)}, {"ph", std::string(1, e.ph)},
            {"ts", e.ts},     {"pid", pid(e.track)},     {"tid", e.track + 1}};
        if (e.ph == 'X') j["dur"] = e.dur;
        if (e.ph == 'i') j["s"] = "t";
        if (!e.args.is_null()) j["args"] = e.args;
        ev.push_back(std::move(j));
    }
    nlohmann::json other = {{"events", r.events.size()}, {"dropped_events", r.dropped}};
    if (r.dropped) other["note"] = "the event limit was reached; later events are missing";
    return {{"traceEvents", std::move(ev)}, {"displayTimeUnit", "ns"}, {"otherData", other}};
}

} // namespace mtsim::trace
