#include "request_builder.hpp"

#include "llmmem/framework.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "../text.hpp"
#include "llmmem/error.hpp"
#include "llmmem/fit.hpp"
#include "llmmem/render.hpp"

namespace llmmem::cli {

namespace {

// A whole number as typed: digits only (no fraction, sign or exponent): `--batch 1.5` is an error,
// never 2.
std::uint64_t parse_whole(const std::string& text, std::string_view flag) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) throw UsageError(fmt::format("{} '{}' is too large", flag, text));
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw UsageError(fmt::format("{} expects a whole number, got '{}'", flag, text));
  return v;
}

double parse_double(const std::string& text, std::string_view flag) {
  double v = 0;
  if (!llmmem::text::parse_double(text, v) || !std::isfinite(v))
    throw UsageError(fmt::format("{} expects a number, got '{}'", flag, text));
  return v;
}

// --image-size: WxH ("1024x768") or one side for a square ("896"), each a whole number of pixels.
ImageSize parse_image_size(const std::string& text) {
  const auto x = text.find_first_of("xX");
  const std::string w = x == std::string::npos ? text : text.substr(0, x);
  const std::string h = x == std::string::npos ? text : text.substr(x + 1);
  if (w.empty() || h.empty())
    throw UsageError(fmt::format("--image-size expects WxH or PIXELS (e.g. 1024x768 or 896), got '{}'", text));
  const std::uint64_t width = parse_whole(w, "--image-size"), height = parse_whole(h, "--image-size");
  if (width == 0 || height == 0) throw UsageError(fmt::format("--image-size must be at least 1x1, got '{}'", text));
  return {width, height};
}

}  // namespace

std::uint64_t parse_positive(const std::string& text, std::string_view flag) {
  const std::uint64_t v = parse_whole(text, flag);
  if (v == 0) throw UsageError(fmt::format("{} must be at least 1, got '{}'", flag, text));
  return v;
}

std::uint64_t parse_tokens(const std::string& text, std::string_view flag) {
  try {
    return llmmem::parse_tokens(text);
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("{}: {}", flag, e.what()));
  }
}

Bytes parse_size_flag(const std::string& text, std::string_view flag) {
  if (text.empty()) throw UsageError(fmt::format("{} is empty: give a size such as 24GiB or 80GB", flag));
  try {
    return parse_size(text);
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("{}: {}", flag, e.what()));
  }
}

double parse_fraction(const std::string& text, std::string_view flag) {
  const double v = parse_double(text, flag);
  if (v <= 0 || v > 1) throw UsageError(fmt::format("{} must be in (0, 1], got '{}'", flag, text));
  return v;
}

Request build_request(const Options& o) {
  Request r;
  r.mode = o.command == "train" || (o.command == "fit" && o.fit_train) ? Mode::training : Mode::inference;
  if (o.command == "fit" && !o.fit_train)
    for (const char* flag : {"--optimizer", "--trainable-percent", "--recipe", "--gradient-checkpointing", "--loss",
                             "--lora-rank", "--lora-targets", "--zero", "--fsdp", "--offload", "--framework",
                             "--optimizer-in-bwd", "--activation-offload", "--upcast-unquantized"})
      if (o.has(flag)) throw UsageError(fmt::format("{} is a training setting: add --train to fit", flag));
  r.method = parse_method(o.method);
  if (o.has("--precision")) {
    if (o.precision.empty()) throw UsageError("--precision is empty: give one of `llmmem precisions`");
    r.precision = &find_precision(o.precision);
  }
  if (o.has("--kv-precision")) {
    if (o.kv_precision.empty()) throw UsageError("--kv-precision is empty: give fp16, bf16, fp8, q8_0, ...");
    // "auto" is vLLM's and SGLang's word for the model's own dtype: no separate KV precision.
    if (o.kv_precision != "auto") r.kv_format = &find_kv_format(o.kv_precision);
  }
  r.batch = parse_positive(o.batch, "--batch");
  r.seq_len = parse_tokens(o.seq_len, "--seq-len");
  if (r.seq_len == 0) throw UsageError("--seq-len must be at least 1");
  if (o.has("--target-len")) {
    r.target_len = parse_tokens(o.target_len, "--target-len");
    if (r.target_len == 0) throw UsageError("--target-len must be at least 1");
  }
  r.concurrency = parse_positive(o.concurrency, "--concurrency");
  r.images = parse_whole(o.images, "--images");
  if (o.has("--image-size")) r.image_size = parse_image_size(o.image_size);
  if (o.has("--params")) {
    r.params_override = parse_count(o.params);
    if (*r.params_override == 0) throw UsageError("--params must be positive");
  }
  if (o.has("--engine")) {
    if (o.engine.empty()) throw UsageError("--engine is empty: give transformers, vllm, sglang, llama.cpp or ollama");
    if (r.mode == Mode::training)
      throw UsageError("--engine names an inference engine; training frameworks are not modelled as engines");
    r.engine = &find_engine(o.engine);
  }
  r.attention = parse_attention(o.attention);
  if (o.has("--flash-attn")) {
    // llama.cpp's -fa on|off|auto; off computes an f32 KQ matrix (eager-style); auto turns it on
    // where the backend has it (CUDA: llama-context.cpp, flash_attn_type auto).
    if (o.has("--attention")) throw UsageError("give --flash-attn (llama.cpp's words) or --attention, not both");
    if (o.flash_attn == "on" || o.flash_attn == "auto")
      r.attention = Attention::flash;
    else if (o.flash_attn == "off")
      r.attention = Attention::eager;
    else
      throw UsageError(fmt::format("--flash-attn takes on, off or auto, not '{}'", o.flash_attn));
  }
  r.logits = parse_logits(o.logits);
  // llama.cpp's layer placement (-ngl, --cpu-moe, --n-cpu-moe, -nkvo, --no-mmap); "auto" is left
  // to the engine defaults (apply_engine_defaults), "all" is every layer and the output.
  if (o.has("--gpu-layers") && o.gpu_layers != "all" && o.gpu_layers != "auto")
    r.offload.gpu_layers = parse_whole(o.gpu_layers, "--gpu-layers");
  if (o.cpu_moe && o.has("--n-cpu-moe")) throw UsageError("give --cpu-moe or --n-cpu-moe N, not both");
  if (o.cpu_moe) r.offload.cpu_moe_layers = ~0ULL;  // every layer (place_layers clamps to n_layer)
  if (o.has("--n-cpu-moe")) r.offload.cpu_moe_layers = parse_whole(o.n_cpu_moe, "--n-cpu-moe");
  for (const auto& ratio : o.tensor_split) {
    const double v = parse_double(ratio, "--tensor-split");
    if (v < 0 || v > 1e6) throw UsageError(fmt::format("--tensor-split ratio '{}' must be from 0 to 1000000", ratio));
    r.offload.tensor_split.push_back(v);
  }
  if (!r.offload.tensor_split.empty()) {
    double sum = 0;
    for (double v : r.offload.tensor_split) sum += v;
    if (sum <= 0) throw UsageError("--tensor-split needs at least one positive ratio");
  }
  if (o.has("--cpu-offload-gb")) {
    // vLLM's unit: GiB (EngineArgs.cpu_offload_gb, "the space in GiB to offload to CPU, per GPU").
    const double gib = parse_double(o.cpu_offload_gb, "--cpu-offload-gb");
    if (gib < 0 || gib > 1e6)
      throw UsageError(fmt::format("--cpu-offload-gb '{}' must be from 0 to 1000000", o.cpu_offload_gb));
    r.cpu_offload = Bytes(static_cast<std::uint64_t>(gib * 1073741824.0));
  }
  r.offload.kv_offload = !o.no_kv_offload;
  r.offload.mmap = !o.no_mmap;
  r.prefill_chunk = parse_tokens(o.prefill_chunk, "--prefill-chunk");
  if (o.has("--overhead")) r.overhead = parse_size_flag(o.overhead, "--overhead");
  r.optimizer = parse_optimizer(o.optimizer);
  r.trainable_percent = parse_double(o.trainable_percent, "--trainable-percent");
  r.recipe = parse_recipe(o.recipe);
  r.checkpointing = parse_checkpointing(o.checkpointing);
  r.loss = parse_loss(o.loss);
  if (o.has("--framework")) {
    if (o.framework.empty())
      throw UsageError("--framework is empty: give trainer, torchtune, deepspeed, fsdp or unsloth");
    r.framework = &find_framework(o.framework);
  }
  r.optimizer_in_bwd = o.optimizer_in_bwd;
  r.activation_offload = o.activation_offload;
  r.upcast_unquantized = o.upcast_unquantized;
  r.expandable_segments = o.expandable_segments;
  r.lora_rank = parse_whole(o.lora_rank, "--lora-rank");
  r.lora_targets = o.lora_targets;
  r.layout.tp = parse_positive(o.tp, "--tp");
  r.layout.pp = parse_positive(o.pp, "--pp");
  r.layout.dp = parse_positive(o.dp, "--dp");
  r.layout.ep = parse_positive(o.ep, "--ep");
  const std::uint64_t zero = parse_whole(o.zero, "--zero");
  if (zero > 3) throw UsageError(fmt::format("--zero must be 0, 1, 2 or 3, got '{}'", o.zero));
  if (o.fsdp && o.has("--zero") && zero != 3)
    throw UsageError(fmt::format("--fsdp shards like --zero 3; it contradicts --zero {}", zero));
  r.layout.zero = o.fsdp ? 3 : static_cast<int>(zero);
  r.layout.gpus_per_node = parse_positive(o.gpus_per_node, "--gpus-per-node");
  for (const auto& what : o.offload) {
    if (what == "optimizer")
      r.layout.offload_optimizer = true;
    else if (what == "params")
      r.layout.offload_params = true;
    else
      throw UsageError(fmt::format("--offload takes optimizer and/or params, not '{}'", what));
  }
  // FSDP's CPUOffload(offload_params=True) keeps parameters and gradients on the CPU and steps the
  // optimizer there, so its states are on the host too (torch/distributed/fsdp/api.py CPUOffload).
  if (o.fsdp && r.layout.offload_params) r.layout.offload_optimizer = true;
  // Options that would be silently ignored are usage errors (issue 9, item 13).
  if (o.has("--concurrency") && r.method != Method::document)
    throw UsageError(
        "--concurrency applies to --method document (one model instance per call); "
        "the detailed method serves concurrent requests with --batch");
  if (o.has("--lora-targets") && r.lora_rank == 0) throw UsageError("--lora-targets needs --lora-rank");
  if (o.has("--trainable-percent") && r.lora_rank > 0)
    throw UsageError("--trainable-percent and --lora-rank both set what is trained; give one");
  if (r.method == Method::document) {
    for (const char* flag : {"--engine",
                             "--attention",
                             "--logits",
                             "--prefill-chunk",
                             "--kv-precision",
                             "--overhead",
                             "--ep",
                             "--zero",
                             "--fsdp",
                             "--offload",
                             "--recipe",
                             "--gradient-checkpointing",
                             "--loss",
                             "--lora-rank",
                             "--lora-targets",
                             "--framework",
                             "--optimizer-in-bwd",
                             "--activation-offload",
                             "--upcast-unquantized",
                             "--expandable-segments"})
      if (o.has(flag))
        throw UsageError(
            fmt::format("{} is not part of --method document (the article's formulas); "
                        "use the default detailed method",
                        flag));
  }
  validate(r);
  return r;
}

std::vector<std::filesystem::path> models_dirs(const Options& o) {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("LLMMEM_MODELS_DIR"); env && *env) {
    std::string_view rest = env;
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      if (colon != 0) dirs.emplace_back(std::string(rest.substr(0, colon)));
      rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    }
  }
  for (const auto& d : o.models_dirs) dirs.emplace_back(d);
  return dirs;
}

}  // namespace llmmem::cli
