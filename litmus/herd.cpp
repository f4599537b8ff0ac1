#include "litmus/herd.h"

#include "litmus/herd_translator.h"

namespace mtsim::litmus::detail {

std::size_t column_of_cpu(const herd_text& t, unsigned p) {
    return std::size_t(std::find(t.columns.begin(), t.columns.end(), "P" + std::to_string(p)) -
                       t.columns.begin());
}

void translator::translate(std::size_t c, const insn& i) {
    const bool on_gpu = m_gpu_col && *m_gpu_col == c;
    const std::string& mn = i.mn;
    const std::string sh = shape(i);
    static const std::set<std::string> device_ops{"WAIT-DOORBELL", "DMA-RD",    "DMA-RD-NS",
                                                  "DMA-WR",        "DMA-WR-NS", "IRQ"};
    if (on_gpu != (device_ops.count(mn) > 0))
        fail(i.line, "",
             fmt::format("'{}' is {} instruction, in the {} column", i.text,
                         on_gpu ? "a CPU" : "a device (GPU column)", m_t.columns[c]));
    const bool rmw = mn == "ADD" || mn == "XADD" || mn == "INC";
    if (i.lock && !rmw && mn != "XCHG")
        fail(i.line, "", "'" + i.text + "': the LOCK prefix is modelled on ADD, XADD, INC, XCHG");
    if (rmw && !i.lock)
        fail(i.line, "",
             "'" + i.text +
                 "': a read-modify-write without LOCK (two accesses, not atomic) is "
                 "not modelled; LOCK " +
                 mn + " is");
    const unsigned w = width(i);
    for (const auto& o : i.ops)
        if (o.kind == operand::mem) note_loc(o.loc, i.line, w);
    const auto& ops = i.ops;
    auto reg_name = [](const operand& o) { return o.r.canon; };
    if (mn == "MOV") {
        if (sh == "mi" || sh == "mr")
            add(c, i,
                fmt::format("store: {{{}, value: {}}}", mem_args(ops[0], w),
                            value_of(c, i, ops[1])));
        else if (sh == "rm") {
            load_into(c, i, ops[0]);
            add(c, i, fmt::format("load: {{{}, reg: {}}}", mem_args(ops[1], w), reg_name(ops[0])));
        } else if (sh == "ri" || sh == "rr")
            m_consts[c][reg_name(ops[0])] = value_of(c, i, ops[1]);
        else
            bad_operands(i);
    } else if (mn == "XCHG") {
        if (sh != "mr" && sh != "rm") bad_operands(i);
        const operand& m = ops[sh == "mr" ? 0 : 1];
        const operand& r = ops[sh == "mr" ? 1 : 0];
        const std::uint64_t v = value_of(c, i, r);
        load_into(c, i, r);
        add(c, i, fmt::format("xchg: {{{}, value: {}, reg: {}}}", mem_args(m, w), v, reg_name(r)));
    } else if (mn == "ADD") {
        if (sh != "mi" && sh != "mr") bad_operands(i);
        add(c, i,
            fmt::format("lock_add: {{{}, value: {}}}", mem_args(ops[0], w),
                        value_of(c, i, ops[1])));
    } else if (mn == "XADD") {
        if (sh != "mr") bad_operands(i);
        const std::uint64_t v = value_of(c, i, ops[1]);
        load_into(c, i, ops[1]);
        add(c, i,
            fmt::format("lock_add: {{{}, value: {}, reg: {}}}", mem_args(ops[0], w), v,
                        reg_name(ops[1])));
    } else if (mn == "INC") {
        if (sh != "m") bad_operands(i);
        add(c, i, fmt::format("lock_add: {{{}, value: 1}}", mem_args(ops[0], w)));
    } else if (mn == "MFENCE" || mn == "SFENCE" || mn == "WBINVD") {
        if (!sh.empty()) bad_operands(i);
        add(c, i, lower(mn) + ": null");
    } else if (mn == "LFENCE") {
        // The model's loads complete in program order and LFENCE neither drains the store
        // buffer nor orders CLFLUSHOPT/CLWB (SDM Vol. 3A §9.2.2, Vol. 2A LFENCE), so it adds
        // no ordering the engine does not already have: it compiles to nothing.
        if (!sh.empty()) bad_operands(i);
    } else if (mn == "CLFLUSH" || mn == "CLFLUSHOPT" || mn == "CLWB") {
        if (sh != "m") bad_operands(i);
        add(c, i, fmt::format("{}: {{{}}}", lower(mn), mem_args(ops[0], 1)));
    } else if (mn == "MOVNTI") {
        if (sh != "mr" && sh != "mi") bad_operands(i);
        add(c, i,
            fmt::format("nt_fill: {{{}, value: {}}}", mem_args(ops[0], w), value_of(c, i, ops[1])));
    } else if (mn == "DOORBELL") {
        if (!sh.empty()) bad_operands(i);
        if (m_doorbell_col && *m_doorbell_col != c)
            fail(i.line, "", "doorbells from two columns: one driver (column) rings the GPU");
        m_doorbell_col = c;
        ++m_doorbells;
        add(c, i, "doorbell: null");
    } else if (mn == "WAIT-IRQ") {
        if (!sh.empty()) bad_operands(i);
        add(c, i, fmt::format("wait: irq{}", ++m_irq_waits[c]));
    } else if (mn == "WAIT-DOORBELL") {
        if (!sh.empty()) bad_operands(i);
        ++m_gpu_waits;
        add(c, i, "wait_doorbell: null");
    } else if (mn == "IRQ") {
        if (!sh.empty()) bad_operands(i);
        add(c, i, fmt::format("interrupt: irq{}", ++m_irqs));
    } else { // DMA-RD, DMA-WR, with or without -NS
        const bool ns = mn.size() > 3 && mn.compare(mn.size() - 3, 3, "-NS") == 0;
        m_any_ns = m_any_ns || ns;
        if (mn.rfind("DMA-RD", 0) == 0) {
            if (sh != "rm") bad_operands(i);
            load_into(c, i, ops[0]);
            add(c, i,
                fmt::format("read: {{{}, reg: {}, no_snoop: {}}}", mem_args(ops[1], w),
                            reg_name(ops[0]), ns));
        } else {
            if (sh != "mi" && sh != "mr") bad_operands(i);
            add(c, i,
                fmt::format("write: {{{}, value: {}, no_snoop: {}}}", mem_args(ops[0], w),
                            value_of(c, i, ops[1]), ns));
        }
    }
    if (on_gpu && m_ops[c].size() == 1 && mn != "WAIT-DOORBELL")
        fail(i.line, "",
             "the GPU column starts with WAIT-DOORBELL (the device runs commands a "
             "doorbell hands it)");
}

void translator::check_device() const {
    if (m_doorbells != m_gpu_waits)
        fail(m_t.columns_line, "",
             fmt::format("{} DOORBELL(s) in the processor columns, {} WAIT-DOORBELL(s) in the GPU "
                         "column: each doorbell hands the device one batch",
                         m_doorbells, m_gpu_waits));
    unsigned waits = 0;
    for (const auto& [c, n] : m_irq_waits) waits = std::max(waits, n);
    if (waits > m_irqs)
        fail(m_t.columns_line, "",
             fmt::format("a column waits for {} interrupt(s), the GPU raises {}", waits, m_irqs));
}

// The condition in the scenario language's syntax (herd's): GPU:REG becomes gpu:REG, X86_64
// registers their 64-bit names; every register must be one a load names, every other name a
// location.
std::string translator::condition() const {
    const std::string& s = m_t.condition;
    const std::string key = "litmus." + m_t.quantifier;
    auto word_char = [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '%';
    };
    std::string out;
    for (std::size_t k = 0; k < s.size();) {
        if (!word_char(s[k])) {
            out += s[k++];
            continue;
        }
        std::size_t e = k;
        while (e < s.size() && word_char(s[e])) ++e;
        const std::string a = s.substr(k, e - k);
        k = e;
        if (k < s.size() && s[k] == ':') {
            std::size_t f = k + 1;
            while (f < s.size() && word_char(s[f])) ++f;
            std::string r = s.substr(k + 1, f - k - 1);
            k = f;
            std::size_t col = m_t.columns.size();
            if (a == "GPU" && m_gpu_col)
                col = *m_gpu_col;
            else if (!a.empty() && std::all_of(a.begin(), a.end(), ::isdigit) && a.size() < 5)
                col = column_of_cpu(m_t, unsigned(std::stoul(a)));
            if (col >= m_t.columns.size())
                fail(m_t.condition_line, key, "'" + a + ":" + r + "': no such processor");
            if (m_x86_64 && !r.empty() && r[0] == '%') r = r.substr(1);
            const auto ri = reg_of(r, m_x86_64);
            if (!ri || !m_loaded[col].count(ri->canon))
                fail(m_t.condition_line, key,
                     fmt::format("'{}:{}': no load of {} names this register", a, r,
                                 m_t.columns[col]));
            out += (a == "GPU" ? std::string("gpu") : a) + ":" + ri->canon;
            continue;
        }
        if (std::isdigit(static_cast<unsigned char>(a[0])) || a == "true" || a == "false") {
            out += a;
            continue;
        }
        if (std::find(m_locs.begin(), m_locs.end(), a) == m_locs.end())
            fail(m_t.condition_line, key, "'" + a + "' is not a location of the test");
        out += a;
    }
    // herd writes the body in parentheses, `exists (...)`; mtsim litmus adds its own when it
    // prints the condition, so one enclosing pair is dropped.
    if (out.size() >= 2 && out.front() == '(' && out.back() == ')') {
        int depth = 0;
        std::size_t k = 0;
        for (; k < out.size(); ++k) {
            depth += out[k] == '(' ? 1 : out[k] == ')' ? -1 : 0;
            if (depth == 0) break;
        }
        if (k == out.size() - 1) return out.substr(1, out.size() - 2);
    }
    return out;
}

std::string translator::emit(const std::string& cond) const {
    std::string y;
    y += fmt::format("# Translated from the herdtools7 {} test {} (litmus/herd.h).\n", m_t.arch,
                     m_t.name);
    y += "name: " + yaml_quote(m_t.name) + "\n";
    y += "description: " +
         yaml_quote(m_t.doc.empty() ? "herdtools7 " + m_t.arch + " test " + m_t.name : m_t.doc) +
         "\n";
    // The catalogue's small caches (fast runs); one pCPU per processor, at least two.
    y += "platform:\n";
    y += fmt::format("  cache: {{pcpus: {}, l1d: {{size: 4KiB, ways: 4}}, l2: {{size: 32KiB, "
                     "ways: 8}}, llc: {{size: 256KiB, ways: 16}}, self_snoop: true, "
                     "fabric_snoops_uncached: true}}\n",
                     std::max(2u, m_cpus));
    if (m_gpu_col) {
        // No snoop control, so that a request's No-Snoop attribute is honoured (VT-d ECAP.SC).
        y += "  iommu: {ecap_sc: false}\n";
        y +=
            fmt::format("devices:\n  gpu: {{mode: vfio, no_snoop: {}, kvm_vfio: true, ring: {}}}\n",
                        m_any_ns, ring_name);
    }
    // The VMM maps guest RAM in the EPT before the vCPUs run (KVM_PRE_FAULT_MEMORY), as
    // litmus7 touches a test's memory before timing it: no first-touch EPT violation (some
    // 12 us, serialized on the guest's page tables) decides the processors' relative timing.
    y += "vmm: {pre_fault: true}\n";
    y += "guest:\n  ram: 4MiB\n  buffers:\n";
    std::uint64_t gpa = loc_base;
    for (const auto& l : m_locs) {
        const auto p = m_pat.find(l);
        y += fmt::format("    - {{name: {}, gpa: {:#x}, size: 4KiB, pat: {}}}\n", l, gpa,
                         p == m_pat.end() ? "WB" : p->second);
        gpa += page;
    }
    if (m_gpu_col)
        y += fmt::format("    - {{name: {}, gpa: {:#x}, size: 4KiB, pat: WB}}\n", ring_name, gpa);
    y += "programs:\n";
    for (std::size_t c = 0; c < m_t.columns.size(); ++c) {
        const bool on_gpu = m_gpu_col && *m_gpu_col == c;
        y += "  " + (on_gpu ? std::string("gpu") : "vcpu" + m_t.columns[c].substr(1)) + ":";
        std::vector<std::string> ops = m_ops[c];
        if (m_doorbell_col && *m_doorbell_col == c) {
            // The driver has touched its BAR before (KVM built the BAR's EPT leaf then) and
            // writes the command ring first, so that nothing but the doorbell follows the test.
            ops.insert(ops.begin(),
                       fmt::format("{{write_descriptors: null, line: {}}}", m_t.columns_line));
            ops.insert(ops.begin(),
                       fmt::format("{{read_status: null, line: {}}}", m_t.columns_line));
        }
        if (ops.empty())
            y += " []\n";
        else {
            y += "\n";
            for (const auto& o : ops) y += "    - " + o + "\n";
        }
    }
    y += "litmus:\n  locations: {";
    for (std::size_t k = 0; k < m_locs.size(); ++k)
        y += fmt::format("{}{}: {}", k ? ", " : "", m_locs[k],
                         m_sizes.at(m_locs[k]) ? m_sizes.at(m_locs[k]) : 4);
    y += "}\n";
    y += "  " + yaml_quote(m_t.quantifier) + ": " + yaml_quote(cond) + "\n";
    if (!m_expect.empty()) y += "  expect: " + m_expect + "\n";
    return y;
}

} // namespace mtsim::litmus::detail

namespace mtsim::litmus {

bool is_herd_file(const std::string& path) {
    const std::string ext = ".litmus";
    return path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
}

std::string herd_to_yaml(const std::string& text, const std::string& file) {
    const detail::herd_text t = detail::split_herd(text, file);
    return detail::translator(t).run();
}

} // namespace mtsim::litmus
