// The engine's process: doorbells, descriptor fetch and decode, and the commands' requests.
#include "gpu/dma_engine.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "model/trace.h"

namespace mtsim::gpu {

namespace {

bool power_of_two(std::uint64_t v) {
    return v != 0 && (v & (v - 1)) == 0;
}

} // namespace

void validate(const dma_engine_config& cfg) {
    if (!power_of_two(cfg.request_bytes) || cfg.request_bytes < 64 || cfg.request_bytes > 4096)
        throw std::invalid_argument("gpu: request_bytes must be a power of two in [64, 4096]");
    if (cfg.max_outstanding < 1)
        throw std::invalid_argument("gpu: max_outstanding must be at least 1");
    if (cfg.vram_bytes < 4 * KiB) throw std::invalid_argument("gpu: vram_bytes below 4 KiB");
    if (cfg.bdf > 0xffff) throw std::invalid_argument("gpu: bdf must fit 16 bits");
    if (cfg.link.up_bytes_per_cycle == 0 || cfg.link.down_bytes_per_cycle == 0)
        throw std::invalid_argument("gpu: link bytes_per_cycle must be at least 1");
    if (!(cfg.clock_mhz > 0)) throw std::invalid_argument("gpu: clock_mhz must be positive");
}

gpu_dma_engine::gpu_dma_engine(const sc_core::sc_module_name& name, const dma_engine_config& cfg)
    : sc_module(name), bar("bar"), mem("mem"), m_cfg((validate(cfg), cfg)), m_clock(cfg.clock_mhz),
      m_link(cfg.link), m_window(cfg.max_outstanding), m_vram(cfg.vram_bytes),
      m_staging(std::size_t(cfg.max_outstanding) * cfg.request_bytes) {
    bar.register_b_transport(this, &gpu_dma_engine::bar_b_transport);
    m_ext.who.kind = requester_kind::device;
    m_ext.who.bdf = static_cast<std::uint16_t>(cfg.bdf);
    m_ext.type = memtype::wb;
    m_ext.source = type_source::fixed;
    m_gp.set_extension(&m_ext);
    m_gp.set_byte_enable_ptr(nullptr);
    m_gp.set_byte_enable_length(0);
    SC_THREAD(run);
    m_link_up_track = std::string(this->name()) + ".pcie_up";
    m_link_down_track = std::string(this->name()) + ".pcie_down";
    if (trace::enabled()) trace::declare_track(this->name(), trace::group::agents);
}

gpu_dma_engine::~gpu_dma_engine() {
    m_gp.clear_extension(&m_ext);
}

void gpu_dma_engine::advance_to(cycles c) {
    const sc_core::sc_time t = m_clock.to_time(c);
    if (t > m_qk.get_current_time()) m_qk.set(t - sc_core::sc_time_stamp());
    if (m_qk.need_sync()) m_qk.sync();
    refresh_check();
}

void gpu_dma_engine::sync_at(cycles c) {
    const sc_core::sc_time t = m_clock.to_time(c);
    if (t > m_qk.get_current_time()) m_qk.set(t - sc_core::sc_time_stamp());
    m_qk.sync();
    refresh_check();
}

bool gpu_dma_engine::next_work() {
    for (;;) {
        if (m_error != error_code::none) return false;
        const sc_core::sc_time t = m_qk.get_current_time();
        while (!m_doorbells.empty() && m_doorbells.front().at <= t) {
            m_tail = m_doorbells.front().tail;
            m_doorbells.pop_front();
        }
        if (m_head != m_tail) return true;
        if (m_doorbells.empty()) return false;
        // Nothing to do before the next doorbell: the engine's time moves to it.
        m_qk.set(m_doorbells.front().at - sc_core::sc_time_stamp());
        if (m_qk.need_sync()) m_qk.sync();
        refresh_check();
    }
}

void gpu_dma_engine::run() {
    m_qk.reset();
    refresh_check();
    for (;;) {
        if (!next_work()) {
            sync_at(m_window.drain(now())); // idle means every request has completed
            if (next_work()) continue;
            m_idle = true;
            m_idle_event.notify(sc_core::SC_ZERO_TIME);
            sc_core::wait(m_doorbell_event);
            m_qk.reset();
            refresh_check();
            continue;
        }
        execute(m_head);
    }
}

unsigned gpu_dma_engine::chunk(std::uint64_t addr, std::uint64_t left) const {
    const std::uint64_t to_page = 4096 - (addr & 4095);
    return static_cast<unsigned>(std::min<std::uint64_t>({left, m_cfg.request_bytes, to_page}));
}

gpu_dma_engine::issued gpu_dma_engine::issue(cycles ready, bool write, std::uint64_t addr,
                                             std::uint8_t* data, unsigned len, bool ns_requested) {
    issued r;
    r.issue = m_window.slot(ready);
    m_counters.window_stall_cycles += (r.issue - ready).n;
    if (r.issue >= m_check_at) advance_to(r.issue);

    const bool ns = ns_requested && (m_devctl & devctl_enable_no_snoop);
    if (ns_requested && !ns) ++m_counters.no_snoop_suppressed;
    ++(ns ? m_counters.no_snoop_requests : m_counters.snooped_requests);
    if (write) {
        ++m_counters.write_requests;
        m_counters.write_bytes += len;
    } else {
        ++m_counters.read_requests;
        m_counters.read_bytes += len;
    }

    const cycles arrival = m_link.send_up(r.issue, write ? len : 0);
    if (trace::on(trace::category::link))
        trace::cold([&] {
            trace::slice(m_link_up_track, trace::category::link,
                         write ? "write TLP" : "read request", m_clock.to_time(m_link.last_start()),
                         m_clock.to_time(m_link.up_busy_until()), {{"bytes", write ? len : 0}});
        });
    m_gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    m_gp.set_address(addr);
    m_gp.set_data_ptr(data);
    m_gp.set_data_length(len);
    m_gp.set_streaming_width(len);
    m_gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    m_ext.op = write ? op_kind::dma_write : op_kind::dma_read;
    m_ext.no_snoop = ns;
    m_ext.page_walk = false;
    const sc_core::sc_time stamp = sc_core::sc_time_stamp(); // targets never wait
    sc_core::sc_time delay = m_clock.to_time(arrival) - stamp;
    mem->b_transport(m_gp, delay);
    const cycles served = m_clock.to_cycles(stamp + delay);
    r.ok = m_gp.is_response_ok();
    if (!r.ok) ++m_counters.faults;
    // A read's completion (data, or the error status) crosses the downstream link; a write
    // is posted: done when memory accepted it.
    r.done = write ? served : m_link.send_down(served, r.ok ? len : 0);
    m_window.add(r.done);
    if (!write && trace::on(trace::category::link))
        trace::cold([&] {
            trace::slice(m_link_down_track, trace::category::link, "completion",
                         m_clock.to_time(m_link.last_start()),
                         m_clock.to_time(m_link.down_busy_until()), {{"bytes", r.ok ? len : 0}});
        });
    if (trace::on(trace::category::dma))
        trace::cold([&] {
            trace::instant(name(), trace::category::dma, write ? "DMA write" : "DMA read",
                           m_clock.to_time(r.issue),
                           {{"addr", fmt::format("{:#x}", addr)},
                            {"bytes", len},
                            {"no_snoop", ns},
                            {"ok", r.ok},
                            {"done_us", m_clock.to_time(r.done).to_seconds() * 1e6}});
        });
    extend(r.done, memory_part(m_ext.served));
    return r;
}

bool gpu_dma_engine::valid(const descriptor& d) const {
    const auto vram_ok = [&](std::uint64_t off, std::uint64_t len) {
        return m_vram.contains(off, len);
    };
    switch (d.op) {
    case descriptor_op::copy:
    case descriptor_op::fill:
        return d.length > 0;
    case descriptor_op::read_to_vram:
        return d.length > 0 && vram_ok(d.b, d.length);
    case descriptor_op::write_from_vram:
        return d.length > 0 && vram_ok(d.a, d.length);
    case descriptor_op::fence_write:
        return d.b % 8 == 0;
    case descriptor_op::interrupt:
        return d.a <= 0xffffffffu;
    }
    return false;
}

void gpu_dma_engine::halt(std::uint32_t index, error_code e) {
    m_error = e;
    m_error_index = index;
}

void gpu_dma_engine::extend(cycles c, cost_part p) {
    if (!m_acct.is_open()) {
        m_horizon = m_clock.to_cycles(m_account_start);
        m_acct.open(m_clock.to_time(m_horizon));
    }
    if (c <= m_horizon) return;
    m_acct.add(p, m_clock.to_time(c) - m_clock.to_time(m_horizon));
    m_horizon = c;
}

cost_account gpu_dma_engine::account() const {
    cost_account a = m_acct;
    if (!a.is_open())
        a.open(m_clock.to_time(m_clock.to_cycles(m_account_start)));
    else
        a.close(cost_part::executing, m_clock.to_time(m_horizon));
    return a;
}

void gpu_dma_engine::execute(std::uint32_t index) {
    m_head = (index + 1) & (m_ring_size - 1);
    cycles t = now();
    extend(t, cost_part::sync_wait); // idle until this doorbell
    descriptor_image img{};
    const issued f = issue(t, false, m_ring_base + std::uint64_t(index) * descriptor_bytes,
                           img.data(), descriptor_bytes, (m_ring_ctl & ring_ctl_no_snoop) != 0);
    t = f.done; // the descriptor is needed before anything else
    if (!f.ok) {
        sync_at(t);
        halt(index, error_code::dma_fault);
        return;
    }
    ++m_counters.descriptors;
    const std::optional<descriptor> d = decode(img);
    if (!d || !valid(*d)) {
        ++m_counters.bad_descriptors;
        sync_at(t);
        halt(index, error_code::bad_descriptor);
        if (d) m_log.push_back({index, d->op, t, t, error_code::bad_descriptor});
        return;
    }
    // Perturbed (docs/litmus.md): the command starts up to one link latency later, as a
    // device's internal scheduling may delay it.
    t = t + m_cfg.command_latency + cycles{m_jitter.upto(m_cfg.link.latency.n)};
    extend(t, cost_part::executing);
    command_record rec{index, d->op, t, t, error_code::none};
    bool ok = true;
    switch (d->op) {
    case descriptor_op::copy:
        ok = copy(*d, t, rec.end);
        break;
    case descriptor_op::read_to_vram:
    case descriptor_op::write_from_vram:
    case descriptor_op::fill:
        ok = transfer(*d, t, rec.end);
        break;
    case descriptor_op::fence_write:
        ok = fence_write(*d, t, rec.end);
        break;
    case descriptor_op::interrupt:
        interrupt(*d, t);
        rec.end = t;
        break;
    }
    if (!ok) {
        rec.end = m_window.drain(std::max(t, rec.end));
        rec.status = error_code::dma_fault;
        sync_at(rec.end);
        halt(index, error_code::dma_fault);
    } else {
        advance_to(t);
    }
    m_log.push_back(rec);
    if (trace::on(trace::category::dma))
        trace::cold([&] {
            trace::slice_in_lane(name(), trace::category::dma, std::string(to_string(d->op)),
                                 m_clock.to_time(rec.start), m_clock.to_time(rec.end),
                                 {{"index", index},
                                  {"length", d->length},
                                  {"no_snoop", d->no_snoop},
                                  {"ok", rec.status == error_code::none}});
        });
}

bool gpu_dma_engine::transfer(const descriptor& d, cycles& t, cycles& end) {
    const bool to_vram = d.op == descriptor_op::read_to_vram;
    const bool from_vram = d.op == descriptor_op::write_from_vram;
    const std::uint64_t addr = to_vram ? d.a : d.b;
    const std::uint64_t vram_base = to_vram ? d.b : d.a; // valid() checked the VRAM range
    std::uint8_t* data = m_staging.data();               // one request's bytes (<= request_bytes)
    for (std::uint64_t done = 0; done < d.length;) {
        const unsigned n = chunk(addr + done, d.length - done);
        if (from_vram)
            m_vram.read(vram_base + done, data, n);
        else if (!to_vram)
            for (unsigned i = 0; i < n; ++i)
                data[i] = static_cast<std::uint8_t>(d.a >> (8 * ((done + i) % 8)));
        const issued r = issue(t, !to_vram, addr + done, data, n, d.no_snoop);
        t = r.issue;
        end = std::max(end, r.done);
        if (!r.ok) return false;
        if (to_vram) m_vram.write(vram_base + done, data, n);
        done += n;
    }
    return true;
}

bool gpu_dma_engine::copy(const descriptor& d, cycles& t, cycles& end) {
    struct piece {
        std::uint64_t offset;
        unsigned len;
        cycles read_done;
    };
    std::vector<piece> batch;
    batch.reserve(m_cfg.max_outstanding);
    for (std::uint64_t done = 0; done < d.length;) {
        batch.clear();
        std::size_t staged = 0;
        while (done < d.length && batch.size() < m_cfg.max_outstanding) {
            const unsigned n =
                std::min(chunk(d.a + done, d.length - done), chunk(d.b + done, d.length - done));
            const issued r = issue(t, false, d.a + done, m_staging.data() + staged, n, d.no_snoop);
            t = r.issue;
            end = std::max(end, r.done);
            if (!r.ok) return false;
            batch.push_back({done, n, r.done});
            staged += n;
            done += n;
        }
        staged = 0;
        for (const piece& p : batch) {
            const issued w = issue(std::max(t, p.read_done), true, d.b + p.offset,
                                   m_staging.data() + staged, p.len, d.no_snoop);
            t = w.issue;
            end = std::max(end, w.done);
            if (!w.ok) return false;
            staged += p.len;
        }
    }
    return true;
}

bool gpu_dma_engine::fence_write(const descriptor& d, cycles& t, cycles& end) {
    t = m_window.drain(t);
    std::uint8_t value[8];
    for (unsigned i = 0; i < 8; ++i) value[i] = static_cast<std::uint8_t>(d.a >> (8 * i));
    const issued r = issue(t, true, d.b, value, 8, d.no_snoop);
    if (!r.ok) {
        end = r.done;
        return false;
    }
    t = m_window.drain(r.done);
    end = t;
    sync_at(t);
    m_fence = d.a;
    ++m_counters.fences;
    m_fence_event.notify(sc_core::SC_ZERO_TIME);
    return true;
}

void gpu_dma_engine::interrupt(const descriptor& d, cycles& t) {
    t = m_window.drain(t);
    sync_at(t);
    ++m_irq_count;
    ++m_counters.interrupts;
    m_irq_event.notify(sc_core::SC_ZERO_TIME);
    if (trace::on(trace::category::doorbell))
        trace::cold([&] {
            trace::instant(name(), trace::category::doorbell, "interrupt", m_clock.to_time(t),
                           {{"vector", d.a}});
        });
    if (m_irq_callback) m_irq_callback(static_cast<std::uint32_t>(d.a));
}

} // namespace mtsim::gpu
