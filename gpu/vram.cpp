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

void sparse_vram::read(std::uint64_t offset, std::uint8_t* dst, std::uint64_t len) const {
    check(offset, len, "read");
    while (len > 0) {
        const std::uint64_t in_page = offset % page_bytes;
        const std::uint64_t n = std::min(len, page_bytes - in_page);
        const auto it = m_pages.find(offset / page_bytes);
        if (it == m_pages.end())
            std::memset(dst, 0, n);
        else
            std::memcpy(dst, it->second->data() + in_page, n);
        offset += n;
        dst += n;
        len -= n;
    }
}

void sparse_vram::write(std::uint64_t offset, const std::uint8_t* src, std::uint64_t len) {
    check(offset, len, "write");
    while (len > 0) {
        const std::uint64_t in_page = offset % page_bytes;
        const std::uint64_t n = std::min(len, page_bytes - in_page);
        auto& p = m_pages[offset / page_bytes];
        if (!p) p = std::make_unique<page>(); // value-initialized: zero
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
