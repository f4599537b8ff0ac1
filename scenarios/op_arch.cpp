// Which ops belong to one architecture only: x86 cache control, fences, streaming stores and
// locked ops (SDM vol. 2) have no arm64 instruction with their meaning, and the arm64 cache
// maintenance, barriers, exclusives and LSE atomics (Arm ARM DDI 0487) none on x86. The
// parser refuses an op of the other architecture with FILE:LINE (scenario_parts.cpp).
#include "scenarios/scenario.h"

namespace mtsim::scenarios {

const char* op_arch(op_type t) {
    switch (t) {
    case op_type::nt_fill:
    case op_type::clflush:
    case op_type::clflushopt:
    case op_type::clwb:
    case op_type::sfence:
    case op_type::mfence:
    case op_type::wbinvd:
    case op_type::wbnoinvd:
    case op_type::invd:
    case op_type::xchg:
    case op_type::lock_add:
    case op_type::wrmsr:
        return "x86";
    case op_type::dc:
    case op_type::dsb:
    case op_type::dmb:
    case op_type::ldxr:
    case op_type::stxr:
    case op_type::ldadd:
    case op_type::cas:
        return "arm64";
    default:
        return nullptr;
    }
}

} // namespace mtsim::scenarios
