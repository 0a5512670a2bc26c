#pragma once
// `llmmem mcp`: a Model Context Protocol server on stdin/stdout (JSON-RPC 2.0, one message per
// line) whose tools (infer, train, fit, models, gpus) answer with the CLI's JSON. The transport
// (lines in, lines out) is separate from the protocol (one message in, at most one out), so tests
// drive either.
#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "command.hpp"

namespace llmmem::server {

// The longest line read; a longer one is answered with a parse error and skipped (hostile input).
constexpr std::size_t k_mcp_max_line = 1024ULL * 1024;

// The tools as tools/list gives them, their input schemas generated from the parser's own flags
// (cli::command_flags), so no second copy of the flag list exists.
[[nodiscard]] nlohmann::json mcp_tools();

class McpSession {
 public:
  explicit McpSession(cli::Host host) : m_host(host) {}
  // One message (a line without its newline) in; the response line out, or nothing for a
  // notification or a response. Never throws.
  [[nodiscard]] std::optional<std::string> handle(std::string_view line);
  // The line that answers a line longer than k_mcp_max_line.
  [[nodiscard]] static std::string too_long();
  [[nodiscard]] const std::string& protocol_version() const { return m_version; }

 private:
  nlohmann::json dispatch(const std::string& method, const nlohmann::json& params);
  cli::Host m_host;
  std::string m_version;  // negotiated by initialize; empty before
};

// Serves `in` until end of input, writing responses to `out` (flushed after each) and logs to
// `log`. Returns the process's exit code: 0 at end of input, 3 when `out` cannot be written.
int run_mcp(std::FILE* in, std::FILE* out, std::FILE* log, const cli::Host& host);

}  // namespace llmmem::server
