#include "scenarios/derived.h"

#include <functional>
#include <optional>

#include <fmt/format.h>

#include "kvm/quirks.h"

namespace mtsim::scenarios {

namespace {

std::string source_text(const scenario& s, const char* source) {
    const std::string k = source;
    if (k == "platform.cache.pcpus") return std::to_string(s.platform.cache.pcpus);
    if (k == "platform.cache.self_snoop") return s.platform.cache.self_snoop ? "true" : "false";
    return std::to_string(s.platform.cache.line_size);
}

// Where a derived key was given: "--set k=v" (line 0), the host file with its line, or the
// scenario file (line 0: the value came from the file or one of its includes).
std::optional<std::pair<std::string, unsigned>> given_at(const std::string& key,
                                                         const std::string& host_file,
                                                         const YAML::Node& host_root,
                                                         const std::vector<std::string>& sets) {
    for (auto it = sets.rbegin(); it != sets.rend(); ++it)
        if (it->rfind(key + "=", 0) == 0) return std::make_pair("--set " + *it, 0u);
    if (key.rfind("host.", 0) == 0 && host_root.IsMap()) {
        YAML::Node n = host_root;
        std::size_t from = 5;
        while (n.IsDefined() && n.IsMap()) {
            const std::size_t dot = key.find('.', from);
            const std::string part = key.substr(from, dot == std::string::npos ? dot : dot - from);
            const YAML::Node next = n[part];
            if (!next.IsDefined()) break;
            if (dot == std::string::npos)
                return std::make_pair(host_file, unsigned(next.Mark().line + 1));
            n = next;
            from = dot + 1;
        }
    }
    return std::nullopt;
}

// A --set that the configuration makes a block ignore (its block is not built, or its setting
// does not apply) is refused: the record would otherwise show a value that had no effect.
// Files are not checked (a shared include sets platform.iommu for every scenario).
void refuse_ignored_sets(const scenario& s, const std::vector<std::string>& sets) {
    const bool vfio = s.devices.gpu.mode == "vfio";
    struct rule {
        const char* prefix;
        bool ignored;
        const char* why;
    };
    const rule rules[] = {
        {"platform.iommu.", !vfio,
         "no VT-d unit is built unless devices.gpu.mode is vfio (the host owns a virtio GPU)"},
        {"devices.gpu.kvm_vfio=", !vfio, "applies only when devices.gpu.mode is vfio"},
        {"devices.gpu.hotplug=", !vfio, "applies only when devices.gpu.mode is vfio"},
        {"host.memslot_noncoherent=", vfio,
         "flags the virtio-gpu blob memslots; with devices.gpu.mode vfio there are none"},
        {"host.kvm_virtio_device=", vfio,
         "registers a virtio-gpu with KVM; with devices.gpu.mode vfio there is none"},
    };
    for (const auto& a : sets)
        for (const rule& r : rules)
            if (r.ignored && a.rfind(r.prefix, 0) == 0)
                throw config_error("--set " + a, 0, a.substr(0, a.find('=')),
                                   std::string("ignored by this scenario: ") + r.why);
}

// host.vmm_pat_auto: the VMM (a 2025 QEMU series, docs/reference/kvm-policy.md §3) checks
// KVM_CHECK_EXTENSION(KVM_CAP_DISABLE_QUIRKS2) for IGNORE_GUEST_PAT and turns the quirk off when
// KVM offers it, unless the VM has a Bochs display. A fact of the VMM's configuration, decided
// before anything runs; giving kvm.quirk_ignore_guest_pat as well contradicts it.
void derive_vmm_quirk_request(scenario& s, const std::string& host_file,
                              const YAML::Node& host_root, const std::vector<std::string>& sets) {
    if (!s.host.vmm_pat_auto) return;
    const std::string key = "host.kvm.quirk_ignore_guest_pat";
    if (const auto at = given_at(key, host_file, host_root, sets))
        throw config_error(at->first, at->second, key,
                           "decided by the VMM when host.vmm_pat_auto is true (from "
                           "devices.display); remove one of the two");
    const kvm::ept_policy* p = kvm::find_policy(s.host.kvm.policy);
    const bool offered =
        p && !kvm::quirk_request_refusal(*p, false, s.platform.cache.self_snoop).has_value();
    s.host.kvm.quirk_ignore_guest_pat = s.devices.display == "bochs" || !offered;
}

} // namespace

const std::vector<derived_fact>& derived_facts() {
    static const std::vector<derived_fact> facts{
        {"host.kvm.pcpus", "platform.cache.pcpus"},
        {"host.kvm.self_snoop", "platform.cache.self_snoop"},
        {"platform.vcpu.core.line_size", "platform.cache.line_size"},
        {"platform.vmm.line_size", "platform.cache.line_size"},
    };
    return facts;
}

void derive_facts(scenario& s, const std::string& host_file, const YAML::Node& host_root,
                  const std::vector<std::string>& sets) {
    struct row {
        const derived_fact& f;
        bool given;       // a value was given
        bool contradicts; // ... and it differs from the source
    };
    const auto& facts = derived_facts();
    const auto& c = s.platform.cache;
    // Given: named by --set or the host file, or (from a scenario file or its includes) a
    // value other than the block's default.
    const scenario d;
    auto given = [&](const derived_fact& f, bool differs_from_default) {
        return differs_from_default || given_at(f.key, host_file, host_root, sets).has_value();
    };
    const auto& v = s.platform.vcpu.core;
    const auto& m = s.platform.vmm;
    const row rows[] = {
        {facts[0], given(facts[0], s.host.kvm.pcpus != d.host.kvm.pcpus),
         s.host.kvm.pcpus != c.pcpus},
        {facts[1], given(facts[1], s.host.kvm.self_snoop != d.host.kvm.self_snoop),
         s.host.kvm.self_snoop != c.self_snoop},
        {facts[2], given(facts[2], v.line_size != d.platform.vcpu.core.line_size),
         v.line_size != c.line_size},
        {facts[3], given(facts[3], m.line_size != d.platform.vmm.line_size),
         m.line_size != c.line_size},
    };
    for (const row& r : rows) {
        if (!r.given || !r.contradicts) continue;
        const auto at = given_at(r.f.key, host_file, host_root, sets);
        throw config_error(at ? at->first : s.file, at ? at->second : 0, r.f.key,
                           fmt::format("derived from {} ({}); set {} instead", r.f.source,
                                       source_text(s, r.f.source), r.f.source));
    }
    refuse_ignored_sets(s, sets);
    s.host.kvm.pcpus = c.pcpus;
    s.host.kvm.self_snoop = c.self_snoop;
    s.platform.vcpu.core.line_size = c.line_size;
    s.platform.vmm.line_size = c.line_size;
    derive_vmm_quirk_request(s, host_file, host_root, sets);
}

} // namespace mtsim::scenarios
