#pragma once
// Command-line options: argv -> Options. The only code that knows flag names.
#include <optional>
#include <string>
#include <vector>

namespace llmmem::cli {

struct Options {
  std::string command;  // infer, train, fit, models, precisions, gpus
  std::string model;
  std::string revision = "main";
  std::string path;  // inspect
  std::string precision, kv_precision, method = "detailed", format = "table", units = "binary";
  std::string batch = "1", seq_len = "2048", concurrency = "1", params, overhead;
  std::string attention = "flash", logits = "last", prefill_chunk = "0";
  std::string optimizer = "adamw", trainable_percent = "100", recipe = "mixed", checkpointing = "none", loss = "full";
  std::string lora_rank = "0";
  std::vector<std::string> lora_targets;
  std::string tp = "1", pp = "1", dp = "1", ep = "1", zero = "0";
  bool fsdp = false;
  std::vector<std::string> offload;
  std::string gpu, gpu_memory;
  std::string gpu_memory_utilization = "0.9", max_gpus = "64";
  std::vector<std::string> models_dirs;
  bool check = false, explain = false, local = false;
  std::string plot_csv;  // --csv-out FILE: memory vs context length
  bool plot = false;
};

// Parses argv. Returns the options, or an exit code when parsing ended the program (help, version,
// usage error); messages are already printed then.
struct ParseResult {
  std::optional<Options> options;
  int exit_code = 0;
};
ParseResult parse_options(int argc, char** argv);

}  // namespace llmmem::cli
