// The oracle's verdict classes and their precedence (DESIGN.md §2 rule 2).
//
// A finding has exactly one class; a run's verdict is the class of highest precedence among
// its findings, so every corruption class beats race and race beats clean:
//   corrupt-unknown > machine-check > malfunction > hang > lost-write > torn > stale-read >
//   race > clean
// corrupt-unknown is on top because bytes that no write ever produced mean the data path
// invented data (a model defect or real garbage) and must never hide behind a milder class;
// machine-check beats every data class because the platform stops there (Intel signals a
// machine check for a cacheable access to device memory): whatever the guest read before is
// moot; malfunction (an arm64 exclusive or atomic on memory that is not Normal cacheable:
// CONSTRAINED UNPREDICTABLE, Arm ARM B2.9; real parts fail the exclusive forever or fault)
// beats hang and the data classes because the guest's synchronization itself is broken, so a
// hang or stale data after it is its consequence, not a second cause; hang beats the data classes
// because the guest never gets past its poll, so the data it would consume next is never used;
// lost-write beats torn and stale-read because the newer data is gone for good.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "model/enum_names.h"

namespace mtsim {

enum class verdict : std::uint8_t {
    clean,         // every byte equals the write that happens-before the read
    race,          // some byte's writer is concurrent with the read: reported, not corruption
    stale_read,    // the reader got bytes of an older write (or the initial value)
    torn,          // one write's footprint came back part new, part old
    lost_write,    // stale, and the newer bytes exist nowhere in the memory system any more
    hang,          // a bounded poll never saw a value that had long reached the point of coherence
    malfunction,   // an arm64 exclusive or atomic on memory that is not Normal-WB
    machine_check, // a cacheable (WB/WT/WP) access reached an address decoded as device memory
    corrupt_unknown, // received bytes match no known write of those locations
};

constexpr auto enum_names_of(verdict) {
    return names_table("clean", "race", "stale-read", "torn", "lost-write", "hang", "malfunction",
                       "machine-check", "corrupt-unknown");
}

constexpr std::string_view to_string(verdict v) {
    return enum_name(v);
}

constexpr std::optional<verdict> verdict_from_string(std::string_view s) {
    return enum_from_string<verdict>(s);
}

// Precedence rank: the enumerators are declared in precedence order.
constexpr int precedence(verdict v) {
    return static_cast<int>(v);
}

constexpr verdict worst(verdict a, verdict b) {
    return precedence(a) >= precedence(b) ? a : b;
}

constexpr bool is_corruption(verdict v) {
    return precedence(v) > precedence(verdict::race);
}

inline constexpr int verdict_count = 9;

} // namespace mtsim
