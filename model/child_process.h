// Starting this program again as a child process with its standard output on a pipe. SystemC
// elaborates once per process, so every command that runs several simulations (bench, matrix)
// runs each in a child of /proc/self/exe.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace mtsim {

struct child_process {
    pid_t pid = -1;
    int stdout_fd = -1; // read end of the child's standard output; the caller closes it
};

// Starts argv[0] with argv; throws std::runtime_error naming the program if it cannot.
child_process spawn_child(const std::vector<std::string>& argv);

// Reads the child's standard output to the end, closes it, and waits for the child: returns
// what it printed and sets `status` to its waitpid status.
std::string collect_child(child_process& c, int& status);

// In a process started by spawn_child: the kernel kills it (SIGKILL) when its parent exits,
// so that a matrix or bench interrupted by a signal leaves no simulation running. Elsewhere it
// does nothing. Call it first thing in main().
void parent_death_kills_me();

} // namespace mtsim
