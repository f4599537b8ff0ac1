// The one refusal for what the model does not implement. Every block throws this type, and
// only this type, when a request falls outside what it models (a PASID request without
// scalable mode, byte enables on DMA, a locked operation that splits a page, ...), so that the
// command line can tell "the model refuses this" (exit 2, "not modelled: ...") from a bug
// (exit 3) and from bad input (exit 2, FILE:LINE: key).
//
// what() is "not modelled: WHAT (WHERE)"; `where` names the block instance or the input that
// asked for it (an sc_object name, "FILE:LINE", a kernel function), and may be empty.
#pragma once

#include <stdexcept>
#include <string>

namespace mtsim {

class not_modelled : public std::runtime_error {
public:
    explicit not_modelled(std::string what, std::string where = {})
        : std::runtime_error("not modelled: " + what + (where.empty() ? "" : " (" + where + ")")),
          m_what(std::move(what)), m_where(std::move(where)) {}

    const std::string& feature() const { return m_what; } // what is not modelled
    const std::string& where() const { return m_where; }  // who asked for it; may be empty

private:
    std::string m_what;
    std::string m_where;
};

} // namespace mtsim
