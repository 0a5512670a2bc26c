#pragma once
// What Ollama's scheduler estimates before it loads a model: the `msg=offload` log line.
//
// Modelled on Ollama v0.12.10, the last release whose llm/memory.go estimateGPULayers() decides the
// layers of the llama.cpp runner (commit f560bd077, v0.12.11, removed it). The graph and KV sizes
// are fs/ggml/ggml.go GraphSize(); MinimumMemory() is ml/device.go. The same estimate drove every
// GGUF model up to v0.11.4, including those of the Go engine (gemma3, qwen3, ...); from v0.11.5 the
// Go engine measures its layout instead. docs/engines/llamacpp-ollama-transformers.md §2.2 walks
// through it.
//
// Releases differ in what the log line prints, not in the estimate: up to v0.6.1
// memory.weights.total printed Σ blk + KV and memory.weights.repeating Σ blk + KV − output (v0.6.2
// printed Σ blk for both); from v0.6.3 they are the fields below. Up to v0.6.8 the layers were placed
// first to last and the unplaced ones counted at the last layer's size (same figures for uniform layers).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmmem/bytes.hpp"
#include "llmmem/estimate.hpp"
#include "llmmem/request.hpp"

namespace llmmem {

// The Ollama release the estimate follows.
inline constexpr std::string_view k_ollama_estimate_version = "v0.12.10";

// The options and environment that enter the estimate, under Ollama's names and with its defaults.
struct OllamaSettings {
  std::uint64_t num_ctx = 4096;    // tokens per sequence (api/types.go DefaultOptions; 2048 up to v0.6.6)
  std::uint64_t num_batch = 512;   // DefaultOptions; GraphSize sees min(num_ctx, num_batch)
  std::uint64_t num_parallel = 1;  // OLLAMA_NUM_PARALLEL (1 from v0.10.0; earlier 4 or 2, then 1)
  // OLLAMA_FLASH_ATTENTION; nullopt: the model's default (GGML.FlashAttention(): on for gemma3,
  // gptoss, qwen3, qwen3moe, qwen3vl, qwen3vlmoe). Applied only where GGML.SupportsFlashAttention()
  // (not gemma2, key and value head sizes equal); every GPU is assumed to support it.
  std::optional<bool> flash_attn;
  // OLLAMA_KV_CACHE_TYPE: "" or "f16", "q8_0", "q4_0" (case-insensitive); honoured only with flash
  // attention (estimateGPULayers). Other names throw UsageError (Ollama would fall back to f16).
  std::string kv_cache_type;
  Bytes gpu_overhead;         // OLLAMA_GPU_OVERHEAD, reserved on every GPU
  std::int64_t num_gpu = -1;  // layers the user asked to offload; -1: let the estimate decide
  bool metal = false;         // Apple GPU: MinimumMemory() 512 MiB (457 MiB CUDA/ROCm), partial graph = full
  // A multimodal model's vision projector, which llmmem does not size: the projector.weights and
  // projector.graph the log prints. In the model file (Go engine, GGML.VisionGraphSize()) both load
  // with the output layer; a separate mmproj file (llama runner, projectorMemoryRequirements()) has
  // no graph and its weights load on the first usable GPU.
  Bytes projector_weights;
  Bytes projector_graph;
  bool projector_file = false;
};

// The estimate, field by field as MemoryEstimate.LogValue() prints it (llm/memory.go).
struct OllamaEstimate {
  std::string architecture;   // the GGUF general.architecture the formulas were chosen by ("llama")
  bool flash_attn = false;    // useFlashAttention
  std::string kv_cache_type;  // the KV type applied: "f16", "q8_0" or "q4_0"

  std::int64_t layers_requested = -1;       // layers.requested: num_gpu
  std::uint64_t layers_model = 0;           // layers.model: block_count + 1 (the output layer)
  std::uint64_t layers_offload = 0;         // layers.offload: what the runner gets as num_gpu; 0 if none fit
  std::vector<std::uint64_t> layers_split;  // layers.split: layers per GPU (tensor_split), output included

  Bytes minimum_memory;             // MinimumMemory() reserved on each usable GPU
  Bytes layer_buffer;               // blk.0 + its KV: reserved once more on each usable GPU
  std::vector<Bytes> kv_per_layer;  // GraphSize kv[i]: context × numParallel × (K + V head sizes) ×
                                    // KV heads × bytes per element (2, 1 for q8_0, 0.5 for q4_0), no padding
  std::vector<Bytes> allocations;   // memory.required.allocations: per GPU, graph included

  Bytes memory_required_full;     // memory.required.full (TotalSize): allocations + what stays in RAM
  Bytes memory_required_partial;  // memory.required.partial (VRAMSize): Σ allocations; 0 if no layer fits
  Bytes memory_required_kv;       // memory.required.kv: Σ kv_per_layer
  Bytes weights_total;            // memory.weights.total: repeating + nonrepeating
  Bytes weights_repeating;        // memory.weights.repeating: Σ blk.N tensors (Tensors().GroupLayers())
  Bytes weights_nonrepeating;     // memory.weights.nonrepeating: output_norm + (output, or token_embd if tied)
  Bytes graph_full;               // memory.graph.full: GraphSize fullOffload (= partial on several GPUs)
  Bytes graph_partial;            // memory.graph.partial: GraphSize partialOffload (= full on Metal)
  Bytes projector_weights;        // projector.weights, as given
  Bytes projector_graph;          // projector.graph, as given (0 for a separate mmproj file)
  bool fully_offloaded = false;   // all block_count + 1 layers placed: each GPU adds graph_full, else graph_partial
};

// Ollama's estimate for `model` on GPUs with `gpu_free` bytes free each, in the order the scheduler
// tries them (pickBestFullFitByLibrary: most free first); empty: CPU only. The weights are the
// model's GGUF tensors when it was read from a .gguf file (grouped by name as GroupLayers() does),
// otherwise its inventory stored at `request.precision` (a GGUF type such as q4_k_m, or f32/f16/bf16;
// nullptr: the config's dtype). A catalog model's mixes (Q4_K_M's Q6_K layers) are spread evenly
// over the layers. Only the precision is read from `request`; num_ctx, num_batch and num_parallel
// come from `settings`.
// Throws UsageError (a non-GGUF precision, zero num_ctx/num_batch/num_parallel, an unknown KV type)
// and UnsupportedError (an architecture llama.cpp does not run, or one whose estimate needs
// what llmmem does not model: deepseek2 (MLA), gptoss, mllama, chatglm).
[[nodiscard]] OllamaEstimate ollama_estimate(const Model& model, const Request& request, const OllamaSettings& settings,
                                             const std::vector<Bytes>& gpu_free);

}  // namespace llmmem
