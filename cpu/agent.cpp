#include "cpu/agent.h"
#include "model/trace.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "cpu/pcpu_bus.h"
#include "model/not_modelled.h"

namespace mtsim::cpu {

namespace {

constexpr std::uint64_t page_bytes = 4096;

std::string stat_name(op_code c) {
    std::string n = "ops_" + std::string(to_string(c));
    std::replace(n.begin(), n.end(), '-', '_');
    return n;
}

bool is_uc(memtype t) {
    return t == memtype::uc || t == memtype::uc_minus;
}

} // namespace

agent::agent(const sc_core::sc_module_name& name, const agent_config& cfg, const agent_setup& setup,
             requester_kind kind)
    : sc_module(name), port("port", setup.pcpus), m_cfg(cfg), m_setup(setup), m_kind(kind),
      m_clock(cfg.clock_mhz), m_pcpu(setup.pcpu), m_issue_time(m_clock.to_time(cfg.issue_latency)),
      m_forward_time(m_clock.to_time(cfg.forward_latency)), m_sb(cfg.store_buffer.entries),
      m_fill(cfg.store_buffer.fill_buffers) {
    if (setup.pcpus == 0) throw std::invalid_argument(std::string(this->name()) + ": 0 pCPUs");
    if (setup.pcpu >= setup.pcpus)
        throw std::invalid_argument(
            fmt::format("{}: starts on pCPU {} of {}", this->name(), setup.pcpu, setup.pcpus));
    if (cfg.line_size == 0 || (cfg.line_size & (cfg.line_size - 1)) != 0)
        throw std::invalid_argument(std::string(this->name()) + ": line_size not a power of two");
    // Zero would stall fill/copy forever (no progress per store) or leave no fill buffer.
    if (cfg.fill_width == 0)
        throw std::invalid_argument(std::string(this->name()) + ": fill_width is 0");
    if (cfg.store_buffer.fill_buffers == 0)
        throw std::invalid_argument(std::string(this->name()) + ": store_buffer.fill_buffers is 0");
    for (unsigned c = 0; c < op_code_count; ++c) {
        const auto code = static_cast<op_code>(c);
        m_ops[c] = std::make_unique<counter>(
            this, stat_name(code),
            "program operations " + std::string(to_string(code)) + " executed", "ops");
    }
    m_gp.set_extension(&m_ext);
    m_bg_gp.set_extension(&m_bg_ext);
    SC_HAS_PROCESS(agent);
    SC_THREAD(run);
    SC_THREAD(background);
}

agent::~agent() {
    m_gp.clear_extension(&m_ext);
    m_bg_gp.clear_extension(&m_bg_ext);
}

void agent::set_program(program p) {
    if (sc_core::sc_is_running())
        throw std::logic_error(std::string(name()) + ": program set while the simulation runs");
    m_program = std::move(p);
}

requester agent::who() const {
    requester r;
    r.kind = m_kind;
    r.id = static_cast<std::uint16_t>(m_setup.id);
    r.pcpu = static_cast<std::uint16_t>(m_pcpu);
    return r;
}

const load_result& agent::load_labelled(const std::string& label) const {
    for (const load_result& r : m_loads)
        if (r.label == label) return r;
    throw std::out_of_range(std::string(name()) + ": no load labelled '" + label + "'");
}

sc_core::sc_time agent::now() const {
    return sc_core::sc_time_stamp() + m_qk.get_local_time();
}

void agent::end_of_elaboration() {
    if (!m_serialize)
        throw std::logic_error(std::string(name()) +
                               ": no serializer (memory_system::serialize) was set");
    before_start_check();
}

void agent::start_of_simulation() {
    start_of_simulation_trace();
    m_fw.assign(port.size(), nullptr);
    for (unsigned p = 0; p < port.size(); ++p)
        m_fw[p] = m_bus ? m_bus->out(p).operator->() : port[p].operator->();
}

void agent::run() {
    if (m_start_time > sc_core::sc_time_stamp())
        sc_core::wait(m_start_time - sc_core::sc_time_stamp());
    m_qk.reset();
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    m_acct.open(start);
    on_start();
    m_acct.close_gap(cost_part::vcpu_load, now());
    const std::vector<op>& program_ops = m_program.ops();
    for (m_index = 0; m_index < program_ops.size(); ++m_index) {
        const op& o = program_ops[m_index];
        if (o.code == op_code::mark) {
            m_marks.push_back({o.label, now()});
            ++ops(o.code);
            continue;
        }
        const bool traced = trace::enabled(); // now() looks the simulation context up
        const sc_core::sc_time issued = traced ? now() : sc_core::SC_ZERO_TIME;
        m_qk.inc(m_issue_time);
        retire_due();
        try {
            execute(o);
        } catch (const std::exception& e) {
            throw std::runtime_error(fmt::format("{}: op #{} ({}{}{}): {}", name(), m_index,
                                                 to_string(o.code), o.label.empty() ? "" : " ",
                                                 o.label, e.what()));
        }
        if (traced) trace_op(o, issued);
        ++ops(o.code);
        if (m_qk.need_sync()) m_qk.sync();
    }
    drain_all();
    on_finish();
    m_qk.sync();
    m_acct.close(cost_part::executing, sc_core::sc_time_stamp());
    m_cycles += m_clock.to_cycles(sc_core::sc_time_stamp() - start).n;
    m_finished = true;
    m_finished_event.notify(sc_core::SC_ZERO_TIME);
}

void agent::execute(const op& o) {
    switch (o.code) {
    case op_code::load: {
        if (o.len <= 64 && (m_cfg.keep == keep_loads::none ||
                            (m_cfg.keep == keep_loads::labelled && o.label.empty()))) {
            // The result is not kept (keep_result would drop it): no heap buffer per load.
            std::uint8_t scratch[64] = {};
            load(o, o.addr, o.len, scratch);
            return;
        }
        std::vector<std::uint8_t> buf(o.len);
        load(o, o.addr, o.len, buf.data());
        keep_result(o, std::move(buf));
        return;
    }
    case op_code::store:
        store(o, o.addr, o.data.data(), o.data.size(), op_kind::store);
        return;
    case op_code::nt_store:
        store(o, o.addr, o.data.data(), o.data.size(), op_kind::nt_store);
        return;
    case op_code::clflush:
    case op_code::clflushopt:
    case op_code::clwb:
        line_flush(o);
        return;
    case op_code::wbinvd:
    case op_code::wbnoinvd:
    case op_code::invd:
        drain_all();
        whole_cache_op(o.code);
        m_qk.sync();
        return;
    case op_code::sfence:
        fence(op_kind::sfence);
        return;
    case op_code::mfence:
        fence(op_kind::mfence);
        return;
    case op_code::xchg:
    case op_code::locked_add:
        locked(o);
        return;
    case op_code::fill: {
        const std::uint64_t line = m_cfg.line_size;
        const std::uint64_t width = std::min<std::uint64_t>(m_cfg.fill_width, line);
        std::vector<std::uint8_t> chunk(line);
        for (std::uint64_t off = 0; off < o.len;) {
            const std::uint64_t a = o.addr + off;
            const std::uint64_t n = std::min({width, line - (a & (line - 1)), o.len - off});
            for (std::uint64_t i = 0; i < n; ++i) chunk[i] = o.data[(off + i) % o.data.size()];
            store(o, a, chunk.data(), n, o.nt ? op_kind::nt_store : op_kind::store);
            off += n;
            retire_due();
        }
        return;
    }
    case op_code::copy: {
        const std::uint64_t line = m_cfg.line_size;
        const std::uint64_t width = std::min<std::uint64_t>(m_cfg.fill_width, line);
        std::vector<std::uint8_t> chunk(line);
        for (std::uint64_t off = 0; off < o.len;) {
            const std::uint64_t d = o.addr + off;
            const std::uint64_t n = std::min({width, line - (d & (line - 1)), o.len - off});
            load(o, o.src + off, n, chunk.data());
            store(o, d, chunk.data(), n, o.nt ? op_kind::nt_store : op_kind::store);
            off += n;
            retire_due();
        }
        return;
    }
    case op_code::pause:
        m_qk.inc(m_clock.to_time(o.wait));
        retire_due();
        return;
    case op_code::callback:
        retire_stores(m_sb.size());
        m_qk.sync();
        m_blocked = true;
        if (!m_deferred.empty()) m_bg_kick.notify();
        m_acct.close_gap(cost_part::executing, now());
        o.fn(*this);
        m_acct.close_gap(cost_part::executing, now());
        m_blocked = false;
        return;
    case op_code::migrate:
        migrate(o.pcpu);
        return;
    case op_code::mark:
        return; // run() records marks
    case op_code::poll:
        poll(o);
        return;
    }
    throw std::logic_error("unknown op code");
}

// --- translation and accesses -----------------------------------------------------------

bool agent::resolve(std::uint64_t la, access_kind kind, std::uint8_t* data, unsigned len,
                    xlate& x) {
    constexpr unsigned max_retries = 16;
    for (unsigned attempt = 0; attempt < max_retries; ++attempt) {
        switch (translate(la, kind, data, len, x)) {
        case xlate_status::translated:
            return true;
        case xlate_status::emulated:
            ++m_emulated;
            return false;
        case xlate_status::retry:
            break;
        }
    }
    throw std::runtime_error(fmt::format(
        "address {:#x}: the hypervisor asked to retry {} times without fixing the translation", la,
        max_retries));
}

void agent::load(const op& o, std::uint64_t la, std::uint64_t len, std::uint8_t* dst) {
    for (std::uint64_t off = 0; off < len;) {
        const std::uint64_t a = la + off;
        const unsigned n =
            static_cast<unsigned>(std::min(page_bytes - (a & (page_bytes - 1)), len - off));
        xlate x;
        if (resolve(a, access_kind::read, dst + off, n, x)) {
            memory_load(o, a, dst + off, n, x);
        } else {
            report(true, o, a, nullptr, dst + off, n, false);
        }
        off += n;
    }
}

void agent::memory_load(const op& o, std::uint64_t la, std::uint8_t* dst, unsigned len,
                        const xlate& x) {
    ++m_loads_issued;
    m_load_bytes += len;
    if (is_uc(x.type)) {
        // UC: reads and writes reach memory in program order; nothing is forwarded.
        retire_stores(m_sb.size());
    } else {
        switch (m_sb.empty() ? forward_result::none : m_sb.forward(x.hpa, len, dst)) {
        case forward_result::full:
            ++m_forwarded;
            m_qk.inc(m_forward_time);
            report(true, o, la, &x, dst, len, true);
            return;
        case forward_result::partial:
            ++m_forward_stalls;
            retire_stores(m_sb.retire_count_for(x.hpa, x.hpa + len));
            break;
        case forward_result::none:
            break;
        }
    }
    transport(tlm::TLM_READ_COMMAND, op_kind::load, x.hpa, dst, len, x.type, x.source, false,
              x.device);
    report(true, o, la, &x, dst, len, false);
}

void agent::store(const op& o, std::uint64_t la, const std::uint8_t* src, std::uint64_t len,
                  op_kind k) {
    for (std::uint64_t off = 0; off < len;) {
        const std::uint64_t a = la + off;
        const unsigned n =
            static_cast<unsigned>(std::min(page_bytes - (a & (page_bytes - 1)), len - off));
        std::vector<std::uint8_t> bytes(src + off, src + off + n);
        xlate x;
        if (!resolve(a, access_kind::write, bytes.data(), n, x)) {
            report(false, o, a, nullptr, bytes.data(), n, false);
            off += n;
            continue;
        }
        ++m_stores_issued;
        m_store_bytes += n;
        if (m_sb.full()) {
            ++m_full_stalls;
            retire_stores(1);
        }
        buffered_store s;
        s.linear = a;
        s.hpa = x.hpa;
        s.data = std::move(bytes);
        s.type = x.type;
        s.source = x.source;
        s.device = x.device;
        s.op = k;
        s.ready = retire_ready(m_cfg.store_buffer.retire_delay);
        s.seq = ++m_store_seq;
        m_sb.push(std::move(s));
        report(false, o, a, &x, m_sb.entries().back().data.data(), n, false);
        if (is_uc(x.type)) retire_stores(m_sb.size());
        off += n;
    }
}

void agent::locked(const op& o) {
    retire_stores(m_sb.size());
    complete_flushes(0, true, true);
    const unsigned n = static_cast<unsigned>(o.len);
    if ((o.addr & (page_bytes - 1)) + n > page_bytes)
        throw not_modelled("a locked operation that splits a page",
                           fmt::format("locked operation at {:#x}", o.addr));
    std::vector<std::uint8_t> old(n);
    xlate x;
    if (!resolve(o.addr, access_kind::write, old.data(), n, x))
        throw not_modelled("a locked operation emulated by the hypervisor",
                           fmt::format("locked operation at {:#x}", o.addr));
    transport(tlm::TLM_READ_COMMAND, op_kind::locked_rmw, x.hpa, old.data(), n, x.type, x.source,
              false, x.device);
    const std::uint64_t v = le_value(old.data(), n);
    const std::uint64_t operand = le_value(o.data.data(), n);
    std::vector<std::uint8_t> neu = le_bytes(o.code == op_code::xchg ? operand : v + operand, n);
    transport(tlm::TLM_WRITE_COMMAND, op_kind::locked_rmw, x.hpa, neu.data(), n, x.type, x.source,
              false, x.device);
    ++m_loads_issued;
    ++m_stores_issued;
    m_load_bytes += n;
    m_store_bytes += n;
    report(true, o, o.addr, &x, old.data(), n, false);
    report(false, o, o.addr, &x, neu.data(), n, false);
    keep_result(o, std::move(old));
    m_qk.sync();
}

void agent::line_flush(const op& o) {
    const op_kind k = o.code == op_code::clflush      ? op_kind::clflush
                      : o.code == op_code::clflushopt ? op_kind::clflushopt
                                                      : op_kind::clwb;
    xlate x;
    if (!resolve(o.addr, access_kind::read, nullptr, 0, x)) return; // nothing cached to flush
    const std::uint64_t line = x.hpa & ~std::uint64_t{m_cfg.line_size - 1};
    if (k == op_kind::clflush) {
        retire_stores(m_sb.size());
        transport(tlm::TLM_IGNORE_COMMAND, k, line, nullptr, 0, x.type, x.source);
        return;
    }
    retire_stores(m_sb.retire_count_for(line, line + m_cfg.line_size));
    m_deferred.push_back({line, k, x.type, x.source, retire_ready(m_cfg.store_buffer.flush_delay)});
    ++m_flushes_deferred;
}

void agent::fence(op_kind k) {
    retire_stores(m_sb.size());
    complete_flushes(0, true, true);
    transport(tlm::TLM_IGNORE_COMMAND, k, 0, nullptr, 0, memtype::wb, type_source::fixed);
    m_qk.sync();
}

void agent::migrate(unsigned to) {
    if (to >= port.size())
        throw std::invalid_argument(
            fmt::format("migration to pCPU {} of {}", to, static_cast<unsigned>(port.size())));
    drain_all();
    serialize_wc();
    m_qk.sync();
    const unsigned from = m_pcpu;
    m_acct.close_gap(cost_part::executing, now());
    on_migrate(from, to);
    m_acct.close_gap(cost_part::vcpu_load, now());
    m_pcpu = to;
}

void agent::transport(tlm::tlm_command cmd, op_kind k, std::uint64_t hpa, std::uint8_t* data,
                      unsigned len, memtype type, type_source source, bool page_walk,
                      arm_device device) {
    sc_core::sc_time d = m_qk.get_local_time();
    const sc_core::sc_time before = d;
    const served_level served =
        transport_at(cmd, k, hpa, data, len, type, source, page_walk, d, device);
    m_qk.set(d);
    switch (k) {
    case op_kind::clflush:
    case op_kind::clflushopt:
    case op_kind::clwb:
        m_acct.add(cost_part::flush_line, d - before);
        break;
    case op_kind::wbinvd:
    case op_kind::wbnoinvd:
    case op_kind::invd:
        m_acct.add(cost_part::flush_wbinvd, d - before);
        break;
    default:
        m_acct.add(memory_part(served), d - before);
    }
}

served_level agent::transport_at(tlm::tlm_command cmd, op_kind k, std::uint64_t hpa,
                                 std::uint8_t* data, unsigned len, memtype type, type_source source,
                                 bool page_walk, sc_core::sc_time& delay, arm_device device) {
    tlm::tlm_generic_payload& gp = m_in_background ? m_bg_gp : m_gp;
    access_ext& ext = m_in_background ? m_bg_ext : m_ext;
    ext.type = type;
    ext.source = source;
    ext.op = k;
    ext.who = who();
    ext.page_walk = page_walk;
    ext.device = device;
    ext.no_snoop = false;
    ext.oracle_id = 0;
    ext.served = served_level::none;
    gp.set_command(cmd);
    gp.set_address(hpa);
    gp.set_data_ptr(data);
    gp.set_data_length(len);
    gp.set_streaming_width(len);
    gp.set_byte_enable_ptr(nullptr);
    gp.set_byte_enable_length(0);
    gp.set_dmi_allowed(false);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    if (m_fw.empty())
        port[m_pcpu]->b_transport(gp, delay); // before the simulation started
    else
        m_fw[m_pcpu]->b_transport(gp, delay);
    if (!gp.is_response_ok())
        throw std::runtime_error(fmt::format("{} {} at {:#x} on pCPU {} failed: {}", to_string(k),
                                             len, hpa, m_pcpu, gp.get_response_string()));
    return ext.served;
}

sc_core::sc_time agent::next_ready() const {
    sc_core::sc_time t = sc_core::sc_max_time();
    if (!m_sb.empty()) t = m_sb.oldest().ready;
    for (const deferred_flush& f : m_deferred) t = std::min(t, f.ready);
    return t;
}

// run() is synchronized while it is blocked (the callback synced first), so the agent's time
// is the simulation time: what is due now retires now, the rest at its ready time.
void agent::background() {
    for (;;) {
        sc_core::wait(m_bg_kick);
        while (m_blocked) {
            m_in_background = true;
            retire_due();
            m_in_background = false;
            const sc_core::sc_time next = next_ready();
            if (next == sc_core::sc_max_time()) break; // lazy, or nothing left
            sc_core::wait(next - sc_core::sc_time_stamp(), m_bg_kick);
        }
    }
}

// --- store buffer and deferred flushes ---------------------------------------------------

sc_core::sc_time agent::retire_ready(cycles delay) {
    if (m_cfg.store_buffer.policy == retire_policy::lazy) return sc_core::sc_max_time();
    // Perturbed (docs/litmus.md): uniform in [0, 2 x delay], the same mean.
    if (m_jitter.enabled()) delay = cycles{m_jitter.upto(2 * delay.n)};
    return now() + m_clock.to_time(delay);
}

void agent::retire_due_now() {
    const sc_core::sc_time t = now();
    while (!m_sb.empty() && m_sb.oldest().ready <= t) retire_oldest(false);
    while (!m_deferred.empty() && m_deferred.front().ready <= t)
        complete_flushes(m_deferred.front().line, false, false);
}

void agent::retire_oldest(bool forced) {
    buffered_store s = m_sb.pop_oldest();
    const std::uint64_t line_mask = ~std::uint64_t{m_cfg.line_size - 1};
    for (std::uint64_t l = s.hpa & line_mask; l < s.end(); l += m_cfg.line_size)
        complete_flushes(l, false, forced);
    const sc_core::sc_time stamp = sc_core::sc_time_stamp();
    // Due stores go at their ready time, forced ones now (a ready time in the past was due);
    // a cacheable store waits for a fill buffer, any other for the previous store.
    sc_core::sc_time gate = m_sb_free;
    fill_slot* slot = nullptr;
    if (is_cacheable(s.type) && s.op == op_kind::store) {
        const std::uint64_t line = s.hpa & line_mask;
        const std::size_t k = m_fill.size();
        fill_slot& newest = m_fill[(m_fill_next + k - 1) % k];
        if (k > 1 && newest.line == line) {
            slot = &newest; // merges into the buffer already fetching its line
            gate = stamp;
        } else {
            slot = &m_fill[m_fill_next];
            m_fill_next = static_cast<unsigned>((m_fill_next + 1) % k);
            gate = slot->done;
            slot->line = line;
        }
    }
    sc_core::sc_time at = std::min(s.ready, now());
    at = std::max({at, gate, stamp});
    sc_core::sc_time d = at - stamp;
    const served_level served =
        transport_at(tlm::TLM_WRITE_COMMAND, s.op, s.hpa, s.data.data(),
                     static_cast<unsigned>(s.data.size()), s.type, s.source, false, d, s.device);
    if (stamp + d >= m_sb_free) m_sb_free_part = memory_part(served);
    m_sb_free = std::max(stamp + d, m_sb_free);
    if (slot) slot->done = m_sb_free;
    ++m_retired;
}

void agent::retire_stores(std::size_t n) {
    if (n == 0) return;
    for (std::size_t i = 0; i < n; ++i) retire_oldest(true);
    wait_for(m_sb_free, m_sb_free_part);
}

// Completes the deferred flushes of `line` (or all), oldest first.
void agent::complete_flushes(std::uint64_t line, bool all, bool forced) {
    bool any = false;
    for (auto it = m_deferred.begin(); it != m_deferred.end();) {
        if (!all && it->line != line) {
            ++it;
            continue;
        }
        const sc_core::sc_time stamp = sc_core::sc_time_stamp();
        sc_core::sc_time at = std::min(it->ready, now());
        at = std::max(at, stamp);
        sc_core::sc_time d = at - stamp;
        transport_at(tlm::TLM_IGNORE_COMMAND, it->kind, it->line, nullptr, 0, it->type, it->source,
                     false, d);
        m_flush_done = std::max(m_flush_done, stamp + d);
        it = m_deferred.erase(it);
        any = true;
    }
    if (any && forced) wait_for(m_flush_done, cost_part::flush_line);
}

void agent::wait_for(const sc_core::sc_time& abs_done, cost_part p) {
    const sc_core::sc_time stamp = sc_core::sc_time_stamp();
    const sc_core::sc_time t = stamp + m_qk.get_local_time();
    if (abs_done <= t) return;
    m_acct.add(p, abs_done - t);
    m_qk.set(abs_done - stamp);
}

void agent::drain_all() {
    retire_stores(m_sb.size());
    complete_flushes(0, true, true);
}

void agent::serialize_wc() {
    sc_core::sc_time d = m_qk.get_local_time();
    const sc_core::sc_time before = d;
    m_serialize(m_pcpu, d);
    m_qk.set(d);
    m_acct.add(cost_part::mem_wc_drain, d - before);
}

} // namespace mtsim::cpu
