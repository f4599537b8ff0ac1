#include "model/child_process.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace mtsim {

child_process spawn_child(const std::vector<std::string>& argv, bool capture_stderr) {
    if (argv.empty()) throw std::invalid_argument("spawn_child: no program");
    int fds[2];
    int efds[2] = {-1, -1};
    if (pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    if (capture_stderr && pipe(efds) != 0) {
        close(fds[0]);
        close(fds[1]);
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
    // The parent's read ends must not leak into later children (which would keep a pipe open
    // after its writer ended).
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    if (capture_stderr) fcntl(efds[0], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    if (capture_stderr) {
        posix_spawn_file_actions_adddup2(&fa, efds[1], STDERR_FILENO);
        posix_spawn_file_actions_addclose(&fa, efds[0]);
        posix_spawn_file_actions_addclose(&fa, efds[1]);
    }
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
    if (capture_stderr) close(efds[1]);
    if (rc != 0) {
        close(fds[0]);
        if (capture_stderr) close(efds[0]);
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    c.stdout_fd = fds[0];
    c.stderr_fd = efds[0];
    return c;
}

namespace {

struct running_child {
    child_process p;
    child_output o;
    std::size_t index = 0;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

// Kills and reaps whatever is still running when run_children leaves by an exception.
struct reaper {
    std::vector<running_child>& running;
    ~reaper() {
        for (auto& c : running) {
            kill(c.p.pid, SIGKILL);
            if (c.p.stdout_fd >= 0) close(c.p.stdout_fd);
            if (c.p.stderr_fd >= 0) close(c.p.stderr_fd);
            int st = 0;
            while (waitpid(c.p.pid, &st, 0) < 0 && errno == EINTR) {
            }
        }
    }
};

// Reads what is available on fd into out; closes it and sets it to -1 at the end.
void drain(int& fd, std::string& out) {
    char buf[65536];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
        out.append(buf, std::size_t(n));
        return;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    close(fd);
    fd = -1;
}

} // namespace

void run_children(const std::vector<std::vector<std::string>>& argvs, unsigned jobs,
                  const std::function<void(std::size_t, child_output&)>& done) {
    std::vector<running_child> running;
    reaper guard{running};
    std::size_t next = 0;
    jobs = std::max(1u, jobs);
    while (next < argvs.size() || !running.empty()) {
        while (next < argvs.size() && running.size() < jobs) {
            running.push_back({spawn_child(argvs[next], true), {}, next});
            running.back().start = std::chrono::steady_clock::now();
            ++next;
        }
        std::vector<pollfd> pf;
        for (const auto& c : running) {
            pf.push_back({c.p.stdout_fd, POLLIN, 0});
            pf.push_back({c.p.stderr_fd, POLLIN, 0}); // a negative fd is ignored by poll
        }
        if (poll(pf.data(), pf.size(), -1) < 0 && errno != EINTR)
            throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        for (std::size_t i = running.size(); i-- > 0;) {
            auto& c = running[i];
            if (c.p.stdout_fd >= 0 && (pf[2 * i].revents & (POLLIN | POLLHUP | POLLERR)))
                drain(c.p.stdout_fd, c.o.out);
            if (c.p.stderr_fd >= 0 && (pf[2 * i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                drain(c.p.stderr_fd, c.o.err);
            if (c.p.stdout_fd >= 0 || c.p.stderr_fd >= 0) continue;
            while (waitpid(c.p.pid, &c.o.status, 0) < 0 && errno == EINTR) {
            }
            c.o.seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - c.start).count();
            running_child ended = std::move(c);
            running.erase(running.begin() + long(i));
            done(ended.index, ended.o);
        }
    }
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
