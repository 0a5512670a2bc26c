#include "options.hpp"

#include <algorithm>
#include <sstream>

#include <CLI/CLI.hpp>

#include "exit_codes.hpp"
#include "llmmem/engine.hpp"
#include "llmmem/framework.hpp"
#include "llmmem/precision.hpp"
#include "llmmem/render.hpp"
#include "llmmem/spell.hpp"

namespace llmmem::cli {

namespace {

constexpr const char* k_examples = R"(
Examples:
  llmmem infer --model llama3-70b --precision fp16
  llmmem infer --model llama3.1-8b --seq-len 32k --gpu rtx4090 --check
  llmmem infer --model ./my-model/ --precision q4_k_m --format json
  llmmem train --model llama3-8b --lora-rank 16 --precision nf4-dq --gpu rtx4090
  llmmem train --model llama3-70b --zero 3 --dp 8 --gpu h100-80gb:8
  llmmem fit --model llama3.1-70b --gpu h100-80gb:2
  llmmem infer --model ./Llama-3-8B-Q4_K_M.gguf --seq-len 8192 --kv-precision q8_0
  llmmem infer --model Qwen/Qwen2.5-7B-Instruct      (HuggingFace cache, else the Hub)
  llmmem infer --model bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M
  llmmem inspect ./model-folder/
  llmmem serve --port 8090                          (HTTP JSON API and the web page)
  llmmem mcp                                        (Model Context Protocol on stdio)
  llmmem infer --model llama3-70b --method document --params 70B --precision bf16

Exit codes: 0 ok, 2 usage error, 3 input error, 4 architecture not supported,
5 does not fit (--check), 6 no local GPU found, 7 network (the Hub), 1 internal error.
Token counts take k = 1024 (32k = 32768); sizes need a unit (24GiB, 80GB).)";

const char* const k_commands[] = {"infer", "train", "fit", "inspect", "models", "precisions", "gpus", "serve", "mcp"};

// Reading a model from the Hugging Face Hub (org/name not found locally).
void add_hub_options(CLI::App& app, Options& o) {
  app.add_flag("--offline", o.offline,
               "never use the network: a Hub model must be in the cache (also HF_HUB_OFFLINE=1)");
  app.add_option("--connect-timeout", o.connect_timeout, "seconds to connect to the Hub (default 10)");
  app.add_option("--timeout", o.timeout, "seconds for each request to the Hub, from start to end (default 60)");
}

void add_model_options(CLI::App& app, Options& o) {
  app.add_option(
         "-m,--model", o.model,
         "catalog name, HF id, config.json, model folder, GGUF, or ollama:NAME, lmstudio:PUB/REPO, llamacpp:ORG/REPO")
      ->required();
  app.add_option("--revision", o.revision, "HuggingFace cache revision (branch, tag or commit; default main)");
  app.add_option("-p,--precision", o.precision, "weight precision (see `llmmem precisions`); default: the config's");
  std::string kv_names;
  for (const auto& f : all_kv_formats()) kv_names += (kv_names.empty() ? "" : " ") + std::string(f.name);
  app.add_option("--kv-precision", o.kv_precision,
                 fmt::format("KV-cache precision: {}; default: the 16-bit compute dtype", kv_names));
  app.add_option("-b,--batch", o.batch, fmt::format("sequences per step, a whole number (default {})", o.batch));
  app.add_option("-s,--seq-len", o.seq_len,
                 fmt::format("tokens per sequence; k = 1024, so 32k = 32768 (default {})", o.seq_len));
  app.add_option("--target-len", o.target_len,
                 "encoder-decoders (t5, bart): tokens the decoder generates or trains on, beside --seq-len input "
                 "tokens (default: as many as --seq-len)");
  app.add_option("--params", o.params, "override the parameter count: 70B, 7.24B, 350M, 70e9");
  app.add_option("--images", o.images,
                 "vision-language models: images in each sequence, their tokens added to the context (default 0)");
  app.add_option("--image-size", o.image_size,
                 "vision-language models: each image's size, WxH or PIXELS (a square); default: the model's own, "
                 "or the largest its processor keeps");
  app.add_option("--method", o.method, "detailed (default) or document (the article's formulas)");
  std::string engines;
  for (const auto& e : all_engines()) engines += (engines.empty() ? "" : ", ") + std::string(e.id);
  app.add_option("--engine", o.engine,
                 fmt::format("the engine that will run it: {} (default: llama.cpp for GGUF weights, else "
                             "transformers)",
                             engines));
  app.add_option("--attention", o.attention, fmt::format("eager, sdpa or flash (default {})", o.attention));
  app.add_option("--overhead", o.overhead, "runtime overhead per GPU with a unit, replacing the default (e.g. 1GiB)");
  app.add_option("--gpu", o.gpu, "the GPUs you have: NAME (one), NAME:COUNT, or `local`");
  app.add_option("--gpu-memory", o.gpu_memory, "memory per GPU[:COUNT] with a unit, e.g. 80GB or 24GiB:2");
  app.add_option("--ram", o.ram,
                 "host memory with a unit, e.g. 64GiB, judged beside the GPUs (default with --gpu local: "
                 "/proc/meminfo's MemAvailable)");
  app.add_option("--gpus-per-node", o.gpus_per_node,
                 fmt::format("GPUs per node: tensor parallelism stays inside one (default {})", o.gpus_per_node));
  app.add_option("--tp", o.tp, "tensor-parallel size");
  app.add_option("--pp", o.pp, "pipeline-parallel size");
  app.add_option("--dp", o.dp, "data-parallel size");
  app.add_option("--ep", o.ep, "expert-parallel size (MoE)");
  app.add_flag("--check", o.check, "exit 5 when the request does not fit on the GPUs given");
  app.add_flag("--explain", o.explain, "show each component's formula and inputs");
  app.add_option("-f,--format", o.format, "table (default), json, csv or markdown");
  app.add_option("--units", o.units, "binary (GiB, default) or decimal (GB)");
  app.add_option("--models-dir", o.models_dirs,
                 "extra folder of config.json files (repeatable; also LLMMEM_MODELS_DIR)");
  add_hub_options(app, o);
}

}  // namespace

// The options of a training request: `train` has them, and `fit --train`.
void add_training_options(CLI::App& app, Options& o) {
  app.add_option("--optimizer", o.optimizer,
                 fmt::format("adamw, adamw-8bit, paged-adamw, paged-adamw-8bit, sgd, sgd-momentum, adafactor "
                             "(default {})",
                             o.optimizer));
  app.add_option("--trainable-percent", o.trainable_percent,
                 fmt::format("share of parameters trained, 0-100 (default {})", o.trainable_percent));
  app.add_option("--recipe", o.recipe, fmt::format("mixed, bf16 or megatron (default {})", o.recipe));
  app.add_option("--gradient-checkpointing", o.checkpointing,
                 fmt::format("none, selective or full (default {})", o.checkpointing));
  app.add_option(
      "--loss", o.loss,
      fmt::format("full (fp32 logits, HF), chunked (torchtune), fused (Liger) or inplace (Unsloth) (default {})",
                  o.loss));
  app.add_option("--lora-rank", o.lora_rank, "train LoRA adapters of this rank instead of all weights");
  app.add_option("--lora-targets", o.lora_targets, "q,k,v,o (default), gate, up, down or all-linear")->delimiter(',');
  std::string frameworks;
  for (const auto& f : all_frameworks()) frameworks += (frameworks.empty() ? "" : ", ") + std::string(f.id);
  app.add_option(
      "--framework", o.framework,
      fmt::format("the framework that trains it, which sets the defaults below: {} (default trainer)", frameworks));
  app.add_flag("--optimizer-in-bwd", o.optimizer_in_bwd,
               "step each parameter in the backward and free its gradient (torchtune; =false to turn off)");
  app.add_flag("--upcast-unquantized", o.upcast_unquantized,
               "QLoRA: cast the weights left in 16 bits to fp32, as PEFT's prepare_model_for_kbit_training does "
               "(trainer, deepspeed and fsdp do it; =false to turn off)");
  app.add_flag("--activation-offload", o.activation_offload,
               "keep saved activations in host memory (torchtune, Unsloth's checkpointing; =false to turn off)");
  app.add_flag("--expandable-segments", o.expandable_segments,
               "PyTorch's allocator runs with PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True: no allocator share "
               "(Unsloth sets it; =false to turn off)");
  app.add_option("--zero", o.zero, "ZeRO stage 0-3 across --dp");
  app.add_flag("--fsdp", o.fsdp, "fully sharded data parallel (same sharding as --zero 3)");
  app.add_option("--offload", o.offload, "optimizer and/or params to host memory")->delimiter(',');
}

namespace {

// Every command and its flags, bound to `o`: the one definition the parser, the help and
// command_flags() read.
void define_commands(CLI::App& app, Options& o) {
  app.footer(k_examples);
  app.set_version_flag("--version", std::string("llmmem ") + LLMMEM_VERSION);
  app.require_subcommand(1);

  auto* infer = app.add_subcommand("infer", "memory to run a model");
  add_model_options(*infer, o);
  infer->add_option(
      "--concurrency", o.concurrency,
      fmt::format("document method: concurrent calls, one model instance each (default {})", o.concurrency));
  infer->add_option("--logits", o.logits, fmt::format("last or all: which logits are kept (default {})", o.logits));
  infer->add_option("--gpu-memory-utilization", o.gpu_memory_utilization,
                    "vLLM: share of GPU memory it claims (default 0.9)");
  infer->add_option("--max-model-len", o.max_model_len, "vLLM: longest request (default: the model's context)");
  infer->add_flag("--enforce-eager", o.enforce_eager, "vLLM: no CUDA graphs (ModelConfig.enforce_eager)");
  infer->add_option("--cpu-offload-gb", o.cpu_offload_gb,
                    "vLLM: GiB of each GPU's weights kept in host memory (read over the bus)");
  infer->add_option("--max-num-seqs", o.max_num_seqs, "vLLM: most requests per step (default 256, 1024 on >= 70 GiB)");
  infer->add_option("--mem-fraction-static", o.mem_fraction_static,
                    "SGLang: share of free memory for weights and the KV pool (default: by GPU memory)");
  infer->add_option("--flash-attn", o.flash_attn, "llama.cpp/Ollama: on, off or auto (auto: on, as on CUDA)");
  infer->add_option("--ubatch", o.ubatch, "llama.cpp/Ollama: n_ubatch, tokens per compute step (default 512)");
  infer->add_option("--parallel", o.parallel, "llama.cpp/Ollama: sequences sharing the cache (default 1)");
  infer->add_option("--gpu-layers,--ngl", o.gpu_layers,
                    "llama.cpp/Ollama -ngl: N layers on the GPU (the last N; the output layer from N = layers + 1), "
                    "all, or auto (the most that fit the GPU with llama.cpp's 1 GiB margin)");
  infer
      ->add_option("--tensor-split,--ts", o.tensor_split,
                   "llama.cpp/Ollama -ts: share of layers per GPU, e.g. 3,1 (default: by memory)")
      ->delimiter(',');
  infer->add_flag("--cpu-moe", o.cpu_moe, "llama.cpp/Ollama: every layer's MoE experts in host memory");
  infer->add_option("--mmproj", o.mmproj,
                    "llama.cpp: the multimodal projector GGUF (vision tower) loaded beside a GGUF model");
  infer->add_option("--n-cpu-moe", o.n_cpu_moe, "llama.cpp/Ollama: MoE experts of the first N layers in host memory");
  infer->add_flag("--no-kv-offload", o.no_kv_offload, "llama.cpp/Ollama -nkvo: the KV cache in host memory");
  infer->add_flag("--no-mmap", o.no_mmap, "llama.cpp/Ollama: host weights allocated (pinned), not mapped file pages");
  infer->add_option("--prefill-chunk,--max-num-batched-tokens", o.prefill_chunk,
                    "tokens per prefill step (vLLM max_num_batched_tokens, llama.cpp n_ubatch; k = 1024); "
                    "default: the whole prompt");
  infer->add_flag("--plot", o.plot, "draw memory against context length");
  infer->add_option("--csv-out", o.plot_csv, "write memory against context length as CSV to FILE");

  auto* train = app.add_subcommand("train", "memory to fine-tune or train a model");
  add_model_options(*train, o);
  add_training_options(*train, o);

  auto* fit = app.add_subcommand("fit", "what fits: longest context, largest batch, fewest GPUs, best precision");
  add_model_options(*fit, o);
  fit->add_option("--gpu-memory-utilization", o.gpu_memory_utilization,
                  "share of memory for the vLLM-style KV pool (default 0.9)");
  fit->add_option("--max-gpus", o.max_gpus, "largest GPU count searched (default 64)");
  fit->add_flag("--train", o.fit_train, "answer for training: longest sequence, largest micro-batch, fewest GPUs");
  add_training_options(*fit, o);
  fit->add_flag("--plot", o.plot, "draw memory against context length");
  fit->add_option("--csv-out", o.plot_csv, "write memory against context length as CSV to FILE");

  auto* inspect = app.add_subcommand("inspect", "show what a config, safetensors or GGUF header holds");
  inspect
      ->add_option("path", o.path,
                   "config.json, model folder, .safetensors or .gguf; or org/name[@revision][:QUANT] on the Hub "
                   "(a GGUF repository lists its quants)")
      ->required();
  inspect->add_option("-f,--format", o.format, "table, json, csv or markdown");
  inspect->add_option("--units", o.units, "binary (GiB) or decimal (GB)");
  add_hub_options(*inspect, o);
  // A GGUF repository's quants judged as `infer --model org/name:QUANT` judges each one.
  inspect->add_option("--gpu", o.gpu,
                      "a GGUF repository on the Hub: judge every quant on these GPUs (NAME or NAME:COUNT)");
  inspect->add_option("--gpu-memory", o.gpu_memory, "as --gpu, with memory per GPU[:COUNT], e.g. 24GiB");
  inspect->add_option("-s,--seq-len", o.seq_len,
                      "with --gpu: tokens per sequence (k = 1024); default: what llama.cpp picks, as infer");
  inspect->add_option("-b,--batch", o.batch, "with --gpu: sequences (default 1)");
  inspect->add_option("--kv-precision", o.kv_precision, "with --gpu: KV-cache precision (default f16)");

  auto* models = app.add_subcommand("models", "list the built-in model catalog");
  models->add_option("-f,--format", o.format, "table, json, csv or markdown");
  models->add_option("--models-dir", o.models_dirs, "extra folder of config.json files");
  models->add_flag("--local", o.local, "list what Ollama, LM Studio and llama.cpp's cache hold on this machine");

  auto* precisions = app.add_subcommand("precisions", "list weight precisions with their bits per weight");
  precisions->add_option("-f,--format", o.format, "table, json, csv or markdown");

  auto* gpus = app.add_subcommand("gpus", "list known GPUs, or this machine's with --local");
  gpus->add_flag("--local", o.local, "query nvidia-smi / rocm-smi for this machine's GPUs");
  gpus->add_option("-f,--format", o.format, "table, json, csv or markdown");
  gpus->add_option("--units", o.units, "binary (GiB) or decimal (GB)");

  // Long-running front ends (src/server/): main.cpp starts them; run_command refuses them.
  auto* serve = app.add_subcommand("serve",
                                   "serve the JSON HTTP API (/v1/infer, /v1/train, /v1/fit, /v1/models, "
                                   "/v1/gpus) and the web page");
  serve->add_option("--port", o.port, fmt::format("TCP port, 0 for any free one (default {})", o.port));
  serve->add_option("--host", o.host,
                    fmt::format("address to listen on (default {}, this machine only; anything else is reachable "
                                "from the network)",
                                o.host));
  serve->add_option("--web-root", o.web_root,
                    "folder of the web page (default: web/ beside the program, then <prefix>/share/llmmem/web)");
  app.add_subcommand("mcp", "Model Context Protocol server on stdin/stdout: tools infer, train, fit, models, gpus");
}

// The parser, defined once per thread and reused: building CLI11's App with every command's flags
// costs several times the estimate itself, which an in-process front end (the Python module) pays on
// every call (docs/benchmarks.md). Each parse starts from default options and a cleared App.
struct Parser {
  Options o;
  CLI::App app{"llmmem: how much GPU memory a large language model needs to run or train", "llmmem"};
  Parser() { define_commands(app, o); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
  ~Parser() = default;
};

Parser& thread_parser() {
  thread_local Parser parser;
  return parser;
}

}  // namespace

std::vector<FlagInfo> command_flags(const std::string& command) {
  const CLI::App& app = thread_parser().app;
  for (const auto* sub : app.get_subcommands({})) {
    if (sub->get_name() != command) continue;
    std::vector<FlagInfo> flags;
    for (const auto* opt : sub->get_options()) {
      if (opt->get_lnames().empty() && !opt->get_positional()) continue;  // --help's short form only
      FlagInfo f;
      f.name = opt->get_positional() ? opt->get_name(true, false) : opt->get_lnames().front();
      if (f.name == "help") continue;
      f.help = opt->get_description();
      f.is_switch = opt->get_expected_min() == 0;  // a flag: its value is optional
      f.is_list = opt->get_items_expected_max() > 1 || opt->get_expected_max() > 1;
      f.required = opt->get_required();
      f.positional = opt->get_positional();
      flags.push_back(std::move(f));
    }
    return flags;
  }
  throw UsageError(fmt::format("unknown command '{}'", command));
}

ParseResult parse_arguments(const std::vector<std::string>& args) {
  Parser& parser = thread_parser();
  parser.o = Options{};
  parser.app.clear();
  Options& o = parser.o;
  CLI::App& app = parser.app;
  std::ostringstream out, err;  // what the CLI would print: returned, never printed here

  // Words CLI11 would only call "extra" or "a subcommand is required": name them and suggest.
  if (!args.empty() && (args[0] == "help" || args[0] == "-V")) {
    if (args[0] == "-V") return {std::nullopt, 0, std::string("llmmem ") + LLMMEM_VERSION + "\n", ""};
    // `llmmem help` and `llmmem help COMMAND`.
    CLI::App* target = &app;
    if (args.size() > 1)
      for (auto* sub : app.get_subcommands({}))
        if (sub->get_name() == args[1]) target = sub;
    return {std::nullopt, 0, target->help(), ""};
  }
  const std::vector<std::string> commands(std::begin(k_commands), std::end(k_commands));
  const bool known = !args.empty() && std::find(commands.begin(), commands.end(), args[0]) != commands.end();
  const std::string see = known ? fmt::format("llmmem {} --help", args[0]) : "llmmem --help";
  auto usage_error = [&see](const std::string& message) {
    return ParseResult{std::nullopt, static_cast<int>(ExitCode::usage), "",
                       "llmmem: error: " + escape_control(message) + " (see " + see + ")\n"};
  };
  if (args.empty())
    return usage_error("a command is required: infer, train, fit, inspect, models, precisions, gpus, serve or mcp");
  if (!args.empty() && !args[0].empty() && args[0][0] != '-' &&
      std::find(commands.begin(), commands.end(), args[0]) == commands.end()) {
    const auto hint = nearest(args[0], commands);
    return usage_error(fmt::format("unknown command '{}'{}", args[0],
                                   hint ? fmt::format(" (did you mean {}?)", *hint)
                                        : " (commands: infer, train, fit, "
                                          "inspect, models, precisions, gpus, serve, mcp)"));
  }
  // Unknown flags: name them with the nearest flag of the command.
  CLI::App* sub = nullptr;
  if (!args.empty())
    for (auto* s2 : app.get_subcommands({}))
      if (s2->get_name() == args[0]) sub = s2;
  const CLI::App* scope = sub ? sub : &app;
  std::vector<std::string> flags{"--help"};
  if (!sub) flags.emplace_back("--version");
  for (const auto* opt : scope->get_options())
    for (const auto& name : opt->get_lnames()) flags.push_back("--" + name);
  for (std::size_t i = sub ? 1 : 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (a.size() < 3 || a[0] != '-' || a[1] != '-') continue;
    const std::string name = a.substr(0, a.find('='));
    if (std::find(flags.begin(), flags.end(), name) != flags.end()) continue;
    const auto hint = nearest(name, flags);
    if (!sub && !hint)
      return usage_error(fmt::format("unknown option '{}': give a command first (infer, train, fit, ...)", name));
    return usage_error(fmt::format("unknown option '{}'{}{}", name, sub ? " for " + sub->get_name() : "",
                                   hint ? fmt::format(" (did you mean {}?)", *hint) : ""));
  }

  // CLI11 takes the arguments last first.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  const auto exit_with = [&](const CLI::Error& e) {
    const int code = app.exit(e, out, err);
    return ParseResult{std::nullopt, code, out.str(), err.str()};
  };
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return exit_with(e);
  } catch (const CLI::CallForAllHelp& e) {
    return exit_with(e);
  } catch (const CLI::CallForVersion& e) {
    return exit_with(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (auto& c : what)
      if (c == '\n') c = ' ';
    return usage_error(what);
  }
  for (auto* chosen : app.get_subcommands()) {
    o.command = chosen->get_name();
    for (const auto* opt : chosen->get_options())
      if (opt->count() > 0)
        for (const auto& name : opt->get_lnames()) o.given.insert("--" + name);
  }
  return {o, 0, "", ""};
}

}  // namespace llmmem::cli
