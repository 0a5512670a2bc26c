#pragma once
// The tensor inventory of a model and its exact parameter counts, derived from a ModelConfig.
#include <cstdint>
#include <string>
#include <vector>

#include "llmmem/model_config.hpp"

namespace llmmem {

// What a tensor does; decides its storage format, LoRA eligibility and tensor-parallel sharding.
enum class TensorRole {
  embedding,      // token embeddings
  position,       // learned position embeddings
  attention,      // q/k/v/o and MLA projections
  mlp,            // dense MLP matrices
  expert,         // routed expert matrices
  shared_expert,  // always-active expert matrices
  router,         // MoE gate
  norm,           // norm weights and biases
  bias,           // linear biases
  lm_head,        // output projection
  other,          // sinks, correction biases
  vision,         // vision towers and projectors (and Gemma 3n's audio tower): kept in 16 bits
};

// `count` identical tensors of shape [rows, cols] (rows = output features, cols = input features;
// 1-D tensors have cols = 1). `count` is layers x experts for stacked weights.
struct TensorGroup {
  std::string name;  // "attn.q", "mlp.down", "experts.up" ...
  TensorRole role = TensorRole::other;
  std::uint64_t rows = 0;
  std::uint64_t cols = 1;
  std::uint64_t count = 1;
  std::string lora_target;  // "q","k","v","o","gate","up","down" (fused: "qkv","gate_up"); "" not adaptable
  bool per_layer = false;   // one per decoder layer (count is a multiple of n_layers)

  [[nodiscard]] std::uint64_t elements() const;  // rows * cols * count, checked
  [[nodiscard]] bool is_matrix() const { return cols > 1 && rows > 1; }
};

struct ParameterCount {
  std::vector<TensorGroup> groups;     // what the model loads (no MTP layers)
  std::uint64_t total = 0;             // sum of groups
  std::uint64_t active = 0;            // per token: total minus unrouted experts (== total when dense)
  std::uint64_t embedding = 0;         // token + position embeddings
  std::uint64_t vision = 0;            // TensorRole::vision tensors (in total; 0 for text-only models)
  std::uint64_t mtp_extra = 0;         // DeepSeek MTP layers stored in the checkpoint, not loaded
  std::uint64_t fp8_scale_values = 0;  // block-scale values an FP8 checkpoint stores (0 if none)

  // Tensors stored in the checkpoint: parameters, MTP layers and FP8 block scales.
  [[nodiscard]] std::uint64_t checkpoint_values() const;
};

// Counts parameters exactly from the config. Throws UnsupportedError for unknown architectures.
[[nodiscard]] ParameterCount count_parameters(const ModelConfig& config);

}  // namespace llmmem
