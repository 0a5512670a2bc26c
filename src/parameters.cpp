// Exact parameter inventory from a ModelConfig. Shapes follow each architecture's modeling_*.py in
// huggingface/transformers (nn.Linear weights are [out_features, in_features]); the counts are
// checked against published totals in tests/parameters_test.cpp.
#include "llmmem/parameters.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "llmmem/bytes.hpp"
#include "llmmem/error.hpp"

namespace llmmem {

std::uint64_t TensorGroup::elements() const {
  return checked_mul(checked_mul(rows, cols, "parameters"), count, "parameters");
}

std::uint64_t ParameterCount::checkpoint_values() const {
  return checked_add(checked_add(total, mtp_extra, "parameters"), fp8_scale_values, "parameters");
}

namespace {

class Builder {
 public:
  explicit Builder(const ModelConfig& c) : m_c(c) {}

  void add(std::string name, TensorRole role, std::uint64_t rows, std::uint64_t cols, std::uint64_t count,
           std::string lora = "", bool per_layer = false) {
    if (rows == 0 || cols == 0 || count == 0) return;
    m_groups.push_back({std::move(name), role, rows, cols, count, std::move(lora), per_layer});
  }

  // A norm of width `width`: weight, plus bias for LayerNorm.
  void norm(const std::string& name, std::uint64_t width, std::uint64_t count, bool per_layer) {
    add(name + ".weight", TensorRole::norm, width, 1, count, "", per_layer);
    if (m_c.norm == NormKind::layer_norm) add(name + ".bias", TensorRole::norm, width, 1, count, "", per_layer);
  }

  // Standard multi-head / grouped-query attention, `n` layers.
  void attention(std::uint64_t n) {
    const auto h = m_c.hidden_size, q = m_c.n_heads * m_c.head_dim, kv = m_c.n_kv_heads * m_c.head_dim;
    if (m_c.fused_qkv) {
      add("attn.qkv", TensorRole::attention, q + 2 * kv, h, n, "qkv", true);
    } else {
      // Qwen3-Next's q_proj also emits one sigmoid gate per query value (attn_output_gate).
      add("attn.q", TensorRole::attention, m_c.attention_output_gate ? 2 * q : q, h, n, "q", true);
      add("attn.k", TensorRole::attention, kv, h, n, "k", true);
      add("attn.v", TensorRole::attention, kv, h, n, "v", true);
    }
    add("attn.o", TensorRole::attention, h, q, n, "o", true);
    if (m_c.qkv_bias) add("attn.qkv.bias", TensorRole::bias, q + 2 * kv, 1, n, "", true);
    if (m_c.o_bias) add("attn.o.bias", TensorRole::bias, h, 1, n, "", true);
    if (m_c.attention_sinks) add("attn.sinks", TensorRole::other, m_c.n_heads, 1, n, "", true);
    if (m_c.qk_norm == QkNorm::per_head_dim) add("attn.qk_norm", TensorRole::norm, 2 * m_c.head_dim, 1, n, "", true);
    if (m_c.qk_norm == QkNorm::per_head) add("attn.qk_norm", TensorRole::norm, q + kv, 1, n, "", true);
  }

  // Multi-head latent attention (DeepSeek-V2/V3 DeepseekV2Attention), `n` layers.
  void mla(std::uint64_t n) {
    const auto& a = *m_c.mla;
    const auto h = m_c.hidden_size, heads = m_c.n_heads;
    const auto qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
    if (a.q_lora_rank == 0) {
      add("attn.q", TensorRole::attention, heads * qk, h, n, "q", true);
    } else {
      add("attn.q_a", TensorRole::attention, a.q_lora_rank, h, n, "q", true);
      add("attn.q_a_norm", TensorRole::norm, a.q_lora_rank, 1, n, "", true);
      add("attn.q_b", TensorRole::attention, heads * qk, a.q_lora_rank, n, "q", true);
    }
    add("attn.kv_a", TensorRole::attention, a.kv_lora_rank + a.qk_rope_head_dim, h, n, "kv", true);
    add("attn.kv_a_norm", TensorRole::norm, a.kv_lora_rank, 1, n, "", true);
    add("attn.kv_b", TensorRole::attention, heads * (a.qk_nope_head_dim + a.v_head_dim), a.kv_lora_rank, n, "kv", true);
    add("attn.o", TensorRole::attention, h, heads * a.v_head_dim, n, "o", true);
    if (a.index_n_heads > 0) {
      // DeepSeek-V3.2's lightning indexer (inference/model.py Indexer): wq_b [index_n_heads ×
      // index_head_dim, q_lora_rank] over the MLA's compressed query, wk [index_head_dim, h], k_norm a
      // LayerNorm of index_head_dim with bias, weights_proj [index_n_heads, h]; no biases. wq_b and wk are
      // FP8 block-quantized in the checkpoint, weights_proj is not (role `other`).
      const auto q_in = a.q_lora_rank > 0 ? a.q_lora_rank : h;
      add("attn.indexer.wq_b", TensorRole::attention, a.index_n_heads * a.index_head_dim, q_in, n, "", true);
      add("attn.indexer.wk", TensorRole::attention, a.index_head_dim, h, n, "", true);
      add("attn.indexer.k_norm", TensorRole::norm, 2 * a.index_head_dim, 1, n, "", true);
      add("attn.indexer.weights_proj", TensorRole::other, a.index_n_heads, h, n, "", true);
    }
  }

  // An MLP of width `inter` x `count` (layers, or layers x experts).
  void mlp(const std::string& prefix, TensorRole role, std::uint64_t inter, std::uint64_t count, bool bias) {
    const auto h = m_c.hidden_size;
    if (m_c.gated_mlp) {
      if (m_c.fused_gate_up) {
        add(prefix + ".gate_up", role, 2 * inter, h, count, "gate_up", true);
      } else {
        add(prefix + ".gate", role, inter, h, count, "gate", true);
        add(prefix + ".up", role, inter, h, count, "up", true);
      }
    } else {
      add(prefix + ".up", role, inter, h, count, "up", true);
    }
    add(prefix + ".down", role, h, inter, count, "down", true);
    if (bias) add(prefix + ".bias", TensorRole::bias, (m_c.gated_mlp ? 2 : 1) * inter + h, 1, count, "", true);
  }

  // Everything the decoder layers hold: `n_dense` dense and `n_sparse` MoE MLPs, attention in
  // `n_attention` layers (every MLP layer when 0 is not given: plain transformers) and
  // norms_per_layer norms in each of `n_blocks` layers (hybrids: layers without attention or MLP).
  void layers(std::uint64_t n_dense, std::uint64_t n_sparse, std::optional<std::uint64_t> n_attention = {},
              std::optional<std::uint64_t> n_blocks = {}) {
    const auto n = n_dense + n_sparse;
    if (m_c.mla)
      mla(n_attention.value_or(n));
    else
      attention(n_attention.value_or(n));
    // ModernBERT's layer 0 has no attention norm (first_layer_attn_norm).
    norm("layer.norm", m_c.hidden_size,
         checked_mul(n_blocks.value_or(n), m_c.norms_per_layer, "parameters") - (m_c.first_layer_attn_norm ? 0 : 1),
         true);
    if (m_c.layer_intermediate.empty() || n_sparse > 0) {
      mlp("mlp", TensorRole::mlp, m_c.intermediate_size, n_dense, m_c.mlp_bias);
    } else {
      // Gemma 3n: one MLP width per layer (intermediate_size as a list): one group per distinct width.
      std::vector<std::uint64_t> widths = m_c.layer_intermediate;
      std::sort(widths.begin(), widths.end());
      widths.erase(std::unique(widths.begin(), widths.end()), widths.end());
      for (const auto w : widths)
        mlp("mlp", TensorRole::mlp, w,
            static_cast<std::uint64_t>(std::count(m_c.layer_intermediate.begin(), m_c.layer_intermediate.end(), w)),
            m_c.mlp_bias);
    }
    if (n_sparse == 0) return;
    const auto& m = *m_c.moe;
    const auto h = m_c.hidden_size;
    add("moe.router", TensorRole::router, m.n_experts, h, n_sparse, "", true);
    if (m.router_bias) add("moe.router.bias", TensorRole::router, m.n_experts, 1, n_sparse, "", true);
    if (m.score_correction_bias) add("moe.score_bias", TensorRole::other, m.n_experts, 1, n_sparse, "", true);
    mlp("experts", TensorRole::expert, m.expert_intermediate, checked_mul(n_sparse, m.n_experts, "parameters"),
        m.expert_bias);
    if (m.n_shared_experts > 0)
      mlp("shared_expert", TensorRole::shared_expert, m.n_shared_experts * m.expert_intermediate, n_sparse, false);
    if (m.shared_intermediate > 0)
      mlp("shared_expert", TensorRole::shared_expert, m.shared_intermediate, n_sparse, false);
    if (m.shared_expert_gate) add("shared_expert.gate", TensorRole::router, 1, h, n_sparse, "", true);
  }

  // Recurrent mixers in `n` layers.
  // Mamba-2 (transformers modeling_mamba2.py Mamba2Mixer, NemotronHMamba2Mixer the same):
  // in_proj [inner + conv_dim + heads, h] (gate z, then x·B·C for the convolution, then dt), with
  // conv_dim = inner + 2·n_groups·state_size; a depthwise conv1d [conv_dim, 1, conv_kernel] with bias
  // when use_conv_bias; dt_bias, A_log and D of one value per head; the gated RMSNorm [inner]
  // (Falcon-H1's FalconH1Mixer only when mamba_rms_norm); out_proj [h, inner]; in_proj and out_proj
  // biases when use_bias (FalconH1Mixer: in_proj by mamba_proj_bias, out_proj by projectors_bias).
  void recurrent(const RecurrentConfig& m, std::uint64_t n) {
    const auto h = m_c.hidden_size;
    if (m.kind == RecurrentKind::mamba1) {
      // Mamba-1 (transformers modeling_jamba.py JambaMambaMixer, after modeling_mamba.py MambaMixer):
      // in_proj [2·d_inner, h] (x and the gate z), a depthwise conv1d [d_inner, 1, d_conv] with bias when
      // mamba_conv_bias, x_proj [dt_rank + 2·d_state, d_inner] without bias (dt, B, C), dt_proj
      // [d_inner, dt_rank] with bias, A_log [d_inner, d_state], D [d_inner], out_proj [h, d_inner];
      // in_proj and out_proj biases when mamba_proj_bias; Jamba adds RMSNorms over dt (dt_rank), B and C
      // (d_state each): dt_layernorm, b_layernorm, c_layernorm.
      const auto inner = m.inner();
      add("ssm.in_proj", TensorRole::attention, 2 * inner, h, n, "", true);
      if (m.proj_bias) add("ssm.in_proj.bias", TensorRole::bias, 2 * inner, 1, n, "", true);
      add("ssm.conv1d", TensorRole::other, inner, m.conv_kernel, n, "", true);
      if (m.conv_bias) add("ssm.conv1d.bias", TensorRole::bias, inner, 1, n, "", true);
      add("ssm.x_proj", TensorRole::attention, m.dt_rank + 2 * m.state_size, inner, n, "", true);
      add("ssm.dt_proj", TensorRole::attention, inner, m.dt_rank, n, "", true);
      add("ssm.dt_proj.bias", TensorRole::bias, inner, 1, n, "", true);
      add("ssm.A_log", TensorRole::other, inner, m.state_size, n, "", true);
      add("ssm.D", TensorRole::other, inner, 1, n, "", true);
      if (m.bcdt_norms) add("ssm.dt_b_c_norms", TensorRole::norm, m.dt_rank + 2 * m.state_size, 1, n, "", true);
      add("ssm.out_proj", TensorRole::attention, h, inner, n, "", true);
      if (m.out_proj_bias) add("ssm.out_proj.bias", TensorRole::bias, h, 1, n, "", true);
      return;
    }
    if (m.kind == RecurrentKind::mamba2) {
      const auto inner = m.inner(), conv_dim = inner + 2 * m.n_groups * m.state_size;
      add("ssm.in_proj", TensorRole::attention, inner + conv_dim + m.n_heads, h, n, "", true);
      if (m.proj_bias) add("ssm.in_proj.bias", TensorRole::bias, inner + conv_dim + m.n_heads, 1, n, "", true);
      add("ssm.conv1d", TensorRole::other, conv_dim, m.conv_kernel, n, "", true);
      if (m.conv_bias) add("ssm.conv1d.bias", TensorRole::bias, conv_dim, 1, n, "", true);
      add("ssm.dt_bias_A_log_D", TensorRole::other, 3 * m.n_heads, 1, n, "", true);
      if (m.gated_norm) add("ssm.norm", TensorRole::norm, inner, 1, n, "", true);
      add("ssm.out_proj", TensorRole::attention, h, inner, n, "", true);
      if (m.out_proj_bias) add("ssm.out_proj.bias", TensorRole::bias, h, 1, n, "", true);
      return;
    }
    if (m.kind == RecurrentKind::lightning) {
      // MiniMax lightning attention (MiniMax-M1 modeling_minimax_m1.py MiniMaxM1LightningAttention,
      // transformers modeling_minimax.py MiniMaxLightningAttention): qkv_proj [3·heads·head_dim, h],
      // output_gate [heads·head_dim, h], out_proj [h, heads·head_dim], all without bias, and an RMSNorm
      // [heads·head_dim] over the attention output.
      const auto inner = m.inner();
      add("lightning.qkv_proj", TensorRole::attention, 3 * inner, h, n, "", true);
      add("lightning.output_gate", TensorRole::attention, inner, h, n, "", true);
      add("lightning.out_proj", TensorRole::attention, h, inner, n, "", true);
      add("lightning.norm", TensorRole::norm, inner, 1, n, "", true);
      return;
    }
    if (m.kind == RecurrentKind::short_conv) {
      // LFM2 (transformers modeling_lfm2.py Lfm2ShortConv): in_proj [3·d, h] (the gates B and C and the
      // value x), a depthwise conv1d [d, 1, conv_L_cache] over B·x, out_proj [h, d], with d = the conv's
      // channels (hidden_size); all three biased when conv_bias.
      const auto inner = m.inner();
      add("conv.in_proj", TensorRole::attention, 3 * inner, h, n, "", true);
      if (m.proj_bias) add("conv.in_proj.bias", TensorRole::bias, 3 * inner, 1, n, "", true);
      add("conv.conv1d", TensorRole::other, inner, m.conv_kernel, n, "", true);
      if (m.conv_bias) add("conv.conv1d.bias", TensorRole::bias, inner, 1, n, "", true);
      add("conv.out_proj", TensorRole::attention, h, inner, n, "", true);
      if (m.out_proj_bias) add("conv.out_proj.bias", TensorRole::bias, h, 1, n, "", true);
      return;
    }
    // Gated DeltaNet (transformers modeling_qwen3_next.py Qwen3NextGatedDeltaNet): in_proj_qkvz
    // [2·key_dim + 2·value_dim, h] (q, k, v and the output gate z), in_proj_ba [2·v_heads, h] (beta and
    // the decay a), a depthwise conv1d [conv_dim, 1, kernel] without bias over q·k·v (conv_dim =
    // 2·key_dim + value_dim), dt_bias and A_log per value head, the gated RMSNorm [v_head_dim] shared
    // by the heads, out_proj [h, value_dim]; no biases.
    const auto key_dim = m.n_k_heads * m.k_head_dim, value_dim = m.n_v_heads * m.v_head_dim;
    add("linear_attn.in_proj_qkvz", TensorRole::attention, 2 * key_dim + 2 * value_dim, h, n, "", true);
    add("linear_attn.in_proj_ba", TensorRole::attention, 2 * m.n_v_heads, h, n, "", true);
    add("linear_attn.conv1d", TensorRole::other, 2 * key_dim + value_dim, m.conv_kernel, n, "", true);
    add("linear_attn.dt_bias_A_log", TensorRole::other, 2 * m.n_v_heads, 1, n, "", true);
    add("linear_attn.norm", TensorRole::norm, m.v_head_dim, 1, n, "", true);
    add("linear_attn.out_proj", TensorRole::attention, h, value_dim, n, "", true);
  }

  // Gemma 3n's additions (transformers modeling_gemma3n.py), `L` decoder layers of width h:
  // Gemma3nTextAltUp per layer: correct_output_scale [h], correction_coefs [n, n], prediction_coefs [n², n],
  //   modality_router [n, h], router_norm [h] (n = altup_num_inputs); the model's altup_projections and
  //   altup_unembed_projections: 2 × (n − 1) matrices [h, h].
  // Gemma3nTextLaurelBlock per layer: linear_left [r, h], linear_right [h, r], post_laurel_norm [h].
  // Per-layer inputs: the model's embed_tokens_per_layer [per_layer_vocab, L·p] (read a row per token, like the
  //   token embedding), per_layer_model_projection [L·p, h] and per_layer_projection_norm [p]; per layer
  //   per_layer_input_gate [p, h], per_layer_projection [h, p] and post_per_layer_input_norm [h].
  void gemma3n(std::uint64_t L) {
    const auto h = m_c.hidden_size, n = m_c.altup_inputs, r = m_c.laurel_rank, p = m_c.per_layer_width;
    if (n > 0) {
      add("altup.correct_output_scale", TensorRole::norm, h, 1, L, "", true);
      add("altup.correction_coefs", TensorRole::other, n, n, L, "", true);
      add("altup.prediction_coefs", TensorRole::other, n * n, n, L, "", true);
      add("altup.modality_router", TensorRole::other, n, h, L, "", true);
      add("altup.router_norm", TensorRole::norm, h, 1, L, "", true);
      add("altup_projections", TensorRole::other, h, h, 2 * (n - 1));
    }
    if (r > 0) {
      add("laurel.linear_left", TensorRole::other, r, h, L, "", true);
      add("laurel.linear_right", TensorRole::other, h, r, L, "", true);
      add("laurel.post_laurel_norm", TensorRole::norm, h, 1, L, "", true);
    }
    if (p > 0) {
      add("embed_tokens_per_layer", TensorRole::embedding, m_c.per_layer_vocab, checked_mul(L, p, "parameters"), 1);
      add("per_layer_model_projection", TensorRole::other, checked_mul(L, p, "parameters"), h, 1);
      add("per_layer_projection_norm", TensorRole::norm, p, 1, 1);
      add("per_layer_input_gate", TensorRole::other, p, h, L, "", true);
      add("per_layer_projection", TensorRole::other, h, p, L, "", true);
      add("post_per_layer_input_norm", TensorRole::norm, h, 1, L, "", true);
    }
  }

  [[nodiscard]] std::uint64_t total() const {
    std::uint64_t sum = 0;
    for (const auto& g : m_groups) sum = checked_add(sum, g.elements(), "parameters");
    return sum;
  }

  std::vector<TensorGroup> take() { return std::move(m_groups); }
  [[nodiscard]] const std::vector<TensorGroup>& groups() const { return m_groups; }

 private:
  const ModelConfig& m_c;
  std::vector<TensorGroup> m_groups;
};

// The vision tower and projector of a vision-language model, all TensorRole::vision (one replicated
// group each, not part of the decoder layers).
// SigLIP (transformers modeling_siglip.py SiglipVisionTransformer) and CLIP (modeling_clip.py
// CLIPVisionTransformer): patch_embedding Conv2d [h, channels, patch, patch] (with bias in SigLIP,
// without in CLIP), position_embedding [positions, h] (CLIP: patches + its class token), CLIP's
// class_embedding [h] and pre_layrnorm; per encoder layer layer_norm1, q/k/v/out_proj [h, h] with
// biases, layer_norm2, fc1 [I, h] and fc2 [h, I] with biases (LayerNorms with bias: weight + bias);
// post_layernorm. Gemma 3's projector (modeling_gemma3.py Gemma3MultiModalProjector): mm_soft_emb_norm
// [vision h] and mm_input_projection_weight [vision h, text h]. LLaVA's (modeling_llava.py
// LlavaMultiModalProjector): linear_1 [text h, vision h × feature layers] and linear_2 [text h, text h],
// with biases when multimodal_projector_bias.
// Pixtral (modeling_pixtral.py PixtralVisionModel): patch_conv [h, channels, patch, patch] without
// bias, ln_pre (RMSNorm [h]); per layer attention_norm and ffn_norm (RMSNorm [h] each), q/k/v
// [heads × head_dim, h] and o [h, heads × head_dim] without bias, PixtralMLP gate/up [I, h] and down
// [h, I] without bias; rotary positions (no table), no post norm. Mistral 3's projector
// (modeling_mistral3.py Mistral3MultiModalProjector): norm (RMSNorm [vision h]), patch_merger's
// merging_layer [vision h, vision h × merge²] without bias, then LLaVA's linear_1 / linear_2 with
// biases when multimodal_projector_bias.
void add_pixtral(Builder& b, const VisionConfig& v) {
  const auto h = v.hidden_size, I = v.intermediate_size, L = v.n_layers, attn = v.n_heads * v.head_dim;
  const auto R = TensorRole::vision;
  b.add("vision.patch_conv", R, h, v.n_channels * v.patch_size * v.patch_size, 1);
  b.add("vision.ln_pre", R, h, 1, 1);
  b.add("vision.layers.attn.qkv", R, 3 * attn, h, L);
  b.add("vision.layers.attn.o", R, h, attn, L);
  b.add("vision.layers.mlp.gate_up", R, 2 * I, h, L);
  b.add("vision.layers.mlp.down", R, h, I, L);
  b.add("vision.layers.norms", R, 2 * h, 1, L);
}

// Qwen2.5-VL (modeling_qwen2_5_vl.py Qwen2_5_VisionTransformerPretrainedModel): patch_embed Conv3d
// [h, channels, temporal, patch, patch] without bias; per block norm1 and norm2 (RMSNorm [h]), attn.qkv
// [3h, h] and attn.proj [h, h] with biases, Qwen2_5_VLMLP gate/up [I, h] and down [h, I] with biases;
// the merger: ln_q (RMSNorm [h]), mlp.0 [h·m², h·m²] and mlp.2 [out, h·m²] with biases.
// Qwen3-VL (modeling_qwen3_vl.py Qwen3VLVisionModel): patch_embed with bias, pos_embed
// [num_position_embeddings, h]; per block norm1 and norm2 (LayerNorm [h], weight and bias), attn.qkv
// and attn.proj with biases, linear_fc1 [I, h] and linear_fc2 [h, I] with biases; the merger: norm
// (LayerNorm [h]), linear_fc1 [h·m², h·m²], linear_fc2 [out, h·m²] with biases; one more merger per
// deepstack_visual_indexes entry with its norm over h·m² (use_postshuffle_norm).
void add_qwen_vision(Builder& b, const VisionConfig& v, std::uint64_t text_hidden) {
  const auto h = v.hidden_size, I = v.intermediate_size, L = v.n_layers;
  const auto R = TensorRole::vision;
  const bool qwen3 = v.encoder == VisionEncoder::qwen3_vl;
  const auto merged = h * v.spatial_merge_size * v.spatial_merge_size;
  b.add("vision.patch_embed", R, h, v.n_channels * v.temporal_patch_size * v.patch_size * v.patch_size, 1);
  if (qwen3) {
    b.add("vision.patch_embed.bias", R, h, 1, 1);
    b.add("vision.pos_embed", R, v.position_table, h, 1);
  }
  b.add("vision.blocks.attn.qkv", R, 3 * h, h, L);
  b.add("vision.blocks.attn.proj", R, h, h, L);
  b.add("vision.blocks.attn.bias", R, 4 * h, 1, L);
  if (qwen3) {
    b.add("vision.blocks.mlp.fc1", R, I, h, L);
    b.add("vision.blocks.mlp.fc2", R, h, I, L);
    b.add("vision.blocks.mlp.bias", R, I + h, 1, L);
    b.add("vision.blocks.norms", R, 4 * h, 1, L);
  } else {
    b.add("vision.blocks.mlp.gate_up", R, 2 * I, h, L);
    b.add("vision.blocks.mlp.down", R, h, I, L);
    b.add("vision.blocks.mlp.bias", R, 2 * I + h, 1, L);
    b.add("vision.blocks.norms", R, 2 * h, 1, L);
  }
  const auto merger = [&](const std::string& name, std::uint64_t norm_width, std::uint64_t count) {
    b.add(name + ".norm", R, (qwen3 ? 2 : 1) * norm_width, 1, count);
    b.add(name + ".fc1", R, merged, merged, count);
    b.add(name + ".fc2", R, text_hidden, merged, count);
    b.add(name + ".bias", R, merged + text_hidden, 1, count);
  };
  merger("projector.merger", h, 1);
  if (v.deepstack_mergers > 0) merger("projector.deepstack_mergers", merged, v.deepstack_mergers);
}

// Mllama (modeling_mllama.py MllamaVisionModel): patch_embedding Conv2d without bias, class_embedding
// [h], gated_positional_embedding (gate, embedding [patches + 1, h], tile_embedding
// [aspect ratios + 1, tiles × (patches + 1) × h]), pre- and post-tile positional embeddings (each an
// embedding [aspect ratios + 1, tiles × h] and a gate), layernorm_pre and layernorm_post (LayerNorm),
// the local encoder's layers (q/k/v/o [h, h] without bias, fc1 [I, h] and fc2 [h, I] with biases, two
// LayerNorms) and the global encoder's, which add gate_attn and gate_ffn; the projector
// multi_modal_projector [text h, vision_output_dim] with bias (vision_output_dim = h × (intermediate
// layers + 1), the concatenated features).
void add_mllama_vision(Builder& b, const VisionConfig& v, std::uint64_t text_hidden) {
  const auto h = v.hidden_size, I = v.intermediate_size, P = v.positions(), tiles = v.max_num_tiles;
  const auto R = TensorRole::vision;
  b.add("vision.patch_embedding", R, h, v.n_channels * v.patch_size * v.patch_size, 1);
  b.add("vision.class_embedding", R, h, 1, 1);
  b.add("vision.gated_positional_embedding", R, P, h, 1);
  b.add("vision.gated_positional_embedding.tile", R, v.aspect_ratio_rows, tiles * P * h, 1);
  b.add("vision.tile_positional_embeddings", R, v.aspect_ratio_rows, tiles * h, 2);  // pre and post
  b.add("vision.embedding_gates", R, 3, 1, 1);
  b.add("vision.layernorm_pre_post", R, 4 * h, 1, 1);
  const auto L = v.n_layers + v.global_layers;
  b.add("vision.layers.attn", R, 4 * h, h, L);
  b.add("vision.layers.mlp.fc1", R, I, h, L);
  b.add("vision.layers.mlp.fc2", R, h, I, L);
  b.add("vision.layers.mlp.bias", R, I + h, 1, L);
  b.add("vision.layers.norms", R, 4 * h, 1, L);
  b.add("vision.global_layers.gates", R, 2, 1, v.global_layers);
  b.add("projector.multi_modal_projector", R, text_hidden, h * v.feature_layers, 1);
  b.add("projector.multi_modal_projector.bias", R, text_hidden, 1, 1);
}

// Llama 4 (transformers modeling_llama4.py): Llama4VisionModel's patch_embedding
// (Llama4UnfoldConvolution: linear [h, channels × patch height × patch width] without bias),
// class_embedding [h] and positional_embedding_vlm [patches + 1, h]; layernorm_pre and layernorm_post
// (LayerNorm with bias); per Llama4VisionEncoderLayer q/k/v/o_proj [h, h] with bias
// (Llama4VisionAttention), mlp fc1 [I, h] and fc2 [h, I] with bias (Llama4VisionMLP),
// input_layernorm and post_attention_layernorm with bias; vision_adapter (Llama4VisionPixelShuffleMLP)
// .mlp (Llama4VisionMLP2) fc1 [projector_input_dim, I] and fc2 [projector_output_dim,
// projector_output_dim] without bias; Llama4MultiModalProjector.linear_1 [text h, vision_output_dim]
// without bias (bias=False whatever multi_modal_projector_bias says).
void add_llama4_tower(Builder& b, const VisionConfig& v, std::uint64_t text_hidden) {
  const auto h = v.hidden_size, n = v.n_layers;
  const auto R = TensorRole::vision;
  b.add("vision.patch_embedding", R, h, v.n_channels * v.patch_size * v.patch_width, 1);
  b.add("vision.class_and_position_embedding", R, v.positions() + 1, h, 1);
  b.add("vision.layernorm_pre_post", R, 4 * h, 1, 1);
  b.add("vision.attn.qkvo", R, 4 * h, h, n);
  b.add("vision.attn.qkvo.bias", R, 4 * h, 1, n);
  b.add("vision.mlp.fc1", R, v.intermediate_size, h, n);
  b.add("vision.mlp.fc2", R, h, v.intermediate_size, n);
  b.add("vision.mlp.bias", R, v.intermediate_size + h, 1, n);
  b.add("vision.layer_norms", R, 4 * h, 1, n);
  b.add("vision.adapter.fc1", R, v.projector_input_dim, v.intermediate_size, 1);
  b.add("vision.adapter.fc2", R, v.projector_output_dim, v.projector_output_dim, 1);
  b.add("multi_modal_projector", R, text_hidden, v.output_dim, 1);
}

// Gemma 3n's towers and embedders, all TensorRole::vision: kept in 16 bits, replicated, not adapted by
// LoRA, run once per image or audio clip rather than per text token. The audio tower shares the vision
// role and line (its groups are named audio_tower.* and embed_audio.*); see vision_weights' label.
//
// Audio (transformers modeling_gemma3n.py Gemma3nAudioEncoder), width a, L conformer blocks, kernel k:
//   subsample_conv_projection: conv_0 [c0, 1, kt, kf] and conv_1 [c1, c0, kt, kf] without bias, each with a
//   Gemma3nAudioCumulativeGroupNorm weight [c]; input_proj_linear [a, c1 × f2] without bias, f2 the
//   frequency bins left after both convolutions (each pads 1 bin on each side: f' = (f + 2 − kf) / sf + 1).
//   Gemma3nAudioConformerBlock: two Gemma3nAudioConformerFeedForward (pre and post RMSNorm [a], ffw_layer_1
//   [4a, a], ffw_layer_2 [a, 4a]); Gemma3nAudioConformerAttention (pre_attn_norm and post_norm [a], q/k/v
//   [a, a] without bias, per_dim_scale [a / heads], relative_position_embedding.pos_proj [a, a], post
//   [a, a]); Gemma3nAudioConformerLightConv1d (pre_layer_norm and conv_norm [a], linear_start [2a, a],
//   depthwise_conv1d [a, 1, k] without bias, linear_end [a, a]); the block's norm [a]. 24a² + (k + 9)a +
//   a / heads per block. Gemma3nRMSNorm has a weight unless with_scale=False.
// Gemma3nMultimodalEmbedder (embed_audio with a, embed_vision with the vision hidden size m): embedding
//   [vocab_size, m], hard_embedding_norm and soft_embedding_norm [m], embedding_projection [text h, m]
//   without bias; embedding_post_projection_norm has with_scale=False (no weight).
// Vision: timm mobilenetv5.py MobileNetV5Encoder "mobilenetv5_300m_enc" (_gen_mobilenet_v5 arch_def,
//   norm RmsNorm2d (a weight, no bias), layer_scale_init_value 1e-5, no squeeze-excite), below.
void add_gemma3n_towers(Builder& b, const Gemma3nTowersConfig& t) {
  const auto R = TensorRole::vision;
  const auto a = t.audio_hidden, L = t.audio_layers;
  std::uint64_t freq = t.audio_input_features;
  for (std::size_t i = 0; i < 2; ++i) freq = (freq + 2 - t.sscp_kernel_freq[i]) / t.sscp_stride_freq[i] + 1;
  b.add("audio_tower.subsample.conv_0", R, t.sscp_channels[0], t.sscp_kernel_area[0], 1);
  b.add("audio_tower.subsample.conv_1", R, t.sscp_channels[1], t.sscp_channels[0] * t.sscp_kernel_area[1], 1);
  b.add("audio_tower.subsample.norms", R, t.sscp_channels[0] + t.sscp_channels[1], 1, 1);
  b.add("audio_tower.subsample.input_proj_linear", R, a, t.sscp_channels[1] * freq, 1);
  b.add("audio_tower.conformer.ffw", R, 4 * a, a, 4 * L);  // ffw_layer_start and _end: layer_1 and layer_2
  b.add("audio_tower.conformer.attn.qkv_pos_post", R, 5 * a, a, L);
  b.add("audio_tower.conformer.attn.per_dim_scale", R, a / t.audio_heads, 1, L);
  b.add("audio_tower.conformer.lconv1d.linear_start_end", R, 3 * a, a, L);
  b.add("audio_tower.conformer.lconv1d.depthwise_conv1d", R, a, t.audio_conv_kernel, L);
  b.add("audio_tower.conformer.norms", R, 9 * a, 1, L);  // 4 feed-forward, 2 attention, 2 lconv1d, 1 block
  const auto embedder = [&](const std::string& name, std::uint64_t vocab, std::uint64_t m) {
    b.add(name + ".embedding", R, vocab, m, 1);
    b.add(name + ".hard_soft_embedding_norms", R, 2 * m, 1, 1);
    b.add(name + ".embedding_projection", R, t.text_hidden_size, m, 1);
  };
  embedder("embed_audio", t.audio_vocab, a);

  // MobileNetV5Encoder: conv_stem ConvNormAct(3, 64, 3×3, bias=True) with RmsNorm2d; then the blocks, each
  // a 1×1 or k×k convolution without bias (timm create_conv2d) followed by an RmsNorm2d [out]:
  //   er (EdgeResidual, group_size 0: a full conv): conv_exp [in·e, in, k, k], conv_pwl [out, in·e].
  //   uir (UniversalInvertedResidual, depthwise convs): dw_start [in, 1, a, a] if a, pw_exp [in·e, in],
  //     dw_mid [in·e, 1, k, k] if k, pw_proj [out, in·e], layer_scale gamma [out].
  //   mqa (MobileAttention, MultiQueryAttention2d without bias): norm [in], query.proj [heads·d, in],
  //     key and value: down_conv [in, 1, 3, 3] and norm [in] when kv_stride 2, proj [d, in];
  //     output.proj [out, heads·d], layer_scale gamma [out].
  // msfa (MobileNetV5MultiScaleFusionAdapter) over the last two stages' 640 + 1280 channels: a
  // UniversalInvertedResidual without dw convs or layer scale (pw_exp [3840, 1920], pw_proj [2048, 3840],
  // their norms) and norm [2048].
  // The arch_def's blocks in order; kind 'p' is an mqa block followed by a uir block of expansion 2 and no
  // dw convs (the pairs that fill stages 2 and 3). Every in × expansion here is a multiple of 8, so
  // timm's make_divisible leaves it.
  struct Block {
    char kind;  // 'e' er, 'u' uir, 'p' mqa + uir
    std::uint64_t start, mid, expand, out, heads, dim, kv_stride, repeat;
  };
  static constexpr Block k_mobilenetv5_300m[] = {
      {'e', 0, 3, 4, 128, 0, 0, 0, 3},  // stage 0
      {'u', 3, 5, 6, 256, 0, 0, 0, 1},    {'u', 5, 0, 4, 256, 0, 0, 0, 1},     {'u', 3, 0, 4, 256, 0, 0, 0, 1},
      {'u', 5, 0, 4, 256, 0, 0, 0, 1},    {'u', 3, 0, 4, 256, 0, 0, 0, 1},  // stage 1
      {'u', 5, 5, 6, 640, 0, 0, 0, 1},    {'u', 5, 0, 4, 640, 0, 0, 0, 7},     {'u', 0, 0, 1, 640, 0, 0, 0, 1},
      {'p', 0, 0, 2, 640, 12, 64, 2, 14},                                       // stage 2
      {'u', 5, 5, 6, 1280, 0, 0, 0, 1},   {'p', 0, 0, 2, 1280, 16, 96, 1, 19},  // stage 3
  };
  std::uint64_t in = 64, er = 0, uir = 0, mqa = 0;
  const auto uir_block = [&](std::uint64_t start, std::uint64_t mid, std::uint64_t expand, std::uint64_t out) {
    const std::uint64_t e = in * expand;
    uir += (start ? in * start * start + in : 0) + in * e + e + (mid ? e * mid * mid + e : 0) + e * out + out + out;
    in = out;
  };
  const auto mqa_block = [&](std::uint64_t out, std::uint64_t heads, std::uint64_t d, std::uint64_t kv_stride) {
    mqa += in + in * heads * d + (kv_stride > 1 ? 2 * (in * 9 + in) : 0) + 2 * in * d + heads * d * out + out;
    in = out;
  };
  for (const Block& k : k_mobilenetv5_300m) {
    if (k.kind == 'e') {
      for (std::uint64_t i = 0; i < k.repeat; ++i) {
        const std::uint64_t e = in * k.expand;
        er += e * in * k.mid * k.mid + e + k.out * e + k.out;
        in = k.out;
      }
    } else if (k.kind == 'u') {
      for (std::uint64_t i = 0; i < k.repeat; ++i) uir_block(k.start, k.mid, k.expand, k.out);
    } else {
      for (std::uint64_t i = 0; i < k.repeat; ++i) {
        mqa_block(k.out, k.heads, k.dim, k.kv_stride);
        uir_block(0, 0, k.expand, k.out);
      }
    }
  }
  b.add("vision_tower.conv_stem", R, 64, 3 * 3 * 3 + 2, 1);  // weight, bias and norm of 64 channels
  b.add("vision_tower.edge_residual_blocks", R, er, 1, 1);
  b.add("vision_tower.universal_inverted_residual_blocks", R, uir, 1, 1);
  b.add("vision_tower.mobile_attention_blocks", R, mqa, 1, 1);
  b.add("vision_tower.msfa.ffn", R, 3840 * 1920 + 3840 + 2048 * 3840 + 2048, 1, 1);
  b.add("vision_tower.msfa.norm", R, 2048, 1, 1);
  embedder("embed_vision", t.vision_vocab, t.vision_hidden);
}

void add_vision(Builder& b, const VisionConfig& v, std::uint64_t text_hidden) {
  const auto h = v.hidden_size, I = v.intermediate_size, L = v.n_layers;
  const auto R = TensorRole::vision;
  if (v.encoder == VisionEncoder::llama4) {
    add_llama4_tower(b, v, text_hidden);
    return;
  }
  if (v.encoder == VisionEncoder::mllama) {
    add_mllama_vision(b, v, text_hidden);
    return;
  }
  if (v.encoder == VisionEncoder::qwen2_5_vl || v.encoder == VisionEncoder::qwen3_vl) {
    add_qwen_vision(b, v, text_hidden);
    return;
  }
  if (v.encoder == VisionEncoder::pixtral) {
    add_pixtral(b, v);
    b.add("projector.norm", R, h, 1, 1);
    b.add("projector.patch_merger", R, h, h * v.spatial_merge_size * v.spatial_merge_size, 1);
    b.add("projector.linear_1", R, text_hidden, h * v.feature_layers, 1);
    b.add("projector.linear_2", R, text_hidden, text_hidden, 1);
    if (v.projector_bias) b.add("projector.bias", R, 2 * text_hidden, 1, 1);
    return;
  }
  b.add("vision.patch_embedding", R, h, v.n_channels * v.patch_size * v.patch_size, 1);
  if (v.encoder == VisionEncoder::siglip) b.add("vision.patch_embedding.bias", R, h, 1, 1);
  b.add("vision.position_embedding", R, v.positions(), h, 1);
  if (v.encoder == VisionEncoder::clip) {
    b.add("vision.class_embedding", R, h, 1, 1);
    b.add("vision.pre_layrnorm", R, 2 * h, 1, 1);
  }
  b.add("vision.layers.attn", R, 4 * h, h, L);
  b.add("vision.layers.attn.bias", R, 4 * h, 1, L);
  b.add("vision.layers.mlp.fc1", R, I, h, L);
  b.add("vision.layers.mlp.fc2", R, h, I, L);
  b.add("vision.layers.mlp.bias", R, I + h, 1, L);
  b.add("vision.layers.norms", R, 4 * h, 1, L);  // layer_norm1 and layer_norm2, weight and bias
  b.add("vision.post_layernorm", R, 2 * h, 1, 1);
  switch (v.projector) {
    case VisionProjector::gemma3:
      b.add("projector.mm_soft_emb_norm", R, h, 1, 1);
      b.add("projector.mm_input_projection", R, text_hidden, h, 1);
      break;
    case VisionProjector::llava_mlp:
      b.add("projector.linear_1", R, text_hidden, h * v.feature_layers, 1);
      b.add("projector.linear_2", R, text_hidden, text_hidden, 1);
      if (v.projector_bias) b.add("projector.bias", R, 2 * text_hidden, 1, 1);
      break;
    case VisionProjector::mistral3:     // with the Pixtral tower, above
    case VisionProjector::qwen_merger:  // with the Qwen towers, above
    case VisionProjector::mllama:       // with the Mllama tower, above
    case VisionProjector::llama4:       // with the Llama 4 tower, above
      break;
  }
}

std::uint64_t count_sparse_layers(const ModelConfig& c) {
  std::uint64_t n = 0;
  for (std::uint64_t i = 0; i < c.n_layers; ++i) n += c.has_mlp(i) && c.is_sparse_layer(i) ? 1U : 0U;
  return n;
}

// FP8 block-quantized checkpoints (DeepSeek-V3 quantization_config.weight_block_size) store one fp32
// scale_inv per [block_rows x block_cols] tile of every quantized linear weight.
std::uint64_t fp8_scales(const std::vector<TensorGroup>& groups, std::uint64_t br, std::uint64_t bc) {
  std::uint64_t n = 0;
  for (const auto& g : groups) {
    const bool quantized = g.is_matrix() && (g.role == TensorRole::attention || g.role == TensorRole::mlp ||
                                             g.role == TensorRole::expert || g.role == TensorRole::shared_expert);
    if (quantized)
      n = checked_add(n, checked_mul(ceil_div(g.rows, br) * ceil_div(g.cols, bc), g.count, "parameters"), "parameters");
  }
  return n;
}

}  // namespace

ParameterCount count_parameters(const ModelConfig& c) {
  if (!c.supported)
    throw UnsupportedError(
        fmt::format("architecture '{}' is not supported yet ({}); pass --params to estimate "
                    "from a parameter count",
                    c.model_type, c.origin));
  const auto h = c.hidden_size;
  const auto embed_width = c.word_embed_proj_dim ? c.word_embed_proj_dim : h;
  Builder b(c);
  if (c.is_encoder_decoder()) {
    // T5 (modeling_t5.py T5Model) and BART (modeling_bart.py BartModel); see read_t5 / read_bart. One shared
    // embedding for both stacks; an encoder block holds one attention, a decoder block two (self and
    // cross, the same shapes: T5LayerCrossAttention, BartDecoderLayer.encoder_attn); an MLP each; 2 norms
    // per encoder block and 3 per decoder block.
    const auto enc = c.encoder_layers, dec = c.decoder_layers;
    b.add("embed_tokens", TensorRole::embedding, c.vocab_size, h, 1);
    b.add("embed_positions", TensorRole::position, c.learned_positions, h, 2);  // BART: one table per stack
    if (c.embedding_norm) b.norm("embed_norm", h, 2, false);                    // BART layernorm_embedding
    b.attention(checked_add(enc, checked_mul(2, dec, "parameters"), "parameters"));
    b.norm("layer.norm", h,
           checked_add(checked_mul(2, enc, "parameters"), checked_mul(3, dec, "parameters"), "parameters"), true);
    b.mlp("mlp", TensorRole::mlp, c.intermediate_size, checked_add(enc, dec, "parameters"), c.mlp_bias);
    // T5: relative_attention_bias in the first block of each stack (the decoder's in its self-attention).
    b.add("relative_attention_bias", TensorRole::other, c.relative_attention_buckets, c.n_heads, 2);
    if (c.final_norm) b.norm("final_norm", h, 2, false);  // T5 final_layer_norm of each stack
    if (!c.tie_word_embeddings) b.add("lm_head", TensorRole::lm_head, c.vocab_size, h, 1);
    ParameterCount out;
    out.total = b.total();
    out.groups = b.take();
    for (const auto& g : out.groups)
      if (g.role == TensorRole::embedding || g.role == TensorRole::position) out.embedding += g.elements();
    out.active = out.total;
    return out;
  }
  b.add("embed_tokens", TensorRole::embedding, c.vocab_size + c.extra_embedding_rows, embed_width, 1);
  b.add("embed_positions", TensorRole::position, c.learned_positions, h, 1);
  // BERT/RoBERTa (modeling_bert.py BertEmbeddings): token_type_embeddings [type_vocab_size, h].
  b.add("embed_token_types", TensorRole::position, c.type_vocab_size, h, 1);
  if (embed_width != h) {  // OPT-350m: project_in / project_out
    b.add("project_in", TensorRole::other, h, embed_width, 1);
    b.add("project_out", TensorRole::other, embed_width, h, 1);
  }
  if (c.embedding_norm) b.norm("embed_norm", h, 1, false);
  const auto n_sparse = count_sparse_layers(c);
  b.layers(c.n_mlp_layers() - n_sparse, n_sparse, c.n_attention_layers(), c.n_layers);
  if (c.recurrent) b.recurrent(*c.recurrent, c.recurrent->n_layers());
  b.gemma3n(c.n_layers);
  if (c.n_cross_attention_layers > 0) {
    // Mllama's cross-attention layers (modeling_mllama.py MllamaTextCrossAttention): q/k/v/o shaped as
    // self-attention's, q_norm and k_norm (RMSNorm [head_dim]), and the layer's two tanh gates
    // (cross_attn_attn_gate, cross_attn_mlp_gate: one value each); norms and MLP are counted with
    // every layer's above.
    const auto n = c.n_cross_attention_layers, q = c.n_heads * c.head_dim, kv = c.n_kv_heads * c.head_dim;
    b.add("cross_attn.q", TensorRole::attention, q, h, n, "q", true);
    b.add("cross_attn.k", TensorRole::attention, kv, h, n, "k", true);
    b.add("cross_attn.v", TensorRole::attention, kv, h, n, "v", true);
    b.add("cross_attn.o", TensorRole::attention, h, q, n, "o", true);
    b.add("cross_attn.qk_norm", TensorRole::norm, 2 * c.head_dim, 1, n, "", true);
    b.add("cross_attn.gates", TensorRole::other, 2, 1, n, "", true);
  }
  if (c.final_norm) b.norm("final_norm", h, 1, false);
  if (c.pooler) {  // BertPooler: dense [h, h] + bias over the first ([CLS]) token, then tanh
    b.add("pooler", TensorRole::other, h, h, 1);
    b.add("pooler.bias", TensorRole::bias, h, 1, 1);
  }
  // Encoders (BertModel, RobertaModel) end at the pooler: no LM head.
  if (!c.tie_word_embeddings && !c.encoder) b.add("lm_head", TensorRole::lm_head, c.vocab_size, embed_width, 1);
  if (c.lm_head_bias) b.add("lm_head.bias", TensorRole::bias, c.vocab_size, 1, 1);
  if (c.vision) add_vision(b, *c.vision, h);
  if (c.gemma3n_towers) add_gemma3n_towers(b, *c.gemma3n_towers);

  ParameterCount out;
  out.total = b.total();
  out.groups = b.take();
  for (const auto& g : out.groups)
    if (g.role == TensorRole::embedding || g.role == TensorRole::position) out.embedding += g.elements();
  for (const auto& g : out.groups)
    if (g.role == TensorRole::vision) out.vision += g.elements();
  // Per text token: the vision tower runs once per image, not per token (Meta's "17B active" for
  // Llama 4 Scout is the text model's).
  out.active = out.total - out.vision;
  if (c.moe && n_sparse > 0) {
    // Per token only top-k of the routed experts run (shared experts always do).
    std::uint64_t routed = 0;
    for (const auto& g : out.groups)
      if (g.role == TensorRole::expert || (g.role == TensorRole::bias && g.name == "experts.bias"))
        routed += g.elements();
    out.active = out.active - routed / c.moe->n_experts * (c.moe->n_experts - c.moe->n_experts_per_token);
  }

  // DeepSeek-V3 multi-token prediction (DeepSeek-V3 report sec. 2.2; checkpoint layer 61): a full
  // MoE decoder layer plus enorm, hnorm, eh_proj [h, 2h], shared_head norm and its own copies of the
  // embedding and output head. Qwen3-Next's mtp.* is the same less the copies (pre_fc_norm_embedding,
  // pre_fc_norm_hidden, fc [h, 2h], norm; vLLM qwen3_next_mtp.py shares the model's embedding and head).
  // GLM-4.5's model.layers.<num_hidden_layers> is DeepSeek-V3's, copies included (vLLM glm4_moe_mtp.py:
  // enorm, hnorm, eh_proj, shared_head.norm and .head, embed_tokens; the hub total counts them).
  // Engines skip it unless speculative decoding is on.
  std::vector<TensorGroup> mtp_groups;
  if (c.mtp_layers > 0) {
    Builder m(c);
    m.layers(c.moe ? 0 : c.mtp_layers, c.moe ? c.mtp_layers : 0);
    m.add("mtp.norms", TensorRole::norm, 3 * h, 1, c.mtp_layers);
    m.add("mtp.eh_proj", TensorRole::other, h, 2 * h, c.mtp_layers);
    if (c.mtp_own_embeddings) m.add("mtp.embed_and_head", TensorRole::other, 2 * c.vocab_size, h, c.mtp_layers);
    out.mtp_extra = m.total();
    mtp_groups = m.take();
  }
  if (c.quantization && c.quantization->method == "fp8" && c.quantization->fp8_block_rows > 0 &&
      c.quantization->fp8_block_cols > 0) {
    out.fp8_scale_values = fp8_scales(out.groups, c.quantization->fp8_block_rows, c.quantization->fp8_block_cols) +
                           fp8_scales(mtp_groups, c.quantization->fp8_block_rows, c.quantization->fp8_block_cols);
  }
  return out;
}

}  // namespace llmmem
