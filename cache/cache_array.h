// One set-associative array of lines that hold their data bytes. It knows tags, valid bits
// and replacement; what a line's state means is the memory system's business.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cache/cache_config.h"
#include "cache/fingerprint.h"
#include "cache/protocol.h"
#include "cache/replacement/lru.h"
#include "cache/replacement/replacement.h"

namespace mtsim {

struct cache_line {
    std::uint64_t line_addr = 0; // address >> log2(line size)
    bool valid = false;
    bool dirty = false;    // L1: newer than the L2 copy; LLC: newer than DRAM
    mesi state = mesi::i;  // L2: the pCPU's coherence state (L1 copies read their L2's)
    std::uint8_t way = 0;  // the frame's place in its array, fixed at construction
    std::uint32_t set = 0; // (they fill padding: the struct stays 32 bytes)
    union {
        cache_line* l2 = nullptr; // L1 frames: the L2 line holding this pCPU's state
        // L2 frames: the L1 frame that last took a copy of this line, or nullptr. A hint: the
        // copy is there only if that frame is valid and links back (memory_system checks).
        cache_line* l1_hint;
    };
    std::uint8_t* data = nullptr;
};
static_assert(sizeof(cache_line) <= 32, "frame metadata: two per host cache line");

class cache_array {
public:
    cache_array(const cache_level_config& cfg, unsigned line_size);

    std::uint32_t sets() const { return m_sets; }
    std::uint32_t ways() const { return m_ways; }
    std::size_t frames() const { return m_lines.size(); }
    cycles latency() const { return m_latency; }

    // The valid line holding line_addr, or nullptr. Does not touch replacement state.
    // Always inlined: it is most of the L1D-hit path.
    [[gnu::always_inline]] cache_line* find(std::uint64_t line_addr) {
        const std::size_t set = static_cast<std::size_t>(line_addr & m_set_mask);
        const std::size_t base = set * m_ways;
        const std::uint64_t* tags = &m_tags[base];
        if (m_ways <= scan_ways) {
            // A few tags share one host cache line: comparing them directly is cheapest.
            for (std::uint32_t w = 0; w < m_ways; ++w)
                if (tags[w] == line_addr) return &m_lines[base + w];
            return nullptr;
        }
        const fingerprint::fp* fp = &m_fp[set * m_fp_stride];
        const fingerprint::fp want = fp_of(line_addr);
        for (std::uint32_t w0 = 0; w0 < m_ways; w0 += fp_group) {
            // Only ways whose fingerprint matches can hold the line; their full tag decides.
            for (std::uint32_t bits = match_group(fp + w0, want); bits != 0; bits &= bits - 1) {
                const std::uint32_t w = w0 + static_cast<std::uint32_t>(__builtin_ctz(bits));
                if (tags[w] == line_addr) return &m_lines[base + w];
            }
        }
        return nullptr;
    }
    const cache_line* find(std::uint64_t line_addr) const {
        return const_cast<cache_array*>(this)->find(line_addr);
    }
    void touch(const cache_line* l) {
        const frame_pos f = pos(l);
        repl_touch(f.set, f.way);
    }
    // Host-cache prefetches for a fill of line_addr that is about to come: the set's tags and
    // fingerprints and, when the set is full under LRU, the victim's frame and bytes (the
    // victim is read from the set's rank word). No model state changes. A miss touches these
    // host lines only after the lookups of the levels below; starting their loads when the
    // miss starts overlaps their host-memory latency with that work.
    void prefetch_fill(std::uint64_t line_addr) const {
        const std::size_t set = static_cast<std::size_t>(line_addr & m_set_mask);
        __builtin_prefetch(&m_tags[set * m_ways]);
        __builtin_prefetch(&m_fp[set * m_fp_stride]);
        if (m_lru && m_valid_ways[set] == m_ways) {
            const cache_line& v = m_lines[set * m_ways + m_lru->victim_now(std::uint32_t(set))];
            __builtin_prefetch(&v);
            __builtin_prefetch(v.data);
        }
    }
    // The frame a new line_addr would occupy: an invalid way if any, else the policy's victim
    // (still valid: the caller evicts it before calling install()).
    cache_line* slot_for(std::uint64_t line_addr);
    // Makes `frame` hold line_addr (valid, clean, state I) and marks it most recently used.
    void install(cache_line* frame, std::uint64_t line_addr) {
        const frame_pos f = pos(frame);
        if (!frame->valid) ++m_valid_ways[f.set];
        m_tags[f.index] = line_addr;
        m_fp[std::size_t(f.set) * m_fp_stride + f.way] = fp_of(line_addr);
        frame->line_addr = line_addr;
        frame->valid = true;
        frame->dirty = false;
        frame->state = mesi::i;
        frame->l2 = nullptr;
        repl_touch(f.set, f.way);
    }
    // A valid `frame` takes line_addr in place of its line, which the caller has already
    // written back and removed from every protocol structure. The same end state as
    // invalidate() then install() for every replacement policy (invalidating a way and then
    // touching it leaves what touching it alone leaves), with one replacement update.
    void replace(cache_line* frame, std::uint64_t line_addr) {
        const frame_pos f = pos(frame);
        m_tags[f.index] = line_addr;
        m_fp[std::size_t(f.set) * m_fp_stride + f.way] = fp_of(line_addr);
        frame->line_addr = line_addr;
        frame->dirty = false;
        frame->state = mesi::i;
        frame->l2 = nullptr;
        repl_touch(f.set, f.way);
    }
    // invalidate() split in two for a frame that is refilled at once: vacate() empties it
    // without updating the valid count or the replacement state, refill() then makes it hold
    // line_addr as replace() does. The pair ends where invalidate() then install() ends
    // (tested for every policy): the valid count is unchanged overall, and invalidating a
    // way and then touching it leaves what touching it alone leaves.
    void vacate(cache_line* l) {
        const frame_pos f = pos(l);
        m_tags[f.index] = no_tag;
        m_fp[std::size_t(f.set) * m_fp_stride + f.way] = no_fp;
        l->valid = false;
        l->dirty = false;
        l->state = mesi::i;
        l->l2 = nullptr;
    }
    void refill(cache_line* frame, std::uint64_t line_addr) {
        frame->valid = true;
        replace(frame, line_addr);
    }
    // Writes vacate()'s fields itself: with invalidate() calling vacate() (same instructions
    // executed) the miss stream measured 4-10% slower on the development host, a code layout
    // effect, so the two stay apart.
    void invalidate(cache_line* l) {
        const frame_pos f = pos(l);
        if (l->valid) --m_valid_ways[f.set];
        m_tags[f.index] = no_tag;
        m_fp[std::size_t(f.set) * m_fp_stride + f.way] = no_fp;
        l->valid = false;
        l->dirty = false;
        l->state = mesi::i;
        l->l2 = nullptr;
        if (m_lru)
            m_lru->invalidate_now(f.set, f.way);
        else
            m_repl->invalidate(f.set, f.way);
    }

    std::vector<cache_line>& lines() { return m_lines; }
    const std::vector<cache_line>& lines() const { return m_lines; }

private:
    std::uint32_t m_sets;
    std::uint32_t m_ways;
    std::uint64_t m_set_mask;
    cycles m_latency;
    // The lines' bytes, in host-cache-line-aligned blocks: with the default 16-byte alignment
    // of a byte vector every 64-byte line straddled two host cache lines, so a fill or a copy
    // touched two.
    struct alignas(64) host_line {
        std::uint8_t bytes[64];
    };
    std::vector<host_line> m_storage;
    std::vector<cache_line> m_lines;
    // Tag of each frame (no_tag when invalid), kept apart from the lines so that a lookup
    // reads one or two host cache lines per set.
    std::vector<std::uint64_t> m_tags;
    std::vector<std::uint32_t> m_valid_ways; // per set: a full set skips the invalid-way scan
    static constexpr std::uint64_t no_tag = ~std::uint64_t(0);
    // One fingerprint byte per way (cache/fingerprint.h); no_fp marks an invalid way and the
    // padding after the last way: a miss in a 16-way set reads 16 bytes instead of 128.
    static constexpr std::uint32_t fp_group = fingerprint::group;
    // Sets of at most scan_ways ways (their tags fill one host cache line) are scanned tag by
    // tag: for them that is cheaper than the fingerprint compare.
    static constexpr std::uint32_t scan_ways = 8;
    static constexpr fingerprint::fp no_fp = fingerprint::none;
    std::vector<fingerprint::fp> m_fp;
    std::size_t m_fp_stride; // bytes per set: ways rounded up to fp_group
    // The fingerprint hashes the tag bits above the set index: the lines of one set differ only
    // there, and consecutive tags (a sequential stream) spread best under the multiplicative
    // hash, where whole line addresses one set count apart collided (73% false matches in the
    // default L2 on a miss stream).
    fingerprint::fp fp_of(std::uint64_t line_addr) const {
        return fingerprint::of(line_addr >> m_set_bits);
    }
    unsigned m_set_bits = 0; // log2(sets)
    struct frame_pos {
        std::size_t index;
        std::uint32_t set, way;
    };
    frame_pos pos(const cache_line* l) const {
        return {std::size_t(l->set) * m_ways + l->way, l->set, l->way};
    }
    static std::uint32_t match_group(const fingerprint::fp* group, fingerprint::fp want) {
        return fingerprint::match(group, want);
    }
    std::unique_ptr<replacement_policy> m_repl;
    // m_repl when it is LRU (every default level): called directly, without a virtual call.
    lru_policy* m_lru = nullptr;
    void repl_touch(std::uint32_t set, std::uint32_t way) {
        if (m_lru)
            m_lru->touch_now(set, way);
        else
            m_repl->touch(set, way);
    }
};

} // namespace mtsim
