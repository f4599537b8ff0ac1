// The x86-TSO store buffer of one CPU agent: a FIFO of translated stores that have executed
// but are not yet visible to other agents. Stores leave it oldest first (the engine decides
// when, cpu/agent.h); a load looks here before memory, youngest store first per byte
// (store-to-load forwarding). Pure data structure: no SystemC process, no timing of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <systemc>

#include "model/access_ext.h"

namespace mtsim::cpu {

struct buffered_store {
    std::uint64_t linear = 0; // the program's address, for errors and records
    std::uint64_t hpa = 0;    // where it goes
    std::vector<std::uint8_t> data;
    memtype type = memtype::wb;
    type_source source = type_source::fixed;
    arm_device device = arm_device::none; // arm64 Device type (model/access_ext.h)
    op_kind op = op_kind::store;          // store or nt_store
    sc_core::sc_time ready;               // absolute time from which it may retire on its own
    std::uint64_t seq = 0;                // program-order number of the store

    std::uint64_t end() const { return hpa + data.size(); }
    bool overlaps(std::uint64_t lo, std::uint64_t hi) const { return hpa < hi && lo < end(); }
};

enum class forward_result : std::uint8_t {
    none,    // no buffered store touches the bytes: read memory
    full,    // every byte came from the buffer
    partial, // some bytes are buffered, others are not: the load must wait for the stores
};

class store_buffer {
public:
    explicit store_buffer(std::size_t capacity);

    std::size_t capacity() const { return m_capacity; }
    std::size_t size() const { return m_entries.size(); }
    bool empty() const { return m_entries.empty(); }
    bool full() const { return m_entries.size() >= m_capacity; }

    // Appends a store; the caller makes room first (full() must be false).
    void push(buffered_store s);
    const buffered_store& oldest() const { return m_entries.front(); }
    buffered_store pop_oldest();

    // Copies into dst the youngest buffered byte of each address in [hpa, hpa + len).
    forward_result forward(std::uint64_t hpa, std::size_t len, std::uint8_t* dst) const;
    // How many entries from the oldest must retire so that no store overlapping [lo, hi)
    // remains (0 when none overlaps).
    std::size_t retire_count_for(std::uint64_t lo, std::uint64_t hi) const;

    const std::deque<buffered_store>& entries() const { return m_entries; }

private:
    std::size_t m_capacity;
    std::deque<buffered_store> m_entries;
};

} // namespace mtsim::cpu
