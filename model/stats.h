// Statistics: counters and derived stats declared as named members of the block that owns
// them, collected into one tree that follows the sc_object hierarchy.
//
//   struct l1_cache : sc_core::sc_module {
//       counter m_hits{this, "hits", "lookups that found the line", "accesses"};
//       counter m_misses{this, "misses", "lookups that did not", "accesses"};
//       derived_stat m_hit_rate{this, "hit_rate", "hits / (hits + misses)", "ratio",
//                               [this] { return ratio(m_hits.value(),
//                                                     m_hits.value() + m_misses.value()); }};
//       ...  ++m_hits;  // on the hot path: a plain increment, no lookup
//   };
//
// Contract:
// - A stat's path is its owner's hierarchical name() plus its own name ("top.cpu0.l1d.hits");
//   owners that are not sc_objects pass a dotted path string instead. A stat registers itself
//   when constructed and unregisters when destroyed; it is neither copyable nor movable.
// - Paths are unique per process (one elaboration per process, as SystemC requires); a second
//   stat with the same path is a logic_error at construction.
// - A derived stat's formula runs only at dump time. A non-finite result (e.g. ratio() with a
//   zero denominator) is dumped as null: "no accesses" is not a hit rate of 0.
// - dump_stats() returns the whole tree as nested JSON objects mirroring the paths;
//   list_stats() returns every declared stat with kind, unit and description, sorted by path.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <systemc>
#include <vector>

namespace mtsim {

class stat {
public:
    stat(const stat&) = delete;
    stat& operator=(const stat&) = delete;

    const std::string& path() const { return m_path; }
    std::string_view name() const;
    const std::string& description() const { return m_description; }
    const std::string& unit() const { return m_unit; }
    virtual std::string_view kind() const = 0;
    virtual nlohmann::json to_json() const = 0;

protected:
    stat(std::string_view owner_path, std::string_view name, std::string_view description,
         std::string_view unit);
    virtual ~stat();

private:
    std::string m_path;
    std::string m_description;
    std::string m_unit;
};

class counter final : public stat {
public:
    counter(const sc_core::sc_object* owner, std::string_view name, std::string_view description,
            std::string_view unit)
        : stat(owner->name(), name, description, unit) {}
    counter(std::string_view owner_path, std::string_view name, std::string_view description,
            std::string_view unit)
        : stat(owner_path, name, description, unit) {}

    void operator++() { ++m_value; }
    void operator+=(std::uint64_t n) { m_value += n; }
    std::uint64_t value() const { return m_value; }

    std::string_view kind() const override { return "counter"; }
    nlohmann::json to_json() const override { return m_value; }

private:
    std::uint64_t m_value = 0;
};

class derived_stat final : public stat {
public:
    using formula = std::function<double()>;

    derived_stat(const sc_core::sc_object* owner, std::string_view name,
                 std::string_view description, std::string_view unit, formula f)
        : stat(owner->name(), name, description, unit), m_formula(std::move(f)) {}
    derived_stat(std::string_view owner_path, std::string_view name, std::string_view description,
                 std::string_view unit, formula f)
        : stat(owner_path, name, description, unit), m_formula(std::move(f)) {}

    double value() const { return m_formula(); }

    std::string_view kind() const override { return "derived"; }
    nlohmann::json to_json() const override;

private:
    formula m_formula;
};

// num / den, or NaN (dumped as null) when den is 0.
double ratio(double num, double den);

struct stat_info {
    std::string path;
    std::string kind; // "counter" or "derived"
    std::string unit;
    std::string description;
};

nlohmann::json dump_stats();
// The same tree with each stat as {"value", "unit", "kind", "description"} (gem5's stats dump
// and DRAMSys's JSON statistics as models): a leaf is the object that has "value".
nlohmann::json dump_stats_described();
std::vector<stat_info> list_stats();
// The stat registered under `path`, or nullptr.
const stat* find_stat(std::string_view path);

} // namespace mtsim
