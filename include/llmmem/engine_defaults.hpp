#pragma once
// What an engine picks when the user does not say: its context length (llama.cpp sizes it to the
// GPU with --fit, Ollama has num_ctx) and whether flash attention is on. The CLI and every other
// front end call this once, after the request is built and before it is estimated.
#include <cstdint>
#include <string>
#include <vector>

#include "llmmem/bytes.hpp"

namespace llmmem {

struct GpuTarget;
struct Model;
struct Request;

// The fields of a request the user left unset, for the engine's defaults to fill.
struct Unset {
  bool seq_len = false;          // no --seq-len
  bool attention = false;        // no --attention or --flash-attn
  bool gpu_layers = false;       // no --gpu-layers: the engine decides (llama.cpp --fit, Ollama's estimate)
  bool gpu_layers_auto = false;  // --gpu-layers auto: the most layers that fit, whatever else is set
};

// llama.cpp's --fit on the context (llama_params_fit_impl, src/llama.cpp, ec98e2002): a dry run at
// n_ctx_train; when the GPU would keep less than the 1 GiB margin free, n_ctx shrinks by the deficit
// over the KV bytes per token, not below 4096 (fit_params_min_ctx). The compute buffer is taken as
// constant, as the engine does.
struct LlamaCppFit {
  std::uint64_t n_ctx_train = 0;  // the model's training context (n_ctx 0 = this)
  std::uint64_t n_ctx = 0;        // what --fit leaves (before the 256-token padding)
  Bytes margin;                   // fit_params_target: 1024 MiB per device
  Bytes projected_free;           // free − (model + context + compute) at n_ctx_train, per device (0 if short)
  bool reduced = false;           // "context size reduced from X to Y"
  bool fits = false;              // shrinking the context was enough (else --fit moves layers to the CPU)
};
// On `gpus` (devices of equal memory share weights and KV evenly, each holds a compute buffer);
// `request` gives precision, KV type, attention and --parallel via n_seq_max.
[[nodiscard]] LlamaCppFit llama_cpp_fit(const Model& model, const Request& request, const GpuTarget& gpus,
                                        std::uint64_t n_seq_max);

// The most layers llama.cpp can put on one GPU (-ngl, counting the output layer as layer n_layer + 1)
// with its GPU buffers at least `margin` under the GPU's free memory (--fit's second step:
// llama_params_fit_impl moves layers to the CPU back to front). 0 when not even the first fits.
[[nodiscard]] std::uint64_t llama_cpp_fit_layers(const Model& model, const Request& request, const GpuTarget& gpus,
                                                 std::uint64_t n_seq_max);

// Fills what `unset` names with the defaults of the engine the request assumes, and returns a note
// for each decision the user should see ("llama.cpp --fit: context 131072 → 30464 ...").
// llama.cpp: n_ctx 0 = n_ctx_train, lowered by --fit when GPUs are given; flash attention auto (on
// for CUDA). Ollama v0.12.10: num_ctx 4096 per sequence; flash attention only for the model
// types of its list. Others: no change.
std::vector<std::string> apply_engine_defaults(const Model& model, Request& request, const Unset& unset,
                                               const GpuTarget* gpus, std::uint64_t n_seq_max);

}  // namespace llmmem
