// llmmem: the process around the shared command runner (command.hpp): argv in, stdout, stderr and
// the exit code out.
#include <unistd.h>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "command.hpp"
#include "exit_codes.hpp"
#include "launch.hpp"

int main(int argc, char** argv) {
  // serve and mcp run until stopped (src/server/launch.hpp); everything else is one command line.
  if (const auto code = llmmem::server::run_server_command(std::vector<std::string>(argv + 1, argv + argc)))
    return *code;
  llmmem::cli::Host host;
  host.color = isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
  const llmmem::cli::Output r = llmmem::cli::run_command_line(std::vector<std::string>(argv + 1, argv + argc), host);
  std::cout << r.out << std::flush;
  if (!std::cout) {
    std::cerr << "llmmem: error: cannot write to standard output\n";
    return static_cast<int>(llmmem::cli::ExitCode::input);
  }
  std::cerr << r.err;
  return r.code;
}
