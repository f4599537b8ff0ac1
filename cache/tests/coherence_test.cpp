// The protocol at run time: every defined (state, event) pair is taken by a scripted run, an
// undefined pair throws, and a random run over coherent operations keeps SWMR and the
// data-value invariant (checked against a shadow memory) unless a table cell is broken.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "cache/tests/rig.h"

using namespace mtsim;
using namespace mtsim::test;

namespace {

constexpr std::array<mesi, 4> k_states{mesi::i, mesi::s, mesi::e, mesi::m};

// Puts line `a` into state s on pCPU 0 (S: pCPU 1 shares it).
void make(rig& r, mesi s, std::uint64_t a) {
    if (s == mesi::m) {
        r.store(0, a, fill(1, 0x5));
        return;
    }
    r.load(0, a, 1);
    if (s == mesi::s) r.load(1, a, 1);
}

// Violations of SWMR, of the snoop filter's bookkeeping, of inclusion (inclusive LLC), and of
// the data-value invariant (the coherent value and every clean cached copy equal the shadow),
// for lines [0, lines).
std::vector<std::string> check(const rig& r, const std::vector<std::uint8_t>& shadow,
                               unsigned lines) {
    std::vector<std::string> bad;
    const unsigned line = r.ms.config().line_size;
    for (unsigned l = 0; l < lines; ++l) {
        const std::uint64_t a = std::uint64_t(l) * line;
        const bytes want(shadow.begin() + a, shadow.begin() + a + line);
        unsigned writers = 0, readers = 0;
        std::uint64_t holders = 0;
        for (const line_view& v : r.ms.copies(a)) {
            if (v.level != cache_level::l2) continue;
            holders |= std::uint64_t(1) << v.pcpu;
            if (v.state == mesi::e || v.state == mesi::m) ++writers;
            if (v.state == mesi::s) ++readers;
            if (v.state != mesi::m && v.data != want)
                bad.push_back("line " + std::to_string(l) + ": stale clean copy on pCPU " +
                              std::to_string(v.pcpu));
        }
        if (writers > 1 || (writers == 1 && readers > 0))
            bad.push_back("line " + std::to_string(l) + ": SWMR violated");
        if (r.ms.directory(a).sharers != holders)
            bad.push_back("line " + std::to_string(l) + ": snoop filter disagrees");
        if (r.ms.read_coherent(a, line) != want)
            bad.push_back("line " + std::to_string(l) + ": coherent value differs");
        if (r.ms.config().llc_inclusive && holders != 0) {
            bool in_llc = false;
            for (const line_view& v : r.ms.copies(a))
                in_llc = in_llc || v.level == cache_level::llc;
            if (!in_llc) bad.push_back("line " + std::to_string(l) + ": inclusion violated");
        }
    }
    return bad;
}

// What a cache-control op promises about line `a` (CLFLUSH: no copy left; CLWB: nothing dirty)
// or about pCPU p's caches and the LLC (WBINVD: empty; WBNOINVD: clean).
std::vector<std::string> check_op(const rig& r, op_kind k, unsigned p, std::uint64_t a,
                                  unsigned lines) {
    std::vector<std::string> bad;
    const unsigned line = r.ms.config().line_size;
    // An LLC view's state summarizes the private copies; only its dirty bit is its own.
    auto dirty = [](const line_view& v) {
        return v.dirty || (v.level != cache_level::llc && v.state == mesi::m);
    };
    for (unsigned l = 0; l < lines; ++l) {
        const std::uint64_t x = std::uint64_t(l) * line;
        const bool this_line = x == (a & ~std::uint64_t(line - 1));
        for (const line_view& v : r.ms.copies(x)) {
            const bool mine =
                v.pcpu == int(p) || v.level == cache_level::llc || r.ms.config().llc.wbinvd_sharers;
            if ((k == op_kind::clflush || k == op_kind::clflushopt) && this_line)
                bad.push_back("a copy survived CLFLUSH");
            if (k == op_kind::clwb && this_line && dirty(v)) bad.push_back("dirty after CLWB");
            if (k == op_kind::wbinvd && mine) bad.push_back("a copy survived WBINVD");
            if (k == op_kind::wbnoinvd && mine && dirty(v))
                bad.push_back("dirty after WBNOINVD: line " + std::to_string(l) + " " +
                              std::string(to_string(v.level)) + " pCPU " + std::to_string(v.pcpu) +
                              " state " + std::string(to_string(v.state)));
        }
    }
    return bad;
}

// A random mix of coherent operations on 3 pCPUs over 24 lines, most of them on the first 4
// (false sharing) and the rest spread so that L2 and LLC sets overflow; returns the
// violations found.
std::vector<std::string> random_run(rig& r, unsigned ops, unsigned seed) {
    const unsigned lines = 24, line = 64;
    std::vector<std::uint8_t> shadow(lines * line, 0);
    std::mt19937 rng(seed);
    std::vector<std::string> all;
    for (unsigned i = 0; i < ops && all.empty(); ++i) {
        const unsigned p = rng() % r.ms.config().pcpus;
        const unsigned l = rng() % 4 ? rng() % 4 : rng() % lines;
        const std::uint64_t a = std::uint64_t(l) * line + (rng() % 8) * 8;
        const std::uint8_t v = static_cast<std::uint8_t>(rng());
        const bytes val(8, v);
        const unsigned k = rng() % 16;
        std::string what = "op " + std::to_string(k);
        auto expect_read = [&](const bytes& got) {
            if (got != bytes(shadow.begin() + a, shadow.begin() + a + 8))
                all.push_back("step " + std::to_string(i) + " " + what + ": read stale data");
        };
        auto wrote = [&] { std::fill_n(shadow.begin() + a, 8, v); };
        switch (k) {
        case 0:
        case 1:
        case 2:
            expect_read(r.load(p, a, 8));
            break;
        case 3:
        case 4:
        case 5:
            r.store(p, a, val);
            wrote();
            break;
        case 6:
            expect_read(r.load(p, a, 8, rng() % 2 ? memtype::wt : memtype::wp));
            break;
        case 7:
            r.store(p, a, val, rng() % 2 ? memtype::wt : memtype::wp);
            wrote();
            break;
        case 8:
            expect_read(r.load(p, a, 8, memtype::uc));
            break;
        case 9:
            r.store(p, a, val, memtype::uc);
            wrote();
            break;
        case 10:
            r.store(p, a, val, memtype::wc, rng() % 2 ? op_kind::nt_store : op_kind::store);
            r.op(p, op_kind::sfence);
            wrote();
            break;
        case 11: {
            const op_kind op = rng() % 2 ? op_kind::clflush : op_kind::clwb;
            r.op(p, op, a);
            for (auto& b : check_op(r, op, p, a, lines))
                all.push_back("step " + std::to_string(i) + ": " + b);
            break;
        }
        case 12:
            expect_read(r.dma_read(a, 8, false));
            break;
        case 13:
            r.dma_write(a, val, false);
            wrote();
            break;
        case 14: {
            const op_kind op = rng() % 4 == 0 ? op_kind::wbinvd : op_kind::wbnoinvd;
            r.op(p, op);
            for (auto& b : check_op(r, op, p, a, lines))
                all.push_back("step " + std::to_string(i) + ": " + b);
            break;
        }
        case 15: {
            bytes b = val;
            r.access(p, tlm::TLM_WRITE_COMMAND, op_kind::locked_rmw, memtype::wb, a, b.data(), 8);
            wrote();
            break;
        }
        }
        for (auto& s : check(r, shadow, lines))
            all.push_back("step " + std::to_string(i) + " " + what + ": " + s);
    }
    return all;
}

memory_system_config three(bool inclusive) {
    auto c = rig::small_config();
    c.pcpus = 3;
    c.llc_inclusive = inclusive;
    c.llc.wbinvd_sharers = inclusive;
    return c;
}

} // namespace

TEST_CASE("protocol: a scripted run takes every defined (state, event) pair") {
    rig r;
    r.start();
    std::uint64_t next = 0;
    auto fresh = [&] {
        next += 16; // line addresses x, x+4, x+12 share an L2 set, the LLC copes
        return next * 64;
    };
    for (mesi s : {mesi::s, mesi::e, mesi::m}) {
        std::uint64_t a;
        a = fresh();
        make(r, s, a);
        r.load(0, a, 1);
        a = fresh();
        make(r, s, a);
        r.store(0, a, fill(1, 1));
        a = fresh();
        make(r, s, a);
        r.store(0, a, fill(1, 1), memtype::wt);
        a = fresh();
        make(r, s, a);
        r.store(0, a, fill(1, 1), memtype::wp);
        a = fresh();
        make(r, s, a);
        r.dma_read(a, 1, false);
        a = fresh();
        make(r, s, a);
        r.dma_write(a, fill(1, 1), false);
        a = fresh();
        make(r, s, a);
        r.op(0, op_kind::clflush, a);
        a = fresh();
        make(r, s, a);
        r.op(0, op_kind::clwb, a);
        a = fresh();
        make(r, s, a);
        r.load(0, a + 4 * 64, 1);
        r.load(0, a + 12 * 64, 1);
    }
    r.store(0, fresh(), fill(1, 1), memtype::wt); // I store-through
    r.store(0, fresh(), fill(1, 1), memtype::wp); // I store-protect
    const std::uint64_t a = fresh();              // three lines in three different sets
    make(r, mesi::s, a);
    make(r, mesi::e, a + 64);
    make(r, mesi::m, a + 128);
    r.op(0, op_kind::invd);

    const protocol_table& t = r.ms.protocol();
    const transition_counts& n = r.ms.protocol_counts();
    for (mesi s : k_states)
        for (unsigned e = 0; e < proto_event_count; ++e) {
            CAPTURE(to_string(s));
            CAPTURE(to_string(static_cast<proto_event>(e)));
            if (t.at(s, static_cast<proto_event>(e)).defined)
                CHECK(n[static_cast<unsigned>(s)][e] > 0);
            else
                CHECK(n[static_cast<unsigned>(s)][e] == 0);
        }
}

TEST_CASE("protocol: an event without a table entry throws naming state and event") {
    rig r;
    r.start();
    r.ms.protocol().at(mesi::e, proto_event::store) = transition{};
    r.load(0, 0x1000, 1);
    CHECK(r.state(0, 0x1000) == mesi::e);
    CHECK_THROWS_WITH_AS(r.store(0, 0x1000, fill(1, 1)),
                         doctest::Contains("(state E, event store)"), protocol_error);
}

TEST_CASE("protocol: a broken cell (M snoop-read keeps M, no write-back) gives stale reads") {
    rig r;
    r.start();
    r.ms.protocol().at(mesi::m, proto_event::snoop_read) = transition{true, mesi::m, 0};
    r.store(0, 0x1000, fill(1, 0x42));
    CHECK(r.load(1, 0x1000, 1) == fill(1, 0x00));
    CHECK(r.state(0, 0x1000) == mesi::m);
    CHECK(r.state(1, 0x1000) == mesi::s);
}

TEST_CASE("random coherent operations keep SWMR and data values (inclusive LLC)") {
    rig r(three(true));
    r.start();
    const auto bad = random_run(r, 20000, 1);
    for (const auto& b : bad) MESSAGE(b);
    CHECK(bad.empty());
}

TEST_CASE("random coherent operations keep SWMR and data values (non-inclusive LLC)") {
    auto c = three(false);
    c.l2.replacement = replacement_kind::tree_plru;
    c.llc.replacement = replacement_kind::random;
    rig r(c);
    r.start();
    const auto bad = random_run(r, 20000, 2);
    for (const auto& b : bad) MESSAGE(b);
    CHECK(bad.empty());
}

TEST_CASE("random run catches a broken cell (E snoop-inv keeps E)") {
    rig r(three(true));
    r.start();
    r.ms.protocol().at(mesi::e, proto_event::snoop_inv) = transition{true, mesi::e, 0};
    CHECK_FALSE(random_run(r, 20000, 3).empty());
}

TEST_CASE("random run catches a broken cell (M evict drops the write-back)") {
    rig r(three(true));
    r.start();
    r.ms.protocol().at(mesi::m, proto_event::evict) = transition{true, mesi::i, 0};
    CHECK_FALSE(random_run(r, 20000, 4).empty());
}
