// The GPU's device-internal memory: `size` bytes that read as zero until written, held in
// 4 KiB pages allocated on the first write (a read never allocates). Every access is checked
// against the size before any byte moves: an access beyond it throws std::out_of_range naming
// the range, never writes past the storage.
//
// Zero on demand is what a device's memory looks like to this model (nothing reads VRAM before
// the driver wrote it), and it keeps elaboration from clearing the whole size up front.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

namespace mtsim::gpu {

class sparse_vram {
public:
    static constexpr std::uint64_t page_bytes = 4096;

    explicit sparse_vram(std::uint64_t size) : m_size(size) {}

    std::uint64_t size() const { return m_size; }
    // [offset, offset + len) lies inside the memory (overflow-safe).
    bool contains(std::uint64_t offset, std::uint64_t len) const {
        return offset <= m_size && len <= m_size - offset;
    }
    // Pages that hold storage (written at least once).
    std::size_t touched_pages() const { return m_pages.size(); }

    // Inline for the common case (inside the page last touched); otherwise out of line.
    void read(std::uint64_t offset, std::uint8_t* dst, std::uint64_t len) const {
        if (contains(offset, len) && offset / page_bytes == m_last_index &&
            offset % page_bytes + len <= page_bytes)
            std::memcpy(dst, m_last->data() + offset % page_bytes, len);
        else
            read_slow(offset, dst, len);
    }
    void write(std::uint64_t offset, const std::uint8_t* src, std::uint64_t len) {
        if (contains(offset, len) && offset / page_bytes == m_last_index &&
            offset % page_bytes + len <= page_bytes)
            std::memcpy(m_last->data() + offset % page_bytes, src, len);
        else
            write_slow(offset, src, len);
    }
    std::vector<std::uint8_t> bytes(std::uint64_t offset, std::uint64_t len) const;

private:
    using page = std::array<std::uint8_t, page_bytes>;
    void read_slow(std::uint64_t offset, std::uint8_t* dst, std::uint64_t len) const;
    void write_slow(std::uint64_t offset, const std::uint8_t* src, std::uint64_t len);
    void check(std::uint64_t offset, std::uint64_t len, const char* what) const;
    // The page holding `index`, or nullptr when it was never written. DMA streams through a
    // page 64 bytes at a time, so the last page found is kept: a hash lookup per 64-byte
    // access cost the gpu-dma bench ~30%.
    page* find(std::uint64_t index) const;

    std::uint64_t m_size;
    std::unordered_map<std::uint64_t, std::unique_ptr<page>> m_pages; // key: offset / page_bytes
    mutable std::uint64_t m_last_index = ~0ULL;
    mutable page* m_last = nullptr;
};

} // namespace mtsim::gpu
