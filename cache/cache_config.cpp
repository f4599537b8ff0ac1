#include "cache/cache_config.h"

#include <stdexcept>
#include <string>

namespace mtsim {

namespace {

bool pow2(std::uint64_t v) {
    return v != 0 && (v & (v - 1)) == 0;
}

void bad(const std::string& key, const std::string& why) {
    throw std::invalid_argument("memory system parameter '" + key + "': " + why);
}

void validate_level(const std::string& name, const cache_level_config& c, unsigned line) {
    if (c.ways == 0) bad(name + ".ways", "must be at least 1");
    if (c.size_bytes % (std::uint64_t(c.ways) * line) != 0)
        bad(name + ".size", "must be a multiple of ways * line_size");
    if (!pow2(c.size_bytes / (std::uint64_t(c.ways) * line)))
        bad(name + ".size", "size / (ways * line_size) sets must be a power of two");
    const replacement_factory* repl = find_replacement(c.replacement.name);
    if (!repl) bad(name + ".replacement", "unknown replacement policy");
    if (const std::string why = repl->refuse(c.ways); !why.empty()) bad(name + ".ways", why);
}

} // namespace

void validate(const memory_system_config& cfg) {
    if (cfg.pcpus < 1 || cfg.pcpus > 64) bad("pcpus", "must be in [1, 64] (snoop filter width)");
    if (!pow2(cfg.line_size) || cfg.line_size > max_line_size)
        bad("line_size", "must be a power of two of at most " + std::to_string(max_line_size));
    if (cfg.sockets < 1 || cfg.pcpus % cfg.sockets != 0)
        bad("sockets", "must divide pcpus (" + std::to_string(cfg.pcpus) + ") evenly");
    if (cfg.llc_inclusive && !cfg.llc.wbinvd_sharers)
        bad("llc.wbinvd_sharers",
            "false (CPUID.4:EDX[0]=1) contradicts llc_inclusive: a WBINVD that invalidates an "
            "inclusive LLC's lines back-invalidates every sharer's private copies");
    validate_level("l1d", cfg.l1d, cfg.line_size);
    validate_level("l2", cfg.l2, cfg.line_size);
    validate_level("llc", cfg.llc, cfg.line_size);
    if (cfg.llc_ports < 1) bad("llc_ports", "must be at least 1");
    if (cfg.wc_buffers < 1) bad("wc_buffers", "must be at least 1");
    if (!pow2(cfg.wc_buffer_size) || cfg.wc_buffer_size > cfg.line_size)
        bad("wc_buffer_size", "must be a power of two of at most line_size");
    if (cfg.device_outstanding < 1) bad("device_outstanding", "must be at least 1");
    if (!(cfg.clock_mhz > 0)) bad("clock_mhz", "must be positive");
}

} // namespace mtsim
