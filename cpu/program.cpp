#include "cpu/program.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace mtsim::cpu {

std::string_view to_string(op_code c) {
    switch (c) {
    case op_code::load:
        return "load";
    case op_code::store:
        return "store";
    case op_code::nt_store:
        return "nt-store";
    case op_code::clflush:
        return "clflush";
    case op_code::clflushopt:
        return "clflushopt";
    case op_code::clwb:
        return "clwb";
    case op_code::wbinvd:
        return "wbinvd";
    case op_code::wbnoinvd:
        return "wbnoinvd";
    case op_code::invd:
        return "invd";
    case op_code::sfence:
        return "sfence";
    case op_code::mfence:
        return "mfence";
    case op_code::xchg:
        return "xchg";
    case op_code::locked_add:
        return "locked-add";
    case op_code::fill:
        return "fill";
    case op_code::copy:
        return "copy";
    case op_code::pause:
        return "pause";
    case op_code::callback:
        return "callback";
    case op_code::migrate:
        return "migrate";
    case op_code::mark:
        return "mark";
    case op_code::poll:
        return "poll";
    case op_code::dc_civac:
        return "dc-civac";
    case op_code::dc_cvac:
        return "dc-cvac";
    case op_code::dc_ivac:
        return "dc-ivac";
    case op_code::dsb:
        return "dsb";
    case op_code::dmb:
        return "dmb";
    case op_code::ldxr:
        return "ldxr";
    case op_code::stxr:
        return "stxr";
    case op_code::ldadd:
        return "ldadd";
    case op_code::cas:
        return "cas";
    }
    return "?";
}

namespace {

void check_size(unsigned size, std::string_view what) {
    if (size != 1 && size != 2 && size != 4 && size != 8)
        throw std::invalid_argument(std::string(what) + ": operand size " + std::to_string(size) +
                                    " (1, 2, 4 or 8 bytes)");
}

op make(op_code c, std::uint64_t addr, std::string label) {
    op o;
    o.code = c;
    o.addr = addr;
    o.label = std::move(label);
    return o;
}

} // namespace

std::vector<std::uint8_t> le_bytes(std::uint64_t value, unsigned size) {
    std::vector<std::uint8_t> b(size);
    // Bytes past the eighth are zero (a shift by 64 or more is undefined in C++).
    for (unsigned i = 0; i < size && i < 8; ++i) b[i] = static_cast<std::uint8_t>(value >> (8 * i));
    return b;
}

std::uint64_t le_value(const std::uint8_t* bytes, unsigned size) {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < size && i < 8; ++i) v |= std::uint64_t{bytes[i]} << (8 * i);
    return v;
}

program& program::append(op o) {
    if ((o.code == op_code::store || o.code == op_code::nt_store) && o.data.empty())
        throw std::invalid_argument(std::string(to_string(o.code)) + " without bytes");
    if ((o.code == op_code::load || o.code == op_code::copy || o.code == op_code::fill) &&
        o.len == 0)
        throw std::invalid_argument(std::string(to_string(o.code)) + " of 0 bytes");
    if (o.code == op_code::fill && o.data.empty())
        throw std::invalid_argument("fill without a pattern");
    if (o.code == op_code::xchg || o.code == op_code::locked_add || o.code == op_code::stxr ||
        o.code == op_code::ldadd || o.code == op_code::cas) {
        check_size(static_cast<unsigned>(o.len), to_string(o.code));
        if (o.data.size() != o.len)
            throw std::invalid_argument(std::string(to_string(o.code)) +
                                        ": operand bytes do not match its size");
    }
    if (o.code == op_code::ldxr) check_size(static_cast<unsigned>(o.len), to_string(o.code));
    if (o.code == op_code::callback && !o.fn)
        throw std::invalid_argument("callback '" + o.label + "' without a function");
    if (o.code == op_code::store || o.code == op_code::nt_store) o.len = o.data.size();
    m_ops.push_back(std::move(o));
    return *this;
}

program& program::load(std::uint64_t addr, std::uint64_t len, std::string label) {
    op o = make(op_code::load, addr, std::move(label));
    o.len = len;
    return append(std::move(o));
}

program& program::store(std::uint64_t addr, std::vector<std::uint8_t> bytes, std::string label) {
    op o = make(op_code::store, addr, std::move(label));
    o.data = std::move(bytes);
    return append(std::move(o));
}

program& program::store_value(std::uint64_t addr, std::uint64_t value, unsigned size,
                              std::string label) {
    check_size(size, "store_value");
    return store(addr, le_bytes(value, size), std::move(label));
}

program& program::nt_store(std::uint64_t addr, std::vector<std::uint8_t> bytes, std::string label) {
    op o = make(op_code::nt_store, addr, std::move(label));
    o.data = std::move(bytes);
    return append(std::move(o));
}

program& program::mmio_read(std::uint64_t addr, std::uint64_t len, std::string label) {
    return load(addr, len, std::move(label));
}

program& program::mmio_write(std::uint64_t addr, std::vector<std::uint8_t> bytes,
                             std::string label) {
    return store(addr, std::move(bytes), std::move(label));
}

program& program::clflush(std::uint64_t addr) {
    return append(make(op_code::clflush, addr, {}));
}
program& program::clflushopt(std::uint64_t addr) {
    return append(make(op_code::clflushopt, addr, {}));
}
program& program::clwb(std::uint64_t addr) {
    return append(make(op_code::clwb, addr, {}));
}
program& program::wbinvd() {
    return append(make(op_code::wbinvd, 0, {}));
}
program& program::wbnoinvd() {
    return append(make(op_code::wbnoinvd, 0, {}));
}
program& program::invd() {
    return append(make(op_code::invd, 0, {}));
}
void program::set_line(std::size_t from, unsigned line) {
    for (std::size_t i = from; i < m_ops.size(); ++i) m_ops[i].line = line;
}

program& program::sfence() {
    return append(make(op_code::sfence, 0, {}));
}
program& program::mfence() {
    return append(make(op_code::mfence, 0, {}));
}

program& program::poll(std::uint64_t addr, std::uint64_t until, unsigned size, cycles budget,
                       std::string label) {
    check_size(size, "poll");
    if (addr % size != 0) throw std::invalid_argument("poll: the value is not naturally aligned");
    op o = make(op_code::poll, addr, std::move(label));
    o.len = size;
    o.data = le_bytes(until, size);
    o.wait = budget;
    return append(std::move(o));
}

program& program::xchg(std::uint64_t addr, std::uint64_t value, unsigned size, std::string label) {
    op o = make(op_code::xchg, addr, std::move(label));
    o.len = size;
    o.data = le_bytes(value, size);
    return append(std::move(o));
}

program& program::locked_add(std::uint64_t addr, std::uint64_t value, unsigned size,
                             std::string label) {
    op o = make(op_code::locked_add, addr, std::move(label));
    o.len = size;
    o.data = le_bytes(value, size);
    return append(std::move(o));
}

program& program::fill(std::uint64_t addr, std::uint64_t len, std::vector<std::uint8_t> pattern,
                       bool nt, std::string label) {
    op o = make(op_code::fill, addr, std::move(label));
    o.len = len;
    o.data = std::move(pattern);
    o.nt = nt;
    return append(std::move(o));
}

program& program::copy(std::uint64_t dst, std::uint64_t src, std::uint64_t len, bool nt,
                       std::string label) {
    op o = make(op_code::copy, dst, std::move(label));
    o.src = src;
    o.len = len;
    o.nt = nt;
    return append(std::move(o));
}

program& program::flushed_copy(std::uint64_t dst, std::uint64_t src, std::uint64_t len,
                               unsigned line) {
    if (line == 0 || (line & (line - 1)) != 0)
        throw std::invalid_argument("flushed_copy: line size not a power of two");
    for (std::uint64_t off = 0; off < len;) {
        const std::uint64_t n = std::min<std::uint64_t>(
            {line - ((src + off) & (line - 1)), line - ((dst + off) & (line - 1)), len - off});
        clflush(src + off);
        copy(dst + off, src + off, n);
        clflush(dst + off);
        off += n;
    }
    return *this;
}

program& program::pause(cycles n) {
    op o = make(op_code::pause, 0, {});
    o.wait = n;
    return append(std::move(o));
}

program& program::callback(std::string name, op_callback fn) {
    op o = make(op_code::callback, 0, std::move(name));
    o.fn = std::move(fn);
    return append(std::move(o));
}

program& program::mark(std::string name) {
    return append(make(op_code::mark, 0, std::move(name)));
}

program& program::migrate(unsigned pcpu) {
    op o = make(op_code::migrate, 0, {});
    o.pcpu = pcpu;
    return append(std::move(o));
}

} // namespace mtsim::cpu
