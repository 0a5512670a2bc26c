#pragma once
// Inference engines as data: one row per engine, each field citing the engine source it comes from
// (docs/engines/ has the notes these were read from). The estimator asks the profile, never the
// engine's name.
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace llmmem {

struct GpuTarget;
struct Model;
struct Request;

// A default that steps up with the GPU's memory: from `min_gib` GiB of device memory on, `tokens`.
struct MemoryStep {
  std::uint64_t min_gib = 0;
  std::uint64_t tokens = 0;
};

struct EngineProfile {
  std::string_view id;                    // what --engine takes: "vllm"
  std::string_view name;                  // "vLLM"
  std::string_view modelled_version;      // the release whose source the fields were read from
  bool token_embeddings_on_host = false;  // the token embedding table stays in host memory
  std::uint64_t context_padding = 1;      // the KV cache holds seq_len rounded up to this
  // Tokens per prefill forward by default (0: the whole prompt), by the GPU's memory: the last step
  // whose min_gib the GPU reaches applies; steps after the first with tokens 0 are unused.
  std::array<MemoryStep, 4> prefill_chunk{};
  bool a100_is_small = false;         // vLLM counts an A100 (even 80 GB) as a small GPU
  std::uint64_t kv_block_tokens = 1;  // KV allocation granularity in tokens
  double memory_fraction = 1.0;       // share of device memory the engine claims up front
  std::string_view source;            // where the fields come from
  std::string_view kv_cache_types;    // llmmem's --kv-precision names the engine can cache in
  std::string_view kv_option;         // the engine's own option for it, for messages
  // Bytes per attention score when attention is not fused (eager / flash attention off): 0 means the
  // compute dtype plus an fp32 softmax copy (HF eager); llama.cpp keeps one f32 KQ matrix and
  // softmaxes it in place (llama-graph.cpp build_attn_mha: GGML_PREC_F32, soft_max_ext in place): 4.
  std::uint64_t score_bytes = 0;
  // Copies of the KV cache alive at a decode step's peak. transformers' DynamicCache (>= 4.36)
  // concatenates one layer at a time and drops the old tensor (cache_utils.py DynamicCache.update):
  // 1. The legacy tuple cache (<= 4.35) has every layer return torch.cat([past, new]) while
  // generate() still holds the old tuple in model_kwargs until the forward returns
  // (generation/utils.py _update_model_kwargs_for_generation): 2.
  std::uint64_t kv_copies_at_decode = 1;
  // Tokens of context when the user gives none (engine_defaults.hpp): 0 keeps llmmem's default;
  // k_model_context is the model's own (llama.cpp's n_ctx 0 = n_ctx_train).
  std::uint64_t default_context = 0;
  bool fits_context = false;  // shrinks that context to the GPU (llama.cpp --fit)
  // Flash attention by default: "" keeps llmmem's default, "*" is on for every model, a list of
  // config.json model_types is on for those and off for the rest (Ollama).
  std::string_view flash_attn_model_types = "";
  bool places_layers = false;  // -ngl, --n-cpu-moe, -nkvo: layers split between GPU and host (llama.cpp)
  // Hidden-size tensors alive at a prefill layer's peak: the residual and the normed input (2); HF
  // modeling code also keeps the token embeddings (LlamaModel.forward's inputs_embeds) and the
  // layer's input (the loop variable of the caller) for the whole forward: 4.
  std::uint64_t prefill_hidden_copies = 2;
  // transformers' DynamicSlidingWindowLayer.update keeps the last window-1 tokens as a slice of the
  // prefill's K/V: a view, so the storage of the whole prompt stays until the first decode step.
  bool sliding_prefill_keeps_prompt = false;
  // Prompts longer than the sliding window under SDPA get a materialised batch × s × s boolean mask
  // (masking_utils.py sliding-window mask: the is_causal shortcut only applies within the window).
  bool sdpa_window_mask = false;
  // MoE experts through grouped_mm_experts_forward (transformers 5 integrations/moe.py): every
  // routed copy of the tokens is gathered, sorted, projected and scattered back, all alive at once.
  bool grouped_mm_experts = false;
};

// EngineProfile::default_context for "the model's own context length".
inline constexpr std::uint64_t k_model_context = ~0ULL;

// Every engine, in the order `--engine` lists them.
[[nodiscard]] const std::vector<EngineProfile>& all_engines();
// By id or name, case-insensitively ("vLLM", "llamacpp"); UsageError with the nearest and the list.
[[nodiscard]] const EngineProfile& find_engine(std::string_view name);
// The engine an estimate assumes: the request's --engine, else llama.cpp for GGUF weights (a .gguf
// file or a GGUF precision such as q4_k_m: only llama.cpp-based engines run them) or a GGUF KV cache
// type (q8_0, q4_0), else transformers.
[[nodiscard]] const EngineProfile& engine_for(const Model& model, const Request& request);
// Whether `engine` can keep its KV cache in `kv_format` (StorageFormat::name).
[[nodiscard]] bool engine_supports_kv(const EngineProfile& engine, std::string_view kv_format);
// Whether `engine` is one of the comma-separated ids ("llama.cpp,ollama").
[[nodiscard]] bool engine_is_one_of(const EngineProfile& engine, std::string_view ids);

// The default prefill chunk of `engine` on a GPU named `gpu_name` with `gpu_memory` bytes (0 and ""
// when no GPU is given: the smallest step).
[[nodiscard]] std::uint64_t default_prefill_chunk(const EngineProfile& engine, std::uint64_t gpu_memory,
                                                  std::string_view gpu_name);
// The prefill chunk the engine `request` assumes would pick on `gpus` (their smallest device bounds
// it): what a request with no chunk of its own runs with under the detailed method.
[[nodiscard]] std::uint64_t default_prefill_chunk(const Model& model, const Request& request, const GpuTarget& gpus);

}  // namespace llmmem
