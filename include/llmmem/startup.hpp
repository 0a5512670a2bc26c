#pragma once
// What an engine reserves and reports at start-up, computed the way the engine computes it
// (docs/engines/ has the step-by-step notes, read from each engine's source).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmmem/bytes.hpp"
#include "llmmem/estimate.hpp"
#include "llmmem/gpu.hpp"
#include "llmmem/ollama_estimate.hpp"

namespace llmmem {

// vLLM's settings that shape its start-up (0: vLLM's default, resolved from the GPU).
struct VllmSettings {
  double gpu_memory_utilization = 0.9;       // config/cache.py CacheConfig
  std::uint64_t max_model_len = 0;           // 0: the model's context length (config/model.py)
  std::uint64_t max_num_seqs = 0;            // 0: 256, or 1024 on a GPU of >= 70 GiB that is not an A100
  std::uint64_t max_num_batched_tokens = 0;  // 0: 2048 / 8192 likewise (`vllm serve`); the prefill chunk
  bool chunked_prefill = true;               // V1 default; off (V0): one prefill of max_model_len tokens
  bool enforce_eager = false;                // no CUDA graphs (ModelConfig.enforce_eager)
};

// vLLM 0.11 (V1 engine), per GPU of the layout: Worker.determine_available_memory and
// kv_cache_utils.get_kv_cache_configs / check_enough_kv_cache_memory.
struct VllmStartup {
  std::uint64_t max_model_len = 0, max_num_seqs = 0, max_num_batched_tokens = 0;
  Bytes total;            // the GPU's total memory (torch.cuda.mem_get_info)
  Bytes requested;        // total × gpu_memory_utilization
  Bytes weights;          // this rank's weights
  Bytes activation_peak;  // the profile run: max_num_batched_tokens tokens through the model
  Bytes sampler_logits;   // and the sampler's fp32 logits for min(max_num_seqs, tokens) requests
  Bytes non_torch;        // non-torch memory that appears during the profile run (NCCL, cuBLAS)
  Bytes kv_budget;        // requested − weights − activation_peak − sampler_logits − non_torch (0 when short)
  std::uint64_t block_size = 16;         // tokens per KV block (CacheConfig; 16 on CUDA)
  std::uint64_t full_groups = 1;         // KV cache groups of full-attention layers (hybrid allocator)
  std::uint64_t sliding_groups = 0;      // and of sliding-window layers
  std::uint64_t block_bytes = 0;         // one block: a page of every layer of one group, this rank
  std::uint64_t num_gpu_blocks = 0;      // floor(kv_budget / block_bytes)
  std::uint64_t kv_tokens = 0;           // num_gpu_blocks / groups × block_size ("GPU KV cache size: N tokens")
  Bytes needed_for_max_model_len;        // the blocks one max_model_len request needs × block_bytes
  std::uint64_t longest_request = 0;     // the longest request the pool holds (what `auto` picks)
  std::uint64_t max_model_len_fits = 0;  // min(max_model_len, longest_request)
  double max_concurrency = 0;            // num_gpu_blocks / the blocks of one max_model_len request
  bool starts = false;                   // one request of max_model_len fits: vLLM starts
  std::string error;                     // the error vLLM raises when it does not
  // CUDA graphs (gpu_model_runner.py capture_model), captured after the pool is sized, so in v0.11
  // they come out of the (1 − gpu_memory_utilization) margin, not the pool; their size is measured
  // by vLLM, not computed, and llmmem does not size them (docs/engines/vllm-sglang.md §1.4).
  bool enforce_eager = false;
  std::uint64_t graph_sizes = 0;    // batch sizes captured: [1, 2, 4] + 8..248 by 8 + 256..max by 16
  std::uint64_t largest_graph = 0;  // max_cudagraph_capture_size = min(2 × max_num_seqs, 512)
  Bytes graph_margin;               // total − requested: where the graphs must fit
};

// `request` gives the model's precision, KV precision and layout (tensor parallelism per rank).
[[nodiscard]] VllmStartup vllm_startup(const Model& model, const Request& request, Bytes gpu_total,
                                       std::string_view gpu_name, const VllmSettings& settings);

// SGLang's settings that shape its start-up (0: SGLang's default for the GPU).
struct SglangSettings {
  double mem_fraction_static = 0;  // 0: derived from the GPU (server_args.py _handle_gpu_memory_settings)
  std::uint64_t context_len = 0;   // 0: the model's context length
};

// SGLang 0.5, per GPU of the layout: ServerArgs._handle_gpu_memory_settings and
// ModelRunner.profile_max_num_token / init_memory_pool. No profile run: activations and CUDA graphs
// live in the (1 − mem_fraction_static) margin.
struct SglangStartup {
  std::uint64_t gpu_mem_mib = 0;           // memory.total in MiB
  std::uint64_t chunked_prefill_size = 0;  // by GPU memory
  std::uint64_t cuda_graph_max_bs = 0;     // by GPU memory and tp
  std::uint64_t reserved_mib = 0;          // what the default fraction keeps back
  double mem_fraction_static = 0;          // given, or round((gpu_mem − reserved) / gpu_mem, 3)
  Bytes free_at_init;                      // total less the CUDA context (mem_get_info after init)
  Bytes weights;                           // this rank's weights
  Bytes kv_pool;                           // f × free_at_init − weights ("rest_memory")
  std::uint64_t cell_bytes = 0;            // one token over every KV layer of this rank
  std::uint64_t max_total_num_tokens = 0;  // kv_pool / cell_bytes ("KV Cache is allocated. #tokens")
  std::uint64_t context_len = 0;
  std::uint64_t max_running_requests = 0;  // min(tokens // 2, req_to_token pool size)
  bool starts = false;
  std::string error;
};
[[nodiscard]] SglangStartup sglang_startup(const Model& model, const Request& request, Bytes gpu_total,
                                           const SglangSettings& settings);

// llama.cpp's context settings that size its buffers (llama-context.cpp, common/common.h).
struct LlamaCppSettings {
  std::uint64_t n_ubatch = 512;  // physical batch: the compute graph is reserved for it
  std::uint64_t n_seq_max = 1;   // --parallel: sequences sharing the (unified) cache
  bool flash_attn = true;        // FA "auto" turns on where the backend supports it (CUDA)
  bool embeddings = false;       // Ollama's runner turns it on: the output buffer also holds n_embd
};

// One buffer llama.cpp logs at load ("CUDA0 compute buffer size = 560.00 MiB").
struct LlamaCppBuffer {
  std::string name;    // model, kv, output, compute
  std::string device;  // CUDA0, CUDA_Host, CPU_Mapped
  Bytes bytes;
};

// llama.cpp (ec98e2002, Dec 2025) with every layer on one GPU; `request.seq_len` is n_ctx (over all
// sequences), padded to 256 by the engine profile.
struct LlamaCppStartup {
  std::uint64_t n_ctx = 0, n_ubatch = 0, n_seq_max = 0;
  bool flash_attn = false;
  std::vector<LlamaCppBuffer> buffers;
  Bytes gpu_total, host_total;
};
[[nodiscard]] LlamaCppStartup llama_cpp_startup(const Model& model, const Request& request,
                                                const LlamaCppSettings& settings);

// What the user set of each engine's start-up (anything left at 0 or default: the engine's own).
struct EngineSettings {
  VllmSettings vllm;
  SglangSettings sglang;
  std::uint64_t n_seq_max = 1;  // llama.cpp/Ollama --parallel
};

// What the engine an inference estimate assumes reserves at start-up: at most one is set. vLLM and
// SGLang size themselves by the GPU, so they need one; llama.cpp's buffers do not.
struct EngineStartup {
  std::optional<VllmStartup> vllm;
  std::optional<SglangStartup> sglang;
  std::optional<LlamaCppStartup> llama_cpp;
  std::optional<OllamaEstimate> ollama;  // Ollama (with GPUs): its scheduler's estimate before loading
};

// `request` is the request as it will run (layout judged, prefill chunk resolved): its prefill
// chunk is vLLM's max_num_batched_tokens and llama.cpp's n_ubatch; --attention flash is llama.cpp's
// flash attention on. Empty for training, the document method and engines without a start-up model.
[[nodiscard]] EngineStartup engine_startup(const Model& model, const Request& request, const GpuTarget* gpus,
                                           const EngineSettings& settings);

// When the engine would not start or run on the GPUs judged, the verdict does not fit, with the
// engine's reason as a note (vLLM's and SGLang's errors; llama.cpp's buffers over one GPU).
void apply_engine_startup(const EngineStartup& startup, const EngineProfile& engine, GpuVerdict& verdict);

}  // namespace llmmem
