#pragma once
// The long-running commands, which the CLI starts instead of running one command line: `llmmem mcp`
// serves on stdin/stdout in this process; `llmmem serve` replaces the process with llmmem-serve,
// the HTTP server, kept in its own program so that the HTTP library and what it loads (TLS,
// compression) never slow the start of every `llmmem infer` (git keeps libcurl out of git the same
// way, in git-remote-http).
#include <optional>
#include <string>
#include <vector>

namespace llmmem::server {

// When args (argv from argv[1]) name serve or mcp, runs it and returns the exit code (help and
// usage errors printed as the CLI prints them); otherwise nullopt.
[[nodiscard]] std::optional<int> run_server_command(const std::vector<std::string>& args);

}  // namespace llmmem::server
