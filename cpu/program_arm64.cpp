// The arm64 ops of the program builder (cpu/program.h); cpu/agent_arm64.cpp gives them their
// meaning.
#include <stdexcept>
#include <utility>

#include "cpu/program.h"

namespace mtsim::cpu {

namespace {

op arm64_op(op_code c, std::uint64_t addr, unsigned size, std::string label) {
    op o;
    o.code = c;
    o.addr = addr;
    o.len = size;
    o.label = std::move(label);
    return o;
}

} // namespace

program& program::dc(op_code kind, std::uint64_t addr) {
    if (kind != op_code::dc_civac && kind != op_code::dc_cvac && kind != op_code::dc_ivac)
        throw std::invalid_argument("dc: the kind is dc_civac, dc_cvac or dc_ivac, not " +
                                    std::string(to_string(kind)));
    return append(arm64_op(kind, addr, 0, {}));
}

program& program::dsb() {
    return append(arm64_op(op_code::dsb, 0, 0, {}));
}

program& program::dmb() {
    return append(arm64_op(op_code::dmb, 0, 0, {}));
}

program& program::ldxr(std::uint64_t addr, unsigned size, std::string label) {
    return append(arm64_op(op_code::ldxr, addr, size, std::move(label)));
}

program& program::stxr(std::uint64_t addr, std::uint64_t value, unsigned size, std::string label) {
    op o = arm64_op(op_code::stxr, addr, size, std::move(label));
    o.data = le_bytes(value, size);
    return append(std::move(o));
}

program& program::ldadd(std::uint64_t addr, std::uint64_t value, unsigned size, std::string label) {
    op o = arm64_op(op_code::ldadd, addr, size, std::move(label));
    o.data = le_bytes(value, size);
    return append(std::move(o));
}

program& program::cas(std::uint64_t addr, std::uint64_t compare, std::uint64_t value, unsigned size,
                      std::string label) {
    op o = arm64_op(op_code::cas, addr, size, std::move(label));
    o.data = le_bytes(value, size);
    o.compare = compare;
    return append(std::move(o));
}

} // namespace mtsim::cpu
