#include "scenarios/resolved.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace mtsim::scenarios {

namespace {

using json = nlohmann::json;

const char* kind_name(buffer_kind k) {
    switch (k) {
    case buffer_kind::ram:
        return "ram";
    case buffer_kind::blob:
        return "blob";
    case buffer_kind::pci_hole:
        return "pci_hole";
    case buffer_kind::mmio_hole:
        return "mmio_hole";
    case buffer_kind::vga_window:
        return "vga_window";
    case buffer_kind::device_bar:
        return "device_bar";
    case buffer_kind::device_coherent:
        return "device_coherent";
    }
    return "ram";
}

json raw_json(const raw_entry& r, const char* addr_key) {
    json j = {{addr_key, r.address}, {"level", r.level}};
    if (r.value)
        j["value"] = *r.value;
    else {
        j["set"] = r.set;
        j["clear"] = r.clear;
    }
    return j;
}

json op_args(const scenario_op& op) {
    if (is_memory_op(op.type)) {
        json j = {{"buffer", op.buffer},
                  {"offset", op.offset},
                  {"len", op.len},
                  {"repeat", op.repeat},
                  {"stride", op.stride}};
        if (op.no_snoop) j["no_snoop"] = *op.no_snoop;
        if (!op.reg.empty()) j["reg"] = op.reg;
        if (op.store_value) j["value"] = *op.store_value;
        if (op.compare) j["expect"] = *op.compare;
        if (op.type == op_type::dc) j["op"] = op.name;
        return j;
    }
    if (op.type == op_type::poll)
        return {{"buffer", op.buffer},
                {"offset", op.offset},
                {"len", op.len},
                {"until", *op.until},
                {"max_cycles", op.value}};
    if (op.type == op_type::wrmsr) return {{"msr", op.value}, {"value", *op.store_value}};
    switch (op.type) {
    case op_type::signal:
    case op_type::wait:
    case op_type::gpu_interrupt:
    case op_type::label:
        return op.name;
    case op_type::migrate:
    case op_type::pause:
        return op.value;
    default:
        return nullptr;
    }
}

// {name: arguments, line: N}: the line the op had in the file the scenario was resolved from.
json op_json(const scenario_op& op) {
    return {{op_name_of(op.type), op_args(op)}, {"line", op.line}};
}

// JSON to YAML: mappings keep the JSON's (sorted) key order; strings are always quoted so
// that a name such as "0x10" or "true" stays a string.
void emit(YAML::Emitter& e, const json& j) {
    if (j.is_object()) {
        e << YAML::BeginMap;
        for (const auto& [k, v] : j.items()) {
            e << YAML::Key << k << YAML::Value;
            emit(e, v);
        }
        e << YAML::EndMap;
    } else if (j.is_array()) {
        e << YAML::BeginSeq;
        for (const auto& v : j) emit(e, v);
        e << YAML::EndSeq;
    } else if (j.is_string())
        e << YAML::DoubleQuoted << j.get<std::string>();
    else if (j.is_null())
        e << YAML::Null;
    else if (j.is_boolean())
        e << (j.get<bool>() ? "true" : "false");
    else
        e << j.dump(); // numbers: the JSON spelling (doubles round-trip)
}

} // namespace

nlohmann::json resolved_json(const scenario& s) {
    scenario copy = s;
    json j = config_to_json(copy);
    j["name"] = s.name;
    j["description"] = s.description;
    j["kind"] = s.kind;
    j["host"]["name"] = s.host_name;
    json buffers = json::array();
    for (const auto& b : s.buffers)
        buffers.push_back({{"name", b.name},
                           {"kind", kind_name(b.kind)},
                           {"gpa", b.gpa},
                           {"size", b.size},
                           {"pat", std::string(b.s1 ? to_string(*b.s1) : to_string(b.pat))}});
    j["guest"]["buffers"] = buffers;
    json raw_pte = json::array();
    for (const auto& r : s.raw_ptes) raw_pte.push_back(raw_json(r, "gva"));
    j["guest"]["raw_pte"] = raw_pte;
    json raw_ept = json::array();
    for (const auto& r : s.raw_ept) raw_ept.push_back(raw_json(r, "gpa"));
    j["raw_ept"] = raw_ept;
    json programs = json::object();
    for (const auto& p : s.programs) {
        json ops = json::array();
        for (const auto& op : p.ops) ops.push_back(op_json(op));
        if (p.agent == "gpu")
            programs[p.agent] = ops;
        else
            programs[p.agent] = {{"pcpu", p.pcpu}, {"ops", ops}};
    }
    j["programs"] = programs;
    json expect = json::object();
    for (const auto& [h, v] : s.expect) expect[h] = std::string(to_string(v));
    for (const auto& h : s.expect_refused) expect[h] = "refused";
    j["expect"] = expect;
    if (s.litmus.present) {
        json l = {{"locations", json::object()},
                  {litmus::to_string(s.litmus.cond.q), s.litmus.cond.text}};
        for (const auto& [name, bytes] : s.litmus.locations) l["locations"][name] = bytes;
        if (!s.litmus.expect.empty()) l["expect"] = s.litmus.expect;
        j["litmus"] = l;
    }
    if (s.measure)
        j["measure"] = {
            {"agent", s.measure->agent}, {"from", s.measure->from}, {"to", s.measure->to}};
    return j;
}

std::string resolved_yaml(const scenario& s) {
    YAML::Emitter e;
    e << YAML::Comment(
        fmt::format("mtsim resolved configuration of {} under {}", s.file, s.host_name));
    emit(e, resolved_json(s));
    return std::string(e.c_str()) + "\n";
}

void write_resolved(const scenario& s, const std::string& path) {
    const std::string text = resolved_yaml(s);
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::trunc);
        if (!f) throw std::runtime_error("cannot write " + tmp);
        f << text;
        if (!f.flush()) throw std::runtime_error("cannot write " + tmp);
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp);
        throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + ec.message());
    }
}

} // namespace mtsim::scenarios
