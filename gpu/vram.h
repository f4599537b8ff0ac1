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

    void read(std::uint64_t offset, std::uint8_t* dst, std::uint64_t len) const;
    void write(std::uint64_t offset, const std::uint8_t* src, std::uint64_t len);
    std::vector<std::uint8_t> bytes(std::uint64_t offset, std::uint64_t len) const;

private:
    using page = std::array<std::uint8_t, page_bytes>;
    void check(std::uint64_t offset, std::uint64_t len, const char* what) const;

    std::uint64_t m_size;
    std::unordered_map<std::uint64_t, std::unique_ptr<page>> m_pages; // key: offset / page_bytes
};

} // namespace mtsim::gpu
