#include "scenarios/oracle_tap.h"

#include <algorithm>

#include <fmt/format.h>

#include "gpu/descriptor.h"
#include "model/trace.h"
#include "scenarios/address_plan.h"

namespace mtsim::scenarios {

oracle_tap::oracle_tap(const scenario& s, oracle& o, const memory_system& ms,
                       const kvm::hypervisor& hv)
    : m_s(s), m_o(o), m_ms(ms), m_hv(hv) {
    for (const auto& p : s.programs)
        for (const auto& op : p.ops)
            if (op.type == op_type::poll)
                m_poll_gpas.emplace_back(s.find_buffer(op.buffer).gpa + op.offset, op.len);
}

oracle_tap::place oracle_tap::where(std::uint64_t hpa) const {
    for (const auto& b : m_s.buffers) {
        const std::uint64_t h = hpa_of_gpa(m_hv.memslots(), b.gpa);
        if (h && hpa >= h && hpa < h + b.size) return {&b, hpa - h};
    }
    return {};
}

std::string oracle_tap::label(const char* what, std::uint64_t hpa, memtype t, bool typed) const {
    const place p = where(hpa);
    const std::string loc =
        p.b ? fmt::format("{}+{:#x}", p.b->name, p.off) : fmt::format("hpa {:#x}", hpa);
    return typed ? fmt::format("{} {} ({})", what, loc, to_string(t))
                 : fmt::format("{} {}", what, loc);
}

// Lazy labels: a = the address the label names (hpa, or the gpa of an emulated load);
// b = op index (bits 0-31) | oracle agent (32-39) | op_kind (40-47) | memtype (48-55) | form
// (56-63). Formatted only when a finding is explained.
namespace {
enum label_form : std::uint64_t { cpu_access, emulated_load, dma_write, dma_read };
constexpr std::uint64_t pack_label(std::uint64_t op_index, agent_id agent, op_kind k, memtype t,
                                   label_form form) {
    return op_index | std::uint64_t(agent) << 32 | std::uint64_t(k) << 40 | std::uint64_t(t) << 48 |
           std::uint64_t(form) << 56;
}

// The lazy label when the numbers fit their fields, else the text now.
template <class F>
record_label lazy_or_text(const label_source& src, std::uint64_t a, std::uint64_t op_index,
                          agent_id agent, op_kind k, memtype t, label_form form, F&& text) {
    if (op_index > 0xffffffffu || agent > 0xff) return record_label(text());
    return record_label(src, a, pack_label(op_index, agent, k, t, form));
}
} // namespace

std::string oracle_tap::label_text(std::uint64_t a, std::uint64_t b) const {
    const std::uint64_t op_index = b & 0xffffffffu;
    const std::string& who = m_o.agent_name(agent_id((b >> 32) & 0xff));
    const auto kind = op_kind((b >> 40) & 0xff);
    const auto type = memtype((b >> 48) & 0xff);
    switch (label_form(b >> 56)) {
    case cpu_access:
        return fmt::format(
            "{} op {} {}", who, op_index,
            label(kind == op_kind::load ? "load" : to_string(kind).data(), a, type, true));
    case emulated_load:
        return fmt::format("{} op {} emulated load gpa {:#x}", who, op_index, a);
    case dma_write:
        return label("gpu dma-write", a, memtype::wb, false);
    case dma_read:
        return label("gpu dma-read", a, memtype::wb, false);
    }
    return "?";
}

namespace {
// Device registers are not memory: what a register read returns is the device's state, so
// the oracle sees neither the stores to the GPU's BAR nor its loads (pass-through: at the
// BAR's host-physical address; virtio-gpu: emulated, at its guest-physical address).
bool device_register(std::uint64_t hpa) {
    return hpa >= gpu_bar_hpa && hpa - gpu_bar_hpa < gpu::reg::bar_bytes;
}
} // namespace

void oracle_tap::on_store(const cpu::agent& a, const cpu::access_record& r) {
    // Data writes: stores, streaming stores, and arm64 STXR and LSE atomics (their bytes are
    // new data; x86 locked ops are flags the litmus layer judges).
    if (r.emulated || (r.kind != op_kind::store && r.kind != op_kind::nt_store &&
                       r.kind != op_kind::stxr && r.kind != op_kind::lse_atomic))
        return;
    if (device_register(r.hpa)) return;
    const agent_id id = m_agent_ids.at(&a);
    const write_id w =
        m_o.write(id, r.hpa, r.data, r.len,
                  lazy_or_text(*this, r.hpa, r.op_index, id, r.kind, r.type, cpu_access, [&] {
                      return fmt::format("{} op {} {}", a.basename(), r.op_index,
                                         label(to_string(r.kind).data(), r.hpa, r.type, true));
                  }));
    // A CPU store's completion (drained to the point of coherence) is not observed here: it is
    // published, so a poll that sees it acquires it, but never the basis of a hang.
    if (polled(r.hpa, r.len)) m_o.publish(id, w);
}

void oracle_tap::on_load(const cpu::agent& a, const cpu::access_record& r) {
    if (r.source && r.source->code == cpu::op_code::poll) {
        poll_load(a, r);
        return;
    }
    if (r.emulated ? r.linear - m_s.devices.gpu.bar_gpa < gpu::reg::bar_bytes
                   : device_register(r.hpa))
        return;
    const std::uint64_t addr = r.emulated ? emulated_space + r.linear : r.hpa;
    const agent_id id = m_agent_ids.at(&a);
    const record_label what =
        r.emulated
            ? lazy_or_text(*this, r.linear, r.op_index, id, op_kind::load, r.type, emulated_load,
                           [&] {
                               return fmt::format("{} op {} emulated load gpa {:#x}", a.basename(),
                                                  r.op_index, r.linear);
                           })
            : lazy_or_text(*this, r.hpa, r.op_index, id, op_kind::load, r.type, cpu_access, [&] {
                  return fmt::format("{} op {} {}", a.basename(), r.op_index,
                                     label("load", r.hpa, r.type, true));
              });
    const auto res = m_o.read(id, addr, r.data, r.len, what);
    if (!is_corruption(res.kind)) return;
    record_cause(res.id);
    if (trace::on(trace::category::corruption)) trace_corruption(res.id, a.name(), a.now());
}

void oracle_tap::on_dma(bool write, std::uint64_t hpa, const std::uint8_t* data, unsigned len,
                        const sc_core::sc_time& done) {
    if (hpa >= ring_hpa && hpa < ring_hpa + ring_bytes) return; // descriptor fetches
    if (write) {
        const write_id w = m_o.write(
            m_gpu_agent, hpa, data, len,
            record_label(*this, hpa, pack_label(0, 0, op_kind::dma_write, memtype::wb, dma_write)));
        if (polled(hpa, len)) wrote(m_gpu_agent, w, hpa, len, done);
        return;
    }
    const auto res = m_o.read(
        m_gpu_agent, hpa, data, len,
        record_label(*this, hpa, pack_label(0, 0, op_kind::dma_read, memtype::wb, dma_read)));
    if (!is_corruption(res.kind)) return;
    record_cause(res.id);
    if (trace::on(trace::category::corruption)) trace_corruption(res.id, m_gpu_track, done);
}

void oracle_tap::trace_corruption(read_id r, const std::string& track, sc_core::sc_time at) const {
    // The read's findings were the last ones added.
    const auto& fs = m_o.findings();
    for (auto it = fs.rbegin(); it != fs.rend() && it->read == r; ++it)
        if (is_corruption(it->kind))
            trace::instant(track, trace::category::corruption,
                           fmt::format("corruption: {}", to_string(it->kind)), at,
                           {{"cause", m_o.explain(*it)}});
}

bool oracle_tap::presence(const write_record& w, std::uint64_t addr, std::uint64_t len) const {
    if (addr >= emulated_space) return true;
    const unsigned line = m_s.platform.cache.line_size;
    for (std::uint64_t a = addr; a < addr + len; a = (a | (line - 1)) + 1) {
        const std::uint64_t base = a & ~std::uint64_t(line - 1);
        const std::uint64_t end = std::min<std::uint64_t>(addr + len, base + line);
        auto holds = [&](const std::vector<std::uint8_t>& data, std::uint64_t data_base) {
            for (std::uint64_t x = a; x < end; ++x)
                if (data[x - data_base] != w.byte_at(x)) return false;
            return true;
        };
        bool found = false;
        for (const auto& c : m_ms.copies(base))
            if (holds(c.data, base)) found = true;
        for (unsigned p = 0; p < m_s.platform.cache.pcpus && !found; ++p)
            if (m_ms.in_wc_buffer(p, a)) found = true;
        if (!found && holds(m_ms.read_dram(base, line), base)) found = true;
        if (!found) return false;
    }
    return true;
}

nlohmann::json oracle_tap::line_view_json(std::uint64_t line, const write_record& exp) const {
    const unsigned ls = m_s.platform.cache.line_size;
    auto match = [&](const std::vector<std::uint8_t>& d) {
        unsigned same = 0, total = 0;
        for (unsigned i = 0; i < ls; ++i)
            if (exp.covers(line + i)) {
                ++total;
                same += d[i] == exp.byte_at(line + i);
            }
        return fmt::format("{}/{} bytes of the expected write", same, total);
    };
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : m_ms.copies(line))
        out.push_back({{"where", c.pcpu < 0 ? std::string("LLC")
                                            : fmt::format("pCPU{} {}", c.pcpu, to_string(c.level))},
                       {"state", std::string(to_string(c.state))},
                       {"dirty", c.dirty},
                       {"holds", match(c.data)}});
    for (unsigned p = 0; p < m_s.platform.cache.pcpus; ++p)
        if (m_ms.in_wc_buffer(p, line))
            out.push_back({{"where", fmt::format("pCPU{} WC buffer", p)}});
    out.push_back({{"where", "DRAM"}, {"holds", match(m_ms.read_dram(line, ls))}});
    return out;
}

nlohmann::json oracle_tap::flushes_of(const buffer& b) const {
    nlohmann::json flushes = nlohmann::json::array();
    for (const auto& prog : m_s.programs)
        for (const auto& op : prog.ops) {
            const bool line_op = (op.type == op_type::clflush || op.type == op_type::clflushopt ||
                                  op.type == op_type::clwb) &&
                                 op.buffer == b.name;
            const bool cache_wide = op.type == op_type::wbinvd || op.type == op_type::wbnoinvd ||
                                    op.type == op_type::invd;
            const bool whole =
                cache_wide || op.type == op_type::sfence || op.type == op_type::mfence;
            if (line_op || whole)
                flushes.push_back(fmt::format(
                    "{} line {}: {}", prog.agent, op.line,
                    line_op      ? "cache-line flush of the buffer"
                    : cache_wide ? std::string(op.type == op_type::wbinvd     ? "wbinvd"
                                               : op.type == op_type::wbnoinvd ? "wbnoinvd"
                                                                              : "invd")
                                 : "fence"));
        }
    if (flushes.empty()) flushes.push_back("no instruction flushed this buffer");
    return flushes;
}

void oracle_tap::record_cause(read_id r) {
    if (m_causes.size() >= 8) return;
    for (const auto& f : m_o.findings()) {
        if (f.read != r || !is_corruption(f.kind)) continue;
        const read_record& rr = m_o.read_info(r);
        const write_record& exp = m_o.write_info(f.expected);
        const std::uint64_t off = f.spans.empty() ? 0 : f.spans.front().offset;
        const std::uint64_t at = rr.addr + off;
        nlohmann::json c;
        c["finding"] = m_o.explain(f);
        if (at < emulated_space) {
            const std::uint64_t line = at & ~std::uint64_t(m_s.platform.cache.line_size - 1);
            c["line"] = fmt::format("{:#x}", line);
            c["copies_at_read"] = line_view_json(line, exp);
            // Which policy decision typed the page the expected write went through.
            const place p = where(exp.addr);
            if (p.b) {
                const std::uint64_t gfn = (p.b->gpa + p.off) >> 12;
                if (const kvm::leaf_record* lr = m_hv.decision_for(gfn))
                    c["ept"] = {{"gfn", fmt::format("{:#x}", gfn)},
                                {"type", std::string(to_string(lr->decision.ept_type))},
                                {"ipat", lr->decision.ipat},
                                {"policy", lr->policy},
                                {"why", lr->decision.why}};
                else
                    c["ept"] = {{"gfn", fmt::format("{:#x}", gfn)}, {"leaf", "none now"}};
                c["flushes"] = flushes_of(*p.b);
                c["wbinvd_exits_skipped"] = m_hv.stats().wbinvd_nops.value();
            }
        }
        m_causes.push_back(c);
    }
}

dma_observer::dma_observer(const sc_core::sc_module_name& n, oracle_tap& tap)
    : sc_module(n), in("in"), out("out"), m_tap(tap) {
    in.register_b_transport(this, &dma_observer::b_transport);
}

void dma_observer::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& d) {
    out->b_transport(gp, d);
    const access_ext* ext = gp.get_extension<access_ext>();
    if (!gp.is_response_ok() || (ext && ext->page_walk)) return;
    if (gp.is_read() || gp.is_write())
        m_tap.on_dma(gp.is_write(), gp.get_address(), gp.get_data_ptr(), gp.get_data_length(),
                     sc_core::sc_time_stamp() + d);
}

} // namespace mtsim::scenarios
