// Prints a libFuzzer dictionary (one "token" a line) of the scenario language, generated from
// the loader's own tables so that it follows them: every section and parameter name of the
// describe() tree (run, platform, host, devices, guest, vmm) with `name:`, every choice value,
// every memory type, op name, verdict and host name. scripts/fuzz adds the keys of the list
// parts from the loader's "unknown key; valid: ..." messages.
#include <cstdio>
#include <set>
#include <string>

#include "model/oracle_verdict.h"
#include "model/params.h"
#include "scenarios/scenario.h"

namespace {

class key_collector final : public mtsim::param_visitor {
public:
    std::set<std::string> tokens;

protected:
    void on_enter(std::string_view name) override { tokens.insert(std::string(name) + ":"); }
    void on_param(const mtsim::param_decl& d, const mtsim::param_ref&) override {
        tokens.insert(std::string(d.name) + ":");
        for (const auto c : d.choices) tokens.insert(std::string(c));
    }
};

void print_token(const std::string& t) {
    std::string escaped;
    for (const char c : t) {
        if (c == '"' || c == '\\') escaped += '\\';
        escaped += c;
    }
    std::printf("\"%s\"\n", escaped.c_str());
}

} // namespace

int sc_main(int, char*[]) {
    return 0;
}

int main() {
    mtsim::scenarios::scenario s;
    key_collector keys;
    s.describe(keys);
    for (const auto t : mtsim::all_memtypes) keys.tokens.insert(std::string(mtsim::to_string(t)));
    for (unsigned i = 0; i < 256; ++i) {
        const std::string op =
            mtsim::scenarios::op_name_of(static_cast<mtsim::scenarios::op_type>(i));
        if (op != "?") keys.tokens.insert(op);
    }
    for (const auto v : mtsim::enum_names<mtsim::verdict>) keys.tokens.insert(std::string(v));
    for (const auto& h : mtsim::scenarios::host_names()) keys.tokens.insert(h);
    for (const auto& t : keys.tokens) print_token(t);
    return 0;
}
