#include "model/child_process.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <spawn.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace mtsim {

child_process spawn_child(const std::vector<std::string>& argv) {
    if (argv.empty()) throw std::invalid_argument("spawn_child: no program");
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // The child learns its parent's pid so that it can ask the kernel to kill it when the
    // parent dies (PR_SET_PDEATHSIG, prctl(2)); see parent_death_kills_me().
    std::vector<std::string> env_text;
    for (char** e = environ; *e; ++e)
        if (std::strncmp(*e, "MTSIM_PARENT_PID=", 17) != 0) env_text.emplace_back(*e);
    env_text.push_back("MTSIM_PARENT_PID=" + std::to_string(getpid()));
    std::vector<char*> env;
    env.reserve(env_text.size() + 1);
    for (auto& e : env_text) env.push_back(e.data());
    env.push_back(nullptr);
    child_process c;
    const int rc = posix_spawn(&c.pid, argv[0].c_str(), &fa, nullptr, args.data(), env.data());
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    c.stdout_fd = fds[0];
    return c;
}

std::string collect_child(child_process& c, int& status) {
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = read(c.stdout_fd, buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    close(c.stdout_fd);
    c.stdout_fd = -1;
    status = 0;
    while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
    }
    return out;
}

void parent_death_kills_me() {
    const char* parent = std::getenv("MTSIM_PARENT_PID");
    if (!parent) return;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The parent may have died before prctl: then this process was reparented already.
    if (std::to_string(getppid()) != parent) _exit(137);
}

} // namespace mtsim
