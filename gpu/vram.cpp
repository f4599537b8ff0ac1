#include "gpu/vram.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace mtsim::gpu {

void sparse_vram::check(std::uint64_t offset, std::uint64_t len, const char* what) const {
    if (!contains(offset, len))
        throw std::out_of_range(fmt::format("gpu VRAM: {} of {} bytes at offset {:#x} goes beyond "
                                            "vram_bytes ({:#x})",
                                            what, len, offset, m_size));
}

sparse_vram::page* sparse_vram::find(std::uint64_t index) const {
    if (index == m_last_index) return m_last;
    const auto it = m_pages.find(index);
    if (it == m_pages.end()) return nullptr; // not cached: a later write may create it
    m_last_index = index;
    m_last = it->second.get();
    return m_last;
}

void sparse_vram::read_slow(std::uint64_t offset, std::uint8_t* dst, std::uint64_t len) const {
    check(offset, len, "read");
    while (len > 0) {
        const std::uint64_t in_page = offset % page_bytes;
        const std::uint64_t n = std::min(len, page_bytes - in_page);
        if (const page* p = find(offset / page_bytes))
            std::memcpy(dst, p->data() + in_page, n);
        else
            std::memset(dst, 0, n);
        offset += n;
        dst += n;
        len -= n;
    }
}

void sparse_vram::write_slow(std::uint64_t offset, const std::uint8_t* src, std::uint64_t len) {
    check(offset, len, "write");
    while (len > 0) {
        const std::uint64_t in_page = offset % page_bytes;
        const std::uint64_t n = std::min(len, page_bytes - in_page);
        page* p = find(offset / page_bytes);
        if (!p) {
            auto& slot = m_pages[offset / page_bytes];
            slot = std::make_unique<page>(); // value-initialized: zero
            p = slot.get();
        }
        std::memcpy(p->data() + in_page, src, n);
        offset += n;
        src += n;
        len -= n;
    }
}

std::vector<std::uint8_t> sparse_vram::bytes(std::uint64_t offset, std::uint64_t len) const {
    check(offset, len, "read");
    std::vector<std::uint8_t> out(len);
    read(offset, out.data(), len);
    return out;
}

} // namespace mtsim::gpu
