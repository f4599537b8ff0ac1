#include "stress/checker.h"

#include <algorithm>
#include <fmt/format.h>

#include "model/text.h"

namespace mtsim::stress {

namespace {

// "at +3: got 11, expected 00" for the first differing byte of two equal-length ranges.
std::string first_difference(const std::uint8_t* got, const std::uint8_t* want, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (got[i] != want[i])
            return fmt::format("first difference at +{}: got {:02x}, expected {:02x}", i, got[i],
                               want[i]);
    return "no difference";
}

bool whole_cache(op_kind k) {
    return k == op_kind::wbinvd || k == op_kind::wbnoinvd || k == op_kind::invd ||
           k == op_kind::sfence || k == op_kind::mfence;
}

} // namespace

std::string to_string(const op_record& r) {
    std::string s = fmt::format("#{} @{} {} {}", r.seq, r.cycle, r.agent, to_string(r.op));
    if (!whole_cache(r.op)) s += fmt::format(" {:#x}+{}", r.addr, r.len);
    if (!r.data.empty()) s += " [" + hex_bytes(r.data.data(), r.data.size()) + "]";
    return s;
}

checker::checker(const memory_system& mem, const config& cfg)
    : m_mem(mem), m_cfg(cfg), m_shadow(std::size_t(cfg.lines) * cfg.line_size, 0),
      m_history(cfg.lines), m_tainted(cfg.lines), m_is_live(cfg.lines, false) {
    // DRAM starts as zeros (model/dram.h), and so does a fresh shadow; anything else in the
    // address set at start would be reported by the first check.
}

bool checker::in_set(std::uint64_t addr) const {
    return addr >= m_cfg.base && addr - m_cfg.base < m_shadow.size();
}

void checker::record(std::uint64_t line_addr, const op_record& op) {
    auto& h = m_history[(line_addr - m_cfg.base) / m_cfg.line_size];
    h.push_back(to_string(op));
    while (h.size() > m_cfg.history) h.pop_front();
}

void checker::make_live(std::uint64_t la) {
    const auto i = static_cast<std::uint32_t>((la - m_cfg.base) / m_cfg.line_size);
    if (m_is_live[i]) return;
    m_is_live[i] = true;
    m_live.push_back(i);
}

void checker::after(const op_record& op) {
    const std::uint64_t ls = m_cfg.line_size;
    if (whole_cache(op.op)) {
        for (const std::uint32_t i : m_live) record(m_cfg.base + i * ls, op);
    } else {
        const std::uint64_t first = op.addr / ls * ls;
        const std::uint64_t end = op.len ? op.addr + op.len : op.addr + 1;
        for (std::uint64_t la = first; la < end; la += ls)
            if (in_set(la)) {
                record(la, op);
                make_live(la);
            }
    }

    const bool is_write = op.op == op_kind::store || op.op == op_kind::dma_write;
    const bool is_read = op.op == op_kind::load || op.op == op_kind::dma_read;
    if (is_write) std::copy(op.data.begin(), op.data.end(), shadow(op.addr));
    if (is_read) {
        const std::uint64_t line = op.addr / ls * ls;
        auto& taint = m_tainted[(line - m_cfg.base) / ls];
        if (!std::equal(op.data.begin(), op.data.end(), shadow(op.addr))) {
            if (!taint.data_value) {
                taint.data_value = true;
                violation v;
                v.kind = "data-value";
                v.line = line;
                v.seq = op.seq;
                v.message = fmt::format("{} {} {:#x}+{} returned {}, the last writes hold {} ({})",
                                        op.agent, to_string(op.op), op.addr, op.len,
                                        hex_bytes(op.data.data(), op.data.size()),
                                        hex_bytes(shadow(op.addr), op.len),
                                        first_difference(op.data.data(), shadow(op.addr), op.len));
                report(std::move(v));
            }
        } else {
            taint.data_value = false;
        }
    }
    if (op.op == op_kind::clflush || op.op == op_kind::wbinvd || op.op == op_kind::wbnoinvd) {
        const bool one = op.op == op_kind::clflush;
        // A line that is not live is in no cache and DRAM holds its last writes: every
        // postcondition holds for it.
        for (const std::uint32_t i : m_live) {
            const std::uint64_t la = m_cfg.base + i * ls;
            if (one && la != op.addr / ls * ls) continue;
            const std::string problem = postcondition(op, la);
            auto& taint = m_tainted[i].cache_op;
            if (problem.empty()) {
                taint = false;
            } else if (!taint) {
                taint = true;
                violation v;
                v.kind = "cache-op";
                v.line = la;
                v.seq = op.seq;
                v.message = fmt::format("line {:#x} after {} {}: {}", la, op.agent,
                                        to_string(op.op), problem);
                report(std::move(v));
            }
        }
    }
    // Check every live line; one that no cache holds any more and whose invariants all hold
    // leaves the live set until an op touches it again.
    std::size_t kept = 0;
    for (const std::uint32_t i : m_live) {
        const bool cached = check_line(m_cfg.base + i * ls, op.seq);
        const taint& t = m_tainted[i];
        if (cached || t.swmr || t.directory || t.inclusion || t.copy_value || t.data_value ||
            t.cache_op)
            m_live[kept++] = i;
        else
            m_is_live[i] = false;
    }
    m_live.resize(kept);
}

std::string checker::postcondition(const op_record& op, std::uint64_t la) const {
    const auto copies = m_mem.copies(la);
    bool any_private = false;
    for (const auto& c : copies) {
        if (c.state == mesi::i && c.pcpu >= 0) continue;
        const std::string where = c.pcpu < 0
                                      ? std::string("the LLC")
                                      : fmt::format("pCPU {} {}", c.pcpu, to_string(c.level));
        if (c.pcpu >= 0) any_private = true;
        // WBINVD reaches the issuer's caches and its socket's LLC, and the private caches of
        // the pCPUs sharing that LLC when llc.wbinvd_sharers (CPUID.4:EDX[0]=0).
        const memory_system_config& mc = m_mem.config();
        const unsigned per_socket = mc.pcpus / mc.sockets;
        const unsigned op_socket = unsigned(op.pcpu) / per_socket;
        const bool same_socket =
            c.pcpu < 0 ? c.socket == op_socket : unsigned(c.pcpu) / per_socket == op_socket;
        const bool mine = (c.pcpu < 0 && same_socket) || c.pcpu == op.pcpu;
        const bool reached = mine || (same_socket && m_cfg.wbinvd_sharers);
        // Another socket's LLC copy may stay dirty: WBINVD/WBNOINVD do not reach it.
        if (c.pcpu < 0 && !same_socket) any_private = true;
        switch (op.op) {
        case op_kind::clflush:
            return where + " still holds it";
        case op_kind::wbinvd:
            if (reached) return where + " still holds it";
            break;
        case op_kind::wbnoinvd:
            if (reached && (c.dirty || (c.pcpu >= 0 && c.state == mesi::m)))
                return where + " still holds it " + (c.dirty ? "dirty" : "M");
            break;
        default:
            break;
        }
    }
    // With no private copy (nor another socket's LLC copy) left, nothing newer than DRAM may
    // exist.
    if (op.op == op_kind::clflush || !any_private) {
        const auto d = m_mem.read_dram(la, m_cfg.line_size);
        if (!std::equal(d.begin(), d.end(), shadow(la)))
            return fmt::format("DRAM holds {}, the last writes hold {} ({})",
                               hex_bytes(d.data(), d.size()), hex_bytes(shadow(la), d.size()),
                               first_difference(d.data(), shadow(la), d.size()));
    }
    return "";
}

bool checker::check_line(std::uint64_t la, std::uint64_t seq) {
    const unsigned ls = m_cfg.line_size;
    auto& taint = m_tainted[(la - m_cfg.base) / ls];
    const auto copies = m_mem.copies(la);

    // One state per pCPU (its L2 holds it; an L1-only view would be a model error).
    struct holder {
        int pcpu;
        mesi state;
        const line_view* freshest;
    };
    std::vector<holder> holders;
    for (const auto& c : copies) {
        if (c.pcpu < 0 || c.state == mesi::i) continue;
        auto it = std::find_if(holders.begin(), holders.end(),
                               [&](const holder& h) { return h.pcpu == c.pcpu; });
        if (it == holders.end()) {
            holders.push_back({c.pcpu, c.state, &c});
            continue;
        }
        if (c.level == cache_level::l2) it->state = c.state;
        if (c.level == cache_level::l1d) it->freshest = &c;
    }

    auto flag = [&](bool& tainted, bool bad, const char* kind, std::string message) {
        if (!bad) {
            tainted = false;
            return;
        }
        if (tainted) return;
        tainted = true;
        violation v;
        v.kind = kind;
        v.line = la;
        v.seq = seq;
        v.message = std::move(message);
        report(std::move(v));
    };

    // SWMR
    std::vector<int> writers, readers;
    for (const auto& h : holders)
        (h.state == mesi::e || h.state == mesi::m ? writers : readers).push_back(h.pcpu);
    const bool swmr_bad = writers.size() > 1 || (writers.size() == 1 && !readers.empty());
    flag(taint.swmr, swmr_bad, "swmr",
         fmt::format("line {:#x}: {} pCPU(s) hold it E/M and {} hold it S", la, writers.size(),
                     readers.size()));

    // directory
    const directory_view d = m_mem.directory(la);
    std::string dir_problem;
    for (const auto& h : holders) {
        if (!((d.sharers >> h.pcpu) & 1))
            dir_problem = fmt::format("pCPU {} holds the line {} but is not in sharers {:#x}",
                                      h.pcpu, to_string(h.state), d.sharers);
        else if ((h.state == mesi::e || h.state == mesi::m) && d.owner != h.pcpu)
            dir_problem = fmt::format("pCPU {} holds the line {} but the owner is {}", h.pcpu,
                                      to_string(h.state), d.owner);
    }
    flag(taint.directory, !dir_problem.empty(), "directory",
         fmt::format("line {:#x}: {}", la, dir_problem));

    // inclusion
    const bool in_llc = std::any_of(copies.begin(), copies.end(),
                                    [](const line_view& c) { return c.level == cache_level::llc; });
    flag(taint.inclusion, m_mem.config().llc_inclusive && !holders.empty() && !in_llc, "inclusion",
         fmt::format("line {:#x}: {} pCPU(s) hold it, the inclusive LLC does not", la,
                     holders.size()));

    // copy-value
    std::string copy_problem;
    for (const auto& h : holders) {
        if (h.freshest->data.size() != ls) {
            copy_problem = fmt::format("pCPU {} {} copy has {} bytes", h.pcpu,
                                       to_string(h.freshest->level), h.freshest->data.size());
        } else if (!std::equal(h.freshest->data.begin(), h.freshest->data.end(), shadow(la))) {
            copy_problem =
                fmt::format("pCPU {} {} copy ({}) holds {}, the last writes hold {} ({})", h.pcpu,
                            to_string(h.freshest->level), to_string(h.state),
                            hex_bytes(h.freshest->data.data(), ls), hex_bytes(shadow(la), ls),
                            first_difference(h.freshest->data.data(), shadow(la), ls));
        }
    }
    if (copy_problem.empty()) {
        const auto coherent = m_mem.read_coherent(la, ls);
        if (!std::equal(coherent.begin(), coherent.end(), shadow(la)))
            copy_problem =
                fmt::format("a snooped reader would get {}, the last writes hold {} ({})",
                            hex_bytes(coherent.data(), ls), hex_bytes(shadow(la), ls),
                            first_difference(coherent.data(), shadow(la), ls));
    }
    flag(taint.copy_value, !copy_problem.empty(), "copy-value",
         fmt::format("line {:#x}: {}", la, copy_problem));
    return in_llc || !holders.empty() ||
           std::any_of(copies.begin(), copies.end(),
                       [](const line_view& c) { return c.pcpu >= 0 && c.state != mesi::i; });
}

void checker::fail(const std::string& kind, std::uint64_t line, std::uint64_t seq,
                   const std::string& message) {
    violation v;
    v.kind = kind;
    v.line = line;
    v.seq = seq;
    v.message = message;
    report(std::move(v));
}

std::vector<std::string> checker::copies_of(std::uint64_t la) const {
    std::vector<std::string> out;
    for (const auto& c : m_mem.copies(la)) {
        const std::string where =
            c.pcpu < 0 ? std::string("LLC") : fmt::format("cpu{} {}", c.pcpu, to_string(c.level));
        out.push_back(fmt::format("{} {}{} [{}]", where, to_string(c.state),
                                  c.dirty ? " dirty" : "",
                                  hex_bytes(c.data.data(), c.data.size())));
    }
    // A report about a DRAM error must not fail on the same error while describing it.
    try {
        const auto b = m_mem.read_dram(la, m_cfg.line_size);
        out.push_back(fmt::format("DRAM [{}]", hex_bytes(b.data(), b.size())));
    } catch (const std::exception& e) {
        out.push_back(fmt::format("DRAM unreadable: {}", e.what()));
    }
    return out;
}

void checker::report(violation v) {
    ++m_count;
    if (m_reported.size() >= m_cfg.max_reported) return;
    if (in_set(v.line)) {
        const auto& h = m_history[(v.line - m_cfg.base) / m_cfg.line_size];
        v.history.assign(h.begin(), h.end());
        v.copies = copies_of(v.line);
    }
    m_reported.push_back(std::move(v));
}

} // namespace mtsim::stress
