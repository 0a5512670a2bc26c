// Recurrent state per sequence of Mamba-1, Mamba-2, Gated DeltaNet and short-convolution (LFM2) layers, as the engines
// allocate it.
#include "llmmem/recurrent_state.hpp"

#include <algorithm>

#include "llmmem/bytes.hpp"

namespace llmmem {

RecurrentStateShape recurrent_state_shape(const RecurrentConfig& m, std::uint64_t tp) {
  tp = std::max<std::uint64_t>(tp, 1);
  const std::uint64_t window = m.conv_kernel > 0 ? m.conv_kernel - 1 : 0;
  RecurrentStateShape s;
  if (m.kind == RecurrentKind::mamba1) {
    // mamba1_state_shape: the conv state (conv_kernel - 1) × intermediate_size / tp and the temporal (SSM)
    // state intermediate_size / tp × state_size (vLLM divide() requires tp to divide intermediate_size;
    // rounded up here). llama.cpp n_embd_r() = (ssm_d_conv - 1) × ssm_d_inner and n_embd_s() = ssm_d_state
    // × ssm_d_inner for Mamba-1 (n_group 0), the same values at tp = 1.
    const std::uint64_t inner = ceil_div(m.inner(), tp);
    s.conv_values = checked_mul(window, inner, "state");
    s.ssm_values = checked_mul(inner, m.state_size, "state");
    return s;
  }
  if (m.kind == RecurrentKind::short_conv) {
    // short_conv_state_shape: the conv state (conv_kernel - 1, intermediate_size / tp), intermediate_size
    // the conv's channels (vLLM model_executor/models/lfm2.py passes hidden_size; divide() requires tp to
    // divide it, rounded up here); no SSM state. llama.cpp: n_embd_r() = (n_shortconv_l_cache - 1) ×
    // n_embd for LFM2 (src/llama-hparams.cpp), n_embd_s() = 0, the same values at tp = 1.
    s.conv_values = checked_mul(window, ceil_div(m.inner(), tp), "state");
    return s;
  }
  if (m.kind == RecurrentKind::lightning) {
    // linear_attention_state_shape (vLLM model_executor/layers/mamba/mamba_utils.py, used by
    // minimax_text_01.py MiniMaxText01LinearAttention): (num_heads / tp, head_dim, head_dim); no conv.
    s.ssm_values = checked_mul(checked_mul(ceil_div(m.n_heads, tp), m.head_dim, "state"), m.head_dim, "state");
    return s;
  }
  if (m.kind == RecurrentKind::mamba2) {
    // mamba2_state_shape: n_groups grows to a multiple of tp when it does not divide
    // (extra_groups_for_head_shards adds tp - n_groups, leaving tp groups), conv_dim = inner + 2 × n_groups ×
    // state_size split over tp, (conv_kernel - 1) of it kept; the SSM state (heads / tp, head_dim, state_size).
    const std::uint64_t groups = m.n_groups % tp == 0 ? m.n_groups : tp;
    const std::uint64_t conv_dim =
        checked_add(m.inner(), checked_mul(checked_mul(2, groups, "state"), m.state_size, "state"), "state");
    s.conv_values = checked_mul(window, ceil_div(conv_dim, tp), "state");
    s.ssm_values = checked_mul(checked_mul(ceil_div(m.n_heads, tp), m.head_dim, "state"), m.state_size, "state");
    return s;
  }
  // gated_delta_net_state_shape: conv_dim = 2 × k_heads × k_head_dim + v_heads × v_head_dim split over
  // tp, (conv_kernel - 1) of it kept; the delta-rule state (v_heads / tp, v_head_dim, k_head_dim).
  const std::uint64_t conv_dim = checked_add(checked_mul(2, checked_mul(m.n_k_heads, m.k_head_dim, "state"), "state"),
                                             checked_mul(m.n_v_heads, m.v_head_dim, "state"), "state");
  s.conv_values = checked_mul(window, ceil_div(conv_dim, tp), "state");
  s.ssm_values = checked_mul(checked_mul(ceil_div(m.n_v_heads, tp), m.v_head_dim, "state"), m.k_head_dim, "state");
  return s;
}

RecurrentStateBytes recurrent_state_bytes(const RecurrentConfig& m, const EngineProfile& engine,
                                          std::uint64_t model_bytes) {
  // llama.cpp (and Ollama's runner) keep both r (conv) and s (SSM) states in F32: src/llama-model.cpp
  // create_memory builds llama_memory_recurrent / llama_memory_hybrid with type_r = type_s =
  // GGML_TYPE_F32. These are the engines that place layers on the host.
  if (engine.places_layers) return {4, 4};
  // vLLM: the conv state in mamba_cache_dtype "auto" = the model dtype; the SSM state in
  // mamba_ssm_cache_dtype, "auto" = the conv state's dtype (mamba_utils.py
  // MambaStateDtypeCalculator._mamba_state_dtype), which the config or the family sets (NemotronH:
  // float32, model_config.cpp). transformers' caches (Mamba2Cache, HybridMambaAttentionDynamicCache)
  // allocate both in the model dtype.
  if (engine.id == "vllm" && m.ssm_state_bits > 0) return {model_bytes, m.ssm_state_bits / 8};
  return {model_bytes, model_bytes};
}

Component recurrent_state(const ModelConfig& c, const EngineProfile& engine, std::uint64_t model_bytes,
                          std::uint64_t sequences, std::uint64_t layers_on_stage, std::uint64_t tp) {
  const RecurrentConfig& m = *c.recurrent;
  const RecurrentStateShape shape = recurrent_state_shape(m, tp);
  const RecurrentStateBytes bytes = recurrent_state_bytes(m, engine, model_bytes);
  // The stage's share of the recurrent layers, rounded up as the KV cache's share is.
  const std::uint64_t layers = mul_div_ceil(m.n_layers(), layers_on_stage, std::max<std::uint64_t>(c.n_layers, 1));
  const std::uint64_t per_layer = checked_add(checked_mul(shape.conv_values, bytes.conv, "state"),
                                              checked_mul(shape.ssm_values, bytes.ssm, "state"), "state");
  const Bytes total(checked_mul(checked_mul(per_layer, layers, "state"), sequences, "state"));
  const char* formula =
      "batch × recurrent layers × ((conv_kernel − 1) × (2·key_dim + value_dim) × conv bytes + "
      "v_heads × v_head_dim × k_head_dim × ssm bytes)";
  if (m.kind == RecurrentKind::mamba2)
    formula =
        "batch × recurrent layers × ((conv_kernel − 1) × (inner + 2·n_groups·state_size) × conv bytes + heads × "
        "head_dim × state_size × ssm bytes)";
  if (m.kind == RecurrentKind::mamba1)
    formula = "batch × recurrent layers × ((d_conv − 1) × d_inner × conv bytes + d_inner × d_state × ssm bytes)";
  if (m.kind == RecurrentKind::short_conv) formula = "batch × conv layers × (L_cache − 1) × hidden × conv bytes";
  // vLLM linear_attention_state_dtype: the model dtype (mamba_cache_dtype "auto"; float32 is refused);
  // transformers' MiniMaxLightningAttention keeps its attn_weights_inter in the value dtype.
  if (m.kind == RecurrentKind::lightning) formula = "batch × lightning layers × heads × head_dim² × state bytes";
  const auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  return {"state",
          "Recurrent state (SSM / linear attention)",
          total,
          formula,
          {{"batch", d(sequences)},
           {"recurrent_layers", d(layers)},
           {"conv_values", d(shape.conv_values)},
           {"ssm_values", d(shape.ssm_values)},
           {"conv_bytes_per_value", d(bytes.conv)},
           {"ssm_bytes_per_value", d(bytes.ssm)}}};
}

}  // namespace llmmem
