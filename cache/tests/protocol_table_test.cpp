// The MESI table checked cell by cell against an expectation transcribed separately (below,
// as text, from Sorin/Hill/Wood Table 7.2 and SDM vol. 3 ch. 11), without the SystemC kernel.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "cache/protocol.h"

using namespace mtsim;

namespace {

// "STATE EVENT -> NEXT action,action" ; every pair not listed must be undefined.
const char* const k_expected = R"(
I load -> I get_s
S load -> S hit
E load -> E hit
M load -> M hit
I store -> I get_m
S store -> S upgrade
E store -> M hit,update_line
M store -> M hit,update_line
I store-through -> I write_memory,invalidate_others
S store-through -> S update_line,write_memory,invalidate_others
E store-through -> E update_line,write_memory
M store-through -> M update_line,write_memory
I store-protect -> I write_memory,invalidate_others
S store-protect -> I write_memory,invalidate_others
E store-protect -> I write_memory,invalidate_others
M store-protect -> I write_back,write_memory,invalidate_others
I fill-shared -> S -
I fill-exclusive -> E -
I fill-modified -> M update_line
S upgrade-ack -> M update_line
S evict -> I -
E evict -> I -
M evict -> I write_back
S snoop-read -> S -
E snoop-read -> S -
M snoop-read -> S write_back
S snoop-inv -> I -
E snoop-inv -> I -
M snoop-inv -> I write_back
S flush -> I -
E flush -> I -
M flush -> I write_back
S clean -> S -
E clean -> E -
M clean -> E write_back
S drop -> I -
E drop -> I -
M drop -> I -
)";

std::uint16_t action_bit(const std::string& a) {
    static const std::map<std::string, std::uint16_t> names{
        {"hit", act::hit},
        {"get_s", act::get_s},
        {"get_m", act::get_m},
        {"upgrade", act::upgrade},
        {"write_back", act::write_back},
        {"write_memory", act::write_memory},
        {"invalidate_others", act::invalidate_others},
        {"update_line", act::update_line}};
    return names.at(a);
}

struct expected_cell {
    mesi next;
    std::uint16_t actions;
};

std::map<std::pair<std::string, std::string>, expected_cell> parse_expected() {
    const std::map<std::string, mesi> states{
        {"I", mesi::i}, {"S", mesi::s}, {"E", mesi::e}, {"M", mesi::m}};
    std::map<std::pair<std::string, std::string>, expected_cell> out;
    std::istringstream in(k_expected);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        std::istringstream l(line);
        std::string s, e, arrow, n, acts;
        l >> s >> e >> arrow >> n >> acts;
        std::uint16_t bits = 0;
        if (acts != "-") {
            std::istringstream a(acts);
            std::string one;
            while (std::getline(a, one, ',')) bits |= action_bit(one);
        }
        out[{s, e}] = {states.at(n), bits};
    }
    return out;
}

constexpr std::array<mesi, 4> k_states{mesi::i, mesi::s, mesi::e, mesi::m};

} // namespace

TEST_CASE("protocol table: every cell matches the transcribed MESI table") {
    const auto expected = parse_expected();
    CHECK(expected.size() == 38);
    const protocol_table& t = mesi_table();
    unsigned defined = 0;
    for (mesi s : k_states) {
        for (unsigned ei = 0; ei < proto_event_count; ++ei) {
            const auto e = static_cast<proto_event>(ei);
            const transition& c = t.at(s, e);
            const auto it = expected.find({std::string(to_string(s)), std::string(to_string(e))});
            CAPTURE(to_string(s));
            CAPTURE(to_string(e));
            if (it == expected.end()) {
                CHECK_FALSE(c.defined);
                continue;
            }
            ++defined;
            CHECK(c.defined);
            CHECK(c.next == it->second.next);
            CHECK(c.actions == it->second.actions);
        }
    }
    CHECK(defined == expected.size());
}

TEST_CASE("protocol table: derived invariants hold in every defined cell") {
    const protocol_table& t = mesi_table();
    for (mesi s : k_states) {
        for (unsigned ei = 0; ei < proto_event_count; ++ei) {
            const auto e = static_cast<proto_event>(ei);
            const transition& c = t.at(s, e);
            if (!c.defined) continue;
            CAPTURE(to_string(s));
            CAPTURE(to_string(e));
            // Only a modified line holds data memory lacks.
            if (c.actions & act::write_back) CHECK(s == mesi::m);
            // Leaving M other than by INVD writes the data back.
            if (s == mesi::m && c.next != mesi::m && e != proto_event::drop)
                CHECK((c.actions & act::write_back) != 0);
            // Becoming M needs ownership: a store on E/M, a fill with ownership, an upgrade.
            if (c.next == mesi::m && s != mesi::m)
                CHECK((e == proto_event::store || e == proto_event::fill_modified ||
                       e == proto_event::upgrade_ack));
            // Events that remove the line leave it invalid.
            if (e == proto_event::snoop_inv || e == proto_event::flush || e == proto_event::drop ||
                e == proto_event::evict || e == proto_event::store_protect)
                CHECK(c.next == mesi::i);
            // A snooped read never leaves a writable copy behind.
            if (e == proto_event::snoop_read) CHECK((c.next == mesi::s || c.next == mesi::i));
            // Requests are only made from states that cannot serve the access.
            if (c.actions & (act::get_s | act::get_m)) CHECK(s == mesi::i);
            if (c.actions & act::upgrade) CHECK(s == mesi::s);
            // Only I takes a fill.
            if (e == proto_event::fill_shared || e == proto_event::fill_exclusive ||
                e == proto_event::fill_modified)
                CHECK(s == mesi::i);
        }
    }
}

TEST_CASE("protocol table: names of states and events are distinct") {
    std::set<std::string> names;
    for (unsigned ei = 0; ei < proto_event_count; ++ei)
        names.insert(std::string(to_string(static_cast<proto_event>(ei))));
    CHECK(names.size() == proto_event_count);
    CHECK(names.count("?") == 0);
    std::set<std::string> st;
    for (mesi s : k_states) st.insert(std::string(to_string(s)));
    CHECK(st.size() == 4);
}
