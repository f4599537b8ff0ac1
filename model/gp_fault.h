// A model register write or decode that the CPU refuses with #GP: the state stays unchanged and
// the caller gets the reason, so a scenario can report which MSR value was illegal and why.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace mtsim {

struct gp_fault {
    std::string reason;
};

// Either a value or the #GP that producing it raised.
template <class T>
class or_gp {
public:
    or_gp(T v) : m_value(std::move(v)) {}
    or_gp(gp_fault f) : m_gp(std::move(f)) {}

    bool ok() const { return m_value.has_value(); }
    // Throws std::logic_error carrying the #GP reason when there is no value.
    const T& value() const {
        if (!m_value) throw std::logic_error("#GP: " + m_gp.reason);
        return *m_value;
    }
    const std::string& gp_reason() const { return m_gp.reason; }

private:
    std::optional<T> m_value;
    gp_fault m_gp;
};

// Result of a WRMSR: nullopt when the write was accepted.
using wrmsr_result = std::optional<gp_fault>;

} // namespace mtsim
