// The command descriptor the engine reads from its ring in memory, and the BAR register map.
// Both are this model's own device definition (no external specification): a descriptor is
// 32 bytes, little-endian, naturally aligned, so one descriptor never crosses 4 KiB.
//
//   byte 0      opcode (descriptor_op)
//   byte 1      flags: bit 0 No-Snoop requested for this command's memory requests
//   bytes 2-7   reserved, must be zero
//   bytes 8-15  a: source address (copy, read_to_vram), VRAM offset (write_from_vram),
//               64-bit pattern (fill), value (fence_write), vector (interrupt)
//   bytes 16-23 b: destination address (copy, write_from_vram, fill, fence_write),
//               VRAM offset (read_to_vram)
//   bytes 24-31 length in bytes (copy, read_to_vram, write_from_vram, fill)
// fill writes byte k of its region with byte (k mod 8) of the pattern (little-endian).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mtsim::gpu {

enum class descriptor_op : std::uint8_t {
    copy = 1,            // memory -> memory
    read_to_vram = 2,    // memory -> VRAM
    write_from_vram = 3, // VRAM -> memory
    fill = 4,            // 64-bit pattern -> memory
    fence_write = 5,     // after every earlier request completed, a 64-bit value -> memory
    interrupt = 6,       // after every earlier request completed, signal the host
};

std::string_view to_string(descriptor_op op);

struct descriptor {
    descriptor_op op = descriptor_op::copy;
    bool no_snoop = false;
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::uint64_t length = 0;
};

inline constexpr unsigned descriptor_bytes = 32;
using descriptor_image = std::array<std::uint8_t, descriptor_bytes>;

descriptor_image encode(const descriptor& d);
// nullopt when the opcode is unknown or a reserved byte/flag bit is set.
std::optional<descriptor> decode(const descriptor_image& img);

// Convenience constructors for drivers and tests.
descriptor make_copy(std::uint64_t src, std::uint64_t dst, std::uint64_t len, bool ns = false);
descriptor make_read_to_vram(std::uint64_t src, std::uint64_t vram_off, std::uint64_t len,
                             bool ns = false);
descriptor make_write_from_vram(std::uint64_t vram_off, std::uint64_t dst, std::uint64_t len,
                                bool ns = false);
descriptor make_fill(std::uint64_t pattern, std::uint64_t dst, std::uint64_t len, bool ns = false);
descriptor make_fence_write(std::uint64_t value, std::uint64_t dst, bool ns = false);
descriptor make_interrupt(std::uint32_t vector);

// BAR 0 register offsets. Registers are 32-bit unless marked 64; 64-bit registers may also
// be accessed as two 32-bit halves.
namespace reg {
inline constexpr std::uint64_t ring_base = 0x00;   // 64, RW: ring address (64-byte aligned)
inline constexpr std::uint64_t ring_size = 0x08;   // RW: entries, a power of two, >= 2
inline constexpr std::uint64_t doorbell = 0x0c;    // WO: new ring tail
inline constexpr std::uint64_t ring_head = 0x10;   // RO: next descriptor to execute
inline constexpr std::uint64_t status = 0x14;      // RO except W1C of status_error
inline constexpr std::uint64_t fence = 0x18;       // 64, RO: last fence value written
inline constexpr std::uint64_t dev_ctl = 0x20;     // RW: PCIe Device Control (low 16 bits)
inline constexpr std::uint64_t error_index = 0x24; // RO: ring index of the failed descriptor
inline constexpr std::uint64_t irq_count = 0x28;   // RO: interrupts raised
inline constexpr std::uint64_t ring_ctl = 0x2c;    // RW: bit 0 ring_ctl_no_snoop
inline constexpr std::uint64_t bar_bytes = 0x1000;
} // namespace reg

// STATUS bits: busy (a doorbell is being served), error (halted; bits 15:8 hold the code).
inline constexpr std::uint32_t status_busy = 1u << 0;
inline constexpr std::uint32_t status_error = 1u << 1;
// RING_CTL bit 0: descriptor fetches ask No Snoop (the ring's own attribute; like every
// request's, it takes effect only while Device Control Enable No Snoop is set).
inline constexpr std::uint32_t ring_ctl_no_snoop = 1u << 0;
// PCIe Device Control bit 11: the function may set No Snoop in its requests.
inline constexpr std::uint32_t devctl_enable_no_snoop = 1u << 11;

enum class error_code : std::uint8_t {
    none = 0,
    dma_fault = 1,      // a memory request completed with an error (IOMMU fault)
    bad_descriptor = 2, // unknown opcode, reserved bits, VRAM range, zero length
    bad_doorbell = 3,   // tail beyond the ring, or no ring programmed
};

std::string_view to_string(error_code e);

} // namespace mtsim::gpu
