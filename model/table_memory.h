// The narrow interface a page walker (guest paging, EPT, VT-d second level) uses to read and
// update paging-structure entries. Each call is one real memory reference: the owner routes it
// through its TLM socket (so it goes through the caches or straight to DRAM as `ext` says) and
// adds its latency to `delay`. Walkers know nothing about sockets, so they can be tested
// against a plain in-memory implementation without the SystemC kernel.
#pragma once

#include <cstdint>
#include <systemc>

#include "model/access_ext.h"

namespace mtsim {

class table_memory {
public:
    virtual ~table_memory() = default;
    // Reads the 8-byte entry at physical address pa (8-byte aligned).
    virtual std::uint64_t read_entry(std::uint64_t pa, const access_ext& ext,
                                     sc_core::sc_time& delay) = 0;
    // Writes it back (accessed/dirty flag updates).
    virtual void write_entry(std::uint64_t pa, std::uint64_t value, const access_ext& ext,
                             sc_core::sc_time& delay) = 0;
};

} // namespace mtsim
