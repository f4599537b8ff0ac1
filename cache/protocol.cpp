#include "cache/protocol.h"

namespace mtsim {

std::string_view to_string(mesi s) {
    return enum_name(s);
}

std::string_view to_string(proto_event e) {
    return enum_name(e);
}

namespace {

constexpr protocol_table build_mesi_table() {
    using E = proto_event;
    protocol_table t{};
    auto set = [&t](mesi s, E e, std::uint16_t a, mesi n) { t.at(s, e) = transition{true, n, a}; };
    const mesi I = mesi::i, S = mesi::s, X = mesi::e, M = mesi::m;

    // Source: MESI as in Sorin, Hill, Wood, "A Primer on Memory Consistency and Cache
    // Coherence" (2nd ed., 2020), Table 7.2 (MESI cache controller), with the home's replies
    // as separate events (Data vs Data_Exclusive as in gem5 MESI_Two_Level) and the x86
    // cache-control events (CLFLUSH, CLWB, WBINVD, INVD: SDM vol. 3 ch. 11) and WT/WP store
    // paths (SDM vol. 3 Table 11-2) added.
    // set(state, event, actions, next state)
    set(I, E::load, act::get_s, I);
    set(S, E::load, act::hit, S);
    set(X, E::load, act::hit, X);
    set(M, E::load, act::hit, M);

    set(I, E::store, act::get_m, I);
    set(S, E::store, act::upgrade, S);
    set(X, E::store, act::hit | act::update_line, M);
    set(M, E::store, act::hit | act::update_line, M);

    set(I, E::store_through, act::write_memory | act::invalidate_others, I);
    set(S, E::store_through, act::update_line | act::write_memory | act::invalidate_others, S);
    set(X, E::store_through, act::update_line | act::write_memory, X);
    set(M, E::store_through, act::update_line | act::write_memory, M);

    set(I, E::store_protect, act::write_memory | act::invalidate_others, I);
    set(S, E::store_protect, act::write_memory | act::invalidate_others, I);
    set(X, E::store_protect, act::write_memory | act::invalidate_others, I);
    set(M, E::store_protect, act::write_back | act::write_memory | act::invalidate_others, I);

    set(I, E::fill_shared, 0, S);
    set(I, E::fill_exclusive, 0, X);
    set(I, E::fill_modified, act::update_line, M);
    set(S, E::upgrade_ack, act::update_line, M);

    set(S, E::evict, 0, I);
    set(X, E::evict, 0, I);
    set(M, E::evict, act::write_back, I);

    set(S, E::snoop_read, 0, S);
    set(X, E::snoop_read, 0, S);
    set(M, E::snoop_read, act::write_back, S);

    set(S, E::snoop_inv, 0, I);
    set(X, E::snoop_inv, 0, I);
    set(M, E::snoop_inv, act::write_back, I);

    set(S, E::flush, 0, I);
    set(X, E::flush, 0, I);
    set(M, E::flush, act::write_back, I);

    set(S, E::clean, 0, S);
    set(X, E::clean, 0, X);
    set(M, E::clean, act::write_back, X);

    set(S, E::drop, 0, I);
    set(X, E::drop, 0, I);
    set(M, E::drop, 0, I);
    return t;
}

constexpr protocol_table k_mesi = build_mesi_table();

} // namespace

const protocol_table& mesi_table() {
    return k_mesi;
}

} // namespace mtsim
