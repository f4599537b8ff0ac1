// Linked into every executable of an MTSIM_SANITIZE build only (model/CMakeLists.txt).
//
// SystemC runs each SC_THREAD on a QuickThreads stack of its own and tells AddressSanitizer
// about each switch through the fiber interface (`__sanitizer_start_switch_fiber` before the
// switch with the destination stack's bounds, `__sanitizer_finish_switch_fiber` on the new
// stack; compiler-rt include/sanitizer/common_interface_defs.h). Debian's libsystemc 2.3.4
// announces the main coroutine's stack as (nullptr, 0), because it never records the bounds of
// the stack it leaves, and it announces nothing when a thread ends (QuickThreads' abort path).
// From then on ASan's idea of the current stack is wrong: `__asan_handle_no_return` (called
// before every throw) prints "ASan is ignoring requested __asan_handle_no_return", does not
// clear the poisoned redzones of the frames the exception unwinds, and a later write to that
// memory is reported as a stack-buffer-overflow that is not one (google/sanitizers #189 on GitHub).
// SystemC fixed the first half upstream in "sc_cor_qt: support Asan option
// detect_stack_use_after_return=1" (2024) by recording the old stack's bounds.
//
// This file does the same from outside the library: the executable's definitions come first
// in the dynamic linker's lookup order, so libsystemc's weak references bind to them, and each
// forwards to ASan's own (dlsym RTLD_NEXT). It
//   - records the bounds ASan reports for the stack each switch leaves, and announces them
//     for a destination SystemC gives as (nullptr, 0) (the main stack);
//   - before a throw, when the stack pointer is outside the stack ASan believes current (a
//     thread ended without an announcement), announces the stack that holds it, so that
//     ASan unpoisons the right frames.
#include <cstddef>
#include <cstdint>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

using start_fn = void (*)(void**, const void*, std::size_t);
using finish_fn = void (*)(void*, const void**, std::size_t*);
using no_return_fn = void (*)();

template <typename F>
F next_definition(const char* name) {
    return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

// Every stack a switch has named (SystemC's coroutine stacks and main), bottom -> size, in an
// open-addressed table: this file is compiled without instrumentation and must not call code
// that is (a library template instantiated elsewhere would be), since it runs exactly when
// ASan's view of the stack is wrong.
constexpr std::size_t table_size = std::size_t{1} << 15;

struct stack_entry {
    std::uintptr_t bottom;
    std::size_t size;
};

struct stacks {
    stack_entry known[table_size];
    std::uintptr_t main_bottom = 0;
    std::size_t main_size = 0;
    std::uintptr_t current_bottom = 0; // what ASan was last told is the current stack
    std::size_t current_size = 0;
    std::uintptr_t pending_bottom = 0; // announced by start, current after finish
    std::size_t pending_size = 0;
    bool current_known = false;
};

stacks& state() {
    static stacks s;
    return s;
}

void remember(stacks& s, std::uintptr_t bottom, std::size_t size) {
    std::size_t i = (bottom >> 12) & (table_size - 1);
    for (std::size_t n = 0; n < table_size; ++n, i = (i + 1) & (table_size - 1)) {
        if (s.known[i].bottom == bottom || s.known[i].bottom == 0) {
            s.known[i] = {bottom, size};
            return;
        }
    }
    // Full: stacks beyond the table are not repaired before a throw (ASan then warns as before).
}

bool holds(std::uintptr_t bottom, std::size_t size, std::uintptr_t sp) {
    return sp >= bottom && sp < bottom + size;
}

// A stack SystemC switched to without announcing it (a thread's first run after another
// thread ended): SystemC maps each coroutine stack with a PROT_NONE guard page at its bottom
// (sc_cor_qt::stack_protect), all of one size unless a process asks for another. The stack
// holding sp starts at the highest guard mapping below sp; its size is that of the coroutine
// stacks already seen. /proc/self/maps is read with raw system calls into static buffers: libc
// calls are intercepted by ASan, which would check our (possibly stale-poisoned) stack.
std::uintptr_t parse_hex(const char*& p) {
    std::uintptr_t v = 0;
    for (;; ++p) {
        const char c = *p;
        if (c >= '0' && c <= '9')
            v = v * 16 + static_cast<std::uintptr_t>(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + static_cast<std::uintptr_t>(c - 'a' + 10);
        else
            return v;
    }
}

char maps_chunk[1 << 16];
char maps_line[512];

bool unannounced_stack(const stacks& s, std::uintptr_t sp, stack_entry& out) {
    std::size_t size = 0;
    for (const stack_entry& e : s.known)
        if (e.bottom != 0 && e.bottom != s.main_bottom) size = e.size;
    if (size == 0) return false;
    const long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY);
    if (fd < 0) return false;
    std::uintptr_t guard = 0;
    std::size_t used = 0;
    for (;;) {
        const long n = syscall(SYS_read, fd, maps_chunk, sizeof maps_chunk);
        if (n <= 0) break;
        for (long i = 0; i < n; ++i) {
            const char c = maps_chunk[i];
            if (c != '\n') {
                if (used + 1 < sizeof maps_line) maps_line[used++] = c;
                continue;
            }
            maps_line[used] = 0;
            used = 0;
            const char* p = maps_line;
            const std::uintptr_t lo = parse_hex(p);
            ++p; // '-'
            const std::uintptr_t hi = parse_hex(p);
            ++p; // ' '
            if (hi <= sp && p[0] == '-' && p[1] == '-' && p[2] == '-') guard = lo;
        }
    }
    syscall(SYS_close, fd);
    if (guard == 0 || !holds(guard, size, sp)) return false;
    out = {guard, size};
    return true;
}

} // namespace

extern "C" {

void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom, std::size_t size) {
    static const start_fn real = next_definition<start_fn>("__sanitizer_start_switch_fiber");
    stacks& s = state();
    auto b = reinterpret_cast<std::uintptr_t>(bottom);
    if (b == 0 && size == 0 && s.main_size != 0) {
        b = s.main_bottom;
        size = s.main_size;
    }
    if (b != 0 && size != 0) remember(s, b, size);
    s.pending_bottom = b;
    s.pending_size = size;
    real(fake_stack_save, reinterpret_cast<const void*>(b), size);
}

void __sanitizer_finish_switch_fiber(void* fake_stack_save, const void** bottom_old,
                                     std::size_t* size_old) {
    static const finish_fn real = next_definition<finish_fn>("__sanitizer_finish_switch_fiber");
    const void* old_bottom = nullptr;
    std::size_t old_size = 0;
    real(fake_stack_save, &old_bottom, &old_size);
    stacks& s = state();
    // The first switch of the process leaves the main stack, whose bounds only ASan knows.
    if (s.main_size == 0 && old_size != 0) {
        s.main_bottom = reinterpret_cast<std::uintptr_t>(old_bottom);
        s.main_size = old_size;
        remember(s, s.main_bottom, s.main_size);
    }
    s.current_bottom = s.pending_bottom;
    s.current_size = s.pending_size;
    s.current_known = s.current_size != 0;
    if (bottom_old != nullptr) *bottom_old = old_bottom;
    if (size_old != nullptr) *size_old = old_size;
}

void __asan_handle_no_return() {
    static const no_return_fn real = next_definition<no_return_fn>("__asan_handle_no_return");
    static const start_fn start = next_definition<start_fn>("__sanitizer_start_switch_fiber");
    static const finish_fn finish = next_definition<finish_fn>("__sanitizer_finish_switch_fiber");
    stacks& s = state();
    auto sp = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    if (s.current_known && !holds(s.current_bottom, s.current_size, sp)) {
        stack_entry found{0, 0};
        for (const stack_entry& e : s.known)
            if (e.bottom != 0 && holds(e.bottom, e.size, sp)) found = e;
        if (found.bottom == 0 && unannounced_stack(s, sp, found))
            remember(s, found.bottom, found.size);
        if (found.bottom != 0) {
            // A switch to the stack we are on: ASan takes these bounds as the current stack's.
            void* fake = nullptr;
            start(&fake, reinterpret_cast<const void*>(found.bottom), found.size);
            finish(fake, nullptr, nullptr);
            s.current_bottom = found.bottom;
            s.current_size = found.size;
        }
    }
    real();
}
}
