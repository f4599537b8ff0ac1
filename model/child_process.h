// Starting this program again as a child process with its standard output on a pipe. SystemC
// elaborates once per process, so every command that runs several simulations (bench, matrix)
// runs each in a child of /proc/self/exe.
#pragma once

#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace mtsim {

struct child_process {
    pid_t pid = -1;
    int stdout_fd = -1; // read end of the child's standard output; the caller closes it
    int stderr_fd = -1; // read end of its standard error when captured, else -1
};

// Starts argv[0] with argv; throws std::runtime_error naming the program if it cannot. With
// capture_stderr the child's standard error is a pipe too (else it is the parent's).
child_process spawn_child(const std::vector<std::string>& argv, bool capture_stderr = false);

// What one child of run_children printed, and its waitpid status.
struct child_output {
    std::string out, err;
    int status = 0;
    double seconds = 0; // wall time from its start to its end (host seconds)
};

// Runs every argv (argv[0] the program) as a child process, at most `jobs` at once, in the
// order given, standard output and error captured. `done(i, output)` is called in this process
// as child i ends, in the order they end. If `done` throws, the children still running are
// killed and reaped before the exception leaves.
void run_children(const std::vector<std::vector<std::string>>& argvs, unsigned jobs,
                  const std::function<void(std::size_t, child_output&)>& done);

// Reads the child's standard output to the end, closes it, and waits for the child: returns
// what it printed and sets `status` to its waitpid status.
std::string collect_child(child_process& c, int& status);

// In a process started by spawn_child: the kernel kills it (SIGKILL) when its parent exits,
// so that a matrix or bench interrupted by a signal leaves no simulation running. Elsewhere it
// does nothing. Call it first thing in main().
void parent_death_kills_me();

} // namespace mtsim
