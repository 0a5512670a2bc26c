#pragma once
// A child process with pipes on stdin, stdout and stderr, for tests that talk to a server the way
// a client does (MCP over stdio, `llmmem serve`). Every read has a timeout; the destructor kills a
// child still running, so a hung server fails its test instead of hanging the suite.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <csignal>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace llmmem::test {

class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    std::signal(SIGPIPE, SIG_IGN);  // writing to a child that died is a failed write, not our death
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    for (auto& a : copy) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = posix_spawn(&m_pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    m_in = in[1];
    m_out = out[0];
    m_err = err[0];
    if (rc != 0) throw std::runtime_error("posix_spawn failed: " + argv[0]);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (m_pid > 0 && !m_exit) {
      ::kill(m_pid, SIGKILL);
      int status = 0;
      ::waitpid(m_pid, &status, 0);
    }
    for (int fd : {m_in, m_out, m_err})
      if (fd >= 0) ::close(fd);
  }

  [[nodiscard]] pid_t pid() const { return m_pid; }

  // Writes all of `text` to the child's stdin; false when the child no longer reads.
  bool write(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(m_in, text.data() + done, text.size() - done);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  void close_stdin() {
    if (m_in >= 0) ::close(m_in);
    m_in = -1;
  }

  // The next line (without '\n') of stdout or stderr, or nothing when none comes within `timeout`
  // or the stream ends.
  std::optional<std::string> read_line(bool from_stderr = false,
                                       std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    std::string& buffer = from_stderr ? m_err_buffer : m_out_buffer;
    const int fd = from_stderr ? m_err : m_out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (const auto nl = buffer.find('\n'); nl != std::string::npos) {
        std::string line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        return line;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return std::nullopt;
      char chunk[65536];
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // The exit code once the child ends within `timeout` (-1 for a signal), or nothing.
  std::optional<int> wait(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!m_exit) {
      int status = 0;
      const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
      if (r == m_pid) {
        m_exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
      ::usleep(10000);
    }
    return m_exit;
  }

 private:
  pid_t m_pid = -1;
  int m_in = -1, m_out = -1, m_err = -1;
  std::string m_out_buffer, m_err_buffer;
  std::optional<int> m_exit;
};

}  // namespace llmmem::test
