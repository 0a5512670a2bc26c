#include "launch.hpp"

#include <unistd.h>
#include <cstdio>
#include <filesystem>

#include "command.hpp"
#include "exit_codes.hpp"
#include "llmmem/render.hpp"
#include "mcp.hpp"
#include "options.hpp"

namespace llmmem::server {

namespace {

// llmmem-serve beside this program (the build tree), then in <prefix>/libexec/llmmem (installed;
// LLMMEM_SERVE_FROM_BIN is that folder relative to the binary's, from CMake's GNUInstallDirs).
std::vector<std::filesystem::path> serve_candidates() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const auto dir = self.parent_path();
  return {dir / "llmmem-serve", dir / LLMMEM_SERVE_FROM_BIN / "llmmem-serve"};
}

int exec_serve(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  std::string name = "llmmem-serve";
  argv.push_back(name.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string looked;
  for (const auto& candidate : serve_candidates()) {
    ::execv(candidate.c_str(), argv.data());  // returns only on failure
    looked += (looked.empty() ? "" : ", ") + candidate.lexically_normal().string();
  }
  std::fprintf(stderr, "llmmem: error: %s\n",
               escape_control("serve runs llmmem-serve, which is not installed (looked for " + looked + ")").c_str());
  return static_cast<int>(cli::ExitCode::input);
}

}  // namespace

std::optional<int> run_server_command(const std::vector<std::string>& args) {
  if (args.empty() || (args[0] != "serve" && args[0] != "mcp")) return std::nullopt;
  const auto parsed = cli::parse_arguments(args);
  if (!parsed.options) {
    std::fputs(parsed.out.c_str(), stdout);
    std::fputs(parsed.err.c_str(), stderr);
    return parsed.exit_code;
  }
  if (args[0] == "serve") return exec_serve(args);
  // The client runs llmmem for its user on the user's machine, as the CLI runs: it may read the
  // user's model files and query the user's GPUs; it never writes a file (--csv-out).
  cli::Host host;
  host.may_write_files = false;
  return run_mcp(stdin, stdout, stderr, host);
}

}  // namespace llmmem::server
