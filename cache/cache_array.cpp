#include "cache/cache_array.h"

#include <stdexcept>

namespace mtsim {

cache_array::cache_array(const cache_level_config& cfg, unsigned line_size)
    : m_ways(cfg.ways), m_latency(cfg.latency) {
    const std::uint64_t frames = cfg.size_bytes / line_size;
    m_sets = static_cast<std::uint32_t>(frames / cfg.ways);
    m_set_mask = m_sets - 1;
    m_storage.assign(frames * line_size, 0);
    m_lines.resize(frames);
    m_tags.assign(frames, no_tag);
    m_valid_ways.assign(m_sets, 0);
    for (std::size_t i = 0; i < m_lines.size(); ++i) m_lines[i].data = &m_storage[i * line_size];
    m_repl = make_replacement(cfg.replacement, m_sets, m_ways, cfg.seed);
}

cache_line* cache_array::slot_for(std::uint64_t line_addr) {
    const std::uint32_t set = static_cast<std::uint32_t>(line_addr & m_set_mask);
    const std::size_t base = static_cast<std::size_t>(set) * m_ways;
    if (m_valid_ways[set] < m_ways)
        for (std::uint32_t w = 0; w < m_ways; ++w)
            if (m_tags[base + w] == no_tag) return &m_lines[base + w];
    return &m_lines[base + m_repl->victim(set)];
}

void cache_array::install(cache_line* frame, std::uint64_t line_addr) {
    frame->line_addr = line_addr;
    const std::size_t idx = static_cast<std::size_t>(frame - m_lines.data());
    if (!frame->valid) ++m_valid_ways[idx / m_ways];
    m_tags[idx] = line_addr;
    frame->valid = true;
    frame->dirty = false;
    frame->state = mesi::i;
    frame->l2 = nullptr;
    touch(frame);
}

void cache_array::invalidate(cache_line* l) {
    const std::size_t idx = static_cast<std::size_t>(l - m_lines.data());
    if (l->valid) --m_valid_ways[idx / m_ways];
    m_tags[idx] = no_tag;
    l->valid = false;
    l->dirty = false;
    l->state = mesi::i;
    l->l2 = nullptr;
    m_repl->invalidate(static_cast<std::uint32_t>(idx / m_ways),
                       static_cast<std::uint32_t>(idx % m_ways));
}

} // namespace mtsim
