#pragma once
// One command, run the way the CLI runs it: parsed options in, the rendering and exit code out.
// Shared by every front end (the CLI, the Python module, `llmmem serve`, `llmmem mcp`, the web page)
// so that each gives the same numbers, the same JSON and the same messages. Prints nothing.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "options.hpp"

namespace llmmem::cli {

// What a run prints: the rendering for stdout, a chart (non-table formats) or an error for stderr,
// and the process's exit code (exit_codes.hpp).
struct Output {
  std::string out, err;
  int code = 0;
};

// What the front end allows and what it knows of its terminal.
struct Host {
  bool color = false;           // stdout is a terminal that takes ANSI colours (table format only)
  bool may_query_gpus = true;   // `--gpu local` and `gpus --local` may run nvidia-smi / rocm-smi
  bool may_write_files = true;  // `--csv-out FILE` may write a file
  // --model may name a file, a folder or the HuggingFace cache, and --models-dir, --mmproj and
  // `inspect` read files; false (a network server): catalog names only, nothing read from disk.
  bool may_read_files = true;
};

// Runs parsed options. Throws llmmem's errors (error.hpp), and NoGpuError when no local GPU is found.
[[nodiscard]] Output run_command(const Options& o, const Host& host);

// Parses the arguments (argv from argv[1]) and runs them: never throws; an error becomes its exit
// code and the CLI's one line "llmmem: error: MESSAGE" (control characters escaped) in `err`.
[[nodiscard]] Output run_command_line(const std::vector<std::string>& args, const Host& host);

// Named arguments, as the Python module, the HTTP API, MCP and the page take them, to the command
// line they stand for: {"model": "llama3-70b", "seq_len": 8192, "check": true, "lora_targets": ["q",
// "v"]} -> infer --model=llama3-70b --seq-len=8192 --check --lora-targets=q --lora-targets=v.
// '_' is '-'; a string or number is the flag's value; true is the switch, false "=false"; an array
// repeats the flag; null leaves it out; a positional (inspect's "path") goes last. Unknown names
// become unknown flags, so the parser's message (with its "did you mean") is the one reported.
// Throws UsageError for a value of no flag's type (an object, a non-finite number).
[[nodiscard]] std::vector<std::string> arguments_from_json(const std::string& command, const nlohmann::json& args);

}  // namespace llmmem::cli
