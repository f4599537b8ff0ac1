// DMA-remapping faults: the reasons a request is blocked, their VT-d fault-reason codes, and
// the fault log (the primary fault recording registers) a unit keeps.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace mtsim::iommu {

enum class fault_reason : std::uint8_t {
    root_not_present,    // the bus's root entry has P=0
    context_not_present, // the device's context entry has P=0
    invalid_context,     // AW not supported by the unit, or TT pass-through / reserved
    beyond_gaw,          // address beyond the context's guest address width
    not_present,         // a second-level entry with R=W=0 on the path
    no_read,             // read request, R=0 somewhere on the path
    no_write,            // write request, W=0 somewhere on the path
    reserved_root,       // reserved bit set in a root entry
    reserved_context,    // reserved bit set in a context entry
    reserved_entry,      // reserved bit set in a second-level entry (snoop_table, entries.h)
};

struct fault_reason_row {
    fault_reason reason;
    std::string_view name;
    std::uint8_t code_read;  // VT-d fault reason reported for a read request
    std::uint8_t code_write; // ... for a write request
};

// clang-format off
// VT-d specification Appendix A, non-recoverable fault reason encodings of legacy-mode
// untranslated requests (Linux drivers/iommu/intel/dmar.c dma_remap_fault_reasons[] names the
// same codes). Legacy mode has no separate code for a not-present second-level entry: R=W=0
// denies the access, reported as 6h (read) or 5h (write). A code of 0 cannot occur.
inline constexpr std::array<fault_reason_row, 10> fault_reasons{{
    {fault_reason::root_not_present,    "root-not-present",    0x1, 0x1},
    {fault_reason::context_not_present, "context-not-present", 0x2, 0x2},
    {fault_reason::invalid_context,     "invalid-context",     0x3, 0x3},
    {fault_reason::beyond_gaw,          "beyond-gaw",          0x4, 0x4},
    {fault_reason::not_present,         "not-present",         0x6, 0x5},
    {fault_reason::no_read,             "no-read",             0x6, 0x0},
    {fault_reason::no_write,            "no-write",            0x0, 0x5},
    {fault_reason::reserved_root,       "reserved-root",       0xA, 0xA},
    {fault_reason::reserved_context,    "reserved-context",    0xB, 0xB},
    {fault_reason::reserved_entry,      "reserved-entry",      0xC, 0xC},
}};
// clang-format on

constexpr const fault_reason_row& row_of(fault_reason r) {
    for (const auto& row : fault_reasons)
        if (row.reason == r) return row;
    return fault_reasons[0]; // unreachable: every enumerator has a row (tested)
}
constexpr std::string_view to_string(fault_reason r) {
    return row_of(r).name;
}
constexpr std::uint8_t vtd_code(fault_reason r, bool write) {
    return write ? row_of(r).code_write : row_of(r).code_read;
}

struct fault_record {
    std::uint16_t bdf = 0;
    std::uint64_t address = 0; // the request's IOVA
    bool write = false;
    fault_reason reason = fault_reason::not_present;
    std::uint8_t code() const { return vtd_code(reason, write); }
};

// The primary fault log: `capacity` recording registers. A fault that finds them full is
// dropped and counted as overflow (FSTS.PFO), as hardware does until software clears them.
class fault_log {
public:
    explicit fault_log(unsigned capacity) : m_capacity(capacity) {}

    // Returns false when the fault was dropped.
    bool record(const fault_record& f) {
        if (m_records.size() >= m_capacity) {
            ++m_overflows;
            return false;
        }
        m_records.push_back(f);
        return true;
    }
    const std::vector<fault_record>& records() const { return m_records; }
    std::uint64_t overflows() const { return m_overflows; }
    void clear() {
        m_records.clear();
        m_overflows = 0;
    }

private:
    unsigned m_capacity;
    std::vector<fault_record> m_records;
    std::uint64_t m_overflows = 0;
};

} // namespace mtsim::iommu
