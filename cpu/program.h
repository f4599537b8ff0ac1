// A program for a CPU agent (vCPU or the VMM's host thread): a sequence of operations on
// linear addresses (guest-linear for a vCPU, host-virtual for the VMM). The engine
// (cpu/agent.h) gives each operation its x86 meaning; this file only describes them.
//
// MMIO reads and writes are ordinary loads and stores: whether an address is MMIO is decided
// by its translation (the hypervisor emulates it), never by the program. A `callback` is the
// hook a scenario layer uses for doorbells, waits and oracle records; the engine knows nothing
// of what it does, only that it is a synchronization point.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/cycles.h"

namespace mtsim::cpu {

class agent;

enum class op_code : std::uint8_t {
    load,
    store,
    nt_store,
    clflush,
    clflushopt,
    clwb,
    wbinvd,
    wbnoinvd,
    invd,
    sfence,
    mfence,
    xchg,       // locked exchange: the old value is the op's result
    locked_add, // LOCK ADD (XADD): the old value is the op's result
    fill,       // a range with a repeating byte pattern, as line-sized stores
    copy,       // a range to another, line-sized loads then stores
    pause,      // N cycles of this agent's clock
    callback,   // a named synchronization hook run in the agent's thread
    migrate,    // move to another physical CPU
    mark,       // a named point in the program: the agent records its time there, at no cost
    poll,       // loads of len bytes until they equal data or `wait` cycles passed (a spin)
    // arm64 (Arm ARM DDI 0487; the engine's meaning in cpu/agent_arm64.cpp):
    dc_civac, // DC CIVAC: clean and invalidate the line to the point of coherence (deferred)
    dc_cvac,  // DC CVAC: clean the line to the point of coherence (deferred)
    dc_ivac,  // DC IVAC: invalidate the line, dirty bytes discarded (deferred)
    dsb,      // DSB SY: every earlier access and cache maintenance complete
    dmb,      // DMB SY: earlier accesses ordered before later ones
    ldxr,     // LDXR: a load that arms the exclusive monitor; the value is the op's result
    stxr,     // STXR: stores data if the monitor still holds the line; result 0 ok, 1 failed
    ldadd,    // LDADD (LSE): atomic add of data; the old value is the op's result
    cas,      // CAS (LSE): stores data if the old value equals `compare`; result: the old value
};
inline constexpr unsigned op_code_count = 29;

std::string_view to_string(op_code c);

// Runs in the agent's SC_THREAD, after the store buffer was drained and the quantum keeper
// synchronized; it may wait() (e.g. for a doorbell's sc_event).
using op_callback = std::function<void(agent&)>;

struct op {
    op_code code = op_code::pause;
    std::uint64_t addr = 0;         // target linear address (copy: destination)
    std::uint64_t src = 0;          // copy: source linear address
    std::uint64_t len = 0;          // bytes (load, fill, copy; locked ops: operand size)
    std::vector<std::uint8_t> data; // store bytes; fill pattern; locked operand (len bytes)
    bool nt = false;                // fill/copy: the stores are non-temporal
    cycles wait{};                  // pause; poll: the budget
    unsigned pcpu = 0;              // migrate
    std::uint64_t compare = 0;      // cas: the expected old value
    std::string label;              // names the op in results and errors; the callback's name
    unsigned line = 0;              // its line in the scenario file (0: built in code)
    op_callback fn;                 // callback
};

// Builder: each call appends one op and returns *this. Values are little-endian.
class program {
public:
    // Gives the ops from index `from` on the scenario file's line (for the timeline).
    void set_line(std::size_t from, unsigned line);
    program& load(std::uint64_t addr, std::uint64_t len, std::string label = {});
    program& store(std::uint64_t addr, std::vector<std::uint8_t> bytes, std::string label = {});
    // A `size`-byte little-endian store of value (size 1, 2, 4 or 8).
    program& store_value(std::uint64_t addr, std::uint64_t value, unsigned size,
                         std::string label = {});
    program& nt_store(std::uint64_t addr, std::vector<std::uint8_t> bytes, std::string label = {});
    program& mmio_read(std::uint64_t addr, std::uint64_t len, std::string label = {});
    program& mmio_write(std::uint64_t addr, std::vector<std::uint8_t> bytes,
                        std::string label = {});
    program& clflush(std::uint64_t addr);
    program& clflushopt(std::uint64_t addr);
    program& clwb(std::uint64_t addr);
    program& wbinvd();
    program& wbnoinvd();
    program& invd();
    program& sfence();
    program& mfence();
    program& xchg(std::uint64_t addr, std::uint64_t value, unsigned size, std::string label = {});
    program& locked_add(std::uint64_t addr, std::uint64_t value, unsigned size,
                        std::string label = {});
    program& fill(std::uint64_t addr, std::uint64_t len, std::vector<std::uint8_t> pattern,
                  bool nt = false, std::string label = {});
    program& copy(std::uint64_t dst, std::uint64_t src, std::uint64_t len, bool nt = false,
                  std::string label = {});
    // The VMM's mitigated copy (live migration of pages a non-coherent device may have
    // written): per `line`-sized chunk, CLFLUSH the source line, copy the chunk, CLFLUSH the
    // destination line. Expands into ordinary ops.
    program& flushed_copy(std::uint64_t dst, std::uint64_t src, std::uint64_t len,
                          unsigned line = 64);
    program& pause(cycles n);
    program& callback(std::string name, op_callback fn);
    program& migrate(unsigned pcpu);
    // A label: the agent records its time when it reaches it (agent::marks()); it costs no
    // cycle and orders nothing (a `measure:` phase runs between two of them).
    program& mark(std::string name);
    // A bounded poll of a `size`-byte value at addr (size 1, 2, 4 or 8, naturally aligned):
    // loads until it reads `until` or `budget` cycles passed since the first load.
    program& poll(std::uint64_t addr, std::uint64_t until, unsigned size, cycles budget,
                  std::string label = {});
    // arm64 (cpu/program_arm64.cpp). Sizes 1, 2, 4 or 8 bytes, naturally aligned.
    program& dc(op_code kind, std::uint64_t addr); // dc_civac, dc_cvac or dc_ivac
    program& dsb();
    program& dmb();
    program& ldxr(std::uint64_t addr, unsigned size, std::string label = {});
    program& stxr(std::uint64_t addr, std::uint64_t value, unsigned size, std::string label = {});
    program& ldadd(std::uint64_t addr, std::uint64_t value, unsigned size, std::string label = {});
    program& cas(std::uint64_t addr, std::uint64_t compare, std::uint64_t value, unsigned size,
                 std::string label = {});
    program& append(op o);

    const std::vector<op>& ops() const { return m_ops; }
    std::size_t size() const { return m_ops.size(); }
    bool empty() const { return m_ops.empty(); }

private:
    std::vector<op> m_ops;
};

// Little-endian helpers shared by the builder, the engine and tests.
std::vector<std::uint8_t> le_bytes(std::uint64_t value, unsigned size);
std::uint64_t le_value(const std::uint8_t* bytes, unsigned size);

} // namespace mtsim::cpu
