#include "llmmem/engine.hpp"

#include <fmt/format.h>

#include "llmmem/error.hpp"
#include "llmmem/estimate.hpp"
#include "llmmem/gpu.hpp"
#include "llmmem/spell.hpp"
#include "text.hpp"

namespace llmmem {

namespace {

// The rows. Sources (read from each engine's code; see docs/engines/ for the step-by-step notes):
// - transformers 5.17 (measured with torch 2.11 on an H200: tests/validation/measured/): generation/utils.py
//   generate() runs the whole prompt in one forward; the DynamicCache (cache_utils.py) grows by one
//   token per step, no blocks, no padding; the prefill holds four hidden-size tensors per token
//   (LlamaModel.forward keeps inputs_embeds, the decoder loop the layer's input, the layer its
//   residual and normed input); DynamicSlidingWindowLayer keeps a view of the prompt's K/V (the whole
//   storage) until the first decode step; a prompt longer than the window gets an s × s boolean SDPA
//   mask; MoE experts run grouped_mm_experts_forward (integrations/moe.py).
// - vLLM 0.11 (V1 engine): chunked prefill on by default with max_num_batched_tokens 2048 for
//   `vllm serve` on GPUs under 70 GiB or any A100, 8192 on larger ones (engine/arg_utils.py
//   EngineArgs._set_default_args: "large" is >= 70 GiB and not an A100); block_size 16 on CUDA (config/cache.py
//   CacheConfig, platforms/cuda.py); gpu_memory_utilization 0.9 (CacheConfig).
// - SGLang 0.5: chunked_prefill_size 2048 under 35 GiB, 4096 under 60 GiB, 8192 above (server_args.py
//   ServerArgs._handle_gpu_memory_settings; 16384 from 160 GiB); page_size 1 (token-granular pool); mem_fraction_static
//   is derived from the GPU (0.88 on H100), taken as 0.9 until the SGLang profile computes it.
// - llama.cpp: n_ctx padded to 256 (src/llama-context.cpp, llama_context constructor:
//   GGML_PAD(n_ctx, 256)), n_ubatch 512 (common/common.h, common_params), token_embd kept in host
//   memory (src/llama-model.cpp load_tensors: the input layer is assigned to the CPU).
// - Ollama: runs llama.cpp's ggml runner with the same buffers and a 512-token batch
//   (api/types.go DefaultOptions NumBatch 512).
// clang-format off
const std::vector<EngineProfile> k_engines = {
    // id, name, modelled version, token embeddings on host, context padding, prefill chunk by GPU
    // memory, A100 counted small, KV block tokens, memory fraction, source, KV cache types, KV option,
    // bytes per unfused attention score (0: dtype + fp32 softmax copy), KV copies at a decode peak,
    // default context, --fit, flash attention by default, layers split between GPU and host
    {"transformers", "transformers", "5.17", false, 1, {{{0, 0}}}, false, 1, 1.0,
     "generation/utils.py generate(); cache_utils.py DynamicCache, DynamicSlidingWindowLayer; "
     "models/llama/modeling_llama.py LlamaModel.forward; masking_utils.py; integrations/moe.py",
     "fp32,fp16,bf16", "the model's torch_dtype (cache_utils.py DynamicCache)", 0, 1, 0, false, "", false,
     4, true, true, true},
    {"transformers-legacy", "transformers (legacy tuple cache)", "4.35", false, 1, {{{0, 0}}}, false, 1, 1.0,
     "models/llama/modeling_llama.py LlamaAttention (torch.cat of past_key_value); generation/utils.py "
     "_update_model_kwargs_for_generation",
     "fp32,fp16,bf16", "the model's torch_dtype", 0, 2, 0, false, "", false, 4},
    {"vllm", "vLLM", "0.11", false, 1, {{{0, 2048}, {70, 8192}}}, true, 16, 0.9,
     "engine/arg_utils.py _set_default_args; config/cache.py CacheConfig; v1/worker/gpu_worker.py",
     "fp32,fp16,bf16,fp8", "--kv-cache-dtype auto, fp8, fp8_e4m3 or fp8_e5m2 (config/cache.py CacheDType)"},
    {"sglang", "SGLang", "0.5", false, 1, {{{0, 2048}, {35, 4096}, {60, 8192}, {160, 16384}}}, false, 1, 0.9,
     "srt/server_args.py _handle_gpu_memory_settings; srt/model_executor/model_runner.py",
     "fp32,fp16,bf16,fp8", "--kv-cache-dtype auto, fp8_e4m3 or fp8_e5m2 (srt/server_args.py)"},
    {"llama.cpp", "llama.cpp", "ec98e2002 (2025-12)", true, 256, {{{0, 512}}}, false, 1, 1.0,
     "src/llama-context.cpp (n_ctx padding); common/common.h (n_ubatch); src/llama-model.cpp load_tensors",
     "fp32,fp16,bf16,q8_0,q4_0", "-ctk/-ctv f32, f16, bf16, q8_0 or q4_0 (common/arg.cpp kv_cache_types)", 4, 1,
     // common/common.h: n_ctx 0 (= n_ctx_train), --fit on, flash_attn_type auto (on for CUDA)
     k_model_context, true, "*", true},
    {"ollama", "Ollama", "0.12", true, 256, {{{0, 512}}}, false, 1, 1.0,
     "api/types.go DefaultOptions; llama.cpp runner (as llama.cpp)",
     "fp16,q8_0,q4_0", "OLLAMA_KV_CACHE_TYPE f16, q8_0 or q4_0 (envconfig/config.go)", 4, 1,
     // api/types.go DefaultOptions NumCtx 4096 (v0.6.7 to v0.15.4); fs/ggml/ggml.go FlashAttention():
     // on by default only for gemma3, gptoss, qwen3, qwen3moe, qwen3vl, qwen3vlmoe (v0.12.10)
     4096, false, "gemma3,gemma3_text,gpt_oss,qwen3,qwen3_moe,qwen3_vl,qwen3_vl_moe", true},
};
// clang-format on

}  // namespace

const std::vector<EngineProfile>& all_engines() { return k_engines; }

const EngineProfile& find_engine(std::string_view name) { return find_row(k_engines, name, "engine"); }

const EngineProfile& engine_for(const Model& model, const Request& request) {
  // Rows by position, not by name: this runs in every estimate (bench: BM_EstimateDetailed).
  static const EngineProfile& transformers = find_engine("transformers");
  static const EngineProfile& llama_cpp = find_engine("llama.cpp");
  if (request.engine) return *request.engine;
  if (model.engine) return *model.engine;
  if (request.precision && request.precision->family == PrecisionFamily::gguf) return llama_cpp;
  if (request.kv_format && (request.kv_format->name == "q8_0" || request.kv_format->name == "q4_0")) return llama_cpp;
  return transformers;
}

bool engine_supports_kv(const EngineProfile& engine, std::string_view kv_format) {
  return text::in_list(engine.kv_cache_types, kv_format);
}

bool engine_is_one_of(const EngineProfile& engine, std::string_view ids) { return text::in_list(ids, engine.id); }

std::uint64_t default_prefill_chunk(const EngineProfile& engine, std::uint64_t gpu_memory, std::string_view gpu_name) {
  const bool a100 = text::lower(gpu_name).find("a100") != std::string::npos;
  std::uint64_t tokens = engine.prefill_chunk[0].tokens;
  for (std::size_t i = 1; i < engine.prefill_chunk.size(); ++i) {
    const MemoryStep& step = engine.prefill_chunk[i];
    if (step.tokens == 0 || (engine.a100_is_small && a100)) break;
    if (gpu_memory >= (step.min_gib << 30)) tokens = step.tokens;
  }
  return tokens;
}

std::uint64_t default_prefill_chunk(const Model& model, const Request& request, const GpuTarget& gpus) {
  const GpuDevice& smallest = gpus.smallest_device();
  return default_prefill_chunk(engine_for(model, request), smallest.memory.count(), smallest.name);
}

}  // namespace llmmem
