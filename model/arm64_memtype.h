// arm64 memory types and the combination of stage-1 (guest) and stage-2 (hypervisor)
// attributes, without and with FEAT_S2FWB. Reference: docs/reference/arm64.md,
// "arm64 stage-1 × stage-2". Inner and outer cacheability are modelled as one attribute (the
// types below carry the same cacheability inside and outside).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mtsim {

// Strongest first: a smaller value is the stronger (less permissive) type.
enum class arm64_memtype : std::uint8_t {
    device_ngnrne,
    device_ngnre,
    device_ngre,
    device_gre,
    normal_nc,
    normal_wt,
    normal_wb,
};

inline constexpr std::array<arm64_memtype, 7> all_arm64_memtypes{
    arm64_memtype::device_ngnrne, arm64_memtype::device_ngnre, arm64_memtype::device_ngre,
    arm64_memtype::device_gre,    arm64_memtype::normal_nc,    arm64_memtype::normal_wt,
    arm64_memtype::normal_wb};

constexpr std::string_view to_string(arm64_memtype t) {
    switch (t) {
    case arm64_memtype::device_ngnrne:
        return "Device-nGnRnE";
    case arm64_memtype::device_ngnre:
        return "Device-nGnRE";
    case arm64_memtype::device_ngre:
        return "Device-nGRE";
    case arm64_memtype::device_gre:
        return "Device-GRE";
    case arm64_memtype::normal_nc:
        return "Normal-NC";
    case arm64_memtype::normal_wt:
        return "Normal-WT";
    case arm64_memtype::normal_wb:
        return "Normal-WB";
    }
    return "?";
}

constexpr bool is_device(arm64_memtype t) {
    return t <= arm64_memtype::device_gre;
}

constexpr arm64_memtype stronger(arm64_memtype a, arm64_memtype b) {
    return a < b ? a : b;
}

// Case-insensitive parse of the names above; nullopt for anything else.
std::optional<arm64_memtype> parse_arm64_memtype(std::string_view s);
// "Device-nGnRnE, ..., Normal-WB": for error messages.
std::string arm64_memtype_names();

// The stage-2 attribute: a type, or (with FWB only, MemAttr 0b111) "use the stage-1 type".
struct arm64_s2 {
    bool as_s1 = false;
    arm64_memtype type = arm64_memtype::normal_wb; // ignored when as_s1
};

inline constexpr std::string_view arm64_as_s1_name = "as-s1";

// Parses a stage-2 attribute: an arm64 type name or "as-s1" (case-insensitive).
std::optional<arm64_s2> parse_arm64_s2(std::string_view s);
std::string to_string(const arm64_s2& s2);

// The stage-2 rows of the reference table.
enum class arm64_s2_row : std::uint8_t {
    nofwb_device,  // without FWB, stage 2 Device-z
    nofwb_normal,  // without FWB, stage 2 Normal-w
    fwb_forced_wb, // FWB MemAttr 0b110
    fwb_nc,        // FWB MemAttr 0b101
    fwb_as_s1,     // FWB MemAttr 0b111
    fwb_device,    // FWB MemAttr 0b0xx, Device-z
};

// How a cell of the table computes the result.
enum class arm64_rule : std::uint8_t {
    stronger,        // the stronger of stage 1 and stage 2
    stage1,          // the stage-1 type
    stage2,          // the stage-2 type
    normal_combine,  // NC if either is NC, else WT if either is WT, else WB
    normal_wb,       // Normal-WB, stage 1 overridden
    normal_nc,       // Normal-NC
    fwb_device_pair, // FWB Device-z over stage-1 Device-x: see arm64_fwb_device_choice
};

// Arm ARM (DDI 0487), combining stage 1 and stage 2 memory attributes, without FEAT_S2FWB
// (rules R_HMNDG, R_TNHFM, R_GQFSF, I_MCQKW) and with it (R_VRJSW, R_RHWZM), as transcribed in
// docs/reference/arm64.md; the rule identifiers as Linux arch/arm64/include/asm/memory.h and
// arch/arm64/kvm/at.c compute_par_s12() cite them. Rows: arm64_s2_row; columns: stage 1
// Device-x, stage 1 Normal-y. The raw encodings (MAIR Attr, stage-2 MemAttr): arm64_attr.h.
inline constexpr std::array<std::array<arm64_rule, 2>, 6> arm64_combine_table{{
    {arm64_rule::stronger, arm64_rule::stage2},        // without FWB, Device-z
    {arm64_rule::stage1, arm64_rule::normal_combine},  // without FWB, Normal-w
    {arm64_rule::normal_wb, arm64_rule::normal_wb},    // FWB forced WB
    {arm64_rule::stage1, arm64_rule::normal_nc},       // FWB NC
    {arm64_rule::stage1, arm64_rule::stage1},          // FWB use stage 1
    {arm64_rule::fwb_device_pair, arm64_rule::stage2}, // FWB Device-z
}};

// The FWB cell "stage 2 Device-z over stage 1 Device-x": the reference left it open (it
// might be the stronger of x and z); Linux arch/arm64/kvm/at.c compute_par_s12() ("MemAttr[2]=0,
// Device from S2") and QEMU target/arm/ptw.c combined_attrs_fwb() both take stage 2, the
// default. The parameter stays so that a study can ask what the other reading would change.
enum class arm64_fwb_device_choice : std::uint8_t { stage2, stronger };

struct arm64_access {
    bool fwb = false;
    arm64_memtype s1 = arm64_memtype::normal_wb;
    arm64_s2 s2{};
    arm64_fwb_device_choice fwb_device_device = arm64_fwb_device_choice::stage2;
};

struct arm64_explained {
    arm64_memtype type = arm64_memtype::normal_wb;
    arm64_s2_row row = arm64_s2_row::nofwb_normal;
    arm64_rule rule = arm64_rule::stage1;
    std::vector<std::string> steps;
};

// The stage-2 row of an attribute; throws std::invalid_argument for as-s1 without FWB and for
// Normal-WT with FWB (MemAttr 0b100 is reserved there).
arm64_s2_row arm64_row(bool fwb, const arm64_s2& s2);

// Throws std::invalid_argument for the stage-2 attributes arm64_row rejects.
arm64_explained arm64_effective_memtype(const arm64_access& in);

} // namespace mtsim
