#include "options.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

#include "exit_codes.hpp"

namespace llmmem::cli {

namespace {

constexpr const char* k_examples = R"(
Examples:
  llmmem infer --model llama3-70b --precision fp16
  llmmem infer --model llama3.1-8b --seq-len 32768 --gpu rtx4090 --check
  llmmem infer --model ./my-model/ --precision q4_k_m --format json
  llmmem train --model llama3-8b --lora-rank 16 --precision nf4-dq --gpu rtx4090
  llmmem train --model llama3-70b --zero 3 --dp 8 --gpu h100-80gb:8
  llmmem fit --model llama3.1-70b --gpu h100-80gb
  llmmem infer --model ./Llama-3-8B-Q4_K_M.gguf --seq-len 8192 --kv-precision q8_0
  llmmem infer --model Qwen/Qwen2.5-7B-Instruct      (from the HuggingFace cache)
  llmmem inspect ./model-folder/
  llmmem infer --model llama3-70b --method document --params 70B --precision bf16

Exit codes: 0 ok, 2 usage error, 3 input error, 4 architecture not supported,
5 does not fit (--check), 6 no local GPU found, 1 internal error.)";

void add_model_options(CLI::App& app, Options& o) {
  app.add_option("-m,--model", o.model, "catalog name, HF id, config.json or model folder")->required();
  app.add_option("--revision", o.revision, "HuggingFace cache revision (branch, tag or commit; default main)");
  app.add_option("-p,--precision", o.precision, "weight precision (see `llmmem precisions`); default: the config's");
  app.add_option("--kv-precision", o.kv_precision, "KV-cache precision: fp32 fp16 bf16 fp8 int8 q8_0 q4_0");
  app.add_option("-b,--batch", o.batch, "sequences per step (default 1)");
  app.add_option("-s,--seq-len", o.seq_len, "tokens per sequence (default 2048)");
  app.add_option("--params", o.params, "override the parameter count: 70B, 7.24B, 350M, 70e9");
  app.add_option("--method", o.method, "detailed (default) or document (the article's formulas)");
  app.add_option("--attention", o.attention, "eager, sdpa or flash (default)");
  app.add_option("--overhead", o.overhead, "runtime overhead per GPU, replacing the default (e.g. 1GiB)");
  app.add_option("--gpu", o.gpu, "GPU[:COUNT] from `llmmem gpus`, or `local`");
  app.add_option("--gpu-memory", o.gpu_memory, "memory per GPU[:COUNT], e.g. 80GB or 24GiB:2");
  app.add_option("--tp", o.tp, "tensor-parallel size");
  app.add_option("--pp", o.pp, "pipeline-parallel size");
  app.add_option("--dp", o.dp, "data-parallel size");
  app.add_option("--ep", o.ep, "expert-parallel size (MoE)");
  app.add_flag("--check", o.check, "exit 5 when the estimate does not fit on the GPUs given");
  app.add_flag("--explain", o.explain, "show each component's formula and inputs");
  app.add_option("-f,--format", o.format, "table (default), json, csv or markdown");
  app.add_option("--units", o.units, "binary (GiB, default) or decimal (GB)");
  app.add_option("--models-dir", o.models_dirs,
                 "extra folder of config.json files (repeatable; also LLMMEM_MODELS_DIR)");
}

}  // namespace

ParseResult parse_options(int argc, char** argv) {
  Options o;
  CLI::App app{"llmmem: how much GPU memory a large language model needs to run or train", "llmmem"};
  app.footer(k_examples);
  app.set_version_flag("--version", std::string("llmmem ") + LLMMEM_VERSION);
  app.require_subcommand(1);

  auto* infer = app.add_subcommand("infer", "memory to run a model");
  add_model_options(*infer, o);
  infer->add_option("--concurrency", o.concurrency, "document method: concurrent calls, one model instance each");
  infer->add_option("--logits", o.logits, "last (default) or all: which logits are kept");
  infer->add_option("--prefill-chunk", o.prefill_chunk,
                    "tokens per prefill step (vLLM max_num_batched_tokens, llama.cpp n_ubatch); default: whole prompt");
  infer->add_flag("--plot", o.plot, "draw memory against context length");
  infer->add_option("--csv-out", o.plot_csv, "write memory against context length as CSV to FILE");

  auto* train = app.add_subcommand("train", "memory to fine-tune or train a model");
  add_model_options(*train, o);
  train->add_option("--optimizer", o.optimizer,
                    "adamw (default), adamw-8bit, paged-adamw, paged-adamw-8bit, sgd, sgd-momentum, adafactor");
  train->add_option("--trainable-percent", o.trainable_percent, "share of parameters trained, 0-100 (default 100)");
  train->add_option("--recipe", o.recipe, "mixed (default), bf16 or megatron");
  train->add_option("--gradient-checkpointing", o.checkpointing, "none (default), selective or full");
  train->add_option("--loss", o.loss, "full (default: fp32 logits, HF) or chunked (torchtune/Liger)");
  train->add_option("--lora-rank", o.lora_rank, "train LoRA adapters of this rank instead of all weights");
  train->add_option("--lora-targets", o.lora_targets, "q,k,v,o (default), gate, up, down or all-linear")
      ->delimiter(',');
  train->add_option("--zero", o.zero, "ZeRO stage 0-3 across --dp");
  train->add_flag("--fsdp", o.fsdp, "fully sharded data parallel (same sharding as --zero 3)");
  train->add_option("--offload", o.offload, "optimizer and/or params to host memory")->delimiter(',');

  auto* fit = app.add_subcommand("fit", "what fits: longest context, largest batch, fewest GPUs, best precision");
  add_model_options(*fit, o);
  fit->add_option("--gpu-memory-utilization", o.gpu_memory_utilization,
                  "share of memory for the vLLM-style KV pool (default 0.9)");
  fit->add_option("--max-gpus", o.max_gpus, "largest GPU count searched (default 64)");
  fit->add_flag("--plot", o.plot, "draw memory against context length");
  fit->add_option("--csv-out", o.plot_csv, "write memory against context length as CSV to FILE");

  auto* inspect = app.add_subcommand("inspect", "show what a config, safetensors or GGUF header holds");
  inspect->add_option("path", o.path, "config.json, model folder, .safetensors or .gguf")->required();
  inspect->add_option("-f,--format", o.format, "table or json");
  inspect->add_option("--units", o.units, "binary (GiB) or decimal (GB)");

  auto* models = app.add_subcommand("models", "list the built-in model catalog");
  models->add_option("-f,--format", o.format, "table, json or csv");
  models->add_option("--models-dir", o.models_dirs, "extra folder of config.json files");

  auto* precisions = app.add_subcommand("precisions", "list weight precisions with their bits per weight");
  precisions->add_option("-f,--format", o.format, "table or json");

  auto* gpus = app.add_subcommand("gpus", "list known GPUs, or this machine's with --local");
  gpus->add_flag("--local", o.local, "query nvidia-smi / rocm-smi for this machine's GPUs");
  gpus->add_option("-f,--format", o.format, "table or json");
  gpus->add_option("--units", o.units, "binary (GiB) or decimal (GB)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return {std::nullopt, app.exit(e)};
  } catch (const CLI::CallForAllHelp& e) {
    return {std::nullopt, app.exit(e)};
  } catch (const CLI::CallForVersion& e) {
    return {std::nullopt, app.exit(e)};
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (auto& c : what)
      if (c == '\n') c = ' ';
    std::cerr << "llmmem: error: " << what << " (see llmmem --help)\n";
    return {std::nullopt, static_cast<int>(ExitCode::usage)};
  }
  for (auto* sub : app.get_subcommands()) o.command = sub->get_name();
  return {o, 0};
}

}  // namespace llmmem::cli
