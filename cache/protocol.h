// The MESI protocol of one private cache hierarchy (L1D+L2 of a pCPU) as data: a
// (state, event) -> (actions, next state) table. The home agent (memory_system) looks up every
// event a private line sees, performs the cell's actions and installs the next state; a
// (state, event) pair without an entry throws protocol_error, it is never ignored.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "model/enum_names.h"

namespace mtsim {

enum class mesi : std::uint8_t { i, s, e, m };

constexpr auto enum_names_of(mesi) {
    return names_table("I", "S", "E", "M");
}
inline constexpr unsigned mesi_count = 4;

enum class proto_event : std::uint8_t {
    load,           // WB/WT/WP load by the owning pCPU
    store,          // WB store (or locked RMW) by the owning pCPU
    store_through,  // WT store: update a hit line, write the bytes to memory
    store_protect,  // WP store: write to memory, invalidate the line everywhere
    fill_shared,    // home's reply to get_s: other copies exist
    fill_exclusive, // home's reply to get_s: no other copy
    fill_modified,  // home's reply to get_m: data plus ownership
    upgrade_ack,    // home's reply to upgrade: every other copy invalidated
    evict,          // replacement in this pCPU's L2 (the L1 copy goes with it); the miss
                    // that chose the frame refills it at once (step() only vacates it)
    snoop_read,     // another agent reads (GetS, snooped DMA read, UC/WC read)
    snoop_inv,      // another agent writes (GetM, DMA write, UC/WC write), back-invalidation
    flush,          // CLFLUSH/CLFLUSHOPT, WBINVD
    clean,          // CLWB, WBNOINVD
    drop,           // INVD: invalidate without write-back
};

constexpr auto enum_names_of(proto_event) {
    return names_table("load", "store", "store-through", "store-protect", "fill-shared",
                       "fill-exclusive", "fill-modified", "upgrade-ack", "evict", "snoop-read",
                       "snoop-inv", "flush", "clean", "drop");
}
inline constexpr unsigned proto_event_count = 14;

// Action bits of a table cell.
namespace act {
inline constexpr std::uint16_t hit = 1 << 0;               // served by the private copy
inline constexpr std::uint16_t get_s = 1 << 1;             // ask home for a shared copy
inline constexpr std::uint16_t get_m = 1 << 2;             // ask home for data + ownership
inline constexpr std::uint16_t upgrade = 1 << 3;           // ask home to invalidate others
inline constexpr std::uint16_t write_back = 1 << 4;        // dirty data leaves this cache
inline constexpr std::uint16_t write_memory = 1 << 5;      // the stored bytes go to memory
inline constexpr std::uint16_t invalidate_others = 1 << 6; // every other copy invalidated
inline constexpr std::uint16_t update_line = 1 << 7;       // the stored bytes go to this copy
} // namespace act

struct transition {
    bool defined = false;
    mesi next = mesi::i;
    std::uint16_t actions = 0;
};

struct protocol_table {
    std::array<std::array<transition, proto_event_count>, mesi_count> cells{};

    constexpr const transition& at(mesi s, proto_event e) const {
        return cells[static_cast<unsigned>(s)][static_cast<unsigned>(e)];
    }
    constexpr transition& at(mesi s, proto_event e) {
        return cells[static_cast<unsigned>(s)][static_cast<unsigned>(e)];
    }
};

class protocol_error : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

std::string_view to_string(mesi s);
std::string_view to_string(proto_event e);

// The default table (protocol.cpp, where its source is cited).
const protocol_table& mesi_table();

// Counts of every (state, event) pair taken.
using transition_counts = std::array<std::array<std::uint64_t, proto_event_count>, mesi_count>;

} // namespace mtsim
