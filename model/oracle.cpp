// The happens-before oracle: recording writes, reads and synchronization, and classifying
// reads. Reporting (explain, JSON) lives in oracle_report.cpp.
#include "model/oracle.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "model/oracle_spans.h"

namespace mtsim {

namespace {

constexpr std::uint64_t chunk_bytes = 64;

// Bytes [lo, hi) of a chunk as a mask, 0 <= lo < hi <= 64.
std::uint64_t chunk_mask(std::uint64_t lo, std::uint64_t hi) {
    const std::uint64_t n = hi - lo;
    return (n == chunk_bytes ? ~0ull : ((1ull << n) - 1)) << lo;
}

// Calls f(chunk_key, mask) for every chunk that [addr, addr + len) touches, in address order.
template <class F>
void for_each_chunk(std::uint64_t addr, std::uint64_t len, F&& f) {
    const std::uint64_t end = addr + len;
    std::uint64_t a = addr;
    while (a < end) {
        const std::uint64_t base = a & ~(chunk_bytes - 1);
        const std::uint64_t hi = std::min<std::uint64_t>(end - base, chunk_bytes);
        f(base / chunk_bytes, chunk_mask(a - base, hi));
        a = base + hi;
    }
}

template <class F>
void for_each_bit(std::uint64_t mask, F&& f) {
    while (mask) {
        f(static_cast<unsigned>(__builtin_ctzll(mask)));
        mask &= mask - 1;
    }
}

} // namespace

oracle::oracle(const oracle_config& cfg) : m_cfg(cfg) {
    write_record zero;
    zero.id = initial_zero_write;
    zero.addr = 0;
    zero.len = std::numeric_limits<std::uint64_t>::max();
    zero.what = m_texts.keep("initial memory (zero)");
    m_writes.ref(m_writes.add(std::move(zero)).id); // never released
    m_reads.ref(m_reads.add(read_record{}).id);     // read ids start at 1
}

oracle::~oracle() = default;

agent_id oracle::add_agent(std::string name) {
    if (name.empty()) throw std::invalid_argument("oracle: an agent needs a name");
    if (m_agent_by_name.count(name))
        throw std::invalid_argument(fmt::format("oracle: agent '{}' registered twice", name));
    const auto id = static_cast<agent_id>(m_agents.size());
    if (id == no_agent) throw std::length_error("oracle: too many agents");
    m_agent_by_name.emplace(name, id);
    agent_state st{std::move(name), {}};
    st.clock.set(id, 1);
    m_agents.push_back(std::move(st));
    return id;
}

agent_id oracle::agent(std::string_view name) const {
    auto it = m_agent_by_name.find(std::string(name));
    if (it == m_agent_by_name.end())
        throw std::out_of_range(fmt::format("oracle: no agent named '{}'", name));
    return it->second;
}

oracle::agent_state& oracle::state(agent_id a) {
    if (a >= m_agents.size())
        throw std::out_of_range(fmt::format("oracle: no agent with id {}", a));
    return m_agents[a];
}

const oracle::agent_state& oracle::state(agent_id a) const {
    return const_cast<oracle*>(this)->state(a);
}

const std::string& oracle::agent_name(agent_id a) const {
    static const std::string nobody = "nobody";
    return a == no_agent ? nobody : state(a).name;
}

const vector_clock& oracle::clock_of(agent_id a) const {
    return state(a).clock;
}

void oracle::check_range(std::uint64_t addr, std::uint64_t len, const char* op) {
    if (len == 0) throw std::invalid_argument(fmt::format("oracle: {} of zero bytes", op));
    if (len > std::numeric_limits<std::uint64_t>::max() - addr)
        throw std::invalid_argument(
            fmt::format("oracle: {} of {} bytes at {:#x} wraps the address space", op, len, addr));
}

const write_record& oracle::write_info(write_id w) const {
    if (!m_writes.holds(w))
        throw std::out_of_range(fmt::format(
            "oracle: no write #{} held (never recorded, or no chunk or finding needs it)", w));
    return m_writes[w];
}

const read_record& oracle::read_info(read_id r) const {
    if (r == 0 || !m_reads.holds(r))
        throw std::out_of_range(fmt::format(
            "oracle: no read #{} held (never recorded, or no mark or finding needs it)", r));
    return m_reads[r];
}

// --- initial contents ---------------------------------------------------------------------

write_id oracle::add_initial(write_record rec) {
    check_range(rec.addr, rec.len, "initial-contents declaration");
    for_each_chunk(rec.addr, rec.len, [&](std::uint64_t key, std::uint64_t mask) {
        const chunk* ch = m_chunks.find(key);
        if (!ch) return;
        bool touched = false;
        for (const auto& e : ch->entries) touched |= (e.covered & mask) != 0;
        for (const auto& m : ch->marks) touched |= (m.mask & mask) != 0;
        if (touched)
            throw std::logic_error(fmt::format(
                "oracle: initial contents '{}' declared for bytes near {:#x} that were already "
                "accessed or declared",
                rec.what.str(), key * chunk_bytes));
    });
    rec.id = m_writes.next_id();
    rec.agent = no_agent;
    rec.at = 0;
    const write_id id = m_writes.add(std::move(rec)).id;
    for_each_chunk(m_writes[id].addr, m_writes[id].len, [&](std::uint64_t key, std::uint64_t mask) {
        m_chunks[key].entries.push_back({id, mask, mask, true});
        m_writes.ref(id);
    });
    return id;
}

write_id oracle::declare_initial(std::uint64_t addr, const unsigned char* bytes, std::uint64_t len,
                                 std::string what) {
    write_record rec;
    rec.addr = addr;
    rec.len = len;
    rec.what = m_texts.keep(std::move(what));
    rec.data.assign(bytes, bytes + len);
    return add_initial(std::move(rec));
}

write_id oracle::declare_initial_fill(std::uint64_t addr, std::uint64_t len, unsigned char value,
                                      std::string what) {
    write_record rec;
    rec.addr = addr;
    rec.len = len;
    rec.what = m_texts.keep(std::move(what));
    rec.fill = value;
    return add_initial(std::move(rec));
}

// --- synchronization ----------------------------------------------------------------------

void oracle::release(agent_id a, std::string_view key) {
    auto& st = state(a);
    m_keys[std::string(key)].join(st.clock);
    st.clock.tick(a);
}

void oracle::acquire(agent_id a, std::string_view key) {
    auto& st = state(a);
    auto it = m_keys.find(std::string(key));
    if (it == m_keys.end())
        throw std::logic_error(fmt::format(
            "oracle: '{}' acquires '{}' that nobody released (calls out of happens-before order)",
            st.name, key));
    st.clock.join(it->second);
}

void oracle::handoff(agent_id from, agent_id to) {
    auto& f = state(from);
    auto& t = state(to);
    if (from == to) return;
    t.clock.join(f.clock);
    f.clock.tick(from);
}

void oracle::tick(agent_id a) {
    state(a).clock.tick(a);
}

bool oracle::happens_before(write_id w, agent_id a) const {
    return hb(write_info(w), state(a).clock);
}

// --- writes -------------------------------------------------------------------------------

write_id oracle::write(agent_id a, std::uint64_t addr, const unsigned char* bytes,
                       std::uint64_t len, record_label what) {
    auto& st = state(a);
    check_range(addr, len, "write");
    write_record rec;
    rec.id = m_writes.next_id();
    rec.agent = a;
    rec.at = st.clock.get(a);
    rec.addr = addr;
    rec.len = len;
    rec.what = m_texts.keep(std::move(what));
    // Bytes all equal (fills, patterns) are held as the one byte: the same byte_at().
    if (std::all_of(bytes, bytes + len, [&](unsigned char b) { return b == bytes[0]; }))
        rec.fill = bytes[0];
    else
        rec.data.assign(bytes, bytes + len);
    const write_record& w = m_writes.add(std::move(rec));

    bool unordered = false;
    std::vector<finding> races;
    for_each_chunk(addr, len, [&](std::uint64_t key, std::uint64_t mask) {
        chunk& ch = m_chunks[key];
        if (!ch.marks.empty()) check_marks(key, ch, mask, w, st.clock, races);
        for (auto& e : ch.entries) {
            if (!(e.frontier & mask)) continue;
            // An older write ordered before this one is no longer visible in these bytes; an
            // unordered one stays visible beside it, which makes later reads of them races.
            if (hb(m_writes[e.w], st.clock))
                e.frontier &= ~mask;
            else
                unordered = true;
        }
        ch.entries.push_back({w.id, mask, mask, false});
        m_writes.ref(w.id);
        trim_history(ch);
    });
    ++m_summary.writes;
    m_summary.bytes_written += len;
    if (unordered) ++m_summary.write_write_races;
    for (auto& f : races) {
        // Successive writes racing with the same read extend one finding.
        if (!m_findings.empty() && m_findings.back().found_at_write &&
            m_findings.back().read == f.read) {
            finding& last = m_findings.back();
            ++last.expected_writes;
            last.bytes += f.bytes;
            last.spans.insert(last.spans.end(), f.spans.begin(), f.spans.end());
            last.spans_truncated |= f.spans_truncated;
            normalize_spans(last.spans, last.spans_truncated, m_cfg.max_spans);
            continue;
        }
        add_finding(std::move(f));
    }
    return w.id;
}

void oracle::trim_history(chunk& ch) {
    std::size_t history = 0;
    for (const auto& e : ch.entries) history += (e.frontier == 0 && !e.initial);
    if (history <= m_cfg.history_per_chunk) return;
    std::size_t drop = history - m_cfg.history_per_chunk;
    std::vector<write_id> dropped;
    auto last = std::remove_if(ch.entries.begin(), ch.entries.end(), [&](const chunk_entry& e) {
        if (drop == 0 || e.frontier != 0 || e.initial) return false;
        --drop;
        dropped.push_back(e.w);
        return true;
    });
    ch.entries.erase(last, ch.entries.end());
    for (write_id w : dropped) m_writes.unref(w);
}

void oracle::drop_empty_marks(chunk& ch) {
    auto last = std::remove_if(ch.marks.begin(), ch.marks.end(), [&](const read_mark& m) {
        if (m.mask != 0) return false;
        m_reads.unref(m.r);
        return true;
    });
    ch.marks.erase(last, ch.marks.end());
}

void oracle::check_marks(std::uint64_t chunk_key, chunk& ch, std::uint64_t mask,
                         const write_record& w, const vector_clock& c,
                         std::vector<finding>& races) {
    for (auto& m : ch.marks) {
        const std::uint64_t both = m.mask & mask;
        if (!both) continue;
        m.mask &= ~mask;
        // The read is ordered before this write unless the writer has not seen its epoch.
        if (m.agent == w.agent || c.get(m.agent) >= m.at) continue;
        const read_record& r = m_reads[m.r];
        auto it = std::find_if(races.begin(), races.end(),
                               [&](const finding& f) { return f.read == r.id; });
        if (it == races.end()) {
            finding f;
            f.kind = verdict::race;
            f.read = r.id;
            f.expected = w.id;
            f.expected_writes = 1;
            f.concurrent = true;
            f.found_at_write = true;
            races.push_back(std::move(f));
            it = std::prev(races.end());
        }
        for_each_bit(both, [&](unsigned bit) {
            add_span(it->spans, it->spans_truncated, m_cfg.max_spans,
                     chunk_key * chunk_bytes + bit - r.addr, 1);
            ++it->bytes;
        });
    }
    drop_empty_marks(ch);
}

// --- reads --------------------------------------------------------------------------------

void oracle::collect_segments(const read_record& r, const vector_clock& c,
                              std::vector<segment>& out) {
    out.clear();
    for_each_chunk(r.addr, r.len, [&](std::uint64_t key, std::uint64_t mask) {
        chunk& ch = m_chunks[key];
        write_id expect[chunk_bytes];
        write_id conflict[chunk_bytes];
        std::uint64_t seen = 0, multi = 0, unordered = 0;
        for (const auto& e : ch.entries) {
            const std::uint64_t f = e.frontier & mask;
            if (!f) continue;
            multi |= seen & f;
            seen |= f;
            const bool ordered = hb(m_writes[e.w], c);
            if (!ordered) unordered |= f;
            for_each_bit(f, [&](unsigned bit) {
                expect[bit] = e.w;
                if (!ordered) conflict[bit] = e.w;
            });
        }
        const std::uint64_t base = key * chunk_bytes;
        for_each_bit(mask, [&](unsigned bit) {
            const std::uint64_t m = 1ull << bit;
            const bool racy = ((multi | unordered) & m) != 0;
            const write_id w =
                (unordered & m) ? conflict[bit] : ((seen & m) ? expect[bit] : initial_zero_write);
            const std::uint64_t off = base + bit - r.addr;
            if (!out.empty()) {
                segment& s = out.back();
                if (s.offset + s.len == off && s.w == w && s.racy == racy) {
                    ++s.len;
                    return;
                }
            }
            out.push_back({off, 1, w, racy});
        });
        // This read stands for the agent's earlier reads of these bytes (program order).
        for (auto& m : ch.marks)
            if (m.agent == r.agent) m.mask &= ~mask;
        drop_empty_marks(ch);
        ch.marks.push_back({r.agent, r.at, r.id, mask});
        m_reads.ref(r.id);
    });
}

bool oracle::segment_matches(const segment& s, const read_record& r,
                             const unsigned char* received) const {
    const write_record& w = m_writes[s.w];
    const unsigned char* got = received + s.offset;
    if (w.data.empty())
        return std::all_of(got, got + s.len, [&](unsigned char b) { return b == w.fill; });
    return std::memcmp(got, w.data.data() + (r.addr + s.offset - w.addr), s.len) == 0;
}

const oracle::chunk* oracle::chunk_at(std::uint64_t a) const {
    return m_chunks.find(a / chunk_bytes);
}

void oracle::writes_with(const chunk* ch, std::uint64_t a, unsigned char v, write_id below,
                         std::vector<write_id>& out) const {
    out.clear();
    const std::uint64_t bit = 1ull << (a % chunk_bytes);
    bool declared = false;
    if (ch) {
        // Entries are in recording order, so ids ascend: walk back for newest first.
        for (auto e = ch->entries.rbegin(); e != ch->entries.rend(); ++e) {
            if (!(e->covered & bit)) continue;
            declared |= e->initial;
            if (e->w < below && m_writes[e->w].byte_at(a) == v) out.push_back(e->w);
        }
    }
    if (!declared && v == 0 && initial_zero_write < below) out.push_back(initial_zero_write);
}

finding oracle::classify(write_id expected, const std::vector<segment>& segs, const read_record& r,
                         const unsigned char* received, std::vector<write_id>& sources) const {
    const write_record& e = m_writes[expected];
    finding f;
    f.read = r.id;
    f.expected = expected;
    f.expected_writes = 1;
    bool unknown = false, any_new = false, first = true;
    std::vector<write_id> common, cands, tmp;
    sources.clear();
    const chunk* ch = nullptr;
    std::uint64_t ch_key = 0;
    std::uint64_t lo = std::numeric_limits<std::uint64_t>::max(), hi = 0;
    for (const auto& s : segs) {
        for (std::uint64_t k = 0; k < s.len; ++k) {
            const std::uint64_t off = s.offset + k;
            const std::uint64_t a = r.addr + off;
            const unsigned char v = received[off];
            const bool is_new = v == e.byte_at(a);
            if (!ch || a / chunk_bytes != ch_key) {
                ch_key = a / chunk_bytes;
                ch = chunk_at(a);
            }
            writes_with(ch, a, v, expected, cands);
            if (!is_new) {
                ++f.bytes;
                add_span(f.spans, f.spans_truncated, m_cfg.max_spans, off, 1);
                lo = std::min(lo, a);
                hi = std::max(hi, a + 1);
                if (cands.empty())
                    unknown = true;
                else if (sources.empty() || sources.back() != cands.front())
                    sources.push_back(cands.front());
            }
            any_new |= is_new;
            if (first) {
                common = cands;
                first = false;
            } else if (!common.empty()) {
                tmp.clear();
                std::set_intersection(common.begin(), common.end(), cands.begin(), cands.end(),
                                      std::back_inserter(tmp), std::greater<write_id>());
                common.swap(tmp);
            }
        }
    }
    std::sort(sources.begin(), sources.end(), std::greater<write_id>());
    sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
    f.source_writes = sources.size();
    if (unknown) {
        f.kind = verdict::corrupt_unknown;
    } else if (!common.empty()) {
        f.kind = verdict::stale_read;
        f.has_source = true;
        f.source = common.front();
        sources.assign(1, f.source);
        f.source_writes = 1;
    } else if (any_new) {
        f.kind = verdict::torn;
    } else {
        f.kind = verdict::stale_read;
    }
    if (!f.has_source && !sources.empty()) {
        f.has_source = true;
        f.source = sources.front();
    }
    if (f.kind == verdict::stale_read && m_presence && !m_presence(e, lo, hi - lo))
        f.kind = verdict::lost_write;
    return f;
}

finding oracle::classify_race(write_id conflicting, const std::vector<segment>& segs,
                              const read_record& r, const unsigned char* received) const {
    finding f;
    f.kind = verdict::race;
    f.read = r.id;
    f.expected = conflicting;
    f.expected_writes = 1;
    f.concurrent = true;
    std::vector<write_id> cands;
    for (const auto& s : segs) {
        f.bytes += s.len;
        add_span(f.spans, f.spans_truncated, m_cfg.max_spans, s.offset, s.len);
        for (std::uint64_t k = 0; k < s.len; ++k) {
            const std::uint64_t off = s.offset + k;
            // Any remembered write of the byte may legitimately be seen by a racing read.
            const std::uint64_t a = r.addr + off;
            writes_with(chunk_at(a), a, received[off], std::numeric_limits<write_id>::max(), cands);
            if (cands.empty()) f.kind = verdict::corrupt_unknown;
        }
    }
    return f;
}

oracle::read_result oracle::read(agent_id a, std::uint64_t addr, const unsigned char* received,
                                 std::uint64_t len, record_label what) {
    auto& st = state(a);
    check_range(addr, len, "read");
    read_record rec;
    rec.id = m_reads.next_id();
    rec.agent = a;
    rec.at = st.clock.get(a);
    rec.addr = addr;
    rec.len = len;
    rec.what = m_texts.keep(std::move(what));
    const read_record& r = m_reads.add(rec);
    ++m_summary.reads;
    m_summary.bytes_read += len;

    std::vector<segment> segs;
    collect_segments(r, st.clock, segs);

    // Bad segments grouped by (racy, write), groups in order of their first offset.
    struct group {
        bool racy;
        write_id w;
        std::vector<segment> segs;
    };
    std::vector<group> groups;
    std::unordered_map<write_id, std::size_t> group_of[2]; // [racy]
    for (const auto& s : segs) {
        if (!s.racy && segment_matches(s, r, received)) continue;
        auto [it, fresh] = group_of[s.racy].try_emplace(s.w, groups.size());
        if (fresh) groups.push_back({s.racy, s.w, {}});
        groups[it->second].segs.push_back(s);
    }

    read_result res{r.id, verdict::clean};
    // One finding per class, in order of first appearance; sources[i] are merged[i]'s.
    std::vector<finding> merged;
    std::vector<std::vector<write_id>> sources;
    std::vector<write_id> group_sources;
    for (const auto& g : groups) {
        group_sources.clear();
        finding f = g.racy ? classify_race(g.w, g.segs, r, received)
                           : classify(g.w, g.segs, r, received, group_sources);
        auto it = std::find_if(merged.begin(), merged.end(),
                               [&](const finding& m) { return m.kind == f.kind; });
        if (it == merged.end()) {
            merged.push_back(std::move(f));
            sources.push_back(group_sources);
            continue;
        }
        auto& srcs = sources[static_cast<std::size_t>(it - merged.begin())];
        srcs.insert(srcs.end(), group_sources.begin(), group_sources.end());
        it->expected_writes += f.expected_writes;
        it->bytes += f.bytes;
        if (!it->has_source && f.has_source) {
            it->has_source = true;
            it->source = f.source;
        }
        it->spans.insert(it->spans.end(), f.spans.begin(), f.spans.end());
        it->spans_truncated |= f.spans_truncated;
        if (it->spans.size() > 2 * m_cfg.max_spans)
            normalize_spans(it->spans, it->spans_truncated, m_cfg.max_spans);
    }
    for (std::size_t i = 0; i < merged.size(); ++i) {
        finding& f = merged[i];
        auto& srcs = sources[i];
        std::sort(srcs.begin(), srcs.end());
        srcs.erase(std::unique(srcs.begin(), srcs.end()), srcs.end());
        if (!srcs.empty()) f.source_writes = srcs.size();
        normalize_spans(f.spans, f.spans_truncated, m_cfg.max_spans);
        res.kind = worst(res.kind, f.kind);
        add_finding(std::move(f));
    }
    m_reads.release_if_unreferenced(res.id);
    return res;
}

void oracle::add_finding(finding f) {
    ++m_summary.findings[precedence(f.kind)];
    m_summary.overall = worst(m_summary.overall, f.kind);
    if (m_findings.size() < m_cfg.max_findings) {
        // A kept finding holds the records it names.
        m_reads.ref(f.read);
        m_writes.ref(f.expected);
        if (f.has_source) m_writes.ref(f.source);
        m_findings.push_back(std::move(f));
    } else
        ++m_summary.findings_dropped;
}

} // namespace mtsim
