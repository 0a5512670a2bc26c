#pragma once
// One tool call as `llmmem serve` and `llmmem mcp` answer it: a command and its named arguments in,
// the CLI's `--format json` output or the CLI's error message out. Both servers call this, and it
// calls the CLI's own runner (src/cli/command.hpp), so neither has a copy of any flag or formula.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "command.hpp"

namespace llmmem::server {

// The commands the servers expose: infer, train, fit (named arguments) and models, gpus.
[[nodiscard]] const std::vector<std::string>& tool_commands();

struct ToolResult {
  int exit_code = 0;  // the CLI's (src/cli/exit_codes.hpp); 0, or 5 for --check's "does not fit"
  std::string json;   // on success: exactly what `llmmem COMMAND ... --format json` prints
  std::string error;  // otherwise: the CLI's stderr line without "llmmem: error: " and the newline
  [[nodiscard]] bool ok() const { return exit_code == 0 || exit_code == 5; }
};

// Runs `command` with `args` (a JSON object of flag names and values, as arguments_from_json takes
// them) in JSON format. "format" may only be "json": the servers answer in JSON and never replace a
// format they were asked for. Never throws.
[[nodiscard]] ToolResult run_tool(const std::string& command, const nlohmann::json& args, const cli::Host& host);

}  // namespace llmmem::server
