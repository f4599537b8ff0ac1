#include "cpu/store_buffer.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace mtsim::cpu {

store_buffer::store_buffer(std::size_t capacity) : m_capacity(capacity) {
    if (capacity == 0) throw std::invalid_argument("store buffer with 0 entries");
}

void store_buffer::push(buffered_store s) {
    if (full()) throw std::logic_error("store buffer: push into a full buffer");
    m_entries.push_back(std::move(s));
}

buffered_store store_buffer::pop_oldest() {
    if (m_entries.empty()) throw std::logic_error("store buffer: pop from an empty buffer");
    buffered_store s = std::move(m_entries.front());
    m_entries.pop_front();
    return s;
}

forward_result store_buffer::forward(std::uint64_t hpa, std::size_t len, std::uint8_t* dst) const {
    if (m_entries.empty()) return forward_result::none;
    const std::uint64_t hi = hpa + len;
    std::size_t covered = 0;
    std::vector<bool> have(len, false);
    // Youngest first: the first store found for a byte is the one program order says wins.
    for (auto it = m_entries.rbegin(); it != m_entries.rend(); ++it) {
        if (!it->overlaps(hpa, hi)) continue;
        const std::uint64_t lo = std::max(hpa, it->hpa);
        const std::uint64_t top = std::min(hi, it->end());
        for (std::uint64_t a = lo; a < top; ++a) {
            const std::size_t i = a - hpa;
            if (have[i]) continue;
            have[i] = true;
            dst[i] = it->data[a - it->hpa];
            ++covered;
        }
        if (covered == len) break;
    }
    if (covered == 0) return forward_result::none;
    return covered == len ? forward_result::full : forward_result::partial;
}

std::size_t store_buffer::retire_count_for(std::uint64_t lo, std::uint64_t hi) const {
    for (std::size_t i = m_entries.size(); i > 0; --i)
        if (m_entries[i - 1].overlaps(lo, hi)) return i;
    return 0;
}

} // namespace mtsim::cpu
