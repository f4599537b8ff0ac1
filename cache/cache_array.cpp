#include "cache/cache_array.h"

#include <stdexcept>

namespace mtsim {

cache_array::cache_array(const cache_level_config& cfg, unsigned line_size)
    : m_ways(cfg.ways), m_latency(cfg.latency) {
    const std::uint64_t frames = cfg.size_bytes / line_size;
    m_sets = static_cast<std::uint32_t>(frames / cfg.ways);
    m_set_mask = m_sets - 1;
    m_set_bits = m_sets ? static_cast<unsigned>(__builtin_ctzll(m_sets)) : 0; // a power of two
    m_storage.assign((frames * line_size + sizeof(host_line) - 1) / sizeof(host_line), host_line{});
    m_lines.resize(frames);
    m_tags.assign(frames, no_tag);
    m_valid_ways.assign(m_sets, 0);
    if (m_ways == 0 || m_ways > 255) throw std::invalid_argument("cache array: 1 to 255 ways");
    m_fp_stride = fingerprint::stride(m_ways);
    m_fp.assign(m_sets * m_fp_stride, no_fp);
    for (std::size_t i = 0; i < m_lines.size(); ++i) {
        const std::size_t set = i / m_ways, way = i % m_ways;
        // Way-major bytes: way w of consecutive sets are neighbours in host memory, so a
        // stream that walks the sets in order (a sequential miss sweep filling one way after
        // another) writes and reads host lines in address order, which the host's prefetchers
        // follow; set-major bytes put consecutive sets `ways` host lines apart.
        m_lines[i].data =
            reinterpret_cast<std::uint8_t*>(m_storage.data()) + (way * m_sets + set) * line_size;
        m_lines[i].set = static_cast<std::uint32_t>(set);
        m_lines[i].way = static_cast<std::uint8_t>(way);
    }
    m_repl = make_replacement(cfg.replacement, m_sets, m_ways, cfg.seed);
    m_lru = dynamic_cast<lru_policy*>(m_repl.get());
}

cache_line* cache_array::slot_for(std::uint64_t line_addr) {
    const std::uint32_t set = static_cast<std::uint32_t>(line_addr & m_set_mask);
    const std::size_t base = static_cast<std::size_t>(set) * m_ways;
    if (m_valid_ways[set] < m_ways) {
        const fingerprint::fp* fp = &m_fp[set * m_fp_stride];
        for (std::uint32_t w0 = 0; w0 < m_ways; w0 += fp_group)
            if (const std::uint32_t bits = match_group(fp + w0, no_fp))
                return &m_lines[base + w0 + static_cast<std::uint32_t>(__builtin_ctz(bits))];
    }
    return &m_lines[base + (m_lru ? m_lru->victim_now(set) : m_repl->victim(set))];
}

} // namespace mtsim
