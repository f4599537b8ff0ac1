// Time in cycles of a clock, converted to sc_time in exactly one place (clock::to_time).
// Components hold latencies as `cycles` and never build sc_time literals themselves.
#pragma once

#include <cstdint>
#include <systemc>

namespace mtsim {

struct cycles {
    std::uint64_t n = 0;

    constexpr cycles() = default;
    constexpr explicit cycles(std::uint64_t v) : n(v) {}
    constexpr cycles operator+(cycles o) const { return cycles{n + o.n}; }
    constexpr cycles operator-(cycles o) const { return cycles{n - o.n}; }
    constexpr cycles operator*(std::uint64_t k) const { return cycles{n * k}; }
    constexpr cycles& operator+=(cycles o) {
        n += o.n;
        return *this;
    }
    constexpr bool operator==(cycles o) const { return n == o.n; }
    constexpr bool operator!=(cycles o) const { return n != o.n; }
    constexpr bool operator<(cycles o) const { return n < o.n; }
    constexpr bool operator<=(cycles o) const { return n <= o.n; }
    constexpr bool operator>(cycles o) const { return n > o.n; }
    constexpr bool operator>=(cycles o) const { return n >= o.n; }
};

// The clock of one block. Every conversion between cycles and sc_time goes through here.
class clock {
public:
    // frequency in MHz; the period is rounded to the SystemC time resolution (1 ps default).
    explicit clock(double mhz = 1000.0)
        : m_period(1.0e6 / mhz, sc_core::SC_PS), m_mhz(mhz),
          m_recip(m_period.value() > 1 ? ~std::uint64_t(0) / m_period.value() : 0),
          m_exact_cycles(m_period.value() > 0 ? ((std::uint64_t(1) << 52) - 1) / m_period.value()
                                              : 0) {}

    sc_core::sc_time period() const { return m_period; }
    double mhz() const { return m_mhz; }
    // The period times c, exactly. sc_time * double is inline in SystemC 2.3 (from_value is a
    // library call that looks the simulation context up, on every DRAM access) and exact while
    // the product stays below 2^52 resolution units (SystemC adds 0.5 before truncating, which
    // is exact only there): 2^52 ps is 75 simulated minutes. Beyond, the integer product.
    sc_core::sc_time to_time(cycles c) const {
        if (c.n <= m_exact_cycles) return m_period * static_cast<double>(c.n);
        return sc_core::sc_time::from_value(m_period.value() * c.n);
    }
    // Whole cycles elapsed in t, rounded up: a partial cycle still occupies the resource.
    // Exact, without a 64-bit division on the hot path (the DRAM calls this per access, on the
    // chain every later access waits for): the high half of x * floor((2^64-1)/p) is x/p or
    // short by one or two, then corrected by integer compares.
    cycles to_cycles(const sc_core::sc_time& t) const {
        const std::uint64_t p = m_period.value();
        const std::uint64_t x = t.value() + p - 1;
        if (m_recip == 0) return cycles{p ? x / p : 0}; // a period of one resolution unit
        std::uint64_t q =
            static_cast<std::uint64_t>((static_cast<unsigned __int128>(x) * m_recip) >> 64);
        while (x - q * p >= p) ++q;
        return cycles{q};
    }

private:
    sc_core::sc_time m_period;
    double m_mhz;
    std::uint64_t m_recip;        // floor((2^64 - 1) / period), 0 when the period is 1
    std::uint64_t m_exact_cycles; // the most cycles to_time converts through a double
};

} // namespace mtsim
