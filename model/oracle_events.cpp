// The oracle's bounded polls and platform events: a poll's flag reads as acquire loads of
// published writes, the `hang` finding of a poll that never saw a value which had reached the
// point of coherence, and the `machine-check` finding of a cacheable access to device memory.
// Classification of data reads lives in oracle.cpp, reporting in oracle_report.cpp.
#include <algorithm>

#include <fmt/format.h>

#include "model/oracle.h"

namespace mtsim {

namespace {
constexpr std::uint64_t chunk_bytes = 64;

std::string publish_key(write_id w) {
    return fmt::format("published-write#{}", w);
}
} // namespace

std::optional<write_id>
oracle::write_holding(std::uint64_t addr, std::uint64_t len, const unsigned char* bytes,
                      const std::function<bool(const write_record&)>& accept) const {
    if (len == 0 || addr / chunk_bytes != (addr + len - 1) / chunk_bytes)
        throw std::invalid_argument(fmt::format(
            "oracle: a flag [{:#x}, +{}) must lie within one 64-byte chunk", addr, len));
    const chunk* ch = chunk_at(addr);
    if (!ch) return std::nullopt;
    std::uint64_t mask = 0;
    for (std::uint64_t k = 0; k < len; ++k) mask |= 1ull << ((addr + k) % chunk_bytes);
    for (auto e = ch->entries.rbegin(); e != ch->entries.rend(); ++e) {
        if ((e->covered & mask) != mask) continue;
        const write_record& w = m_writes[e->w];
        bool same = true;
        for (std::uint64_t k = 0; k < len && same; ++k) same = w.byte_at(addr + k) == bytes[k];
        if (same && accept(w)) return e->w;
    }
    return std::nullopt;
}

read_id oracle::add_access_record(agent_id a, std::uint64_t addr, std::uint64_t len,
                                  record_label what) {
    auto& st = state(a);
    check_range(addr, len, "access");
    read_record rec;
    rec.id = m_reads.next_id();
    rec.agent = a;
    rec.at = st.clock.get(a);
    rec.addr = addr;
    rec.len = len;
    rec.what = m_texts.keep(std::move(what));
    return m_reads.add(rec).id;
}

void oracle::publish(agent_id a, write_id w) {
    if (write_info(w).agent != a)
        throw std::logic_error(
            fmt::format("oracle: '{}' publishes write #{} of another agent", agent_name(a), w));
    release(a, publish_key(w));
}

write_id oracle::poll_read(agent_id a, std::uint64_t addr, const unsigned char* received,
                           std::uint64_t len) {
    state(a);
    const auto w = write_holding(addr, len, received, [&](const write_record& r) {
        return m_keys.count(publish_key(r.id)) != 0 || r.agent == a;
    });
    if (!w) return initial_zero_write;
    if (m_writes[*w].agent != a) acquire(a, publish_key(*w));
    return *w;
}

verdict oracle::poll_timeout(agent_id a, std::uint64_t addr, std::uint64_t len,
                             const unsigned char* until, const unsigned char* received,
                             record_label what,
                             const std::function<bool(const write_record&)>& completed) {
    const auto missed = write_holding(addr, len, until, completed);
    if (!missed) return verdict::clean;
    finding f;
    f.kind = verdict::hang;
    f.read = add_access_record(a, addr, len, std::move(what));
    f.expected = *missed;
    f.expected_writes = 1;
    f.bytes = len;
    f.spans.push_back({0, len});
    auto src = write_holding(addr, len, received, [](const write_record&) { return true; });
    // Zero bytes nobody wrote are the implicit initial contents (a declared initial write
    // covering them would have been found above).
    if (!src && std::all_of(received, received + len, [](unsigned char b) { return b == 0; }))
        src = initial_zero_write;
    if (src) {
        f.has_source = true;
        f.source = *src;
        f.source_writes = 1;
    }
    const read_id r = f.read;
    add_finding(std::move(f));
    m_reads.release_if_unreferenced(r);
    return verdict::hang;
}

void oracle::machine_check(agent_id a, std::uint64_t addr, std::uint64_t len, record_label what) {
    access_finding(verdict::machine_check, a, addr, len, std::move(what));
}

void oracle::malfunction(agent_id a, std::uint64_t addr, std::uint64_t len, record_label what) {
    access_finding(verdict::malfunction, a, addr, len, std::move(what));
}

void oracle::access_finding(verdict kind, agent_id a, std::uint64_t addr, std::uint64_t len,
                            record_label what) {
    finding f;
    f.kind = kind;
    f.read = add_access_record(a, addr, len, std::move(what));
    f.expected = initial_zero_write;
    f.bytes = len;
    f.spans.push_back({0, len});
    const read_id r = f.read;
    add_finding(std::move(f));
    m_reads.release_if_unreferenced(r);
}

} // namespace mtsim
