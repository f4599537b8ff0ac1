#include "gpu/descriptor.h"

namespace mtsim::gpu {

namespace {

void put64(descriptor_image& img, unsigned at, std::uint64_t v) {
    for (unsigned i = 0; i < 8; ++i) img[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint64_t get64(const descriptor_image& img, unsigned at) {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < 8; ++i) v |= std::uint64_t(img[at + i]) << (8 * i);
    return v;
}

} // namespace

std::string_view to_string(descriptor_op op) {
    switch (op) {
    case descriptor_op::copy:
        return "copy";
    case descriptor_op::read_to_vram:
        return "read-to-vram";
    case descriptor_op::write_from_vram:
        return "write-from-vram";
    case descriptor_op::fill:
        return "fill";
    case descriptor_op::fence_write:
        return "fence-write";
    case descriptor_op::interrupt:
        return "interrupt";
    }
    return "?";
}

std::string_view to_string(error_code e) {
    switch (e) {
    case error_code::none:
        return "none";
    case error_code::dma_fault:
        return "dma-fault";
    case error_code::bad_descriptor:
        return "bad-descriptor";
    case error_code::bad_doorbell:
        return "bad-doorbell";
    }
    return "?";
}

descriptor_image encode(const descriptor& d) {
    descriptor_image img{};
    img[0] = static_cast<std::uint8_t>(d.op);
    img[1] = d.no_snoop ? 1 : 0;
    put64(img, 8, d.a);
    put64(img, 16, d.b);
    put64(img, 24, d.length);
    return img;
}

std::optional<descriptor> decode(const descriptor_image& img) {
    if (img[0] < 1 || img[0] > 6) return std::nullopt;
    if (img[1] & ~1u) return std::nullopt;
    for (unsigned i = 2; i < 8; ++i)
        if (img[i] != 0) return std::nullopt;
    descriptor d;
    d.op = static_cast<descriptor_op>(img[0]);
    d.no_snoop = img[1] & 1;
    d.a = get64(img, 8);
    d.b = get64(img, 16);
    d.length = get64(img, 24);
    return d;
}

descriptor make_copy(std::uint64_t src, std::uint64_t dst, std::uint64_t len, bool ns) {
    return {descriptor_op::copy, ns, src, dst, len};
}
descriptor make_read_to_vram(std::uint64_t src, std::uint64_t vram_off, std::uint64_t len,
                             bool ns) {
    return {descriptor_op::read_to_vram, ns, src, vram_off, len};
}
descriptor make_write_from_vram(std::uint64_t vram_off, std::uint64_t dst, std::uint64_t len,
                                bool ns) {
    return {descriptor_op::write_from_vram, ns, vram_off, dst, len};
}
descriptor make_fill(std::uint64_t pattern, std::uint64_t dst, std::uint64_t len, bool ns) {
    return {descriptor_op::fill, ns, pattern, dst, len};
}
descriptor make_fence_write(std::uint64_t value, std::uint64_t dst, bool ns) {
    return {descriptor_op::fence_write, ns, value, dst, 8};
}
descriptor make_interrupt(std::uint32_t vector) {
    return {descriptor_op::interrupt, false, vector, 0, 0};
}

} // namespace mtsim::gpu
