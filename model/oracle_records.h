// The oracle's record tables (model/oracle.h): records by id, reference-counted, so that the
// memory held stays bounded by what a verdict can still need rather than by the run's length.
//
// Ids are handed out in order. A record lives while something references it (a chunk entry,
// a read mark, a finding); when the last reference goes, its contents are released. Records
// sit in blocks of 256 ids; a block whose ids were all handed out and whose records are all
// released is freed. So N writes to one location hold a bounded number of records and
// blocks, while a fill that leaves every chunk its own visible write holds one record per
// chunk. A block is pinned by any one live record in it (at most 255 released slots beside
// it).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <type_traits>
#include <vector>

namespace mtsim {

template <class R>
class record_store {
public:
    static constexpr unsigned block_bits = 8;
    static constexpr std::uint64_t block_size = std::uint64_t{1} << block_bits;

    std::uint64_t next_id() const { return m_next; }

    // Stores r under next_id(), with no reference yet; returns it (the address is stable).
    R& add(R r) {
        const std::uint64_t id = m_next++;
        const std::size_t b = static_cast<std::size_t>(id >> block_bits);
        if (b >= m_blocks.size()) m_blocks.resize(b + 1);
        if (!m_blocks[b]) m_blocks[b] = std::make_unique<block>();
        block& blk = *m_blocks[b];
        slot& s = blk.slots[id & (block_size - 1)];
        s.rec = std::move(r);
        s.refs = 0;
        s.alive = true;
        ++blk.alive;
        ++m_live;
        return s.rec;
    }

    bool holds(std::uint64_t id) const {
        const std::size_t b = static_cast<std::size_t>(id >> block_bits);
        return id < m_next && b < m_blocks.size() && m_blocks[b] &&
               m_blocks[b]->slots[id & (block_size - 1)].alive;
    }
    // Only for ids that holds().
    R& operator[](std::uint64_t id) { return get(id).rec; }
    const R& operator[](std::uint64_t id) const {
        return const_cast<record_store*>(this)->get(id).rec;
    }

    void ref(std::uint64_t id) { ++get(id).refs; }
    // Drops one reference; the record goes with its last one.
    void unref(std::uint64_t id) {
        slot& s = get(id);
        if (--s.refs == 0) release(id);
    }
    // Releases a record nothing referenced (e.g. a read that left no mark and no finding).
    void release_if_unreferenced(std::uint64_t id) {
        if (holds(id) && get(id).refs == 0) release(id);
    }

    // Records held (not yet released) and blocks allocated.
    std::size_t live() const { return m_live; }
    std::size_t blocks() const {
        std::size_t n = 0;
        for (const auto& b : m_blocks) n += b != nullptr;
        return n;
    }

private:
    struct slot {
        R rec;
        std::uint32_t refs = 0;
        bool alive = false;
    };
    struct block {
        slot slots[block_size];
        std::size_t alive = 0;
    };

    slot& get(std::uint64_t id) {
        return m_blocks[static_cast<std::size_t>(id >> block_bits)]->slots[id & (block_size - 1)];
    }
    void release(std::uint64_t id) {
        const std::size_t b = static_cast<std::size_t>(id >> block_bits);
        slot& s = get(id);
        s.rec = R{};
        s.alive = false;
        --m_live;
        // A block is freed once every id in it was handed out and released.
        if (--m_blocks[b]->alive == 0 && (std::uint64_t(b) + 1) << block_bits <= m_next)
            m_blocks[b].reset();
    }

    std::vector<std::unique_ptr<block>> m_blocks; // index: id >> block_bits
    std::uint64_t m_next = 0;
    std::size_t m_live = 0;
};

// A vector of trivially copyable T whose first element lives inline: most chunks hold one
// entry, and then no heap block is needed. Never copied or moved (chunks sit in place).
template <class T>
class inline_vec {
    static_assert(std::is_trivially_copyable_v<T>);

public:
    inline_vec() {}
    inline_vec(const inline_vec&) = delete;
    inline_vec& operator=(const inline_vec&) = delete;
    ~inline_vec() {
        if (m_cap > 1) delete[] m_heap;
    }

    T* begin() { return data(); }
    T* end() { return data() + m_n; }
    const T* begin() const { return data(); }
    const T* end() const { return data() + m_n; }
    std::reverse_iterator<const T*> rbegin() const { return std::reverse_iterator(end()); }
    std::reverse_iterator<const T*> rend() const { return std::reverse_iterator(begin()); }
    std::size_t size() const { return m_n; }
    bool empty() const { return m_n == 0; }

    void push_back(const T& v) {
        if (m_n == m_cap) grow();
        data()[m_n++] = v;
    }
    // Removes [first, end()) as after std::remove_if.
    void erase(T* first, T* last) {
        std::copy(last, end(), first);
        m_n -= static_cast<std::uint32_t>(last - first);
    }

private:
    T* data() { return m_cap > 1 ? m_heap : &m_one; }
    const T* data() const { return m_cap > 1 ? m_heap : &m_one; }
    void grow() {
        const std::uint32_t cap = m_cap * 2;
        T* p = new T[cap];
        std::copy(begin(), end(), p);
        if (m_cap > 1) delete[] m_heap;
        m_heap = p;
        m_cap = cap;
    }

    union {
        T m_one;
        T* m_heap;
    };
    std::uint32_t m_n = 0, m_cap = 1;
};

} // namespace mtsim
