// libFuzzer harness for `mtsim run FILE` end to end: the real command (app/, its error
// boundary included) on each input, in a child process of its own — SystemC 2.3 elaborates
// once per process, so an input cannot run in the fuzzer's process. The parent loads the input
// first (in-process, cheap) and forks only for inputs the loader accepts; the child runs
// `mtsim run FILE --json` and copies its coverage counters back, so libFuzzer is guided by
// what the simulation did, not only by the loader.
//
// A finding is what a user must never see from `mtsim run`: a signal (a crash, a sanitizer
// report: scripts/fuzz sets the sanitizers' exitcode to 86), exit 3 (internal error), or a
// run over MTSIM_FUZZ_RUN_TIMEOUT seconds of CPU time (default 30: a catalogue scenario takes a
// few under the sanitizers; a limit on CPU time, not on the clock, so that a loaded machine
// does not make findings; the clock's limit is ten times that). Exit 0 and 1 (a verdict) and 2
// (bad input, not modelled, refused) are fine. The child leaves with _exit() once `mtsim run`
// returned: libFuzzer reports an exit() inside the fuzz target as a finding, so the exit-time
// destructors are not run here (the replay of fuzz/regressions/ runs the real binary).
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz/fuzz_support.h"
#include "scenarios/scenario.h"

// app/main.cpp's main(), renamed for this target (fuzz/CMakeLists.txt).
int mtsim_app_main(int argc, char* argv[]);

namespace {

using mtsim::fuzz::counters_begin;
using mtsim::fuzz::counters_size;

std::uint8_t* shared_counters() {
    static std::uint8_t* shm = [] {
        void* p = mmap(nullptr, counters_size(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                       -1, 0);
        if (p == MAP_FAILED) {
            std::perror("mmap");
            std::abort();
        }
        return static_cast<std::uint8_t*>(p);
    }();
    return shm;
}

void copy_counters_out() {
    std::memcpy(shared_counters(), counters_begin(), counters_size());
}

double timeout_s() {
    const char* t = std::getenv("MTSIM_FUZZ_RUN_TIMEOUT");
    const double s = t ? std::atof(t) : 0.0;
    return s >= 1.0 ? s : 30.0;
}

double now_s() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string path = mtsim::fuzz::write_input(data, size);
    try {
        (void)mtsim::scenarios::load_scenario(path, "", {});
    } catch (...) {
        // The loader harness judges the loader; here only accepted inputs run.
        return 0;
    }
    std::uint8_t* shm = shared_counters();
    std::memcpy(shm, counters_begin(), counters_size());
    std::fflush(nullptr);
    const pid_t child = fork();
    if (child < 0) {
        std::perror("fork");
        std::abort();
    }
    if (child == 0) {
        // Keep the run's report off the fuzzer's output; stderr stays for sanitizer reports.
        if (std::freopen("/dev/null", "w", stdout) == nullptr) _exit(97);
        const auto cpu = static_cast<rlim_t>(timeout_s());
        const rlimit limit{cpu, cpu + 1};
        setrlimit(RLIMIT_CPU, &limit);
        std::string run = "run", json = "--json", self = "mtsim";
        char* argv[] = {self.data(), run.data(), path.data(), json.data(), nullptr};
        const int code = mtsim_app_main(4, argv);
        std::fflush(nullptr);
        copy_counters_out();
        _exit(code);
    }
    const double deadline = now_s() + 10 * timeout_s();
    int status = 0;
    for (;;) {
        const pid_t r = waitpid(child, &status, WNOHANG);
        if (r == child) break;
        if (r < 0 && errno != EINTR) {
            std::perror("waitpid");
            std::abort();
        }
        if (now_s() > deadline) {
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
            std::fprintf(stderr, "mtsim run fuzz: the run took longer than %.0f s\n",
                         10 * timeout_s());
            std::abort();
        }
        const timespec pause{0, 200000};
        nanosleep(&pause, nullptr);
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU) {
        std::fprintf(stderr, "mtsim run fuzz: the run used more than %.0f s of CPU time\n",
                     timeout_s());
        std::abort();
    }
    if (WIFSIGNALED(status)) {
        std::fprintf(stderr, "mtsim run fuzz: the run died of signal %d (%s)\n", WTERMSIG(status),
                     strsignal(WTERMSIG(status)));
        std::abort();
    }
    const int code = WEXITSTATUS(status);
    if (code != 0 && code != 1 && code != 2) {
        std::fprintf(stderr, "mtsim run fuzz: `mtsim run` exited %d%s\n", code,
                     code == 86 ? " (a sanitizer report)" : "");
        std::abort();
    }
    std::memcpy(counters_begin(), shm, counters_size());
    return 0;
}
