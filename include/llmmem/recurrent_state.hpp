#pragma once
// The recurrent state of state-space (Mamba-1, Mamba-2) and linear-attention (Gated DeltaNet) layers: a fixed
// amount per sequence and layer, whatever the context length, so it scales with the batch (the
// sequences served at once), never with seq_len. The estimator's `state` component.
#include <cstdint>

#include "llmmem/engine.hpp"
#include "llmmem/estimate.hpp"
#include "llmmem/model_config.hpp"

namespace llmmem {

// Values one sequence keeps in one recurrent layer, on one tensor-parallel rank.
struct RecurrentStateShape {
  std::uint64_t conv_values = 0;  // the short-convolution window: (conv_kernel - 1) × conv_dim
  std::uint64_t ssm_values = 0;   // the recurrent matrix: heads × head_dim × state (Mamba-2),
                                  // d_inner × state (Mamba-1) or v_heads × v_head_dim × k_head_dim
                                  // (Gated DeltaNet)
};

// Shapes as vLLM allocates them (model_executor/layers/mamba/mamba_utils.py
// MambaStateShapeCalculator.mamba1_state_shape / mamba2_state_shape / gated_delta_net_state_shape); llama.cpp's
// n_embd_r() and n_embd_s() (src/llama-hparams.cpp) are the same values at tp = 1.
[[nodiscard]] RecurrentStateShape recurrent_state_shape(const RecurrentConfig& m, std::uint64_t tp);

// Bytes per value of the conv and SSM state that `engine` keeps, for a model computing in
// `model_bytes` per value.
struct RecurrentStateBytes {
  std::uint64_t conv = 0, ssm = 0;
};
[[nodiscard]] RecurrentStateBytes recurrent_state_bytes(const RecurrentConfig& m, const EngineProfile& engine,
                                                        std::uint64_t model_bytes);

// The `state` component: `sequences` × the recurrent layers of the most loaded pipeline stage
// (layers_on_stage of n_layers) × the state of one layer. Throws OverflowError.
[[nodiscard]] Component recurrent_state(const ModelConfig& c, const EngineProfile& engine, std::uint64_t model_bytes,
                                        std::uint64_t sequences, std::uint64_t layers_on_stage, std::uint64_t tp);

}  // namespace llmmem
