#include "model/arm64_memtype.h"

#include <cctype>
#include <fmt/format.h>

#include "model/text.h"
#include <stdexcept>

namespace mtsim {

namespace {

std::string_view row_name(arm64_s2_row r) {
    switch (r) {
    case arm64_s2_row::nofwb_device:
        return "without FWB, stage 2 Device";
    case arm64_s2_row::nofwb_normal:
        return "without FWB, stage 2 Normal";
    case arm64_s2_row::fwb_forced_wb:
        return "FWB, stage 2 forced WB (MemAttr 0b110)";
    case arm64_s2_row::fwb_nc:
        return "FWB, stage 2 NC (MemAttr 0b101)";
    case arm64_s2_row::fwb_as_s1:
        return "FWB, stage 2 use stage 1 (MemAttr 0b111)";
    case arm64_s2_row::fwb_device:
        return "FWB, stage 2 Device (MemAttr 0b0xx)";
    }
    return "?";
}

std::string_view rule_name(arm64_rule r) {
    switch (r) {
    case arm64_rule::stronger:
        return "the stronger of stage 1 and stage 2";
    case arm64_rule::stage1:
        return "the stage-1 type";
    case arm64_rule::stage2:
        return "the stage-2 type";
    case arm64_rule::normal_combine:
        return "Normal: NC if either is NC, else WT if either is WT, else WB";
    case arm64_rule::normal_wb:
        return "Normal-WB, stage 1 overridden";
    case arm64_rule::normal_nc:
        return "Normal-NC";
    case arm64_rule::fwb_device_pair:
        return "the FWB Device-over-Device cell (a parameter)";
    }
    return "?";
}

} // namespace

std::optional<arm64_memtype> parse_arm64_memtype(std::string_view s) {
    for (arm64_memtype t : all_arm64_memtypes)
        if (iequals(s, to_string(t))) return t;
    return std::nullopt;
}

std::string arm64_memtype_names() {
    std::string out;
    for (arm64_memtype t : all_arm64_memtypes) {
        if (!out.empty()) out += ", ";
        out += to_string(t);
    }
    return out;
}

std::optional<arm64_s2> parse_arm64_s2(std::string_view s) {
    if (iequals(s, arm64_as_s1_name)) return arm64_s2{true, arm64_memtype::normal_wb};
    if (auto t = parse_arm64_memtype(s)) return arm64_s2{false, *t};
    return std::nullopt;
}

std::string to_string(const arm64_s2& s2) {
    return std::string(s2.as_s1 ? arm64_as_s1_name : to_string(s2.type));
}

arm64_s2_row arm64_row(bool fwb, const arm64_s2& s2) {
    if (!fwb) {
        if (s2.as_s1)
            throw std::invalid_argument("stage 2 'as-s1' exists only with FWB (MemAttr 0b111)");
        return is_device(s2.type) ? arm64_s2_row::nofwb_device : arm64_s2_row::nofwb_normal;
    }
    if (s2.as_s1) return arm64_s2_row::fwb_as_s1;
    if (is_device(s2.type)) return arm64_s2_row::fwb_device;
    switch (s2.type) {
    case arm64_memtype::normal_wb:
        return arm64_s2_row::fwb_forced_wb;
    case arm64_memtype::normal_nc:
        return arm64_s2_row::fwb_nc;
    default:
        throw std::invalid_argument(fmt::format(
            "stage 2 {} cannot be expressed with FWB (MemAttr 0b100 is reserved); valid: "
            "Device-*, Normal-NC, Normal-WB, as-s1",
            to_string(s2.type)));
    }
}

arm64_explained arm64_effective_memtype(const arm64_access& in) {
    arm64_explained e;
    e.row = arm64_row(in.fwb, in.s2);
    const bool s1_device = is_device(in.s1);
    e.rule = arm64_combine_table[static_cast<unsigned>(e.row)][s1_device ? 0 : 1];
    e.steps.push_back(fmt::format("stage 1 {} ({}), stage 2 {}: row '{}'", to_string(in.s1),
                                  s1_device ? "Device" : "Normal", to_string(in.s2),
                                  row_name(e.row)));
    const arm64_memtype s2 = in.s2.type;
    switch (e.rule) {
    case arm64_rule::stronger:
        e.type = stronger(in.s1, s2);
        break;
    case arm64_rule::stage1:
        e.type = in.s1;
        break;
    case arm64_rule::stage2:
        e.type = s2;
        break;
    case arm64_rule::normal_combine:
        e.type = stronger(in.s1, s2);
        break;
    case arm64_rule::normal_wb:
        e.type = arm64_memtype::normal_wb;
        break;
    case arm64_rule::normal_nc:
        e.type = arm64_memtype::normal_nc;
        break;
    case arm64_rule::fwb_device_pair:
        e.type = in.fwb_device_device == arm64_fwb_device_choice::stage2 ? s2 : stronger(in.s1, s2);
        e.steps.push_back(fmt::format(
            "Linux at.c compute_par_s12() and QEMU combined_attrs_fwb() take stage 2 here; the "
            "model parameter says '{}'",
            in.fwb_device_device == arm64_fwb_device_choice::stage2 ? "stage 2 (Device-z)"
                                                                    : "stronger of x and z"));
        break;
    }
    e.steps.push_back(fmt::format("rule: {} -> {}", rule_name(e.rule), to_string(e.type)));
    return e;
}

} // namespace mtsim
