// One writer of x86 radix paging structures (4-level guest paging, 4- or 5-level EPT), shared
// by the platform builder (scenarios/guest_tables.cpp) and the tests' rigs, so that a scenario
// and a test lay out tables the same way. Contract: levels count from the bottom as in
// model/ept_format.h (1 PT .. 4 PML4, 5 PML5), a table is one 4 KiB page of 512 8-byte
// entries (Intel SDM vol. 3, 4.5 and 28.3.2). The writer knows only "present" (any bit of
// `present_mask`) and "address of the next table" (bits 51:12); the caller gives the bits of a
// new non-leaf entry and the whole leaf entry. It reads and writes entries and takes new
// tables through callbacks, so the same writer fills DRAM before time zero, guest RAM through
// a memslot, or a test's map_memory. It never reads a table through a walker (the walkers it
// feeds are checked against it) and performs no memory-type or reserved-bit reasoning.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

#include "model/ept_format.h"

namespace mtsim {

// Bits of a new guest non-leaf entry: P, R/W, U/S, A (SDM vol. 3, Table 4-15..4-19), and of a
// guest 4 KiB leaf additionally D.
inline constexpr std::uint64_t guest_p = 1, guest_rw = 2, guest_us = 4, guest_a = 32, guest_d = 64;
inline constexpr std::uint64_t guest_table_bits = guest_p | guest_rw | guest_us | guest_a;
// A present EPT entry has any of R, W, X (SDM vol. 3, 28.3.2); a non-leaf entry RWX.
inline constexpr std::uint64_t ept_rwx_mask = 7;

class page_table_writer {
public:
    struct format {
        unsigned levels = 4;
        std::uint64_t present_mask = guest_p;
        std::uint64_t table_bits = guest_table_bits;
    };
    struct memory {
        std::function<std::uint64_t(std::uint64_t)> read;        // entry at a table address
        std::function<void(std::uint64_t, std::uint64_t)> write; // entry at a table address
        std::function<std::uint64_t()> alloc_table;              // a zeroed 4 KiB table
    };
    // Where a lookup stopped: the entry at the asked level, or the level of the first entry
    // on the way that is not present (`missing`, 0 when the asked entry was reached).
    struct lookup {
        std::uint64_t at = 0;
        unsigned missing = 0;
    };

    page_table_writer(format f, memory m) : m_f(f), m_m(std::move(m)) {}

    static constexpr std::uint64_t entry_address(std::uint64_t table, std::uint64_t va,
                                                 unsigned level) {
        return address_of(table) + 8 * std::uint64_t(level_index(va, level));
    }
    bool present(std::uint64_t e) const { return (e & m_f.present_mask) != 0; }

    // The address of the entry at `level` on va's path from `root`; missing tables above it
    // are allocated and linked with `table_bits`.
    std::uint64_t entry(std::uint64_t root, std::uint64_t va, unsigned level) {
        std::uint64_t table = root;
        for (unsigned l = m_f.levels; l > level; --l) {
            const std::uint64_t at = entry_address(table, va, l);
            std::uint64_t e = m_m.read(at);
            if (!present(e)) {
                e = m_m.alloc_table() | m_f.table_bits;
                m_m.write(at, e);
            }
            table = address_of(e);
        }
        return entry_address(table, va, level);
    }
    // The leaf of va at `leaf_level` becomes `leaf` (the caller encodes address and bits).
    void map(std::uint64_t root, std::uint64_t va, std::uint64_t leaf, unsigned leaf_level = 1) {
        m_m.write(entry(root, va, leaf_level), leaf);
    }
    // The entry at `level` on va's path without allocating. `table_ok` (optional) may refuse
    // a table address on the way: the lookup then stops with `missing` = that level and `at`
    // the refused entry address.
    lookup find(std::uint64_t root, std::uint64_t va, unsigned level,
                const std::function<bool(std::uint64_t)>& table_ok = {}) const {
        std::uint64_t table = root;
        for (unsigned l = m_f.levels;; --l) {
            const std::uint64_t at = entry_address(table, va, l);
            if (table_ok && !table_ok(at)) return {at, l};
            if (l == level) return {at, 0};
            const std::uint64_t e = m_m.read(at);
            if (!present(e)) return {at, l};
            table = address_of(e);
        }
    }

private:
    format m_f;
    memory m_m;
};

} // namespace mtsim
