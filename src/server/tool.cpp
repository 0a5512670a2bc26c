#include "tool.hpp"

#include <string_view>

#include "exit_codes.hpp"
#include "llmmem/error.hpp"
#include "llmmem/render.hpp"

namespace llmmem::server {

const std::vector<std::string>& tool_commands() {
  static const std::vector<std::string> k_tools{"infer", "train", "fit", "models", "gpus"};
  return k_tools;
}

namespace {

constexpr std::string_view k_prefix = "llmmem: error: ";

ToolResult usage(const std::string& message) {
  return {static_cast<int>(cli::ExitCode::usage), "", escape_control(message)};
}

}  // namespace

ToolResult run_tool(const std::string& command, const nlohmann::json& args, const cli::Host& host) {
  if (!args.is_object()) return usage("the arguments must be a JSON object of flag names and values");
  if (const auto it = args.find("format"); it != args.end() && !(it->is_string() && *it == "json"))
    return usage("format: the answer is always the CLI's JSON; leave \"format\" out");
  if (args.contains("help")) return usage("help: docs/api.md and the MCP tool schemas describe the arguments");
  std::vector<std::string> line;
  try {
    line = cli::arguments_from_json(command, args);
  } catch (const Error& e) {
    return usage(e.what());
  }
  line.emplace_back("--format=json");
  cli::Output r = cli::run_command_line(line, host);
  ToolResult result;
  result.exit_code = r.code;
  if (result.ok()) {
    result.json = std::move(r.out);
    return result;
  }
  // The runner's one line: "llmmem: error: MESSAGE\n" (its control characters already escaped).
  std::string_view err = r.err;
  if (err.starts_with(k_prefix)) err.remove_prefix(k_prefix.size());
  while (!err.empty() && err.back() == '\n') err.remove_suffix(1);
  result.error = std::string(err);
  return result;
}

}  // namespace llmmem::server
