// llmmem-serve: the HTTP server `llmmem serve` starts (launch.hpp says why it is its own program).
// Takes the same arguments as `llmmem serve`, parsed by the CLI's parser.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "exit_codes.hpp"
#include "http.hpp"
#include "llmmem/render.hpp"
#include "options.hpp"

namespace fs = std::filesystem;
using llmmem::cli::ExitCode;

namespace {

int fail(ExitCode code, const std::string& message) {
  std::fprintf(stderr, "llmmem: error: %s\n", llmmem::escape_control(message).c_str());
  return static_cast<int>(code);
}

// The page's folder when --web-root is not given: web/ beside the program, then the installed
// <prefix>/share/llmmem/web (this program is in <prefix>/bin or <prefix>/libexec/llmmem).
fs::path default_web_root() {
  std::error_code ec;
  const fs::path dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  if (ec) return {};
  for (const fs::path& p :
       {dir / "web", dir / ".." / "share" / "llmmem" / "web", dir / ".." / ".." / "share" / "llmmem" / "web"})
    if (fs::is_regular_file(p / "index.html", ec)) return p.lexically_normal();
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] != "serve") args.insert(args.begin(), "serve");
  const auto parsed = llmmem::cli::parse_arguments(args);
  if (!parsed.options) {
    std::fputs(parsed.out.c_str(), stdout);
    std::fputs(parsed.err.c_str(), stderr);
    return parsed.exit_code;
  }
  const auto& o = *parsed.options;
  llmmem::server::ServeConfig config;
  config.host = o.host;
  try {
    std::size_t end = 0;
    const unsigned long port = std::stoul(o.port, &end);
    if (end != o.port.size() || port > 65535) throw std::out_of_range("port");
    config.port = static_cast<int>(port);
  } catch (const std::exception&) {
    return fail(ExitCode::usage, fmt::format("--port {}: give a TCP port, 0 to 65535", o.port));
  }
  if (o.has("--web-root")) {
    std::error_code ec;
    if (!fs::is_regular_file(fs::path(o.web_root) / "index.html", ec))
      return fail(ExitCode::input, fmt::format("--web-root {}: no index.html there", o.web_root));
    config.web_root = o.web_root;
  } else {
    config.web_root = default_web_root();
  }

  // SIGINT and SIGTERM are taken by one thread with sigwait, which stops the server: blocked here,
  // before any thread starts, so every thread inherits the mask and no handler runs mid-request.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up is the library's error, not our death

  llmmem::server::HttpServer server(config);
  const int port = server.bind();
  if (port < 0)
    return fail(ExitCode::input, fmt::format("cannot listen on {} port {} (in use, or not an address of this "
                                             "machine)",
                                             config.host, config.port));
  if (!llmmem::server::is_loopback(config.host))
    std::fprintf(stderr,
                 "llmmem serve: warning: listening on %s, beyond loopback: anyone who can reach this address can "
                 "use the API\n",
                 llmmem::escape_control(config.host).c_str());
  std::fprintf(stderr, "llmmem serve: listening on %s (API under /v1/, page: %s); Ctrl-C stops\n",
               llmmem::server::server_url(config.host, port).c_str(),
               config.web_root.empty() ? "not installed" : llmmem::escape_control(config.web_root.string()).c_str());
  std::fflush(stderr);

  // The waiter looks for a signal every 100 ms, so it also ends soon after run() ends by itself.
  std::atomic<bool> finished{false};
  std::thread waiter([&] {
    const timespec tick{0, 100'000'000};
    while (!finished) {
      if (sigtimedwait(&stop_signals, nullptr, &tick) > 0) {
        server.stop();
        return;
      }
    }
  });
  const bool ok = server.run();
  finished = true;
  waiter.join();
  std::fprintf(stderr, "llmmem serve: stopped\n");
  return ok ? 0 : static_cast<int>(ExitCode::internal);
}
