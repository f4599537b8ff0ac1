// Byte-span lists of oracle findings: merged when adjacent, capped.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/oracle.h"

namespace mtsim {

// Appends [offset, offset + len), extending the last span when adjacent; past `cap` spans the
// list stops growing and `truncated` is set (the finding's byte count stays exact).
inline void add_span(std::vector<byte_span>& spans, bool& truncated, std::size_t cap,
                     std::uint64_t offset, std::uint64_t len) {
    if (!spans.empty() && spans.back().offset + spans.back().len == offset) {
        spans.back().len += len;
        return;
    }
    if (spans.size() >= cap) {
        truncated = true;
        return;
    }
    spans.push_back({offset, len});
}

// Sorts spans by offset, coalesces adjacent or overlapping ones and applies the cap again.
inline void normalize_spans(std::vector<byte_span>& spans, bool& truncated, std::size_t cap) {
    std::sort(spans.begin(), spans.end(),
              [](const byte_span& a, const byte_span& b) { return a.offset < b.offset; });
    std::vector<byte_span> out;
    for (const auto& s : spans) {
        if (!out.empty() && out.back().offset + out.back().len >= s.offset) {
            out.back().len = std::max(out.back().len, s.offset + s.len - out.back().offset);
            continue;
        }
        if (out.size() >= cap) {
            truncated = true;
            break;
        }
        out.push_back(s);
    }
    spans.swap(out);
}

} // namespace mtsim
