// config.json -> ModelConfig. The only file that knows HuggingFace key names.
// Key names and defaults follow each architecture's configuration_*.py in huggingface/transformers
// (and the custom-code configs of Falcon "RefinedWeb" and Phi-2 "phi-msft").
#include "llmmem/model_config.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "llmmem/bytes.hpp"
#include "llmmem/error.hpp"
#include "text.hpp"

namespace llmmem {

namespace {

using Json = nlohmann::json;

class Reader {
 public:
  Reader(const Json& json, const std::string& origin) : m_json(json), m_origin(origin) {}

  [[nodiscard]] const Json* find(std::initializer_list<std::string_view> keys, std::string* found = nullptr) const {
    for (auto key : keys) {
      auto it = m_json.find(std::string(key));
      if (it != m_json.end() && !it->is_null()) {
        if (found) *found = std::string(key);
        return &*it;
      }
    }
    return nullptr;
  }

  // Present, even as null (a config's explicit "none").
  [[nodiscard]] bool has_key(std::string_view key) const { return m_json.contains(std::string(key)); }

  [[nodiscard]] std::optional<std::uint64_t> opt_u64(std::initializer_list<std::string_view> keys) const {
    std::string key;
    const Json* v = find(keys, &key);
    if (!v) return std::nullopt;
    if (v->is_number_unsigned()) return v->get<std::uint64_t>();
    if (v->is_number_integer()) {
      throw InputError(fmt::format("{}: key '{}' must be a non-negative integer, got {}", m_origin, key, v->dump()));
    }
    if (v->is_number_float()) {
      const double d = v->get<double>();
      if (d >= 0 && d < 1.8e19 && std::floor(d) == d) return static_cast<std::uint64_t>(d);
    }
    throw InputError(
        fmt::format("{}: key '{}' must be a non-negative integer, got {}", m_origin, key, v->dump().substr(0, 40)));
  }

  [[nodiscard]] std::uint64_t u64(std::initializer_list<std::string_view> keys) const {
    if (auto v = opt_u64(keys)) return *v;
    throw InputError(fmt::format("{}: required key '{}' is missing", m_origin, *keys.begin()));
  }

  [[nodiscard]] std::uint64_t positive(std::initializer_list<std::string_view> keys) const {
    const std::uint64_t v = u64(keys);
    if (v == 0) throw InputError(fmt::format("{}: key '{}' must be positive, got 0", m_origin, *keys.begin()));
    return v;
  }

  [[nodiscard]] std::uint64_t u64_or(std::initializer_list<std::string_view> keys, std::uint64_t fallback) const {
    return opt_u64(keys).value_or(fallback);
  }

  // A positive count whose class default applies when the key is absent.
  [[nodiscard]] std::uint64_t positive_or(std::initializer_list<std::string_view> keys, std::uint64_t fallback) const {
    const std::uint64_t v = u64_or(keys, fallback);
    if (v == 0) throw InputError(fmt::format("{}: key '{}' must be positive, got 0", m_origin, *keys.begin()));
    return v;
  }

  // The layer count, bounded as soon as it is read: readers size per-layer vectors from it.
  [[nodiscard]] std::uint64_t layers(std::initializer_list<std::string_view> keys) const {
    const std::uint64_t v = positive(keys);
    if (v > k_max_layers)
      throw InputError(fmt::format("{}: key '{}' = {} is larger than any real model ({} at most)", m_origin,
                                   *keys.begin(), v, k_max_layers));
    return v;
  }

  [[nodiscard]] std::optional<bool> opt_bool(std::string_view key) const {
    const Json* v = find({key});
    if (!v) return std::nullopt;
    if (!v->is_boolean())
      throw InputError(
          fmt::format("{}: key '{}' must be true or false, got {}", m_origin, key, v->dump().substr(0, 40)));
    return v->get<bool>();
  }
  [[nodiscard]] bool boolean(std::string_view key, bool fallback) const { return opt_bool(key).value_or(fallback); }

  [[nodiscard]] std::string string_or(std::string_view key, std::string fallback) const {
    const Json* v = find({key});
    if (!v) return fallback;
    if (!v->is_string())
      throw InputError(fmt::format("{}: key '{}' must be a string, got {}", m_origin, key, v->dump().substr(0, 40)));
    return v->get<std::string>();
  }

  [[nodiscard]] const Json& json() const { return m_json; }
  [[nodiscard]] const std::string& origin() const { return m_origin; }

 private:
  const Json& m_json;
  const std::string& m_origin;
};

// 4 × v, saturating past any real model (validate_dimensions then names it).
std::uint64_t sat_mul_4(std::uint64_t v) { return v > k_max_dimension ? k_max_dimension + 1 : 4 * v; }

// head_dim when the config does not give one: hidden_size / num_attention_heads, which must divide
// exactly. transformers' attention modules raise ValueError otherwise ("`embed_dim` must be
// divisible by num_heads (got `embed_dim`: ... and `num_heads`: ...)" in GPT2Attention, OPTAttention,
// BloomAttention; "hidden_size must be divisible by num_heads" in LlamaAttention before head_dim
// became a config key), so a floored head_dim would describe a model that cannot be built.
std::uint64_t derived_head_dim(const std::string& origin, std::uint64_t hidden, std::uint64_t heads,
                               std::string_view hidden_key, std::string_view heads_key, std::string_view head_dim_key) {
  // 0 when unknown; also when hidden is beyond any real model: validate_dimensions() then names it
  // as too large, the real culprit, rather than as indivisible.
  if (heads == 0 || hidden > k_max_dimension) return 0;
  if (hidden % heads != 0)
    throw InputError(fmt::format("{}: {} ({}) is not divisible by {} ({}) and no {} is given", origin, hidden_key,
                                 hidden, heads_key, heads, head_dim_key));
  return hidden / heads;
}

std::uint64_t head_dim_or_derived(const Reader& r, const ModelConfig& c) {
  if (auto explicit_dim = r.opt_u64({"head_dim"})) return *explicit_dim;
  return derived_head_dim(r.origin(), c.hidden_size, c.n_heads, "hidden_size", "num_attention_heads", "head_dim");
}

// hidden_size / num_attention_heads for architectures without a head_dim key.
std::uint64_t split_heads(const Reader& r, const ModelConfig& c) {
  return derived_head_dim(r.origin(), c.hidden_size, c.n_heads, "hidden_size", "num_attention_heads", "head_dim");
}

// Keys shared by Llama-style configs (LlamaConfig and its descendants).
// `head_dim`: false for MLA, whose head sizes come from their own keys.
void read_llama_like(const Reader& r, ModelConfig& c, bool head_dim = true) {
  c.hidden_size = r.positive({"hidden_size"});
  c.intermediate_size = r.positive({"intermediate_size"});
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive({"num_attention_heads"});
  c.n_kv_heads = r.u64_or({"num_key_value_heads"}, c.n_heads);
  if (c.n_kv_heads == 0) c.n_kv_heads = c.n_heads;
  if (head_dim) c.head_dim = head_dim_or_derived(r, c);
  c.vocab_size = r.positive({"vocab_size"});
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 0);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  const bool attention_bias = r.boolean("attention_bias", false);
  c.qkv_bias = attention_bias;
  c.o_bias = attention_bias;
  c.mlp_bias = r.boolean("mlp_bias", false);
}

// sliding_window applied to every layer (Mistral v0.1, Mixtral, Phi-3), when set.
void read_uniform_window(const Reader& r, ModelConfig& c) {
  if (auto w = r.opt_u64({"sliding_window"}); w && *w > 0) {
    c.sliding_window = *w;
    c.sliding_layers.assign(c.n_layers, true);
  }
}

// layer_types: ["sliding_attention", "full_attention", ...] (gpt-oss, newer Gemma/Qwen configs).
bool read_layer_types(const Reader& r, ModelConfig& c) {
  const Json* types = r.find({"layer_types"});
  if (!types) return false;
  if (!types->is_array() || types->size() != c.n_layers)
    throw InputError(fmt::format("{}: key 'layer_types' must be an array of {} strings", r.origin(), c.n_layers));
  c.sliding_layers.clear();
  for (const auto& t : *types) {
    if (!t.is_string()) throw InputError(fmt::format("{}: key 'layer_types' must hold strings", r.origin()));
    c.sliding_layers.push_back(t.get<std::string>() == "sliding_attention");
  }
  c.sliding_window = r.u64_or({"sliding_window"}, 0);
  if (c.sliding_window == 0) c.sliding_layers.clear();
  return true;
}

void read_qwen_sliding(const Reader& r, ModelConfig& c) {
  if (read_layer_types(r, c)) return;
  // Qwen2: layer i uses the window when use_sliding_window and i >= max_window_layers.
  if (!r.boolean("use_sliding_window", false)) return;
  const auto window = r.u64_or({"sliding_window"}, 0);
  if (window == 0) return;
  const auto first = r.u64_or({"max_window_layers"}, 0);
  c.sliding_window = window;
  c.sliding_layers.resize(c.n_layers);
  for (std::uint64_t i = 0; i < c.n_layers; ++i) c.sliding_layers[i] = i >= first;
}

// `defaults`: the configuration class's defaults where a config may omit the expert keys
// (Qwen3NextConfig); without them the keys are required.
void read_qwen_moe(const Reader& r, ModelConfig& c, bool shared_expert, const MoeConfig* defaults = nullptr) {
  const auto count = [&](std::string_view key, std::uint64_t fallback) {
    return defaults ? r.positive_or({key}, fallback) : r.positive({key});
  };
  MoeConfig m;
  m.n_experts = count("num_experts", defaults ? defaults->n_experts : 0);
  m.n_experts_per_token = count("num_experts_per_tok", defaults ? defaults->n_experts_per_token : 0);
  m.expert_intermediate = count("moe_intermediate_size", defaults ? defaults->expert_intermediate : 0);
  m.layer_step = r.u64_or({"decoder_sparse_step"}, 1);
  if (m.layer_step == 0) m.layer_step = 1;
  m.step_offset_one = true;
  if (const Json* dense = r.find({"mlp_only_layers"})) {
    if (!dense->is_array()) throw InputError(fmt::format("{}: key 'mlp_only_layers' must be an array", r.origin()));
    for (const auto& v : *dense) {
      if (!v.is_number_unsigned())
        throw InputError(fmt::format("{}: key 'mlp_only_layers' must hold layer indices", r.origin()));
      m.dense_layers.push_back(v.get<std::uint64_t>());
    }
  }
  if (shared_expert) {
    m.shared_intermediate = r.u64_or({"shared_expert_intermediate_size"}, defaults ? defaults->shared_intermediate : 0);
    m.shared_expert_gate = m.shared_intermediate > 0;
  }
  c.moe = m;
}

void read_quantization(const Reader& r, ModelConfig& c) {
  const Json* q = r.find({"quantization_config"});
  if (!q || !q->is_object()) return;
  QuantizationConfig qc;
  const Reader qr(*q, r.origin());
  qc.method = qr.string_or("quant_method", "");
  qc.bits = qr.u64_or({"bits", "w_bit"}, 0);
  qc.group_size = 0;
  if (const Json* g = qr.find({"group_size", "q_group_size"}); g && g->is_number_integer())
    qc.group_size = g->get<std::int64_t>() > 0 ? static_cast<std::uint64_t>(g->get<std::int64_t>()) : 0;
  if (qr.boolean("load_in_4bit", false)) qc.bits = 4;
  if (qr.boolean("load_in_8bit", false)) qc.bits = 8;
  if (const Json* b = qr.find({"weight_block_size"});
      b && b->is_array() && b->size() == 2 && (*b)[0].is_number_unsigned() && (*b)[1].is_number_unsigned()) {
    qc.fp8_block_rows = (*b)[0].get<std::uint64_t>();
    qc.fp8_block_cols = (*b)[1].get<std::uint64_t>();
  }
  if (const Json* m = qr.find({"modules_to_not_convert", "llm_int8_skip_modules"}); m && m->is_array())
    for (const auto& s : *m)
      if (s.is_string()) qc.modules_not_converted.push_back(s.get<std::string>());
  c.quantization = qc;
}

// ---------------------------------------------------------------- one reader per architecture
// Each reads its configuration_*.py keys and expresses the model with ModelConfig's generic block
// fields. The registry k_architectures below maps model_type to its reader.

void read_llama(const Reader& r, ModelConfig& c) { read_llama_like(r, c); }

void read_mistral(const Reader& r, ModelConfig& c) {
  read_llama_like(r, c);
  read_uniform_window(r, c);
}

void read_mixtral(const Reader& r, ModelConfig& c) {
  read_mistral(r, c);
  MoeConfig m;
  m.n_experts = r.positive({"num_local_experts"});
  m.n_experts_per_token = r.positive({"num_experts_per_tok"});
  m.expert_intermediate = c.intermediate_size;
  c.moe = m;
}

void read_qwen2(const Reader& r, ModelConfig& c) {
  read_llama_like(r, c);
  c.qkv_bias = true;  // Qwen2Attention: q/k/v with bias, o_proj without
  c.o_bias = false;
  read_qwen_sliding(r, c);
}

void read_qwen2_moe(const Reader& r, ModelConfig& c) {
  read_qwen2(r, c);
  read_qwen_moe(r, c, true);
}

void read_qwen3(const Reader& r, ModelConfig& c) {
  read_llama_like(r, c);
  c.qk_norm = QkNorm::per_head_dim;
  read_qwen_sliding(r, c);
}

void read_qwen3_moe(const Reader& r, ModelConfig& c) {
  read_qwen3(r, c);
  read_qwen_moe(r, c, false);
}

void read_gemma(const Reader& r, ModelConfig& c) {
  read_llama_like(r, c);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
}

// Gemma 2 and 3: four norms per layer (input, post_attention, pre_feedforward, post_feedforward) and
// sliding layers: Gemma 2's even layers slide (modeling_gemma2.py); Gemma 3 slides on all but every
// sliding_window_pattern-th layer.
void read_gemma_sliding(const Reader& r, ModelConfig& c, bool gemma2) {
  read_gemma(r, c);
  c.norms_per_layer = 4;
  if (read_layer_types(r, c)) return;
  const auto window = r.u64_or({"sliding_window"}, 0);
  if (window == 0) return;
  c.sliding_window = window;
  c.sliding_layers.resize(c.n_layers);
  const std::uint64_t pattern = gemma2 ? 2 : r.u64_or({"sliding_window_pattern"}, 6);
  for (std::uint64_t i = 0; i < c.n_layers; ++i)
    c.sliding_layers[i] = pattern == 0 ? true : (gemma2 ? i % 2 == 0 : (i + 1) % pattern != 0);
}

// Gemma 2 caps its logits with tanh (Gemma2ForCausalLM.forward; final_logit_softcapping defaults to
// 30.0 in configuration_gemma2.py, so only an explicit null turns it off).
void read_gemma2(const Reader& r, ModelConfig& c) {
  read_gemma_sliding(r, c, true);
  c.logit_softcapping = r.find({"final_logit_softcapping"}) != nullptr || !r.has_key("final_logit_softcapping");
}

void read_gemma3_text(const Reader& r, ModelConfig& c) {
  read_gemma_sliding(r, c, false);
  c.qk_norm = QkNorm::per_head_dim;
}

void read_phi3(const Reader& r, ModelConfig& c) {
  read_llama_like(r, c);
  c.fused_qkv = true;
  c.fused_gate_up = true;
  read_uniform_window(r, c);
}

// Phi-3-small (model_type "phi3small", custom code: configuration_phi3_small.py in
// microsoft/Phi-3-small-8k-instruct; shapes from vLLM models/phi3_small.py, which ports its modeling
// code): a fused query_key_value and a dense output, both with bias; one up_proj of 2 × I with bias
// feeding GeGeLU (gate and linear halves interleaved) and a biased down_proj; two LayerNorms with bias
// per layer and a final LayerNorm; head_dim = hidden_size // num_attention_heads. The LM head is tied
// (Phi3SmallForCausalLM._tied_weights_keys; vLLM copies embed_tokens into lm_head when loading), the
// PretrainedConfig default tie_word_embeddings=True. The config's "attention_bias": false was added for
// TGI (hub commit "Add attention_bias to make TGI work") and does not describe the checkpoint.
// Blocksparse layers (all but every dense_attention_every_n_layers-th) read a local window plus every
// vert_stride-th block, so every token stays cached: vLLM gives them the same paged KV cache as dense
// layers (blocksparse_params only change the kernel), and the KV cache is counted as dense attention.
// MuP scales (mup_embedding_multiplier, mup_width_multiplier) are constants, not tensors.
void read_phi3small(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive({"hidden_size"});
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive({"num_attention_heads"});
  c.n_kv_heads = r.u64_or({"num_key_value_heads"}, c.n_heads);
  if (c.n_kv_heads == 0) c.n_kv_heads = c.n_heads;
  c.head_dim = split_heads(r, c);
  c.vocab_size = r.positive({"vocab_size"});
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 8192);
  // Phi3SmallConfig.intermediate_size: ff_intermediate_size, else ff_dim_multiplier × (hidden // 3) × 2,
  // rounded up to a multiple of 256 when gegelu_pad_to_256 (default true).
  if (auto ff = r.opt_u64({"ff_intermediate_size"})) {
    c.intermediate_size = *ff;
  } else {
    const std::uint64_t mult = r.positive({"ff_dim_multiplier"});
    // Beyond these bounds validate_dimensions() names the product as too large.
    c.intermediate_size = (mult > k_max_dimension || c.hidden_size > k_max_dimension) ? k_max_dimension + 1
                                                                                      : mult * (c.hidden_size / 3) * 2;
    if (r.boolean("gegelu_pad_to_256", true)) c.intermediate_size = (c.intermediate_size + 255) / 256 * 256;
  }
  if (c.intermediate_size == 0)
    throw InputError(fmt::format("{}: key 'ff_intermediate_size' must be positive, got 0", r.origin()));
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
  c.fused_qkv = true;
  c.fused_gate_up = true;
  c.qkv_bias = c.o_bias = c.mlp_bias = true;
  c.norm = NormKind::layer_norm;
}

// vLLM's mamba_ssm_cache_dtype when the config names one ("float32", "bfloat16", "float16"; "auto"
// and absent: `fallback`). vLLM reads this key from the HF config for NemotronH
// (model_executor/models/config.py NemotronHForCausalLMConfig.update_mamba_ssm_cache_dtype).
std::uint64_t read_ssm_state_bits(const Reader& r, std::uint64_t fallback) {
  const std::string dtype = r.string_or("mamba_ssm_cache_dtype", "auto");
  if (dtype == "auto") return fallback;
  if (dtype == "float32") return 32;
  if (dtype == "bfloat16" || dtype == "float16") return 16;
  throw InputError(fmt::format("{}: key 'mamba_ssm_cache_dtype' must be auto, float32, bfloat16 or float16, got '{}'",
                               r.origin(), dtype));
}

// The Mamba-2 mixer keys shared by mamba2 and nemotron_h (their key names given by the caller).
RecurrentConfig read_mamba2_mixer(const Reader& r, std::initializer_list<std::string_view> heads,
                                  std::initializer_list<std::string_view> head_dim, std::string_view bias_key) {
  RecurrentConfig m;
  m.kind = RecurrentKind::mamba2;
  m.n_heads = r.positive(heads);
  m.head_dim = r.positive(head_dim);
  m.state_size = r.positive({"ssm_state_size", "state_size"});
  m.n_groups = r.positive({"n_groups"});
  m.conv_kernel = r.positive({"conv_kernel"});
  m.conv_bias = r.boolean("use_conv_bias", true);
  m.proj_bias = m.out_proj_bias = r.boolean(bias_key, false);
  for (auto v : {m.n_heads, m.head_dim, m.state_size, m.n_groups, m.conv_kernel})
    if (v > k_max_dimension)
      throw InputError(fmt::format("{}: a Mamba-2 dimension ({}) is larger than any real model ({} at most)",
                                   r.origin(), v, k_max_dimension));
  if (m.n_heads % m.n_groups != 0)
    throw InputError(fmt::format("{}: the Mamba-2 heads ({}) must be a multiple of n_groups ({})", r.origin(),
                                 m.n_heads, m.n_groups));
  return m;
}

// Mamba-2 (transformers configuration_mamba2.py / modeling_mamba2.py): every layer is one RMSNorm and
// one Mamba2Mixer, no attention and no MLP; a final norm_f; the head untied unless
// tie_word_embeddings (default False). The attention fields carry the SSM heads (n_heads × head_dim =
// the mixer's inner width) so the activation formulas see the mixer's width; no layer has a KV cache.
void read_mamba2(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive({"hidden_size"});
  c.n_layers = r.layers({"num_hidden_layers"});
  c.vocab_size = r.positive({"vocab_size"});
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  RecurrentConfig m = read_mamba2_mixer(r, {"num_heads"}, {"head_dim"}, "use_bias");
  m.ssm_state_bits = read_ssm_state_bits(r, 0);
  m.layers.assign(c.n_layers, true);
  c.n_heads = c.n_kv_heads = m.n_heads;
  c.head_dim = m.head_dim;
  c.intermediate_size = m.inner();
  c.recurrent = m;
  c.attention_layers.assign(c.n_layers, false);
  c.mlp_layers.assign(c.n_layers, false);
  c.norms_per_layer = 1;
}

// Nemotron-H (transformers configuration_nemotron_h.py / modeling_nemotron_h.py; NVIDIA's custom code
// for the Nemotron-H and Nemotron Nano v2 checkpoints): each layer is one RMSNorm and one mixer,
// chosen by hybrid_override_pattern: 'M' a Mamba-2 mixer (mamba_num_heads × mamba_head_dim inner,
// in_proj/out_proj biased when use_bias), '*' attention without position embeddings (head_dim or
// attention_head_dim, biases when attention_bias), '-' an MLP of up_proj and down_proj with ReLU²
// (biases when mlp_bias). 'E' (mixture-of-experts layers of Nemotron 3) is not modelled yet.
// vLLM keeps the SSM state in float32 unless the config says otherwise (NemotronHForCausalLMConfig:
// DEFAULT_MAMBA_SSM_CACHE_DTYPE = "float32", "Only float32 is known to have no accuracy issues").
void read_nemotron_h(const Reader& r, ModelConfig& c) {
  const std::string pattern = r.string_or("hybrid_override_pattern", "");
  if (pattern.empty())
    throw InputError(fmt::format("{}: required key 'hybrid_override_pattern' is missing", r.origin()));
  c.n_layers = r.layers({"num_hidden_layers"});
  if (pattern.size() != c.n_layers)
    throw InputError(fmt::format("{}: key 'hybrid_override_pattern' has {} letters for {} layers", r.origin(),
                                 pattern.size(), c.n_layers));
  c.hidden_size = r.positive({"hidden_size"});
  c.intermediate_size = r.positive({"intermediate_size"});
  c.n_heads = r.positive({"num_attention_heads"});
  c.n_kv_heads = r.u64_or({"num_key_value_heads"}, c.n_heads);
  if (c.n_kv_heads == 0) c.n_kv_heads = c.n_heads;
  if (auto hd = r.opt_u64({"head_dim", "attention_head_dim"}))
    c.head_dim = *hd;
  else
    c.head_dim = split_heads(r, c);
  c.vocab_size = r.positive({"vocab_size"});
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 0);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);
  c.mlp_bias = r.boolean("mlp_bias", false);
  c.gated_mlp = false;
  c.norms_per_layer = 1;
  RecurrentConfig m = read_mamba2_mixer(r, {"mamba_num_heads"}, {"mamba_head_dim"}, "use_bias");
  m.ssm_state_bits = read_ssm_state_bits(r, 32);
  m.layers.assign(c.n_layers, false);
  c.attention_layers.assign(c.n_layers, false);
  c.mlp_layers.assign(c.n_layers, false);
  for (std::uint64_t i = 0; i < c.n_layers; ++i) {
    switch (pattern[i]) {
      case 'M':
        m.layers[i] = true;
        break;
      case '*':
        c.attention_layers[i] = true;
        break;
      case '-':
        c.mlp_layers[i] = true;
        break;
      case 'E':
        throw UnsupportedError(fmt::format(
            "{}: nemotron_h mixture-of-experts layers ('E' in hybrid_override_pattern) are not supported yet",
            r.origin()));
      default:
        throw InputError(
            fmt::format("{}: key 'hybrid_override_pattern' holds character 0x{:02x} at layer {}; "
                        "expected M, * or -",
                        r.origin(), static_cast<unsigned char>(pattern[i]), i));
    }
  }
  c.recurrent = m;
}

// Qwen3-Next (transformers configuration_qwen3_next.py / modeling_qwen3_next.py; the class defaults
// are Qwen3-Next-80B-A3B's): layer i is Gated DeltaNet ("linear_attention") or gated attention
// ("full_attention") as layer_types says, else full attention when (i + 1) % full_attention_interval
// == 0 (default 4: layers 3, 7, ..., 47). Attention is Qwen3's (q_norm/k_norm over head_dim, no biases
// unless attention_bias) with q_proj twice as wide: it emits a sigmoid output gate per query value
// (Qwen3NextAttention: q_proj out_features = num_heads × head_dim × 2). Every layer has an MLP: MoE
// as Qwen2-MoE (decoder_sparse_step, mlp_only_layers, one shared expert of
// shared_expert_intermediate_size with its sigmoid shared_expert_gate). The checkpoint keeps one
// multi-token-prediction layer under mtp.* (vLLM qwen3_next_mtp.py: num_nextn_predict_layers, default
// 1): fc [h, 2h], three norms and a full-attention MoE layer, sharing the model's embedding and head.
// vLLM keeps the conv and delta-rule state in the model dtype unless mamba_ssm_cache_dtype says
// otherwise (mamba_utils.py gated_delta_net_state_dtype).
void read_qwen3_next(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive({"hidden_size"});
  c.intermediate_size = r.u64_or({"intermediate_size"}, 5632);
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.u64_or({"num_attention_heads"}, 16);
  c.n_kv_heads = r.u64_or({"num_key_value_heads"}, 2);
  c.head_dim = r.u64_or({"head_dim"}, 256);
  c.vocab_size = r.u64_or({"vocab_size"}, 151936);
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 32768);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);
  c.qk_norm = QkNorm::per_head_dim;
  c.attention_output_gate = true;
  MoeConfig defaults;  // Qwen3NextConfig: 512 experts, top-10, 512 wide, a shared expert of 512
  defaults.n_experts = 512;
  defaults.n_experts_per_token = 10;
  defaults.expert_intermediate = 512;
  defaults.shared_intermediate = 512;
  read_qwen_moe(r, c, true, &defaults);
  c.mtp_layers = r.u64_or({"num_nextn_predict_layers"}, 1);
  c.mtp_own_embeddings = false;

  RecurrentConfig m;
  m.kind = RecurrentKind::gated_deltanet;
  m.conv_kernel = r.u64_or({"linear_conv_kernel_dim"}, 4);
  m.k_head_dim = r.u64_or({"linear_key_head_dim"}, 128);
  m.v_head_dim = r.u64_or({"linear_value_head_dim"}, 128);
  m.n_k_heads = r.u64_or({"linear_num_key_heads"}, 16);
  m.n_v_heads = r.u64_or({"linear_num_value_heads"}, 32);
  m.conv_bias = false;
  for (auto v : {m.conv_kernel, m.k_head_dim, m.v_head_dim, m.n_k_heads, m.n_v_heads})
    if (v == 0 || v > k_max_dimension)
      throw InputError(
          fmt::format("{}: a Gated DeltaNet dimension ({}) must be between 1 and {}", r.origin(), v, k_max_dimension));
  // Qwen3NextGatedDeltaNet repeats each key head over num_v_heads / num_k_heads value heads.
  if (m.n_v_heads % m.n_k_heads != 0)
    throw InputError(fmt::format("{}: linear_num_value_heads ({}) must be a multiple of linear_num_key_heads ({})",
                                 r.origin(), m.n_v_heads, m.n_k_heads));
  m.ssm_state_bits = read_ssm_state_bits(r, 0);

  c.attention_layers.assign(c.n_layers, false);
  if (const Json* types = r.find({"layer_types"})) {
    if (!types->is_array() || types->size() != c.n_layers)
      throw InputError(fmt::format("{}: key 'layer_types' must be an array of {} strings", r.origin(), c.n_layers));
    for (std::uint64_t i = 0; i < c.n_layers; ++i) {
      const Json& t = (*types)[i];
      const std::string type = t.is_string() ? t.get<std::string>() : std::string();
      if (type != "full_attention" && type != "linear_attention")
        throw InputError(fmt::format(
            "{}: key 'layer_types' holds {} at layer {}; expected \"full_attention\" or \"linear_attention\"",
            r.origin(), t.dump().substr(0, 40), i));
      c.attention_layers[i] = type == "full_attention";
    }
  } else {
    const std::uint64_t interval = r.u64_or({"full_attention_interval"}, 4);
    if (interval == 0)
      throw InputError(fmt::format("{}: key 'full_attention_interval' must be positive, got 0", r.origin()));
    for (std::uint64_t i = 0; i < c.n_layers; ++i) c.attention_layers[i] = (i + 1) % interval == 0;
  }
  m.layers.resize(c.n_layers);
  for (std::uint64_t i = 0; i < c.n_layers; ++i) m.layers[i] = !c.attention_layers[i];
  c.recurrent = m;
}

// OLMo 2 (transformers configuration_olmo2.py, modular_olmo2.py): Llama's blocks and keys (Olmo2Config
// defaults: attention_bias false, num_key_value_heads = num_attention_heads, tie_word_embeddings false)
// with two changes that count: Olmo2Attention norms the whole q and k projections, q_norm an RMSNorm of
// num_attention_heads × head_dim and k_norm of num_key_value_heads × head_dim (QkNorm::per_head), and
// Olmo2DecoderLayer deletes input_layernorm for a post_attention_layernorm and a
// post_feedforward_layernorm after each sublayer: still two RMSNorms of hidden_size per layer.
void read_olmo2(const Reader& r, ModelConfig& c) {
  read_llama_like(r, c);
  c.qk_norm = QkNorm::per_head;
}

// GLM-4.5 / GLM-4.5-Air / GLM-4.6 (transformers configuration_glm4_moe.py, modeling_glm4_moe.py; the
// class defaults below are Glm4MoeConfig's). Glm4MoeAttention: q/k/v biased when attention_bias, o_proj
// never (bias=False); head_dim from the config, else hidden_size / num_attention_heads; q_norm and
// k_norm RMSNorms of head_dim when use_qk_norm (GLM-4.5 and 4.6, not Air). partial_rotary_factor only
// picks how much of each head RoPE rotates: the cached keys keep all of head_dim, so neither the
// parameters nor the KV cache change. Layers below first_k_dense_replace hold a dense MLP of
// intermediate_size, the rest Glm4MoeMoE: n_routed_experts experts of moe_intermediate_size, one shared
// MLP of n_shared_experts × moe_intermediate_size, and Glm4MoeTopkRouter's weight [experts, hidden] plus
// its e_score_correction_bias [experts] (a buffer the checkpoint stores). The checkpoint also keeps
// num_nextn_predict_layers multi-token-prediction layers after the last one (model.layers.46 in
// GLM-4.5-Air), which transformers skips and vLLM glm4_moe_mtp.py loads for speculative decoding: a
// full MoE decoder layer with enorm, hnorm, eh_proj [h, 2h], shared_head.norm, and its own embedding
// and shared_head.head, as DeepSeek-V3's (the hub's safetensors total only adds up with both copies).
void read_glm4_moe(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive_or({"hidden_size"}, 4096);
  c.intermediate_size = r.positive_or({"intermediate_size"}, 10944);
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive_or({"num_attention_heads"}, 96);
  c.n_kv_heads = r.positive_or({"num_key_value_heads"}, 8);
  c.head_dim = head_dim_or_derived(r, c);
  c.vocab_size = r.positive_or({"vocab_size"}, 151552);
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 131072);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.qkv_bias = r.boolean("attention_bias", false);
  c.o_bias = false;
  if (r.boolean("use_qk_norm", false)) c.qk_norm = QkNorm::per_head_dim;
  MoeConfig m;
  m.n_experts = r.positive_or({"n_routed_experts"}, 128);
  m.n_experts_per_token = r.positive_or({"num_experts_per_tok"}, 8);
  m.expert_intermediate = r.positive_or({"moe_intermediate_size"}, 1408);
  m.n_shared_experts = r.u64_or({"n_shared_experts"}, 1);
  m.first_dense_layers = r.u64_or({"first_k_dense_replace"}, 1);
  m.layer_step = 1;  // Glm4MoeDecoderLayer: every layer from first_k_dense_replace on is MoE
  m.step_offset_one = false;
  m.score_correction_bias = true;  // Glm4MoeTopkRouter registers e_score_correction_bias unconditionally
  c.moe = m;
  c.mtp_layers = r.u64_or({"num_nextn_predict_layers"}, 0);
  c.mtp_own_embeddings = true;
}

// A Mamba-1 time-step rank key (Jamba mamba_dt_rank, Mamba time_step_rank): "auto" (the default in
// JambaConfig and MambaConfig) is math.ceil(hidden_size / 16), else a positive integer.
std::uint64_t read_dt_rank(const Reader& r, std::string_view key, std::uint64_t hidden_size) {
  const Json* dt_rank = r.find({key});
  if (!dt_rank || (dt_rank->is_string() && dt_rank->get<std::string>() == "auto")) return ceil_div(hidden_size, 16);
  if (dt_rank->is_string())
    throw InputError(fmt::format("{}: key '{}' must be \"auto\" or a positive integer, got {}", r.origin(), key,
                                 dt_rank->dump().substr(0, 40)));
  return r.positive({key});
}

// The keys of a Mamba-1 mixer, which Jamba prefixes with "mamba_" and Mamba names plainly
// (configuration_jamba.py, configuration_mamba.py), and whether it norms dt, B and C (Jamba's mixer).
struct Mamba1Keys {
  const char* expand;
  const char* state_size;
  const char* conv_kernel;
  const char* dt_rank;
  const char* conv_bias;
  const char* proj_bias;
  bool bcdt_norms;
};

// A Mamba-1 mixer (MambaMixer / JambaMambaMixer): d_inner = expand × hidden_size, the state, the conv
// window, dt_rank ("auto" = ceil(hidden_size / 16)), conv bias on by default, projection biases off;
// every dimension bounded like the rest of the config. Layers are the caller's to mark.
RecurrentConfig read_mamba1_mixer(const Reader& r, const ModelConfig& c, const Mamba1Keys& k) {
  RecurrentConfig m;
  m.kind = RecurrentKind::mamba1;
  const std::uint64_t expand = r.positive_or({k.expand}, 2);
  m.state_size = r.positive_or({k.state_size}, 16);
  m.conv_kernel = r.positive_or({k.conv_kernel}, 4);
  m.dt_rank = read_dt_rank(r, k.dt_rank, c.hidden_size);
  m.conv_bias = r.boolean(k.conv_bias, true);
  m.proj_bias = m.out_proj_bias = r.boolean(k.proj_bias, false);
  m.bcdt_norms = k.bcdt_norms;
  for (auto v : {expand, m.state_size, m.conv_kernel, m.dt_rank})
    if (v > k_max_dimension)
      throw InputError(fmt::format("{}: a Mamba dimension ({}) is larger than any real model ({} at most)", r.origin(),
                                   v, k_max_dimension));
  m.d_inner = expand * std::min(c.hidden_size, k_max_dimension);
  if (m.d_inner > k_max_dimension && c.hidden_size <= k_max_dimension)  // a too-large hidden_size: validate_dimensions
    throw InputError(fmt::format("{}: {} ({}) × hidden_size ({}) is larger than any real model ({} at most)",
                                 r.origin(), k.expand, expand, c.hidden_size, k_max_dimension));
  m.ssm_state_bits = read_ssm_state_bits(r, 0);
  return m;
}

// Jamba (transformers configuration_jamba.py / modeling_jamba.py; the class defaults are Jamba-v0.1's).
// Layer i is attention when i % attn_layer_period == attn_layer_offset (JambaConfig.layers_block_type),
// else a Mamba-1 mixer (JambaMambaMixer: d_inner = mamba_expand × hidden_size, mamba_d_state,
// mamba_d_conv, mamba_dt_rank "auto" = ceil(hidden_size / 16), conv bias when mamba_conv_bias, in/out
// projection biases when mamba_proj_bias, RMSNorms over dt, B and C). Every layer has input_layernorm,
// pre_ff_layernorm and a feed-forward: JambaSparseMoeBlock (a router [num_experts, h] and num_experts
// JambaMLPs of intermediate_size) when i % expert_layer_period == expert_layer_offset and num_experts > 1
// (JambaConfig.layers_num_experts; the decoder layers pick the MoE block when num_experts > 1), else one
// JambaMLP. Attention is Mistral's GQA without biases or positional embeddings, head_dim = hidden_size /
// num_attention_heads (JambaAttention has no head_dim key). JambaConfig._check_supported_offset rejects
// an offset not below its period. vLLM keeps both states in the model dtype unless
// mamba_ssm_cache_dtype says otherwise (mamba_utils.py mamba1_state_dtype = _mamba_state_dtype).
void read_jamba(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive_or({"hidden_size"}, 4096);
  c.intermediate_size = r.positive_or({"intermediate_size"}, 14336);
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive_or({"num_attention_heads"}, 32);
  c.n_kv_heads = r.positive_or({"num_key_value_heads"}, c.n_heads);  // None: num_attention_heads
  c.head_dim = split_heads(r, c);
  c.vocab_size = r.positive_or({"vocab_size"}, 65536);
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 262144);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);

  const auto period = [&](std::string_view period_key, std::uint64_t period_default, std::string_view offset_key,
                          std::uint64_t offset_default) {
    const std::uint64_t p = r.positive_or({period_key}, period_default);
    const std::uint64_t o = r.u64_or({offset_key}, offset_default);
    if (o >= p)
      throw InputError(
          fmt::format("{}: key '{}' ({}) must be smaller than '{}' ({})", r.origin(), offset_key, o, period_key, p));
    return std::pair{p, o};
  };
  const auto [attn_period, attn_offset] = period("attn_layer_period", 8, "attn_layer_offset", 4);
  const auto [expert_period, expert_offset] = period("expert_layer_period", 2, "expert_layer_offset", 1);

  RecurrentConfig m = read_mamba1_mixer(
      r, c,
      {"mamba_expand", "mamba_d_state", "mamba_d_conv", "mamba_dt_rank", "mamba_conv_bias", "mamba_proj_bias", true});

  c.attention_layers.assign(c.n_layers, false);
  m.layers.assign(c.n_layers, false);
  for (std::uint64_t i = 0; i < c.n_layers; ++i) {
    c.attention_layers[i] = i % attn_period == attn_offset;
    m.layers[i] = !c.attention_layers[i];
  }
  c.recurrent = m;

  const std::uint64_t experts = r.positive_or({"num_experts"}, 16);
  if (experts > 1) {
    MoeConfig moe;
    moe.n_experts = experts;
    moe.n_experts_per_token = r.positive_or({"num_experts_per_tok"}, 2);
    moe.expert_intermediate = c.intermediate_size;  // JambaSparseMoeBlock: JambaMLP(config) experts
    moe.sparse_layers.assign(c.n_layers, false);
    for (std::uint64_t i = 0; i < c.n_layers; ++i) moe.sparse_layers[i] = i % expert_period == expert_offset;
    c.moe = moe;
  }
}

// Mamba-1 (transformers configuration_mamba.py / modeling_mamba.py; MambaConfig defaults): every layer
// is one MambaRMSNorm and one MambaMixer, no attention and no MLP; a final norm_f; the head tied unless
// tie_word_embeddings is false (PretrainedConfig default True). MambaConfig sets intermediate_size =
// int(expand × hidden_size) whatever the file says, time_step_rank "auto" = ceil(hidden_size / 16).
// MambaMixer: in_proj and out_proj biased when use_bias (default False), conv1d biased when use_conv_bias
// (default True), no dt/B/C norms (Jamba's mixer adds those). The attention fields carry one "head" of
// d_inner so the activation formulas see the mixer's width; no layer has a KV cache. vLLM keeps both
// states in the model dtype unless mamba_ssm_cache_dtype says otherwise (mamba_utils.py
// mamba1_state_dtype = _mamba_state_dtype).
void read_mamba(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive_or({"hidden_size"}, 768);
  c.n_layers = r.layers({"num_hidden_layers"});
  c.vocab_size = r.positive_or({"vocab_size"}, 50280);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
  RecurrentConfig m = read_mamba1_mixer(
      r, c, {"expand", "state_size", "conv_kernel", "time_step_rank", "use_conv_bias", "use_bias", false});
  m.layers.assign(c.n_layers, true);
  c.n_heads = c.n_kv_heads = 1;
  c.head_dim = m.d_inner;
  c.intermediate_size = m.d_inner;
  c.recurrent = m;
  c.attention_layers.assign(c.n_layers, false);
  c.mlp_layers.assign(c.n_layers, false);
  c.norms_per_layer = 1;
}

// The "mamba_"-prefixed Mamba-2 mixer keys of granitemoehybrid and falcon_h1, with their config
// classes' defaults (GraniteMoeHybridConfig, FalconH1Config: 128 heads, 1 group, state 256, conv 4,
// conv bias on, in_proj bias off, expand 2); `expand` is returned for the caller's inner width.
RecurrentConfig read_prefixed_mamba2(const Reader& r, const ModelConfig& c, std::uint64_t& expand) {
  RecurrentConfig m;
  m.kind = RecurrentKind::mamba2;
  m.n_heads = r.positive_or({"mamba_n_heads"}, 128);
  m.n_groups = r.positive_or({"mamba_n_groups"}, 1);
  m.state_size = r.positive_or({"mamba_d_state"}, 256);
  m.conv_kernel = r.positive_or({"mamba_d_conv"}, 4);
  m.conv_bias = r.boolean("mamba_conv_bias", true);
  m.proj_bias = r.boolean("mamba_proj_bias", false);
  expand = r.positive_or({"mamba_expand"}, 2);
  if (c.hidden_size > k_max_dimension)  // named before the Mamba-2 checks, which it would fail first
    throw InputError(fmt::format("{}: key 'hidden_size' = {} is larger than any real model ({} at most)", r.origin(),
                                 c.hidden_size, k_max_dimension));
  for (auto v : {m.n_heads, m.n_groups, m.state_size, m.conv_kernel, expand})
    if (v > k_max_dimension)
      throw InputError(fmt::format("{}: a Mamba-2 dimension ({}) is larger than any real model ({} at most)",
                                   r.origin(), v, k_max_dimension));
  return m;
}

// mamba_d_head: absent or "auto" splits the inner width over the heads, else a positive integer.
std::uint64_t read_mamba_d_head(const Reader& r, std::uint64_t inner, std::uint64_t heads) {
  const Json* d_head = r.find({"mamba_d_head"});
  if (!d_head || (d_head->is_string() && d_head->get<std::string>() == "auto")) return inner / heads;
  if (d_head->is_string())
    throw InputError(fmt::format("{}: key 'mamba_d_head' must be \"auto\" or a positive integer, got {}", r.origin(),
                                 d_head->dump().substr(0, 40)));
  return r.positive({"mamba_d_head"});
}

// Granite 4.0-H (transformers configuration_granitemoehybrid.py / modeling_granitemoehybrid.py;
// GraniteMoeHybridConfig defaults): layer i is a Mamba-2 mixer or attention as layer_types says
// (layers_block_type: all "mamba" when layer_types is absent). Every layer has input_layernorm,
// post_attention_layernorm, a shared_mlp (GraniteMoeHybridMLP: input_linear [2·shared_intermediate_size,
// h], output_linear [h, shared_intermediate_size]) and, when num_local_experts > 0, a block_sparse_moe:
// router [num_local_experts, h] without bias and num_local_experts SwiGLU experts of intermediate_size
// (input_linear [E, 2·I, h], output_linear [E, h, I]); with num_local_experts 0 (Granite 4.0-H-1B) the
// shared MLP is the layer's only feed-forward. Attention: GQA with head_dim = hidden_size /
// num_attention_heads, biases when attention_bias, no parameters for NoPE or RoPE. The Mamba layer is
// Bamba's Mamba2 mixer (mamba_n_heads × mamba_d_head = mamba_expand × hidden_size, mamba_d_head "auto" =
// that / mamba_n_heads, mamba_n_groups, mamba_d_state, mamba_d_conv; conv bias when mamba_conv_bias, in/out
// projection biases when mamba_proj_bias). The multipliers (embedding_multiplier, residual_multiplier,
// attention_multiplier, logits_scaling) are constants, not tensors. vLLM keeps the conv and SSM states in
// the model dtype unless mamba_ssm_cache_dtype says otherwise (mamba_utils.py mamba2_state_dtype).
void read_granitemoehybrid(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive_or({"hidden_size"}, 4096);
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive_or({"num_attention_heads"}, 32);
  c.n_kv_heads = r.positive_or({"num_key_value_heads"}, c.n_heads);  // None: num_attention_heads
  c.head_dim = split_heads(r, c);
  c.vocab_size = r.positive_or({"vocab_size"}, 32000);
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 2048);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);
  const std::uint64_t expert_intermediate = r.positive_or({"intermediate_size"}, 11008);
  const std::uint64_t shared_intermediate = r.positive_or({"shared_intermediate_size"}, 1024);
  const std::uint64_t experts = r.u64_or({"num_local_experts"}, 8);
  c.intermediate_size = shared_intermediate;
  if (experts > 0) {
    MoeConfig moe;
    moe.n_experts = experts;
    moe.n_experts_per_token = r.positive_or({"num_experts_per_tok"}, 2);
    moe.expert_intermediate = expert_intermediate;
    moe.shared_intermediate = shared_intermediate;  // the shared_mlp, without a sigmoid gate
    moe.layer_step = 1;                             // every layer
    c.moe = moe;
  }

  std::uint64_t expand = 0;
  RecurrentConfig m = read_prefixed_mamba2(r, c, expand);
  m.out_proj_bias = m.proj_bias;
  // GraniteMoeHybridConfig: mamba_intermediate = mamba_expand × hidden_size must split into the heads.
  const std::uint64_t inner = expand * c.hidden_size;
  if (inner % m.n_heads != 0)
    throw InputError(fmt::format("{}: mamba_n_heads ({}) must divide mamba_expand × hidden_size ({})", r.origin(),
                                 m.n_heads, inner));
  m.head_dim = read_mamba_d_head(r, inner, m.n_heads);
  if (m.head_dim > k_max_dimension || m.head_dim * m.n_heads != inner)
    throw InputError(
        fmt::format("{}: mamba_d_head ({}) × mamba_n_heads ({}) must equal mamba_expand × hidden_size ({})", r.origin(),
                    m.head_dim, m.n_heads, inner));
  if (m.n_heads % m.n_groups != 0)
    throw InputError(fmt::format("{}: the Mamba-2 heads ({}) must be a multiple of mamba_n_groups ({})", r.origin(),
                                 m.n_heads, m.n_groups));
  m.ssm_state_bits = read_ssm_state_bits(r, 0);

  c.attention_layers.assign(c.n_layers, false);
  if (const Json* types = r.find({"layer_types", "layers_block_type"})) {
    if (!types->is_array() || types->size() != c.n_layers)
      throw InputError(fmt::format("{}: key 'layer_types' must be an array of {} strings", r.origin(), c.n_layers));
    for (std::uint64_t i = 0; i < c.n_layers; ++i) {
      const Json& t = (*types)[i];
      const std::string type = t.is_string() ? t.get<std::string>() : std::string();
      if (type != "mamba" && type != "attention")
        throw InputError(fmt::format("{}: key 'layer_types' holds {} at layer {}; expected \"mamba\" or \"attention\"",
                                     r.origin(), t.dump().substr(0, 40), i));
      c.attention_layers[i] = type == "attention";
    }
  }
  m.layers.resize(c.n_layers);
  for (std::uint64_t i = 0; i < c.n_layers; ++i) m.layers[i] = !c.attention_layers[i];
  c.recurrent = m;
}

// Falcon-H1 (transformers configuration_falcon_h1.py / modeling_falcon_h1.py; FalconH1Config defaults):
// every layer is "hybrid": input_layernorm feeds a FalconH1Mixer (Mamba-2) and a Llama attention in
// parallel, their outputs summed, then pre_ff_layernorm and a SwiGLU MLP (LlamaMLP, biases when
// mlp_bias); final_layernorm; the head untied unless tie_word_embeddings (default False). Attention:
// head_dim from the config (LlamaAttention getattr(config, "head_dim", hidden / heads)), biases when
// attention_bias; num_key_value_heads None is num_attention_heads. FalconH1Mixer: inner = mamba_d_ssm
// (default 1024; null: mamba_expand × hidden_size), mamba_d_head "auto" = inner / mamba_n_heads and
// validate_architecture's d_head × n_heads = inner; in_proj biased when mamba_proj_bias, out_proj when
// projectors_bias, conv1d when mamba_conv_bias; the gated RMSNorm only when mamba_rms_norm (default
// False). The mu-P multipliers (embedding, lm_head, key, attention in/out, ssm in/out, mlp and ssm
// multiplier lists) scale activations and a non-persistent mup_vector buffer: no tensor shape changes.
// Every layer keeps a KV cache and a Mamba-2 state (FalconHybridMambaAttentionDynamicCache); vLLM keeps
// both states in the model dtype unless mamba_ssm_cache_dtype says otherwise (mamba2_state_dtype).
void read_falcon_h1(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive_or({"hidden_size"}, 4096);
  c.intermediate_size = r.positive_or({"intermediate_size"}, 14336);
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive_or({"num_attention_heads"}, 32);
  c.n_kv_heads = r.has_key("num_key_value_heads") ? r.positive_or({"num_key_value_heads"}, c.n_heads) : 8;
  c.head_dim = head_dim_or_derived(r, c);
  c.vocab_size = r.positive_or({"vocab_size"}, 128000);
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 8192);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);
  c.mlp_bias = r.boolean("mlp_bias", false);

  std::uint64_t expand = 0;
  RecurrentConfig m = read_prefixed_mamba2(r, c, expand);
  m.out_proj_bias = r.boolean("projectors_bias", false);
  m.gated_norm = r.boolean("mamba_rms_norm", false);
  // mamba_d_ssm: absent is the class default 1024, an explicit null is mamba_expand × hidden_size.
  const std::uint64_t inner = r.has_key("mamba_d_ssm") && !r.find({"mamba_d_ssm"})
                                  ? expand * c.hidden_size
                                  : r.positive_or({"mamba_d_ssm"}, 1024);
  if (inner > k_max_dimension)
    throw InputError(fmt::format("{}: the Mamba-2 inner width {} is larger than any real model ({} at most)",
                                 r.origin(), inner, k_max_dimension));
  if (inner % m.n_heads != 0)
    throw InputError(
        fmt::format("{}: mamba_n_heads ({}) must divide the Mamba-2 inner width ({})", r.origin(), m.n_heads, inner));
  m.head_dim = read_mamba_d_head(r, inner, m.n_heads);
  if (m.head_dim > k_max_dimension || m.head_dim * m.n_heads != inner)
    throw InputError(fmt::format("{}: mamba_d_head ({}) × mamba_n_heads ({}) must equal the Mamba-2 inner width ({})",
                                 r.origin(), m.head_dim, m.n_heads, inner));
  if (m.n_heads % m.n_groups != 0)
    throw InputError(fmt::format("{}: the Mamba-2 heads ({}) must be a multiple of mamba_n_groups ({})", r.origin(),
                                 m.n_heads, m.n_groups));
  m.ssm_state_bits = read_ssm_state_bits(r, 0);
  m.layers.assign(c.n_layers, true);  // and attention_layers empty: every layer attends too
  c.recurrent = m;
}

// A float key, or `fallback` when absent or null.
std::optional<double> read_optional_float(const Reader& r, std::string_view key, std::optional<double> fallback) {
  if (!r.has_key(key)) return fallback;
  const Json* v = r.find({key});
  if (!v) return std::nullopt;  // explicit null
  if (!v->is_number() || v->get<double>() <= 0)
    throw InputError(fmt::format("{}: key '{}' must be a positive number or null, got {}", r.origin(), key,
                                 v->dump().substr(0, 40)));
  return v->get<double>();
}

// LFM2 (transformers configuration_lfm2.py / modeling_lfm2.py; Lfm2Config defaults, those of LFM2-1.2B's
// class): each layer is operator_norm, then either attention (Lfm2Attention: q/k/v/out_proj without
// biases, q_layernorm and k_layernorm over head_dim, head_dim = hidden / heads unless given) or a
// short convolution (Lfm2ShortConv: in_proj [3h, h], depthwise conv [h, 1, conv_L_cache], out_proj
// [h, h], all biased when conv_bias), then ffn_norm and a SwiGLU MLP (w1, w3 [ff, h], w2 [h, ff]);
// the final norm (embedding_norm) and the head tied by default (tie_embedding, the original key, wins
// over tie_word_embeddings). Lfm2Config: intermediate_size = block_ff_dim when given; layer_types, else
// "full_attention" at full_attn_idxs (default: every layer) and "conv" elsewhere. Lfm2MLP: with
// block_auto_adjust_ff_dim (default True) ff = int(2·ff/3), then int(block_ffn_dim_multiplier · ff) when
// that is not null (default 1.0), then rounded up to block_multiple_of (default 256). Conv layers keep
// a (conv_L_cache − 1) × hidden window per sequence (Lfm2Cache; vLLM short_conv_state_shape).
void read_lfm2(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive_or({"hidden_size"}, 2560);
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive_or({"num_attention_heads"}, 32);
  c.n_kv_heads = r.positive_or({"num_key_value_heads"}, 8);
  c.head_dim = head_dim_or_derived(r, c);
  c.vocab_size = r.positive_or({"vocab_size"}, 65536);
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 128000);
  c.tie_word_embeddings = r.opt_bool("tie_embedding").value_or(r.boolean("tie_word_embeddings", true));
  c.qk_norm = QkNorm::per_head_dim;
  c.norms_per_layer = 2;

  std::uint64_t ff = r.positive_or({"block_ff_dim", "intermediate_size"}, 12288);
  if (ff > k_max_dimension)
    throw InputError(fmt::format("{}: the MLP width {} is larger than any real model ({} at most)", r.origin(), ff,
                                 k_max_dimension));
  if (r.boolean("block_auto_adjust_ff_dim", true)) {
    ff = 2 * ff / 3;  // int(2 * ff_dim / 3): exact for widths below 2^53
    if (const auto multiplier = read_optional_float(r, "block_ffn_dim_multiplier", 1.0)) {
      const double scaled = std::floor(*multiplier * static_cast<double>(ff));
      if (scaled > static_cast<double>(k_max_dimension))
        throw InputError(fmt::format("{}: block_ffn_dim_multiplier makes the MLP width {} larger than any real model",
                                     r.origin(), scaled));
      ff = static_cast<std::uint64_t>(scaled);
    }
    const std::uint64_t multiple_of = r.positive_or({"block_multiple_of"}, 256);
    if (multiple_of > k_max_dimension)
      throw InputError(fmt::format("{}: key 'block_multiple_of' = {} is larger than any real model ({} at most)",
                                   r.origin(), multiple_of, k_max_dimension));
    ff = ceil_div(ff, multiple_of) * multiple_of;
  }
  if (ff == 0) throw InputError(fmt::format("{}: the MLP width comes out as 0", r.origin()));
  c.intermediate_size = ff;

  c.attention_layers.assign(c.n_layers, true);
  if (const Json* types = r.find({"layer_types"})) {
    if (!types->is_array() || types->size() != c.n_layers)
      throw InputError(fmt::format("{}: key 'layer_types' must be an array of {} strings", r.origin(), c.n_layers));
    for (std::uint64_t i = 0; i < c.n_layers; ++i) {
      const Json& t = (*types)[i];
      const std::string type = t.is_string() ? t.get<std::string>() : std::string();
      if (type != "full_attention" && type != "conv")
        throw InputError(
            fmt::format("{}: key 'layer_types' holds {} at layer {}; expected \"full_attention\" or \"conv\"",
                        r.origin(), t.dump().substr(0, 40), i));
      c.attention_layers[i] = type == "full_attention";
    }
  } else if (const Json* idxs = r.find({"full_attn_idxs"})) {
    if (!idxs->is_array())
      throw InputError(fmt::format("{}: key 'full_attn_idxs' must be an array of layer indices", r.origin()));
    c.attention_layers.assign(c.n_layers, false);
    for (const Json& i : *idxs) {
      if (!i.is_number_unsigned() || i.get<std::uint64_t>() >= c.n_layers)
        throw InputError(fmt::format("{}: key 'full_attn_idxs' holds {}; expected a layer index below {}", r.origin(),
                                     i.dump().substr(0, 40), c.n_layers));
      c.attention_layers[i.get<std::uint64_t>()] = true;
    }
  }

  RecurrentConfig m;
  m.kind = RecurrentKind::short_conv;
  m.d_inner = c.hidden_size;  // conv_dim: hidden_size in every published config
  m.conv_kernel = r.positive_or({"conv_L_cache"}, 3);
  if (m.conv_kernel > k_max_dimension)
    throw InputError(fmt::format("{}: key 'conv_L_cache' = {} is larger than any real model ({} at most)", r.origin(),
                                 m.conv_kernel, k_max_dimension));
  m.conv_bias = m.proj_bias = m.out_proj_bias = r.boolean("conv_bias", false);
  m.layers.resize(c.n_layers);
  for (std::uint64_t i = 0; i < c.n_layers; ++i) m.layers[i] = !c.attention_layers[i];
  c.recurrent = m;
}

void read_cohere(const Reader& r, ModelConfig& c) {
  read_llama_like(r, c);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
  c.parallel_block = true;
  c.norm = NormKind::layer_norm_no_bias;
  c.norms_per_layer = 1;
  if (r.boolean("use_qk_norm", false)) c.qk_norm = QkNorm::per_head;
}

void read_deepseek(const Reader& r, ModelConfig& c) {
  read_llama_like(r, c, false);
  MlaConfig mla;
  mla.q_lora_rank = r.u64_or({"q_lora_rank"}, 0);
  mla.kv_lora_rank = r.positive({"kv_lora_rank"});
  mla.qk_nope_head_dim = r.positive({"qk_nope_head_dim"});
  mla.qk_rope_head_dim = r.positive({"qk_rope_head_dim"});
  mla.v_head_dim = r.positive({"v_head_dim"});
  c.mla = mla;
  c.head_dim = mla.qk_nope_head_dim + mla.qk_rope_head_dim;
  if (r.u64_or({"n_routed_experts"}, 0) > 0) {
    MoeConfig m;
    m.n_experts = r.positive({"n_routed_experts"});
    m.n_experts_per_token = r.positive({"num_experts_per_tok"});
    m.expert_intermediate = r.positive({"moe_intermediate_size"});
    m.n_shared_experts = r.u64_or({"n_shared_experts"}, 0);
    m.first_dense_layers = r.u64_or({"first_k_dense_replace"}, 0);
    m.layer_step = std::max<std::uint64_t>(1, r.u64_or({"moe_layer_freq"}, 1));
    m.step_offset_one = false;
    m.score_correction_bias = r.string_or("topk_method", "") == "noaux_tc";
    c.moe = m;
  }
  c.mtp_layers = r.u64_or({"num_nextn_predict_layers"}, 0);
}

void read_gpt_oss(const Reader& r, ModelConfig& c) {
  read_llama_like(r, c);
  c.qkv_bias = c.o_bias = r.boolean("attention_bias", true);
  c.attention_sinks = true;
  MoeConfig m;
  m.n_experts = r.positive({"num_local_experts"});
  m.n_experts_per_token = r.positive({"num_experts_per_tok", "experts_per_token"});
  m.expert_intermediate = c.intermediate_size;
  m.router_bias = true;
  m.expert_bias = true;
  c.moe = m;
  read_layer_types(r, c);
}

// Phi-1/1.5/2: parallel attention + MLP on one LayerNorm, biases everywhere, biased LM head.
void read_phi(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive({"hidden_size", "n_embd"});
  c.n_layers = r.layers({"num_hidden_layers", "n_layer"});
  c.n_heads = r.positive({"num_attention_heads", "n_head"});
  c.n_kv_heads = r.u64_or({"num_key_value_heads", "n_head_kv"}, c.n_heads);
  c.head_dim = split_heads(r, c);
  c.intermediate_size = r.u64_or({"intermediate_size", "n_inner"}, 4 * c.hidden_size);
  c.vocab_size = r.positive({"vocab_size"});
  c.max_position_embeddings = r.u64_or({"max_position_embeddings", "n_positions"}, 0);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.gated_mlp = false;
  c.qkv_bias = c.o_bias = c.mlp_bias = true;
  c.norm = NormKind::layer_norm;
  c.norms_per_layer = 1;
  c.parallel_block = true;
  c.lm_head_bias = true;
  c.gpt_style_activations = true;
}

void read_falcon(const Reader& r, ModelConfig& c) {
  const std::string& t = c.model_type;
  c.hidden_size = r.positive({"hidden_size", "n_embed"});
  c.n_layers = r.layers({"num_hidden_layers", "n_layer"});
  c.n_heads = r.positive({"num_attention_heads", "n_head"});
  c.head_dim = split_heads(r, c);
  c.vocab_size = r.positive({"vocab_size"});
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 2048);
  const auto kv = r.opt_u64({"num_kv_heads", "n_head_kv"});
  // RefinedWeb configs with n_head_kv are the "new decoder architecture" (Falcon-40B/180B).
  const bool new_arch = r.boolean("new_decoder_architecture", t == "RefinedWeb" && kv.has_value());
  const bool multi_query = r.boolean("multi_query", true);
  c.n_kv_heads = new_arch ? kv.value_or(c.n_heads) : (multi_query ? 1 : c.n_heads);
  c.parallel_block = r.boolean("parallel_attn", true);
  c.intermediate_size = r.u64_or({"ffn_hidden_size"}, 4 * c.hidden_size);
  c.gated_mlp = false;
  const bool bias = r.boolean("bias", false);
  c.qkv_bias = c.o_bias = c.mlp_bias = bias;
  c.norm = NormKind::layer_norm;
  // new architecture: ln_attn + ln_mlp; old parallel: input_layernorm only; sequential: two.
  c.norms_per_layer = (new_arch || !c.parallel_block) ? 2 : 1;
  if (new_arch) c.norms_per_layer = r.u64_or({"num_ln_in_parallel_attn"}, 2);
  c.fused_qkv = true;
  // Falcon checkpoints store lm_head.weight beside the embedding; count it unless told it is tied.
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.gpt_style_activations = true;
}

void read_gpt2(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive({"n_embd", "hidden_size"});
  c.n_layers = r.layers({"n_layer", "num_hidden_layers"});
  c.n_heads = r.positive({"n_head", "num_attention_heads"});
  c.head_dim = split_heads(r, c);
  c.n_kv_heads = (c.model_type == "gpt_bigcode" && r.boolean("multi_query", true)) ? 1 : c.n_heads;
  c.intermediate_size = r.u64_or({"n_inner"}, 4 * c.hidden_size);
  c.vocab_size = r.positive({"vocab_size"});
  c.max_position_embeddings = r.positive({"n_positions", "max_position_embeddings"});
  c.learned_positions = c.max_position_embeddings;
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
  c.gated_mlp = false;
  c.qkv_bias = c.o_bias = c.mlp_bias = true;
  c.fused_qkv = true;
  c.norm = NormKind::layer_norm;
  c.gpt_style_activations = true;
}

void read_gpt_neox(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive({"hidden_size"});
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive({"num_attention_heads"});
  c.n_kv_heads = c.n_heads;
  c.head_dim = split_heads(r, c);
  c.intermediate_size = r.positive({"intermediate_size"});
  c.vocab_size = r.positive({"vocab_size"});
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 0);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.gated_mlp = false;
  c.qkv_bias = c.o_bias = c.mlp_bias = r.boolean("attention_bias", true);
  c.mlp_bias = true;
  c.fused_qkv = true;
  c.norm = NormKind::layer_norm;
  c.parallel_block = r.boolean("use_parallel_residual", true);
  c.gpt_style_activations = true;
}

void read_bloom(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive({"hidden_size", "n_embed"});
  c.n_layers = r.layers({"n_layer", "num_hidden_layers"});
  c.n_heads = r.positive({"num_attention_heads", "n_head"});
  c.n_kv_heads = c.n_heads;
  c.head_dim = split_heads(r, c);
  c.intermediate_size = 4 * c.hidden_size;
  c.vocab_size = r.positive({"vocab_size"});
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
  c.gated_mlp = false;
  c.qkv_bias = c.o_bias = c.mlp_bias = true;
  c.fused_qkv = true;
  c.norm = NormKind::layer_norm;
  c.embedding_norm = true;
  c.gpt_style_activations = true;
}

void read_opt(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive({"hidden_size"});
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive({"num_attention_heads"});
  c.n_kv_heads = c.n_heads;
  c.head_dim = split_heads(r, c);
  c.intermediate_size = r.positive({"ffn_dim"});
  c.vocab_size = r.positive({"vocab_size"});
  c.max_position_embeddings = r.positive({"max_position_embeddings"});
  c.learned_positions = c.max_position_embeddings + 2;  // OPTLearnedPositionalEmbedding offset
  c.word_embed_proj_dim = r.u64_or({"word_embed_proj_dim"}, c.hidden_size);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
  c.gated_mlp = false;
  c.qkv_bias = c.o_bias = c.mlp_bias = r.boolean("enable_bias", true);
  c.norm = NormKind::layer_norm;
  c.final_norm = r.boolean("do_layer_norm_before", true) && !r.boolean("_remove_final_layer_norm", false);
  c.gpt_style_activations = true;
}

// BERT (transformers configuration_bert.py, modeling_bert.py BertModel): word, position
// [max_position_embeddings, h] and token-type [type_vocab_size, h] embeddings summed and LayerNormed
// (BertEmbeddings); per layer query/key/value and the attention output dense, all with bias
// (BertSelfAttention, BertSelfOutput), a LayerNorm after attention and one after the MLP (post-norm),
// an intermediate dense [I, h] with bias, GELU, an output dense [h, I] with bias (BertIntermediate,
// BertOutput); no final norm; the pooler dense [h, h] with bias (BertPooler, kept by the hub
// checkpoints' add_pooling_layer). No LM head: an encoder returns hidden states. Attention is
// bidirectional (no causal mask) and nothing is cached. Defaults from BertConfig: 512 positions,
// type_vocab_size 2, position_embedding_type "absolute" (relative_key adds distance embeddings per
// layer, not modelled). The fine-tuning head's outputs: len(id2label), else num_labels, else
// PretrainedConfig's default of 2.
void read_bert(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive({"hidden_size"});
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive({"num_attention_heads"});
  c.n_kv_heads = c.n_heads;
  c.head_dim = split_heads(r, c);
  c.intermediate_size = r.positive({"intermediate_size"});
  c.vocab_size = r.positive({"vocab_size"});
  c.learned_positions = r.positive_or({"max_position_embeddings"}, 512);
  c.max_position_embeddings = c.learned_positions;
  c.type_vocab_size = r.u64_or({"type_vocab_size"}, 2);
  if (c.type_vocab_size > k_max_dimension)
    throw InputError(fmt::format("{}: key 'type_vocab_size' = {} is larger than any real model ({} at most)",
                                 r.origin(), c.type_vocab_size, k_max_dimension));
  const std::string positions = r.string_or("position_embedding_type", "absolute");
  if (positions != "absolute")
    throw UnsupportedError(
        fmt::format("{}: position_embedding_type '{}' is not supported yet (absolute only)", r.origin(), positions));
  c.num_labels = 2;
  if (const Json* labels = r.find({"id2label"}); labels && labels->is_object() && !labels->empty())
    c.num_labels = labels->size();
  else
    c.num_labels = r.positive_or({"num_labels"}, 2);
  if (c.num_labels > k_max_dimension)
    throw InputError(fmt::format("{}: {} labels is more than any real model ({} at most)", r.origin(), c.num_labels,
                                 k_max_dimension));
  c.gated_mlp = false;
  c.qkv_bias = c.o_bias = c.mlp_bias = true;
  c.norm = NormKind::layer_norm;
  c.embedding_norm = true;
  c.final_norm = false;
  c.tie_word_embeddings = false;
  c.gpt_style_activations = true;  // LayerNorm, GELU MLP, dropout: Korthikanti et al.'s block
  c.encoder = true;
  c.pooler = true;
}

// RoBERTa and XLM-RoBERTa (transformers modeling_roberta.py, modeling_xlm_roberta.py: the same
// modules with another vocabulary): BERT's shapes, but position ids start at padding_idx + 1
// (RobertaEmbeddings.create_position_ids_from_input_ids: cumsum of the non-pad mask + padding_idx),
// so a sequence holds at most max_position_embeddings - pad_token_id - 1 tokens (roberta-base: 514
// rows, 512 tokens). pad_token_id defaults to 1 (RobertaConfig).
void read_roberta(const Reader& r, ModelConfig& c) {
  read_bert(r, c);
  const std::uint64_t pad = r.u64_or({"pad_token_id"}, 1);
  if (pad >= c.learned_positions - 1)  // learned_positions is positive
    throw InputError(fmt::format("{}: max_position_embeddings ({}) leaves no position after pad_token_id ({}) + 1",
                                 r.origin(), c.learned_positions, pad));
  c.max_position_embeddings = c.learned_positions - pad - 1;
}

// ModernBERT (transformers configuration_modernbert.py, modeling_modernbert.py ModernBertModel): token
// embeddings [vocab, h] then a norm (ModernBertEmbeddings: no position table, RoPE in every layer); per
// layer a fused Wqkv [3h, h] and Wo [h, h] (bias when attention_bias, default False), a fused GeGLU Wi
// [2·I, h] and Wo [h, I] (bias when mlp_bias, default False), and two norms, attn_norm and mlp_norm,
// except layer 0 whose attn_norm is nn.Identity; a final_norm. Norms are nn.LayerNorm with bias only
// when norm_bias (default False). Layer i attends globally when i % global_attn_every_n_layers == 0
// (default 3), else within local_attention (default 128) tokens, local_attention // 2 on each side
// (ModernBertAttention.local_attention). No pooler: ModernBertForSequenceClassification pools
// (classifier_pooling "cls" or "mean") and applies ModernBertPredictionHead (dense [h, h], bias when
// classifier_bias, default False, then a norm) before the classifier. max_position_embeddings
// (default 8192) is the longest sequence trained; RoPE has no table that refuses more.
void read_modernbert(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive_or({"hidden_size"}, 768);
  c.intermediate_size = r.positive_or({"intermediate_size"}, 1152);
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive_or({"num_attention_heads"}, 12);
  c.n_kv_heads = c.n_heads;
  c.head_dim = split_heads(r, c);
  c.vocab_size = r.positive_or({"vocab_size"}, 50368);
  c.max_position_embeddings = r.positive_or({"max_position_embeddings"}, 8192);
  c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);
  c.mlp_bias = r.boolean("mlp_bias", false);
  c.norm = r.boolean("norm_bias", false) ? NormKind::layer_norm : NormKind::layer_norm_no_bias;
  c.gated_mlp = true;
  c.fused_qkv = true;
  c.fused_gate_up = true;
  c.embedding_norm = true;
  c.final_norm = true;
  c.first_layer_attn_norm = false;
  c.tie_word_embeddings = false;
  c.encoder = true;
  c.pooler = false;
  c.prediction_head = true;
  c.prediction_head_bias = r.boolean("classifier_bias", false);
  const std::uint64_t every = r.positive_or({"global_attn_every_n_layers"}, 3);
  c.sliding_window = r.positive_or({"local_attention"}, 128);
  c.sliding_layers.resize(c.n_layers);
  for (std::uint64_t i = 0; i < c.n_layers; ++i) c.sliding_layers[i] = i % every != 0;
  if (const Json* labels = r.find({"id2label"}); labels && labels->is_object() && !labels->empty())
    c.num_labels = labels->size();
  else
    c.num_labels = r.positive_or({"num_labels"}, 2);
  if (c.num_labels > k_max_dimension)
    throw InputError(fmt::format("{}: {} labels is more than any real model ({} at most)", r.origin(), c.num_labels,
                                 k_max_dimension));
}

// Nomic BERT (custom code of nomic-ai/nomic-bert-2048: configuration_hf_nomic_bert.py NomicBertConfig, a
// GPT2Config with n_embd, n_layer, n_head, n_inner; modeling_hf_nomic_bert.py NomicBertModel): word embeddings
// [vocab, h], token_type_embeddings [type_vocab_size, h], a LayerNorm (emb_ln, with bias); no position table
// while rotary_emb_fraction > 0 (RoPE in every layer); per layer a fused Wqkv [3h, h] and out_proj [h, h]
// (bias when qkv_proj_bias), SwiGLU fc11 and fc12 [n_inner, h] (bias when mlp_fc1_bias) and fc2 [h, n_inner]
// (mlp_fc2_bias), two LayerNorms with bias (post-norm when prenorm is false); no pooler
// (add_pooling_layer=False). n_inner absent: 4 × n_embd (GPT2Config). n_positions is the longest sequence
// its rotary tables are built for (8192 for nomic-embed-text-v1.5, trained at max_trained_positions 2048).
// GPT2Config.attribute_map lets hidden_size, num_hidden_layers, num_attention_heads and
// max_position_embeddings stand for n_embd, n_layer, n_head and n_positions.
void read_nomic_bert(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive_or({"n_embd", "hidden_size"}, 768);
  c.n_layers = r.opt_u64({"n_layer", "num_hidden_layers"}) ? r.layers({"n_layer", "num_hidden_layers"}) : 12;
  c.n_heads = r.positive_or({"n_head", "num_attention_heads"}, 12);
  c.n_kv_heads = c.n_heads;
  c.head_dim = derived_head_dim(r.origin(), c.hidden_size, c.n_heads, "n_embd", "n_head", "head_dim");
  c.intermediate_size = r.opt_u64({"n_inner"}) ? r.positive({"n_inner"}) : sat_mul_4(c.hidden_size);
  c.vocab_size = r.positive_or({"vocab_size"}, 30528);
  c.max_position_embeddings = r.positive_or({"n_positions", "max_position_embeddings"}, 1024);
  c.type_vocab_size = r.u64_or({"type_vocab_size"}, 2);
  if (c.type_vocab_size > k_max_dimension)
    throw InputError(fmt::format("{}: key 'type_vocab_size' = {} is larger than any real model ({} at most)",
                                 r.origin(), c.type_vocab_size, k_max_dimension));
  const Json* fraction = r.find({"rotary_emb_fraction"});
  if (fraction && (!fraction->is_number() || fraction->get<double>() <= 0))
    throw UnsupportedError(
        fmt::format("{}: nomic_bert with learned positions (rotary_emb_fraction {}) is not supported yet", r.origin(),
                    fraction->dump().substr(0, 40)));
  const std::string act = r.string_or("activation_function", "swiglu");
  c.gated_mlp = act == "swiglu" || act == "geglu";
  c.qkv_bias = c.o_bias = r.boolean("qkv_proj_bias", true);
  c.mlp_bias = r.boolean("mlp_fc1_bias", true) || r.boolean("mlp_fc2_bias", true);
  if (r.boolean("mlp_fc1_bias", true) != r.boolean("mlp_fc2_bias", true))
    throw UnsupportedError(
        fmt::format("{}: nomic_bert with a bias on only one of fc1 and fc2 is not supported yet", r.origin()));
  c.norm = NormKind::layer_norm;
  c.embedding_norm = true;
  c.final_norm = false;
  c.fused_qkv = true;
  c.tie_word_embeddings = false;
  c.gpt_style_activations = false;  // SwiGLU, no dropout in the released embedders
  c.encoder = true;
  c.pooler = false;
  c.num_labels = r.positive_or({"num_labels"}, 2);
  if (c.num_labels > k_max_dimension)
    throw InputError(fmt::format("{}: {} labels is more than any real model ({} at most)", r.origin(), c.num_labels,
                                 k_max_dimension));
}

// T5, mT5 and Flan-T5 (transformers configuration_t5.py / configuration_mt5.py, modeling_t5.py): a shared
// embedding [vocab, d_model] for both stacks; num_layers encoder blocks (T5LayerSelfAttention, T5LayerFF)
// and num_decoder_layers (default num_layers) decoder blocks (self-attention, T5LayerCrossAttention,
// T5LayerFF); attention q, k, v [num_heads × d_kv, d_model] and o [d_model, num_heads × d_kv], no biases
// (T5Attention); the first block of each stack holds relative_attention_bias [relative_attention_num_buckets
// (default 32), num_heads] (has_relative_attention_bias=bool(i == 0)); the MLP is wi [d_ff, d_model] and wo
// [d_model, d_ff] with ReLU (feed_forward_proj "relu"), or wi_0, wi_1 and wo when "gated-gelu"/"gated-silu"
// (T5DenseGatedActDense), no biases; T5LayerNorm is an RMSNorm with a weight only, one before each
// sub-layer and a final_layer_norm per stack. The LM head is the shared embedding (scaled by d_model^-0.5)
// when tie_word_embeddings (T5Config default True, MT5Config default False), else its own lm_head
// [vocab, d_model]. Positions are relative buckets, no table: n_positions (512 in the original configs) is
// the length trained on, not a limit.
// Defaults from T5Config (t5-small's shapes); T5Config.attribute_map lets hidden_size, num_hidden_layers,
// num_attention_heads and head_dim stand for d_model, num_layers, num_heads and d_kv.
void read_t5(const Reader& r, ModelConfig& c, bool tied_default) {
  c.hidden_size = r.positive_or({"d_model", "hidden_size"}, 512);
  c.intermediate_size = r.positive_or({"d_ff"}, 2048);
  c.encoder_layers = r.opt_u64({"num_layers", "num_hidden_layers"}) ? r.layers({"num_layers", "num_hidden_layers"}) : 6;
  c.decoder_layers = r.opt_u64({"num_decoder_layers"}) ? r.layers({"num_decoder_layers"}) : c.encoder_layers;
  if (c.encoder_layers + c.decoder_layers > k_max_layers)
    throw InputError(fmt::format("{}: num_layers + num_decoder_layers = {} is larger than any real model ({} at most)",
                                 r.origin(), c.encoder_layers + c.decoder_layers, k_max_layers));
  c.n_layers = c.encoder_layers + c.decoder_layers;
  c.n_heads = r.positive_or({"num_heads", "num_attention_heads"}, 8);
  c.n_kv_heads = c.n_heads;
  c.head_dim = r.positive_or({"d_kv", "head_dim"}, 64);
  c.vocab_size = r.positive_or({"vocab_size"}, 32128);
  c.max_position_embeddings = r.u64_or({"n_positions"}, 0);
  c.relative_attention_buckets = r.positive_or({"relative_attention_num_buckets"}, 32);
  if (c.relative_attention_buckets > k_max_dimension)
    throw InputError(
        fmt::format("{}: key 'relative_attention_num_buckets' = {} is larger than any real model ({} at most)",
                    r.origin(), c.relative_attention_buckets, k_max_dimension));
  const std::string ff = r.string_or("feed_forward_proj", "relu");
  // T5Config.__init__: "gated-" then the activation, or the activation alone.
  const bool gated = ff.starts_with("gated-");
  const std::string act = gated ? ff.substr(6) : ff;
  if (act.empty() || act.find('-') != std::string::npos)
    throw InputError(fmt::format("{}: key 'feed_forward_proj' must be `gated-{{ACT}}` or `{{ACT}}`, got '{}'",
                                 r.origin(), ff.substr(0, 40)));
  c.gated_mlp = gated;
  c.norm = NormKind::rms;
  c.final_norm = true;
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", tied_default);
  c.gpt_style_activations = false;
  c.eager_attention_only = true;  // T5Attention.forward: matmul, += position_bias, softmax in fp32
}

void read_t5_tied(const Reader& r, ModelConfig& c) { read_t5(r, c, true); }
void read_mt5(const Reader& r, ModelConfig& c) { read_t5(r, c, false); }

// BART (transformers configuration_bart.py, modeling_bart.py BartModel): a shared embedding [vocab, d_model];
// each stack has BartLearnedPositionalEmbedding of max_position_embeddings + 2 rows (its offset of 2) and a
// layernorm_embedding (LayerNorm with bias); encoder_layers blocks (self-attention q, k, v, out_proj with
// bias, a LayerNorm, fc1 [encoder_ffn_dim, d_model] and fc2 with bias, GELU, a LayerNorm: post-norm) and
// decoder_layers blocks (self-attention, encoder_attn, the MLP, three LayerNorms); no final norm. The LM
// head is the shared embedding (tie_word_embeddings, default True); BartForConditionalGeneration adds
// final_logits_bias [1, vocab], a registered buffer, not a parameter. Defaults from BartConfig (bart-large's
// shapes). Encoder and decoder must agree on heads and MLP width here (every published BART does).
void read_bart(const Reader& r, ModelConfig& c) {
  // BartConfig.attribute_map: hidden_size and num_attention_heads stand for d_model and encoder_attention_heads.
  c.hidden_size = r.positive_or({"d_model", "hidden_size"}, 1024);
  c.encoder_layers = r.positive_or({"encoder_layers"}, 12);
  c.decoder_layers = r.positive_or({"decoder_layers"}, 12);
  if (c.encoder_layers > k_max_layers || c.decoder_layers > k_max_layers)
    throw InputError(
        fmt::format("{}: encoder_layers ({}) or decoder_layers ({}) is larger than any real model ({} at most)",
                    r.origin(), c.encoder_layers, c.decoder_layers, k_max_layers));
  c.n_layers = c.encoder_layers + c.decoder_layers;
  c.n_heads = r.positive_or({"encoder_attention_heads", "num_attention_heads"}, 16);
  c.intermediate_size = r.positive_or({"encoder_ffn_dim"}, 4096);
  if (r.positive_or({"decoder_attention_heads"}, 16) != c.n_heads ||
      r.positive_or({"decoder_ffn_dim"}, 4096) != c.intermediate_size)
    throw UnsupportedError(fmt::format(
        "{}: a BART whose decoder differs from its encoder in heads or MLP width is not supported yet", r.origin()));
  c.n_kv_heads = c.n_heads;
  c.head_dim = derived_head_dim(r.origin(), c.hidden_size, c.n_heads, "d_model", "encoder_attention_heads", "head_dim");
  c.vocab_size = r.positive_or({"vocab_size"}, 50265);
  c.max_position_embeddings = r.positive_or({"max_position_embeddings"}, 1024);
  if (c.max_position_embeddings > k_max_dimension)  // before the offset is added
    throw InputError(fmt::format("{}: key 'max_position_embeddings' = {} is larger than any real model ({} at most)",
                                 r.origin(), c.max_position_embeddings, k_max_dimension));
  c.learned_positions = c.max_position_embeddings + 2;  // BartLearnedPositionalEmbedding offset
  c.qkv_bias = c.o_bias = c.mlp_bias = true;
  c.gated_mlp = false;
  c.norm = NormKind::layer_norm;
  c.embedding_norm = true;
  c.final_norm = false;
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
  c.gpt_style_activations = true;  // LayerNorm, GELU MLP, dropout: Korthikanti et al.'s block
}

// Not modelled: read the common keys so --params can still drive an estimate.
void read_generic(const Reader& r, ModelConfig& c) {
  c.supported = false;
  c.hidden_size = r.u64_or({"hidden_size", "n_embd", "n_embed", "d_model"}, 0);
  c.n_layers = r.u64_or({"num_hidden_layers", "n_layer", "num_layers"}, 0);
  c.n_heads = r.u64_or({"num_attention_heads", "n_head"}, 0);
  c.n_kv_heads = r.u64_or({"num_key_value_heads", "n_head_kv"}, c.n_heads);
  c.head_dim = c.n_heads ? head_dim_or_derived(r, c) : 0;
  c.intermediate_size =
      r.u64_or({"intermediate_size", "ffn_intermediate_size", "ff_intermediate_size", "n_inner"}, 4 * c.hidden_size);
  c.vocab_size = r.u64_or({"vocab_size"}, 0);
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 0);
}

using ArchitectureReader = void (*)(const Reader&, ModelConfig&);

struct Architecture {
  std::string_view model_type;  // config.json "model_type"
  ArchitectureReader read;
  std::string_view source;  // where its keys and defaults come from
};

// The architectures the detailed method models, one row each (ninja's kTools[] shape): dispatch,
// supported_model_types() and the "not supported" message all come from this table. Adding an
// architecture is adding a row (and its published count to tests/parameters_test.cpp).
constexpr Architecture k_architectures[] = {
    {"llama", read_llama, "transformers configuration_llama.py"},
    {"mistral", read_mistral, "transformers configuration_mistral.py"},
    {"mixtral", read_mixtral, "transformers configuration_mixtral.py"},
    {"qwen2", read_qwen2, "transformers configuration_qwen2.py"},
    {"qwen2_moe", read_qwen2_moe, "transformers configuration_qwen2_moe.py"},
    {"qwen3", read_qwen3, "transformers configuration_qwen3.py"},
    {"qwen3_moe", read_qwen3_moe, "transformers configuration_qwen3_moe.py"},
    {"gemma", read_gemma, "transformers configuration_gemma.py"},
    {"gemma2", read_gemma2, "transformers configuration_gemma2.py"},
    {"gemma3_text", read_gemma3_text, "transformers configuration_gemma3.py (Gemma3TextConfig)"},
    {"phi", read_phi, "transformers configuration_phi.py"},
    {"phi-msft", read_phi, "microsoft/phi-2 custom code configuration_phi.py (PhiConfig, model_type phi-msft)"},
    {"phi3", read_phi3, "transformers configuration_phi3.py"},
    {"phi3small", read_phi3small, "microsoft/Phi-3-small-8k-instruct custom code configuration_phi3_small.py"},
    {"falcon", read_falcon, "transformers configuration_falcon.py"},
    {"RefinedWeb", read_falcon, "tiiuae/falcon-40b custom code configuration_RW.py"},
    {"RefinedWebModel", read_falcon, "tiiuae/falcon-7b custom code configuration_RW.py"},
    {"gpt2", read_gpt2, "transformers configuration_gpt2.py"},
    {"gpt_neox", read_gpt_neox, "transformers configuration_gpt_neox.py"},
    {"gpt_bigcode", read_gpt2, "transformers configuration_gpt_bigcode.py"},
    {"bloom", read_bloom, "transformers configuration_bloom.py"},
    {"opt", read_opt, "transformers configuration_opt.py"},
    {"cohere", read_cohere, "transformers configuration_cohere.py"},
    {"deepseek_v2", read_deepseek, "transformers configuration_deepseek_v2.py"},
    {"deepseek_v3", read_deepseek, "transformers configuration_deepseek_v3.py"},
    {"gpt_oss", read_gpt_oss, "transformers configuration_gpt_oss.py"},
    {"mamba2", read_mamba2, "transformers configuration_mamba2.py"},
    {"nemotron_h", read_nemotron_h, "transformers configuration_nemotron_h.py (NVIDIA custom code before it)"},
    {"qwen3_next", read_qwen3_next, "transformers configuration_qwen3_next.py"},
    {"olmo2", read_olmo2, "transformers configuration_olmo2.py"},
    {"glm4_moe", read_glm4_moe, "transformers configuration_glm4_moe.py"},
    {"jamba", read_jamba, "transformers configuration_jamba.py"},
    {"mamba", read_mamba, "transformers configuration_mamba.py"},
    {"granitemoehybrid", read_granitemoehybrid, "transformers configuration_granitemoehybrid.py"},
    {"bert", read_bert, "transformers configuration_bert.py"},
    {"roberta", read_roberta, "transformers configuration_roberta.py"},
    {"xlm-roberta", read_roberta, "transformers configuration_xlm_roberta.py"},
    {"falcon_h1", read_falcon_h1, "transformers configuration_falcon_h1.py"},
    {"lfm2", read_lfm2, "transformers configuration_lfm2.py"},
    // encoders and encoder-decoders
    {"modernbert", read_modernbert, "transformers configuration_modernbert.py"},
    {"nomic_bert", read_nomic_bert, "nomic-ai/nomic-bert-2048 custom code configuration_hf_nomic_bert.py"},
    {"t5", read_t5_tied, "transformers configuration_t5.py"},
    {"mt5", read_mt5, "transformers configuration_mt5.py"},
    {"bart", read_bart, "transformers configuration_bart.py"},
};

const Architecture* find_architecture(std::string_view model_type) {
  for (const auto& a : k_architectures)
    if (a.model_type == model_type) return &a;
  return nullptr;
}

void read_architecture(const Reader& r, ModelConfig& c) {
  const Architecture* a = find_architecture(c.model_type);
  (a ? a->read : read_generic)(r, c);
}

const DimensionKeys k_hf_keys{
    "num_hidden_layers", "hidden_size", "intermediate_size", "num_attention_heads", "num_key_value_heads",
    "head_dim",          "vocab_size",  "num_experts",       "num_experts_per_tok", "max_position_embeddings"};

std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}
std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}
std::uint64_t sat_mul(std::initializer_list<std::uint64_t> factors) {
  std::uint64_t r = 1;
  for (auto f : factors) r = sat_mul(r, f);
  return r;
}

// More than count_parameters() can find for these dimensions (every layer gets both the dense MLP
// and all experts, q/k/v/o at full width, MLA projections on top), saturating at 2^64 - 1.
std::uint64_t parameter_upper_bound(const ModelConfig& c) {
  const std::uint64_t h = c.hidden_size;
  std::uint64_t layer = sat_mul({h, c.head_dim, sat_mul(2, sat_add(c.n_heads, c.n_kv_heads))});
  layer = sat_add(layer, sat_mul({3, h, c.intermediate_size}));
  if (c.mla) {
    const auto& m = *c.mla;
    layer = sat_add(layer, sat_mul(h, sat_add(sat_add(m.q_lora_rank, m.kv_lora_rank), m.qk_rope_head_dim)));
    layer = sat_add(layer, sat_mul({m.q_lora_rank, c.n_heads, c.head_dim}));
    layer = sat_add(layer, sat_mul({m.kv_lora_rank, c.n_heads, sat_add(m.qk_nope_head_dim, m.v_head_dim)}));
    layer = sat_add(layer, sat_mul({c.n_heads, m.v_head_dim, h}));
  }
  if (c.moe) {
    const auto& m = *c.moe;
    const std::uint64_t experts = sat_add(m.n_experts, m.n_shared_experts);
    layer = sat_add(layer, sat_mul({3, h, m.expert_intermediate, experts}));
    layer = sat_add(layer, sat_mul({3, h, m.shared_intermediate}));
    layer = sat_add(layer, sat_mul(h, sat_add(m.n_experts, 1)));
  }
  if (c.recurrent) {  // Mamba-1, Mamba-2 and Gated DeltaNet mixers, generously
    const auto& m = *c.recurrent;
    // Mamba-1: in_proj, x_proj, dt_proj, out_proj, conv, A_log, D and biases, all per d_inner channel.
    layer = sat_add(
        layer,
        sat_mul(m.d_inner, sat_add(sat_mul(4, h), sat_add(sat_mul(2, m.dt_rank), sat_add(sat_mul(3, m.state_size),
                                                                                         sat_add(m.conv_kernel, 4))))));
    const std::uint64_t inner = sat_mul(m.n_heads, m.head_dim);
    const std::uint64_t conv = sat_add(inner, sat_mul({2, m.n_groups, m.state_size}));
    layer = sat_add(layer, sat_mul(sat_add(h, sat_add(m.conv_kernel, 2)), sat_add(sat_add(inner, conv), m.n_heads)));
    layer = sat_add(layer, sat_mul(h, inner));
    const std::uint64_t qkvz =
        sat_mul(2, sat_add(sat_mul(m.n_k_heads, m.k_head_dim), sat_mul(m.n_v_heads, m.v_head_dim)));
    layer = sat_add(layer, sat_mul(sat_add(sat_mul(2, h), sat_add(m.conv_kernel, 2)), sat_add(qkvz, m.n_v_heads)));
  }
  layer = sat_add(layer, sat_mul(8, h));  // norms and biases
  std::uint64_t total = sat_mul(sat_add(c.n_layers, c.mtp_layers), layer);
  total = sat_add(total, sat_mul({2, c.vocab_size, std::max(h, c.word_embed_proj_dim)}));
  total = sat_add(total, sat_mul(sat_add(c.type_vocab_size, sat_add(h, 1)), h));         // token types, BERT pooler
  total = sat_add(total, sat_mul(c.relative_attention_buckets, sat_mul(2, c.n_heads)));  // T5
  total = sat_add(total, sat_mul(sat_mul(2, c.n_layers), layer));  // encoder-decoders: cross-attention, generously
  return sat_add(total, sat_mul(sat_mul(2, c.learned_positions), h));
}

}  // namespace

bool ModelConfig::is_sparse_layer(std::uint64_t layer) const {
  if (!moe) return false;
  if (!moe->sparse_layers.empty()) return layer < moe->sparse_layers.size() && moe->sparse_layers[layer];
  if (std::find(moe->dense_layers.begin(), moe->dense_layers.end(), layer) != moe->dense_layers.end()) return false;
  if (layer < moe->first_dense_layers) return false;
  return moe->step_offset_one ? (layer + 1) % moe->layer_step == 0 : layer % moe->layer_step == 0;
}

std::uint64_t ModelConfig::n_sliding_layers() const {
  return static_cast<std::uint64_t>(std::count(sliding_layers.begin(), sliding_layers.end(), true));
}

bool ModelConfig::has_attention(std::uint64_t layer) const {
  return attention_layers.empty() || (layer < attention_layers.size() && attention_layers[layer]);
}

bool ModelConfig::has_mlp(std::uint64_t layer) const {
  return mlp_layers.empty() || (layer < mlp_layers.size() && mlp_layers[layer]);
}

std::uint64_t ModelConfig::n_attention_layers() const {
  if (attention_layers.empty()) return n_layers;
  return static_cast<std::uint64_t>(std::count(attention_layers.begin(), attention_layers.end(), true));
}

std::uint64_t ModelConfig::n_mlp_layers() const {
  if (mlp_layers.empty()) return n_layers;
  return static_cast<std::uint64_t>(std::count(mlp_layers.begin(), mlp_layers.end(), true));
}

std::uint64_t RecurrentConfig::n_layers() const {
  return static_cast<std::uint64_t>(std::count(layers.begin(), layers.end(), true));
}

void validate_dimensions(const ModelConfig& c, const DimensionKeys& k, bool attention_required) {
  auto too_large = [&](const std::string& key, std::uint64_t v, std::uint64_t bound) {
    return InputError(
        fmt::format("{}: key '{}' = {} is larger than any real model ({} at most)", c.origin, key, v, bound));
  };
  // Layers first: readers size per-layer tables by it.
  if (c.n_layers > k_max_layers) throw too_large(k.layers, c.n_layers, k_max_layers);
  for (auto [key, v] : {std::pair<const std::string*, std::uint64_t>{&k.hidden, c.hidden_size},
                        {&k.intermediate, c.intermediate_size},
                        {&k.heads, c.n_heads},
                        {&k.kv_heads, c.n_kv_heads},
                        {&k.head_dim, c.head_dim},
                        {&k.vocab, c.vocab_size}})
    if (v > k_max_dimension) throw too_large(*key, v, k_max_dimension);
  if (c.max_position_embeddings > k_max_context) throw too_large(k.context, c.max_position_embeddings, k_max_context);
  if (c.mla)
    for (auto [key, v] : {std::pair<const char*, std::uint64_t>{"q_lora_rank", c.mla->q_lora_rank},
                          {"kv_lora_rank", c.mla->kv_lora_rank},
                          {"qk_nope_head_dim", c.mla->qk_nope_head_dim},
                          {"qk_rope_head_dim", c.mla->qk_rope_head_dim},
                          {"v_head_dim", c.mla->v_head_dim}})
      if (v > k_max_dimension) throw too_large(key, v, k_max_dimension);
  if (c.moe) {
    if (c.moe->n_experts > k_max_experts) throw too_large(k.experts, c.moe->n_experts, k_max_experts);
    if (c.moe->n_experts_per_token > c.moe->n_experts)
      throw InputError(fmt::format("{}: expert counts are inconsistent ({} routed, top-{}): '{}' exceeds '{}'",
                                   c.origin, c.moe->n_experts, c.moe->n_experts_per_token, k.experts_used, k.experts));
    for (auto v : {c.moe->expert_intermediate, c.moe->shared_intermediate, c.moe->n_shared_experts})
      if (v > k_max_dimension) throw too_large("expert sizes", v, k_max_dimension);
  }
  if (c.learned_positions > k_max_dimension) throw too_large(k.context, c.learned_positions, k_max_dimension);
  if (c.word_embed_proj_dim > k_max_dimension)
    throw too_large("word_embed_proj_dim", c.word_embed_proj_dim, k_max_dimension);
  if (c.mtp_layers > k_max_layers) throw too_large("num_nextn_predict_layers", c.mtp_layers, k_max_layers);
  if (attention_required) {
    // Grouped-query attention shares each K/V head among num_attention_heads / num_key_value_heads
    // query heads (transformers repeat_kv, num_key_value_groups; llama.cpp n_gqa()), so the
    // division must be exact; more K/V heads than query heads is not a model.
    if (c.n_heads == 0 || c.n_kv_heads == 0 || c.n_heads % c.n_kv_heads != 0)
      throw InputError(fmt::format("{}: {} ({}) must be a multiple of {} ({})", c.origin, k.heads, c.n_heads,
                                   k.kv_heads, c.n_kv_heads));
    if (c.head_dim == 0) throw InputError(fmt::format("{}: {} must be positive", c.origin, k.head_dim));
  }
  if (const std::uint64_t bound = parameter_upper_bound(c); bound > k_max_parameters)
    throw InputError(
        fmt::format("{}: {} = {}, {} = {}, {} = {} and {} = {} describe up to {} parameters, more than any real model "
                    "(2^50 at most)",
                    c.origin, k.layers, c.n_layers, k.hidden, c.hidden_size, k.intermediate, c.intermediate_size,
                    k.vocab, c.vocab_size, bound == UINT64_MAX ? std::string("2^64") : std::to_string(bound)));
}

const std::vector<std::string_view>& supported_model_types() {
  static const std::vector<std::string_view> all = [] {
    std::vector<std::string_view> out;
    for (const auto& a : k_architectures) out.push_back(a.model_type);
    return out;
  }();
  return all;
}

std::string unsupported_architecture_message(std::string_view model_type, std::string_view origin) {
  std::string list;
  for (const auto& a : k_architectures) list += (list.empty() ? "" : ", ") + std::string(a.model_type);
  return fmt::format("architecture '{}' is not supported yet ({}); supported: {}", model_type, origin, list);
}

ModelConfig parse_model_config(std::string_view json_text, const std::string& origin) {
  Json json;
  try {
    json = Json::parse(json_text.begin(), json_text.end());
  } catch (const Json::exception& e) {
    const std::string what = text::json_error_reason(e);
    throw InputError(fmt::format("{}: malformed JSON: {}", origin, what));
  }
  if (!json.is_object()) throw InputError(fmt::format("{}: expected a JSON object at the top level", origin));
  // Multimodal wrappers keep the language model in text_config.
  if (auto it = json.find("text_config"); it != json.end() && it->is_object() && !json.contains("hidden_size")) {
    Json text = *it;
    for (const char* key : {"torch_dtype", "tie_word_embeddings", "quantization_config"})
      if (json.contains(key) && !text.contains(key)) text[key] = json[key];
    json = std::move(text);
  }
  ModelConfig c;
  c.origin = origin;
  const Reader r(json, c.origin);
  c.model_type = r.string_or("model_type", "");
  if (c.model_type.empty()) throw InputError(fmt::format("{}: required key 'model_type' is missing", origin));
  c.torch_dtype = r.string_or("torch_dtype", r.string_or("dtype", ""));
  read_architecture(r, c);
  read_quantization(r, c);
  validate_dimensions(c, k_hf_keys, c.supported);
  return c;
}

std::string read_text_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  // The type is checked before opening: a FIFO would block the open until a writer appears.
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (st.type() == std::filesystem::file_type::not_found)
    throw InputError(fmt::format("{}: no such file", path.string()));
  if (ec) throw InputError(fmt::format("{}: cannot read: {}", path.string(), ec.message()));
  if (st.type() == std::filesystem::file_type::directory)
    throw InputError(fmt::format("{}: is a directory", path.string()));
  if (st.type() != std::filesystem::file_type::regular)
    throw InputError(fmt::format("{}: not a regular file (a FIFO, socket or device?)", path.string()));
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw InputError(fmt::format("{}: cannot read: {}", path.string(), ec.message()));
  if (size > max_bytes)
    throw InputError(fmt::format("{}: file is {} bytes, more than the {} allowed", path.string(), size, max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open", path.string()));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

ModelConfig load_model_config(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path file = path;
  if (std::filesystem::is_directory(path, ec)) {
    file = path / "config.json";
    if (!std::filesystem::exists(file, ec))
      throw InputError(fmt::format("{}: directory has no config.json", path.string()));
  }
  return parse_model_config(read_text_file(file), file.string());
}

}  // namespace llmmem
