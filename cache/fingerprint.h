// Tag fingerprints: one byte per way, derived from the tag and never `none` for a valid way,
// compared a group of 16 at a time (SSE2), so that a lookup reads a full tag only for a
// candidate way. Shared by the cache arrays and the snoop filter.
#pragma once

#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mtsim::fingerprint {

// A byte, but not a character type: stores to fingerprint arrays then do not alias every other
// object, so the compiler keeps array pointers in registers across them.
enum class fp : std::uint8_t {};

inline constexpr std::uint32_t group = 16; // bytes compared at once
inline constexpr fp none = fp{0};          // an invalid way, or padding after the last way

inline fp of(std::uint64_t tag) {
    // The top byte of a multiplicative hash, with bit 0 forced so it is never `none`.
    return static_cast<fp>(((tag * 0x9E3779B97F4A7C15ull) >> 56) | 1);
}

// Bit i set when g[i] == want, for the `group` bytes at g.
inline std::uint32_t match(const fp* g, fp want) {
#if defined(__SSE2__)
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(g));
    // The byte is replicated in a general register first: _mm_set1_epi8 compiles (SSE2) to a
    // byte store and a 4-byte reload, a failed store forwarding that cost more than the rest
    // of a miss's lookups together.
    const __m128i w =
        _mm_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(want) * 0x01010101u));
    return static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, w)));
#else
    std::uint32_t bits = 0;
    for (std::uint32_t i = 0; i < group; ++i)
        if (g[i] == want) bits |= std::uint32_t(1) << i;
    return bits;
#endif
}

// Bytes one set of `ways` fingerprints occupies: whole groups.
inline std::uint32_t stride(std::uint32_t ways) {
    return (ways + group - 1) / group * group;
}

} // namespace mtsim::fingerprint
