#include "model/memtype.h"

#include "model/text.h"

namespace mtsim {

std::optional<memtype> parse_memtype(std::string_view s) {
    for (memtype t : all_memtypes)
        if (iequals(to_string(t), s)) return t;
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
