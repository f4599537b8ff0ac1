#include "model/memtype.h"

#include <cctype>

namespace mtsim {

std::optional<memtype> parse_memtype(std::string_view s) {
    for (memtype t : all_memtypes) {
        std::string_view n = to_string(t);
        if (n.size() != s.size()) continue;
        bool eq = true;
        for (std::size_t i = 0; i < n.size() && eq; ++i)
            eq = std::toupper(static_cast<unsigned char>(s[i])) == n[i];
        if (eq) return t;
    }
    return std::nullopt;
}

std::string memtype_names() {
    std::string out;
    for (memtype t : all_memtypes) {
        if (!out.empty()) out += ", ";
        out += to_string(t);
    }
    return out;
}

} // namespace mtsim
