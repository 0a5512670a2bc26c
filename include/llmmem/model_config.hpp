#pragma once
// A model's architecture as the estimator needs it, parsed from a HuggingFace config.json.
// HuggingFace key names appear only in src/model_config.cpp; everything else uses these fields.
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmmem/vision.hpp"

namespace llmmem {

enum class NormKind { rms, layer_norm, layer_norm_no_bias };
enum class QkNorm { none, per_head_dim, per_head };  // Qwen3/Gemma3: [head_dim]; Cohere, OLMo 2: [heads, head_dim]

// Multi-head latent attention (DeepSeek-V2/V3).
struct MlaConfig {
  std::uint64_t q_lora_rank = 0;  // 0: plain q_proj
  std::uint64_t kv_lora_rank = 0;
  std::uint64_t qk_nope_head_dim = 0;
  std::uint64_t qk_rope_head_dim = 0;
  std::uint64_t v_head_dim = 0;
  // DeepSeek-V3.2's lightning indexer (DeepSeek Sparse Attention) beside the MLA of every layer:
  // index_n_heads query heads of index_head_dim over one cached key per token; 0: none.
  std::uint64_t index_n_heads = 0, index_head_dim = 0, index_topk = 0;
  // Bytes one token's indexer key takes in one layer's cache: an fp8 key of index_head_dim values and
  // one fp32 scale per 128 of them (vLLM DeepseekV32IndexerCache head_dim =
  // index_head_dim + index_head_dim // quant_block_size × 4, uint8; DeepSeek-V3.2 inference/model.py
  // Indexer k_cache float8_e4m3fn [head_dim] and k_scale_cache float32 [head_dim // 128]).
  [[nodiscard]] std::uint64_t indexer_key_bytes() const { return index_head_dim + index_head_dim / 128 * 4; }
};

// Mixture of experts. A layer is sparse when `is_sparse_layer(i)`.
struct MoeConfig {
  std::uint64_t n_experts = 0;            // routed experts
  std::uint64_t n_experts_per_token = 0;  // top-k
  std::uint64_t expert_intermediate = 0;
  std::uint64_t n_shared_experts = 0;       // DeepSeek: shared experts of expert_intermediate each
  std::uint64_t shared_intermediate = 0;    // Qwen2-MoE: one shared expert of this size (with a sigmoid gate)
  std::uint64_t first_dense_layers = 0;     // DeepSeek first_k_dense_replace
  std::uint64_t layer_step = 1;             // Qwen decoder_sparse_step / DeepSeek moe_layer_freq
  bool step_offset_one = true;              // Qwen: (i+1) % step == 0; DeepSeek: i % step == 0
  std::vector<std::uint64_t> dense_layers;  // Qwen mlp_only_layers
  bool router_bias = false;                 // gpt-oss
  bool expert_bias = false;                 // gpt-oss
  bool score_correction_bias = false;       // DeepSeek-V3 e_score_correction_bias
  bool shared_expert_gate = false;          // Qwen2-MoE
  // Jamba layers_num_experts (i % expert_layer_period == expert_layer_offset): when not empty, layer i
  // is sparse exactly when sparse_layers[i], overriding the step rule above.
  std::vector<bool> sparse_layers;
};

// The recurrent mixer of state-space and linear-attention layers (hybrid and SSM models). Per
// sequence it keeps a fixed state, whatever the context: a short-convolution window and a
// recurrent (SSM / delta-rule) matrix per head (src/recurrent_state.cpp computes its bytes).
enum class RecurrentKind {
  mamba2,          // Mamba-2 SSD (transformers Mamba2Mixer; NemotronH, Falcon-H1 use it)
  gated_deltanet,  // Gated DeltaNet (transformers Qwen3NextGatedDeltaNet)
  mamba1,          // Mamba-1 selective scan (transformers MambaMixer; Jamba's JambaMambaMixer)
  short_conv,      // LFM2's gated short convolution (transformers Lfm2ShortConv): a conv window, no SSM state
  lightning,       // MiniMax's lightning (linear) attention: a heads × head_dim × head_dim state, no conv
};

struct RecurrentConfig {
  RecurrentKind kind = RecurrentKind::mamba2;
  std::uint64_t conv_kernel = 0;  // conv_kernel / linear_conv_kernel_dim (window = conv_kernel - 1)
  // Mamba-2: inner = n_heads × head_dim; B and C of n_groups × state_size each. Lightning attention:
  // n_heads × head_dim wide, a head_dim × head_dim state per head.
  std::uint64_t n_heads = 0, head_dim = 0, state_size = 0, n_groups = 0;
  // Mamba-1: inner = d_inner (mamba_expand × hidden) channels, each with its own state_size-wide SSM
  // state; dt_rank the rank of the time-step projection; dt/B/C RMSNorms (Jamba) when bcdt_norms.
  // Short convolution (LFM2): d_inner = the conv's channels (hidden_size), conv_kernel = conv_L_cache.
  std::uint64_t d_inner = 0, dt_rank = 0;
  bool bcdt_norms = false;
  bool conv_bias = true;       // use_conv_bias
  bool proj_bias = false;      // use_bias / mamba_proj_bias: the in_proj bias
  bool out_proj_bias = false;  // the out_proj bias: the same key, except Falcon-H1 (projectors_bias)
  bool gated_norm = true;      // Mamba-2's gated RMSNorm over the inner width (Falcon-H1: mamba_rms_norm)
  // Gated DeltaNet: keys and values per head.
  std::uint64_t n_k_heads = 0, n_v_heads = 0, k_head_dim = 0, v_head_dim = 0;
  // Bits of the SSM/recurrent state an engine that follows the config keeps (vLLM's
  // mamba_ssm_cache_dtype): 32 for float32, 0 for the model dtype ("auto").
  std::uint64_t ssm_state_bits = 0;
  std::vector<bool> layers;  // layer i holds this mixer

  // The mixer's inner width: Mamba-2 heads × head_dim, Mamba-1 and short-convolution d_inner.
  [[nodiscard]] std::uint64_t inner() const {
    return kind == RecurrentKind::mamba1 || kind == RecurrentKind::short_conv ? d_inner : n_heads * head_dim;
  }
  [[nodiscard]] std::uint64_t n_layers() const;
};

// Gemma 3n's audio and vision towers and their two embedders, beside the text model in the multimodal
// wrapper (transformers configuration_gemma3n.py Gemma3nAudioConfig and Gemma3nVisionConfig,
// modeling_gemma3n.py Gemma3nAudioEncoder and Gemma3nMultimodalEmbedder; the vision tower is timm's
// mobilenetv5.py MobileNetV5Encoder "mobilenetv5_300m_enc", whose block list is fixed by the architecture
// name). src/parameters.cpp counts their tensors (the vision_weights line); image and audio tokens are
// not modelled for it yet.
struct Gemma3nTowersConfig {
  // Gemma3nAudioConfig: the USM conformer.
  std::uint64_t audio_hidden = 0, audio_layers = 0, audio_heads = 0, audio_conv_kernel = 0;
  std::uint64_t audio_input_features = 0, audio_vocab = 0;
  std::array<std::uint64_t, 2> sscp_channels{};     // sscp_conv_channel_size
  std::array<std::uint64_t, 2> sscp_kernel_freq{};  // sscp_conv_kernel_size[i][1]
  std::array<std::uint64_t, 2> sscp_kernel_area{};  // sscp_conv_kernel_size[i][0] × [i][1]
  std::array<std::uint64_t, 2> sscp_stride_freq{};  // sscp_conv_stride_size[i][1]
  // Gemma3nVisionConfig.
  std::uint64_t vision_hidden = 0, vision_vocab = 0;
  std::uint64_t text_hidden_size = 0;  // the embedders' output: the language model's hidden size
};

struct QuantizationConfig {
  std::string method;  // "gptq", "awq", "fp8", "mxfp4", "bitsandbytes", ...
  std::uint64_t bits = 0;
  std::uint64_t group_size = 0;
  std::uint64_t fp8_block_rows = 0, fp8_block_cols = 0;  // weight_block_size
  std::vector<std::string> modules_not_converted;
};

struct ModelConfig {
  std::string model_type;  // as written in config.json
  std::string origin;      // file or catalog name, for messages

  std::uint64_t hidden_size = 0;
  std::uint64_t intermediate_size = 0;
  std::uint64_t n_layers = 0;
  std::uint64_t n_heads = 0;
  std::uint64_t n_kv_heads = 0;
  std::uint64_t head_dim = 0;
  std::uint64_t vocab_size = 0;
  std::uint64_t max_position_embeddings = 0;
  bool tie_word_embeddings = false;
  std::string torch_dtype;  // "" when the config has none

  // Block structure.
  bool gated_mlp = true;  // SwiGLU/GeGLU: gate, up, down
  bool qkv_bias = false;
  bool o_bias = false;
  bool mlp_bias = false;
  bool fused_qkv = false;  // one qkv matrix (affects LoRA targets, not counts)
  bool fused_gate_up = false;
  bool parallel_block = false;  // attention and MLP read the same normed input
  NormKind norm = NormKind::rms;
  std::uint64_t norms_per_layer = 2;
  QkNorm qk_norm = QkNorm::none;
  bool final_norm = true;
  bool embedding_norm = false;            // BLOOM word_embeddings_layernorm
  std::uint64_t learned_positions = 0;    // GPT-2 wpe rows; OPT adds its offset of 2 here
  bool lm_head_bias = false;              // Phi-2
  bool attention_sinks = false;           // gpt-oss: one learned sink logit per head
  bool logit_softcapping = false;         // Gemma 2: final_logit_softcapping, tanh over the logits
  std::uint64_t word_embed_proj_dim = 0;  // OPT-350m style projections when != hidden_size
  bool gpt_style_activations = false;     // Korthikanti et al. accounting (LayerNorm, GeLU, dropout)
  bool supported = true;                  // false: generic keys only; parameters cannot be counted

  std::optional<MlaConfig> mla;
  std::optional<MoeConfig> moe;
  std::uint64_t mtp_layers = 0;    // DeepSeek-V3 multi-token-prediction layers (checkpoint only)
  bool mtp_own_embeddings = true;  // DeepSeek-V3: MTP keeps its own embedding and head; Qwen3-Next shares them

  // Sliding-window attention: layer i holds min(seq, sliding_window) tokens when sliding[i].
  std::uint64_t sliding_window = 0;
  std::vector<bool> sliding_layers;  // empty: no sliding layers
  // Chunked attention (Llama 4): the sliding layers attend within fixed chunks of sliding_window
  // tokens rather than a moving window, so an engine keeps at most one chunk of their keys and values.
  bool chunked_attention = false;

  std::optional<QuantizationConfig> quantization;
  std::optional<Gemma3nTowersConfig> gemma3n_towers;  // Gemma 3n's wrapper: audio and vision towers, counted

  // Hybrid and state-space models: which layers hold attention (and so a KV cache) and which an MLP;
  // empty means every layer (all plain transformers). Recurrent mixers are in `recurrent`.
  std::vector<bool> attention_layers;
  std::vector<bool> mlp_layers;
  std::optional<RecurrentConfig> recurrent;
  bool attention_output_gate = false;  // Qwen3-Next: q_proj emits a sigmoid gate beside each query

  // Bidirectional encoders (BERT, RoBERTa, XLM-RoBERTa): every token attends to every other, nothing
  // is generated, so no layer keeps a KV cache and there is no LM head; the model's output is its last
  // hidden states and the pooler's [CLS] vector. max_position_embeddings is then the most tokens a
  // sequence may hold (the learned position table allows no more); learned_positions the table's rows.
  bool encoder = false;
  std::uint64_t type_vocab_size = 0;  // token_type_embeddings rows (segment A/B; RoBERTa: 1)
  bool pooler = false;                // BertPooler dense [h, h] + bias (add_pooling_layer, in the hub checkpoints)
  std::uint64_t num_labels = 2;       // the fine-tuning classification head's outputs (id2label / num_labels)
  // ModernBERT (transformers modeling_modernbert.py): layer 0 has no attention norm (attn_norm is
  // nn.Identity there), and fine-tuning heads put ModernBertPredictionHead (dense [h, h], bias when
  // classifier_bias, then a norm) between the pooled output and the classifier.
  bool first_layer_attn_norm = true;

  // Encoder-decoders (T5, BART): `encoder_layers` blocks run once over the input (self-attention and an
  // MLP, 2 norms each), `decoder_layers` blocks generate (self-attention, cross-attention over the
  // encoder's output, an MLP, 3 norms each); n_layers counts both (the blocks pipeline stages split).
  // The decoder caches K/V of the generated tokens (self-attention) and of the input tokens
  // (cross-attention) in every decoder layer. learned_positions is then each stack's own table (BART).
  std::uint64_t encoder_layers = 0;
  std::uint64_t decoder_layers = 0;  // > 0: an encoder-decoder
  std::uint64_t relative_attention_buckets =
      0;  // T5 relative_attention_bias [buckets, heads], first layer of each stack
  [[nodiscard]] bool is_encoder_decoder() const { return decoder_layers > 0; }
  // transformers' T5Attention adds the relative position bias to scores it computes itself (no SDPA or
  // flash kernel): attention is eager unless the user says otherwise.
  bool eager_attention_only = false;
  bool prediction_head = false;
  bool prediction_head_bias = false;

  // Gemma 3n (transformers modeling_gemma3n.py), zero/empty for every other architecture:
  std::vector<std::uint64_t> layer_intermediate;  // per-layer MLP widths (intermediate_size as a list); empty: all
                                                  // layers intermediate_size
  std::uint64_t kv_shared_layers = 0;  // num_kv_shared_layers: the last N layers reuse K/V of an earlier layer of
                                       // their type and cache nothing of their own
  std::uint64_t altup_inputs = 0;      // altup_num_inputs: AltUp's parallel residual streams (0: none)
  std::uint64_t laurel_rank = 0;       // LAuReL's low-rank residual (0: none)
  // Per-layer embeddings (PLE): a [per_layer_vocab, n_layers × per_layer_width] table read a row per token,
  // which engines may keep in host memory (Google's "Per-Layer Embedding caching"); 0: none.
  std::uint64_t per_layer_width = 0, per_layer_vocab = 0;
  // Vision-language models (a *ForConditionalGeneration wrapper with text_config and vision_config):
  // the vision tower and projector; the fields above describe the language model.
  std::optional<VisionConfig> vision;
  // Mllama (Llama 3.2 Vision): decoder layers whose attention reads the image features instead of the
  // text (cross_attention_layers; attention_layers marks them false, so self-attention KV skips them),
  // and the embedding's extra rows (MllamaTextModel: nn.Embedding(vocab_size + 8, hidden)).
  std::uint64_t n_cross_attention_layers = 0;
  std::uint64_t extra_embedding_rows = 0;

  [[nodiscard]] bool is_sparse_layer(std::uint64_t layer) const;
  [[nodiscard]] std::uint64_t n_sliding_layers() const;
  [[nodiscard]] bool has_attention(std::uint64_t layer) const;
  [[nodiscard]] bool has_mlp(std::uint64_t layer) const;
  [[nodiscard]] std::uint64_t n_attention_layers() const;
  [[nodiscard]] std::uint64_t n_mlp_layers() const;
  // Layers that keep a KV cache of their own: attention layers before the KV-sharing ones, and of those the
  // sliding-window ones (equal to n_attention_layers() and n_sliding_layers() without KV sharing).
  [[nodiscard]] std::uint64_t n_kv_layers() const;
  [[nodiscard]] std::uint64_t n_kv_sliding_layers() const;
};

// The model's family as `llmmem models` shows it, from its structure: "dense transformer",
// "MoE transformer", "encoder", "encoder-decoder", "state-space (Mamba-2)", "hybrid (Mamba-2 +
// attention, MoE)", "vision-language (dense transformer)", ...
[[nodiscard]] std::string architecture_family(const ModelConfig& config);

// Bounds on what a config.json or GGUF file may claim, shared by both readers. The largest published
// models sit far below them (Llama 3.1 405B: 126 layers, hidden 16384; DeepSeek-V3: 256 experts;
// Gemma 3: vocabulary 262144; Llama 4 Scout: 10M context); beyond them the products the estimator
// forms could overflow 64 bits, and per-layer tables would be sized by untrusted counts.
constexpr std::uint64_t k_max_layers = 65536;
constexpr std::uint64_t k_max_dimension = 1ULL << 24;  // hidden, intermediate, heads, head_dim, vocab, ranks
constexpr std::uint64_t k_max_experts = 65536;
constexpr std::uint64_t k_max_context = 1ULL << 32;  // tokens
// A generous upper bound on the parameters the dimensions describe (every layer dense and MoE at
// once): 2^50 is about 1.1e15, 500 times the largest published model, and leaves 2^14 bytes per
// parameter before a byte count could overflow.
constexpr std::uint64_t k_max_parameters = 1ULL << 50;

// The names under which a file gives each dimension, for messages: HuggingFace keys for config.json,
// "<arch>.block_count" and friends for GGUF metadata.
struct DimensionKeys {
  std::string layers, hidden, intermediate, heads, kv_heads, head_dim, vocab, experts, experts_used, context;
};

// The one validation of a model's dimensions, for config.json and GGUF alike: each within the
// bounds above, top-k within the experts, and the parameter upper bound within k_max_parameters.
// With `attention_required` (architectures llmmem models, and GGUF files) the heads must also be
// positive, num_key_value_heads must divide num_attention_heads, and head_dim must be positive.
// Throws InputError naming config.origin, the key and its value.
void validate_dimensions(const ModelConfig& config, const DimensionKeys& keys, bool attention_required);

// Parses config.json text. `origin` names the source in error messages ("models/llama3-8b.json").
// Throws InputError (malformed JSON with line and column, missing/wrong-typed/negative key, naming
// key and origin) and UnsupportedError (a model_type the estimator does not model, naming it).
[[nodiscard]] ModelConfig parse_model_config(std::string_view json_text, const std::string& origin);

// Reads a config.json file, or DIR/config.json, and parses it. Throws InputError when missing.
[[nodiscard]] ModelConfig load_model_config(const std::filesystem::path& path);

// Reads a whole (small) text file, throwing InputError naming the path on failure.
[[nodiscard]] std::string read_text_file(const std::filesystem::path& path, std::uint64_t max_bytes = 64ULL << 20);

// model_types the detailed method models, in the order of the architecture registry
// (k_architectures in src/model_config.cpp), for docs, `--help` and messages.
[[nodiscard]] const std::vector<std::string_view>& supported_model_types();

// "architecture 'x' is not supported yet (origin); supported: llama, mistral, ...": the message for
// a model_type outside the registry.
[[nodiscard]] std::string unsupported_architecture_message(std::string_view model_type, std::string_view origin);

}  // namespace llmmem
