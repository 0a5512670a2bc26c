#pragma once
// Command-line options: argv -> Options. The only code that knows flag names.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "llmmem/request.hpp"

namespace llmmem::cli {

struct Options {
  std::string command;  // infer, train, fit, inspect, models, precisions, gpus, serve, mcp
  std::string model;
  std::string revision = "main";
  std::string path;  // inspect
  std::string precision, kv_precision, method = "detailed", format = "table", units = "binary";
  // Defaults come from Request's, so help, completions and behaviour cannot disagree.
  std::string batch = fmt::format("{}", Request{}.batch), seq_len = fmt::format("{}", Request{}.seq_len),
              concurrency = fmt::format("{}", Request{}.concurrency), params, overhead, target_len;
  std::string images = fmt::format("{}", Request{}.images), image_size;  // vision-language models
  std::string mmproj;                                                    // llama.cpp projector GGUF
  std::string attention{to_string(Request{}.attention)}, logits{to_string(Request{}.logits)},
      prefill_chunk = fmt::format("{}", Request{}.prefill_chunk);
  std::string optimizer{to_string(Request{}.optimizer)},
      trainable_percent = fmt::format("{}", Request{}.trainable_percent), recipe{to_string(Request{}.recipe)},
      checkpointing{to_string(Request{}.checkpointing)}, loss{to_string(Request{}.loss)};
  std::string lora_rank = fmt::format("{}", Request{}.lora_rank);
  std::vector<std::string> lora_targets;
  std::string tp = "1", pp = "1", dp = "1", ep = "1", zero = "0";
  bool fsdp = false;
  bool fit_train = false;  // fit --train
  std::string framework;
  bool optimizer_in_bwd = false, activation_offload = false, upcast_unquantized = false, expandable_segments = false;
  std::vector<std::string> offload;
  std::string gpu, gpu_memory, engine, ram;
  std::string gpu_memory_utilization = "0.9", max_gpus = "64", gpus_per_node = "8";
  std::string max_model_len, max_num_seqs;   // vLLM
  bool enforce_eager = false;                // vLLM
  std::string cpu_offload_gb;                // vLLM
  std::string ubatch, parallel, flash_attn;  // llama.cpp, Ollama
  std::string gpu_layers, n_cpu_moe;         // llama.cpp, Ollama: layer placement
  std::vector<std::string> tensor_split;
  bool cpu_moe = false, no_kv_offload = false, no_mmap = false;
  std::string mem_fraction_static;  // SGLang
  std::vector<std::string> models_dirs;
  bool offline = false;                  // the Hub: cache only
  std::string connect_timeout, timeout;  // the Hub: seconds
  bool check = false, explain = false, local = false;
  std::string plot_csv;  // --csv-out FILE: memory vs context length
  bool plot = false;
  std::string port = "8090", host = "127.0.0.1", web_root;  // serve
  std::set<std::string> given;                              // long names of the options the user typed ("--batch", ...)
  [[nodiscard]] bool has(const std::string& flag) const { return given.count(flag) > 0; }
};

// Parses the arguments after the program name (what argv holds from argv[1]). Returns the options,
// or, when parsing ends the run (help, version, usage error), the exit code with what the CLI
// prints on stdout and stderr. Prints nothing: every front end (CLI, Python, HTTP, MCP, the page)
// parses the same flags with the same messages.
struct ParseResult {
  std::optional<Options> options;
  int exit_code = 0;
  std::string out, err;
};
ParseResult parse_arguments(const std::vector<std::string>& args);

// A command's flags as defined for the parser: what the Python module's docstrings, the MCP tools'
// argument schemas and the web page list, so that no front end keeps its own copy.
struct FlagInfo {
  std::string name;  // long name without "--" ("seq-len"), or the positional's name ("path")
  std::string help;
  bool is_switch = false;   // takes no value (--check); "=false" turns it off
  bool is_list = false;     // takes several values (--lora-targets q,k)
  bool required = false;    // --model
  bool positional = false;  // inspect's path
};
// Throws UsageError for an unknown command.
[[nodiscard]] std::vector<FlagInfo> command_flags(const std::string& command);

}  // namespace llmmem::cli
