// The write-combining buffers of one pCPU.
#include "cache/wc_unit.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace mtsim {

wc_unit::wc_unit(const ms_context& ctx, home_agent& home, unsigned pcpu)
    : m_ctx(ctx), m_home(home), m_p(pcpu), m_buffers(ctx.cfg.wc_buffers) {
    for (buffer& b : m_buffers) {
        b.data.assign(ctx.cfg.wc_buffer_size, 0);
        b.mask.assign(ctx.cfg.wc_buffer_size, 0);
    }
}

void wc_unit::store(bool coherent, std::uint64_t addr, const std::uint8_t* src, unsigned len,
                    sc_core::sc_time& delay) {
    const std::uint64_t size = m_ctx.cfg.wc_buffer_size;
    delay += m_ctx.time.wc_store;
    while (len > 0) {
        const std::uint64_t base = addr & ~(size - 1);
        const unsigned n = static_cast<unsigned>(std::min<std::uint64_t>(len, base + size - addr));
        buffer* b = nullptr;
        for (buffer& x : m_buffers)
            if (x.valid && x.base == base) b = &x;
        if (b) {
            ++m_ctx.stats.wc_combines;
        } else {
            if (m_used == m_buffers.size()) {
                ++m_ctx.stats.wc_full_evictions;
                drain_buffer(*oldest(0, ~std::uint64_t(0)), delay);
            }
            for (buffer& x : m_buffers)
                if (!x.valid) {
                    b = &x;
                    break;
                }
            b->valid = true;
            b->coherent = false;
            b->base = base;
            b->age = ++m_age;
            b->due = sc_core::sc_max_time();
            if (m_ctx.cfg.wc_drain_delay.n != 0 && m_arm) {
                const std::uint64_t d = m_ctx.cfg.wc_drain_delay.n;
                const cycles c{m_jitter.enabled() ? m_jitter.upto(2 * d) : d};
                b->due = sc_core::sc_time_stamp() + delay + m_ctx.t(c);
                m_arm(b->due);
            }
            std::fill(b->mask.begin(), b->mask.end(), 0);
            ++m_used;
            ++m_ctx.stats.wc_allocations;
        }
        b->coherent = b->coherent || coherent;
        std::memcpy(b->data.data() + (addr - base), src, n);
        std::fill_n(b->mask.begin() + static_cast<std::ptrdiff_t>(addr - base), n, 1);
        addr += n;
        src += n;
        len -= n;
    }
}

wc_unit::buffer* wc_unit::oldest(std::uint64_t lo, std::uint64_t hi) {
    buffer* best = nullptr;
    for (buffer& b : m_buffers)
        if (b.valid && b.base < hi && b.base + m_ctx.cfg.wc_buffer_size > lo &&
            (!best || b.age < best->age))
            best = &b;
    return best;
}

void wc_unit::drain_buffer(buffer& b, sc_core::sc_time& delay) {
    const bool full = std::all_of(b.mask.begin(), b.mask.end(), [](std::uint8_t m) { return m; });
    m_home.uncached_write(m_p, m_ctx.cfg.self_snoop || b.coherent,
                          m_ctx.cfg.fabric_snoops_uncached || b.coherent, b.base, b.data.data(),
                          full ? nullptr : b.mask.data(), m_ctx.cfg.wc_buffer_size, delay);
    b.valid = false;
    --m_used;
    ++m_ctx.stats.wc_drains;
}

void wc_unit::drain(sc_core::sc_time& delay) {
    while (buffer* b = oldest(0, ~std::uint64_t(0))) drain_buffer(*b, delay);
}

void wc_unit::drain_range(std::uint64_t addr, unsigned len, sc_core::sc_time& delay) {
    while (buffer* b = oldest(addr, addr + len)) drain_buffer(*b, delay);
}

void wc_unit::set_timer(std::function<void(const sc_core::sc_time&)> arm, std::uint64_t perturb) {
    m_arm = std::move(arm);
    m_jitter = perturb_stream(perturb, "wc" + std::to_string(m_p));
}

sc_core::sc_time wc_unit::drain_due(const sc_core::sc_time& now) {
    sc_core::sc_time next = sc_core::sc_max_time();
    sc_core::sc_time d = sc_core::SC_ZERO_TIME; // paid by no one: the buffer's own timeline
    for (;;) {
        buffer* due = nullptr;
        for (buffer& b : m_buffers)
            if (b.valid && b.due <= now && (!due || b.age < due->age)) due = &b;
        if (!due) break;
        ++m_ctx.stats.wc_timed_drains;
        drain_buffer(*due, d);
    }
    for (const buffer& b : m_buffers)
        if (b.valid && b.due < next) next = b.due;
    return next;
}

bool wc_unit::holds(std::uint64_t addr) const {
    for (const buffer& b : m_buffers)
        if (b.valid && addr >= b.base && addr < b.base + m_ctx.cfg.wc_buffer_size &&
            b.mask[addr - b.base])
            return true;
    return false;
}

} // namespace mtsim
