// The happens-before oracle (DESIGN.md §2 rule 2): it knows, for every byte a reader receives,
// which write a coherent machine must have delivered, and classifies every difference. It is
// independent of the data path: it sees only what agents did (writes with their bytes,
// synchronization edges, reads with the bytes they received), never caches or DRAM.
//
//   oracle o;
//   agent_id cpu = o.add_agent("vcpu0"), gpu = o.add_agent("gpu");
//   o.write(cpu, 0x1000, data, 64, "vcpu0 store buf+0x0 (WC)");
//   o.release(cpu, "doorbell0");   // the doorbell write ...
//   o.acquire(gpu, "doorbell0");   // ... seen by the device
//   o.read(gpu, 0x1000, got, 64, "gpu dma-read buf+0x0");
//   o.summary().overall;           // clean, stale-read, ...
//
// Contract:
// - Calls arrive in an order consistent with happens-before (the runner calls the oracle when
//   the operation takes effect, and every synchronization syncs the quantum keeper). Hence
//   nothing recorded later can happen-before something recorded earlier, and an acquire of a
//   key nobody released is a runner bug (std::logic_error).
// - Happens-before is program order per agent plus release -> acquire edges (a key's clock is
//   the join of all its releases) plus handoff(from, to). An agent that never synchronizes is
//   ordered by program order alone. An agent's epoch advances only at release, handoff (the
//   giving side) and tick, so a write is covered by an acquire iff it precedes the release.
// - Per byte, the expected value comes from the hb-latest write; bytes nobody wrote expect the
//   declared initial contents, zero by default (a write by nobody, id 0 for the zero fill).
// - A read byte whose last writers are not all hb-before the read is a race, as is a read
//   that an agent's later write turns out to be concurrent with (found when that write comes).
// - Classification of the bytes of one expected write that differ in one read:
//   stale-read when one older write (or the initial value) explains every received byte of
//   that footprint, or when each differing byte comes from some older write and none is new;
//   torn when some bytes are that write's and the others older; lost-write when stale and the
//   presence hook says the expected bytes are held nowhere; corrupt-unknown when a byte
//   matches neither the expected write nor any remembered older write (also for racy bytes:
//   a race may see any remembered write of the byte, but not invented bytes). One read gets
//   at most one finding per class; the expected writes of that class are merged into it.
// - Writes are stored as ranges (one record holding the bytes, or only the byte when all its
//   bytes are equal) referenced from 64-byte chunks; each chunk remembers the writes still
//   visible in it plus the last `history_per_chunk` overwritten ones, so older values stay
//   identifiable. Declared initial contents are never forgotten.
// - Records are held while a chunk remembers them, a read mark or a finding names them
//   (model/oracle_records.h): the memory held is bounded per location, not by the run's
//   length. write_info()/read_info() of a record no longer held throw std::out_of_range.
// - Labels (`what`) may be lazy (record_label with a label_source): the text is built only
//   when a finding is explained or printed (DESIGN.md §2 rule 9).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/oracle_records.h"
#include "model/oracle_verdict.h"
#include "model/vector_clock.h"

namespace mtsim {

using write_id = std::uint64_t;
using read_id = std::uint64_t;

inline constexpr agent_id no_agent = 0xffffffffu;
// The implicit zero contents of memory nobody declared; every other write id is >= 1.
inline constexpr write_id initial_zero_write = 0;

// Builds the text of lazy labels from the two numbers the caller packed into them.
class label_source {
public:
    virtual ~label_source() = default;
    virtual std::string label_text(std::uint64_t a, std::uint64_t b) const = 0;
};

// A record's name: text given up front, or a source and two numbers that build it on demand
// (the source must outlive every use of the record's name).
struct record_label {
    const label_source* src = nullptr;
    std::uint64_t a = 0, b = 0;
    std::string text;

    record_label() = default;
    record_label(std::string t) : text(std::move(t)) {} // NOLINT: implicit, as a string label
    record_label(const char* t) : text(t) {}            // NOLINT
    record_label(const label_source& s, std::uint64_t x, std::uint64_t y) : src(&s), a(x), b(y) {}
    std::string str() const { return src ? src->label_text(a, b) : text; }
};

// A record's label as the oracle holds it: always a source and two numbers (text labels are
// kept once by the oracle, which is then their source).
struct label_ref {
    const label_source* src = nullptr;
    std::uint64_t a = 0, b = 0;
    std::string str() const { return src ? src->label_text(a, b) : std::string(); }
};

struct write_record {
    write_id id = 0;
    agent_id agent = no_agent; // no_agent: initial contents
    epoch at = 0;              // the writer's own clock component when it wrote
    std::uint64_t addr = 0;
    std::uint64_t len = 0;
    label_ref what;
    std::vector<unsigned char> data; // empty: every byte is `fill`
    unsigned char fill = 0;

    bool covers(std::uint64_t a) const { return a >= addr && a - addr < len; }
    unsigned char byte_at(std::uint64_t a) const { return data.empty() ? fill : data[a - addr]; }
};

// Read ids start at 1 so that 0 can mean "untracked" in access_ext::oracle_id.
struct read_record {
    read_id id = 0;
    agent_id agent = no_agent;
    epoch at = 0;
    std::uint64_t addr = 0;
    std::uint64_t len = 0;
    label_ref what;
};

// Bytes [offset, offset + len) relative to the read's address.
struct byte_span {
    std::uint64_t offset = 0;
    std::uint64_t len = 0;
};

// One class of trouble in one read. When several expected writes of the read show the same
// class they are merged: `expected` and `source` are those of the lowest differing offset.
struct finding {
    verdict kind = verdict::clean;
    read_id read = 0;
    write_id expected = 0;             // the hb-latest write, or the concurrent one (race)
    bool has_source = false;           // source is meaningful
    write_id source = 0;               // the write the received bytes came from
    std::uint64_t expected_writes = 0; // distinct expected writes merged into this finding
    std::uint64_t source_writes = 0;   // distinct writes the differing bytes came from
    std::uint64_t bytes = 0;           // bytes that differ (race: bytes in conflict)
    std::vector<byte_span> spans;      // spans of those bytes, ascending, capped
    bool spans_truncated = false;
    bool concurrent = false;     // `expected` is a write unordered with the read (race)
    bool found_at_write = false; // race discovered when a concurrent write arrived later
};

struct oracle_config {
    std::size_t history_per_chunk = 8; // overwritten writes each 64-byte chunk remembers
    std::size_t max_findings = 65536;  // findings kept in the list; all are counted
    std::size_t max_spans = 16;        // spans kept per finding
};

struct oracle_summary {
    verdict overall = verdict::clean;
    std::uint64_t findings[verdict_count] = {}; // per class, indexed by precedence()
    std::uint64_t findings_dropped = 0;         // counted but not kept (max_findings)
    std::uint64_t reads = 0, writes = 0, bytes_read = 0, bytes_written = 0;
    std::uint64_t write_write_races = 0; // writes that found an unordered earlier write

    std::uint64_t count(verdict v) const { return findings[precedence(v)]; }
};

class oracle {
public:
    // "Is the expected write's data for [addr, addr + len) still held anywhere (a cache line,
    // a WC buffer, DRAM, a device buffer)?" [addr, addr + len) spans the bytes of that write
    // that the read got wrong. Set by the runner from the memory system's introspection; it is
    // asked only for stale reads, and without it a stale read is never a lost-write.
    using presence_hook =
        std::function<bool(const write_record& expected, std::uint64_t addr, std::uint64_t len)>;

    struct read_result {
        read_id id = 0;
        verdict kind = verdict::clean; // this read's worst class when it was checked
    };

    explicit oracle(const oracle_config& cfg = {});
    ~oracle();
    oracle(const oracle&) = delete;
    oracle& operator=(const oracle&) = delete;

    // Agents: names are unique; each starts at its own epoch 1, unordered with everybody.
    agent_id add_agent(std::string name);
    agent_id agent(std::string_view name) const; // throws std::out_of_range naming it
    const std::string& agent_name(agent_id a) const;
    std::size_t agent_count() const { return m_agents.size(); }
    const vector_clock& clock_of(agent_id a) const;

    // Initial contents (a write by nobody that happens-before everything). Only for bytes no
    // write or other declaration has touched yet (std::logic_error otherwise).
    write_id declare_initial(std::uint64_t addr, const unsigned char* bytes, std::uint64_t len,
                             std::string what);
    write_id declare_initial_fill(std::uint64_t addr, std::uint64_t len, unsigned char value,
                                  std::string what);

    write_id write(agent_id a, std::uint64_t addr, const unsigned char* bytes, std::uint64_t len,
                   record_label what);
    read_result read(agent_id a, std::uint64_t addr, const unsigned char* received,
                     std::uint64_t len, record_label what);

    // Synchronization: release publishes a's knowledge under key and starts a new epoch of a;
    // acquire joins it into b. handoff(from, to) is release+acquire on a private edge.
    void release(agent_id a, std::string_view key);
    void acquire(agent_id a, std::string_view key);
    void handoff(agent_id from, agent_id to);
    void tick(agent_id a);

    // Whether write w happens-before agent a's next operation.
    bool happens_before(write_id w, agent_id a) const;

    // --- bounded polls and platform events (model/oracle_events.cpp) ---
    // A poll's loads of a flag are synchronization, not data: they are never classified.
    // publish(a, w) (right after a's write w to a polled flag) releases a's knowledge under
    // w's own key; poll_read() by a poller whose received bytes are all those of one remembered
    // published write acquires that key: the flag is a release store read by an acquire load.
    // poll_read returns the write the bytes came from (initial_zero_write when none does).
    void publish(agent_id a, write_id w);
    write_id poll_read(agent_id a, std::uint64_t addr, const unsigned char* received,
                       std::uint64_t len);
    // The end of a poll that never saw `until` in [addr, addr + len) (within one 64-byte chunk):
    // a `hang` finding when a remembered write put exactly `until` there and `completed(w)`
    // says it reached the point of coherence long enough before the poll's last read (the
    // caller knows the times, the oracle the writes). Its read is the poll's last read
    // (`received`), expected the write it never saw, source the write its bytes came from.
    // Returns hang or clean (the poll timed out on a value nobody wrote in time).
    verdict poll_timeout(agent_id a, std::uint64_t addr, std::uint64_t len,
                         const unsigned char* until, const unsigned char* received,
                         record_label what,
                         const std::function<bool(const write_record&)>& completed);
    // A cacheable access [addr, addr + len) by a that the platform decoded as device memory:
    // a `machine-check` finding whose read is that access (a load or a store).
    void machine_check(agent_id a, std::uint64_t addr, std::uint64_t len, record_label what);
    // An exclusive or atomic [addr, addr + len) by a on memory that is not Normal-WB: a
    // `malfunction` finding whose read is that access; `what` names the op and the effective
    // attribute with its derivation (the vCPU's stage 1 x stage 2).
    void malfunction(agent_id a, std::uint64_t addr, std::uint64_t len, record_label what);

    void set_presence_hook(presence_hook hook) { m_presence = std::move(hook); }

    const std::vector<finding>& findings() const { return m_findings; }
    const oracle_summary& summary() const { return m_summary; }
    const write_record& write_info(write_id w) const;
    const read_record& read_info(read_id r) const;
    // Records held now (the bound the contract promises; includes the zero fill).
    std::size_t writes_held() const { return m_writes.live(); }
    std::size_t reads_held() const { return m_reads.live() - 1; }

    // One line naming the class, the read, the expected and the source write with labels.
    std::string explain(const finding& f) const;
    nlohmann::json to_json(const finding& f) const;
    nlohmann::json summary_json() const;

private:
    // The text labels given as strings, kept for the oracle's lifetime (tests and set-up use
    // them; a scenario run's per-op labels are lazy).
    class text_labels : public label_source {
    public:
        label_ref keep(record_label l) {
            if (l.src) return {l.src, l.a, l.b};
            m_texts.push_back(std::move(l.text));
            return {this, m_texts.size() - 1, 0};
        }
        std::string label_text(std::uint64_t a, std::uint64_t) const override { return m_texts[a]; }

    private:
        std::deque<std::string> m_texts;
    };

    // A write still visible in (frontier) or remembered by (covered only) one 64-byte chunk;
    // bit i of a mask is byte i of the chunk.
    struct chunk_entry {
        write_id w;
        std::uint64_t covered;
        std::uint64_t frontier;
        bool initial;
    };
    // The latest read of some bytes of a chunk by one agent, kept until a later write is
    // ordered after it, so that a concurrent later write is reported as a race.
    struct read_mark {
        agent_id agent;
        epoch at;
        read_id r;
        std::uint64_t mask;
    };
    struct chunk {
        inline_vec<chunk_entry> entries; // in recording order, oldest first
        std::vector<read_mark> marks;
    };
    // Consecutive bytes of one read that expect the same write.
    struct segment {
        std::uint64_t offset;
        std::uint64_t len;
        write_id w;
        bool racy;
    };

    struct agent_state {
        std::string name;
        vector_clock clock;
    };

    agent_state& state(agent_id a);
    const agent_state& state(agent_id a) const;
    static void check_range(std::uint64_t addr, std::uint64_t len, const char* op);
    write_id add_initial(write_record rec);
    bool hb(const write_record& w, const vector_clock& c) const {
        return w.agent == no_agent || c.get(w.agent) >= w.at;
    }
    void trim_history(chunk& ch);
    // Removes the marks whose mask became empty, dropping their reads' references.
    void drop_empty_marks(chunk& ch);
    void check_marks(std::uint64_t chunk_key, chunk& ch, std::uint64_t mask, const write_record& w,
                     const vector_clock& c, std::vector<finding>& races);
    void collect_segments(const read_record& r, const vector_clock& c, std::vector<segment>& out);
    bool segment_matches(const segment& s, const read_record& r,
                         const unsigned char* received) const;
    // `sources` receives the distinct writes the differing bytes came from.
    finding classify(write_id expected, const std::vector<segment>& segs, const read_record& r,
                     const unsigned char* received, std::vector<write_id>& sources) const;
    finding classify_race(write_id conflicting, const std::vector<segment>& segs,
                          const read_record& r, const unsigned char* received) const;
    // Writes with id < below remembered at byte a whose byte there is v, newest first; the
    // zero fill (id 0) counts where no initial contents were declared.
    void writes_with(const chunk* ch, std::uint64_t a, unsigned char v, write_id below,
                     std::vector<write_id>& out) const;
    const chunk* chunk_at(std::uint64_t a) const;
    // The newest remembered write covering [addr, addr + len) (one chunk) whose bytes there are
    // `bytes` and that `accept` accepts; nullopt when none.
    std::optional<write_id>
    write_holding(std::uint64_t addr, std::uint64_t len, const unsigned char* bytes,
                  const std::function<bool(const write_record&)>& accept) const;
    // A record of an access that a finding names without classifying its bytes.
    read_id add_access_record(agent_id a, std::uint64_t addr, std::uint64_t len, record_label what);
    // A finding whose read is the access itself (machine-check, malfunction).
    void access_finding(verdict kind, agent_id a, std::uint64_t addr, std::uint64_t len,
                        record_label what);
    void add_finding(finding f);

    oracle_config m_cfg;
    text_labels m_texts;
    std::vector<agent_state> m_agents;
    std::unordered_map<std::string, agent_id> m_agent_by_name;
    std::unordered_map<std::string, vector_clock> m_keys;
    record_store<write_record> m_writes; // id = write_id
    record_store<read_record> m_reads;   // id = read_id (0 is reserved and never released)
    // Chunks by key (address / 64), 64 to a block so that a chunk costs no map node of its own.
    class chunk_table {
    public:
        chunk& operator[](std::uint64_t key) {
            auto& b = m_blocks[key / per_block];
            if (!b) b = std::make_unique<std::array<chunk, per_block>>();
            return (*b)[key % per_block];
        }
        const chunk* find(std::uint64_t key) const {
            const auto it = m_blocks.find(key / per_block);
            return it == m_blocks.end() ? nullptr : &(*it->second)[key % per_block];
        }

    private:
        static constexpr std::uint64_t per_block = 64;
        std::unordered_map<std::uint64_t, std::unique_ptr<std::array<chunk, per_block>>> m_blocks;
    };
    chunk_table m_chunks;
    std::vector<finding> m_findings;
    oracle_summary m_summary;
    presence_hook m_presence;
};

} // namespace mtsim
