#include "model/memtype_table.h"

#include <fmt/format.h>

namespace mtsim {

memtype_explained explain_range_pat(memtype range, memtype pat) {
    const memtype_cell c = combine_range_pat(range, pat);
    memtype_explained e{c.type, c.source, {}};
    e.steps.push_back(fmt::format("SDM Table 11-7, row range type {}, column PAT type {}: {}",
                                  to_string(range), to_string(pat), to_string(c.type)));
    if (c.type == memtype::uc)
        e.steps.push_back(c.source == type_source::range
                              ? "UC comes from the range type (note a): the CPU need not snoop "
                                "its own caches, nothing can have cached the line"
                              : "UC comes from the page type (note b): the CPU must snoop its "
                                "own caches, an alias may have cached the line");
    else
        e.steps.push_back(c.source == type_source::range
                              ? fmt::format("the range type {} stands", to_string(range))
                              : fmt::format("the PAT type {} changed the range type {} to {}",
                                            to_string(pat), to_string(range), to_string(c.type)));
    return e;
}

} // namespace mtsim
