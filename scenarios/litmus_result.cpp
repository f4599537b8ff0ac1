// What a litmus test observes after the run (docs/litmus.md §2): the registers the programs
// named (the bytes each named load returned, the bytes each named device read put in VRAM)
// and the final values of the test's locations, read from the memory system's coherent copy.
#include <algorithm>
#include <stdexcept>

#include "cpu/program.h"
#include "model/not_modelled.h"
#include "scenarios/address_plan.h"
#include "scenarios/builder.h"

namespace mtsim::scenarios {

nlohmann::json platform::registers_json() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [a, slots] : m_reg_slots) {
        if (slots.empty()) continue;
        const std::string name = a == m_vmm.get() ? "vmm" : a->basename();
        for (const reg_slot& r : slots) {
            const cpu::load_result* got = nullptr;
            for (const auto& l : a->loads())
                if (l.op_index == r.op_index) got = &l;
            if (!got)
                throw std::runtime_error(m_s.file + ": " + name +
                                         " kept no result of the load naming register " + r.reg +
                                         " (keep_loads none)");
            j[name][r.reg] = cpu::le_value(got->bytes.data(),
                                           unsigned(std::min<std::size_t>(got->bytes.size(), 8)));
        }
    }
    for (const auto& r : m_ring.regs) {
        const auto bytes = gpu.vram_bytes(r.vram_off, r.len);
        j["gpu"][r.reg] = cpu::le_value(bytes.data(), r.len);
    }
    return j;
}

nlohmann::json platform::locations_json() const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [name, bytes] : m_s.litmus.locations) {
        const buffer& b = m_s.find_buffer(name);
        if (b.kind != buffer_kind::ram && b.kind != buffer_kind::blob)
            throw not_modelled("a litmus location in a hole (no memory behind it)",
                               m_s.file + ": litmus.locations." + name);
        const auto v = ms.read_coherent(hpa_of_gpa(hv.memslots(), b.gpa), bytes);
        j[name] = cpu::le_value(v.data(), bytes);
    }
    return j;
}

} // namespace mtsim::scenarios
