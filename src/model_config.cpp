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
    // Parsed JSON holds non-negative integers as unsigned; a signed one that is not negative comes
    // from the class defaults written in this file.
    if (v->is_number_integer() && v->get<std::int64_t>() >= 0)
      return static_cast<std::uint64_t>(v->get<std::int64_t>());
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

// layer_types of a hybrid whose layers are softmax ("full_attention") or linear ("linear_attention")
// attention (Qwen3-Next, transformers' MiniMax): c.attention_layers from it. False when the key is absent.
bool read_linear_attention_layer_types(const Reader& r, ModelConfig& c) {
  const Json* types = r.find({"layer_types"});
  if (!types) return false;
  if (!types->is_array() || types->size() != c.n_layers)
    throw InputError(fmt::format("{}: key 'layer_types' must be an array of {} strings", r.origin(), c.n_layers));
  c.attention_layers.assign(c.n_layers, false);
  for (std::uint64_t i = 0; i < c.n_layers; ++i) {
    const Json& t = (*types)[i];
    const std::string type = t.is_string() ? t.get<std::string>() : std::string();
    if (type != "full_attention" && type != "linear_attention")
      throw InputError(
          fmt::format("{}: key 'layer_types' holds {} at layer {}; expected \"full_attention\" or \"linear_attention\"",
                      r.origin(), t.dump().substr(0, 40), i));
    c.attention_layers[i] = type == "full_attention";
  }
  return true;
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
  if (!read_linear_attention_layer_types(r, c)) {
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

// DeepSeek-V3.2 (DeepseekV32ForCausalLM; the checkpoint's inference/model.py): DeepSeek-V3 plus a
// lightning indexer in every layer (index_n_heads, index_head_dim, index_topk: the tokens each query's
// sparse MLA reads), counted in src/parameters.cpp, with its key cache beside the MLA latent.
void read_deepseek_v32(const Reader& r, ModelConfig& c) {
  read_deepseek(r, c);
  MlaConfig& mla = *c.mla;
  mla.index_n_heads = r.positive({"index_n_heads"});
  mla.index_head_dim = r.positive({"index_head_dim"});
  mla.index_topk = r.positive({"index_topk"});
  for (auto [key, v] : {std::pair<const char*, std::uint64_t>{"index_n_heads", mla.index_n_heads},
                        {"index_head_dim", mla.index_head_dim},
                        {"index_topk", mla.index_topk}})
    if (v > k_max_dimension)
      throw InputError(fmt::format("{}: key '{}' = {} is larger than any real model ({} at most)", r.origin(), key, v,
                                   k_max_dimension));
  // Indexer.forward splits each query and key into qk_rope_head_dim rotated values and the rest.
  if (mla.index_head_dim < mla.qk_rope_head_dim)
    throw InputError(fmt::format("{}: index_head_dim ({}) is smaller than qk_rope_head_dim ({})", r.origin(),
                                 mla.index_head_dim, mla.qk_rope_head_dim));
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

// ---------------------------------------------------------------- gemma3n and dense families

// GLM-4-0414 and GLM-Z1 (transformers configuration_glm4.py, modular_glm4.py; the defaults are Glm4Config's,
// GLM-4-9B-0414's). Glm4Attention is GlmAttention: q/k/v biased when attention_bias (default True), o_proj
// never; head_dim from the config (default 128), not hidden_size / heads. Glm4MLP is Phi3MLP: one fused
// gate_up_proj [2·I, h] and down_proj [h, I], no biases. Glm4DecoderLayer holds four RMSNorms of
// hidden_size: input_layernorm, post_self_attn_layernorm (on the attention output), post_attention_layernorm
// (before the MLP) and post_mlp_layernorm (on the MLP output). partial_rotary_factor (0.5) only picks how
// much of each head RoPE rotates: the cached keys keep all of head_dim, so neither the parameters nor the
// KV cache change. The head is untied unless tie_word_embeddings (default False).
void read_glm4(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive_or({"hidden_size"}, 4096);
  c.intermediate_size = r.positive_or({"intermediate_size"}, 13696);
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive_or({"num_attention_heads"}, 32);
  c.n_kv_heads = r.positive_or({"num_key_value_heads"}, 2);
  c.head_dim = r.positive_or({"head_dim"}, 128);
  c.vocab_size = r.positive_or({"vocab_size"}, 151552);
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 131072);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.qkv_bias = r.boolean("attention_bias", true);
  c.o_bias = false;
  c.fused_gate_up = true;
  c.norms_per_layer = 4;
}

// Gemma 3n's language model (transformers configuration_gemma3n.py Gemma3nTextConfig, modeling_gemma3n.py; the
// defaults are Gemma3nTextConfig's, E4B's). The multimodal wrapper (model_type gemma3n) keeps it in text_config,
// which parse_model_config() unwraps; the audio (USM conformer) and vision (MobileNetV5) towers and their
// embedders are read from the wrapper by read_gemma3n_towers. Gemma3nTextAttention: q/k/v/o without biases unless
// attention_bias, q_norm and k_norm of head_dim (v_norm has no weight); every layer holds its k_proj and v_proj, but
// the last num_kv_shared_layers reuse the K/V of the last earlier layer of their type and cache nothing of their own
// (is_kv_shared_layer). Gemma3nTextMLP: gate/up/down of intermediate_size[i] (an int or one width per layer);
// activation_sparsity_pattern only thresholds the gate's activations (no parameters). Gemma3nTextDecoderLayer:
// four RMSNorms of hidden_size as Gemma 3, AltUp (altup_num_inputs streams), LAuReL (laurel_rank), and the
// per-layer-input gate and projection (hidden_size_per_layer_input). layer_types as Gemma 3 (default: every
// fifth layer full attention, the rest sliding_window); final_logit_softcapping defaults to 30; the head is
// tied unless tie_word_embeddings is false.
void read_gemma3n_text(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive_or({"hidden_size"}, 2048);
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive_or({"num_attention_heads"}, 8);
  c.n_kv_heads = r.positive_or({"num_key_value_heads"}, 2);
  c.head_dim = r.positive_or({"head_dim"}, 256);
  c.vocab_size = r.positive_or({"vocab_size"}, 262400);
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 32768);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
  c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);
  c.qk_norm = QkNorm::per_head_dim;
  c.norms_per_layer = 4;
  c.logit_softcapping = r.find({"final_logit_softcapping"}) != nullptr || !r.has_key("final_logit_softcapping");
  const auto bounded = [&](std::string_view key, std::uint64_t v, std::uint64_t bound) {
    if (v > bound)
      throw InputError(
          fmt::format("{}: key '{}' = {} is larger than any real model ({} at most)", r.origin(), key, v, bound));
    return v;
  };
  // intermediate_size: one width for every layer, or a list of num_hidden_layers widths (__post_init__ raises
  // ValueError otherwise). intermediate_size holds the widest, which the activation formulas use.
  if (const Json* widths = r.find({"intermediate_size"}); widths && widths->is_array()) {
    if (widths->size() != c.n_layers)
      throw InputError(fmt::format("{}: key 'intermediate_size' has {} widths for {} layers", r.origin(),
                                   widths->size(), c.n_layers));
    for (const Json& w : *widths) {
      if (!w.is_number_unsigned() || w.get<std::uint64_t>() == 0)
        throw InputError(fmt::format("{}: key 'intermediate_size' holds {}; expected positive integers", r.origin(),
                                     w.dump().substr(0, 40)));
      c.layer_intermediate.push_back(bounded("intermediate_size", w.get<std::uint64_t>(), k_max_dimension));
    }
    c.intermediate_size = *std::max_element(c.layer_intermediate.begin(), c.layer_intermediate.end());
    if (std::all_of(c.layer_intermediate.begin(), c.layer_intermediate.end(),
                    [&](std::uint64_t w) { return w == c.intermediate_size; }))
      c.layer_intermediate.clear();  // one width: the plain field says it
  } else {
    c.intermediate_size = r.positive_or({"intermediate_size"}, 16384);
  }
  if (!read_layer_types(r, c)) {
    c.sliding_window = r.u64_or({"sliding_window"}, 512);
    if (c.sliding_window > 0) {
      c.sliding_layers.resize(c.n_layers);
      for (std::uint64_t i = 0; i < c.n_layers; ++i) c.sliding_layers[i] = (i + 1) % 5 != 0;
    }
  }
  // Gemma3nTextAttention: is_kv_shared_layer = layer_idx >= num_hidden_layers - num_kv_shared_layers > 0, so
  // with num_kv_shared_layers >= num_hidden_layers no layer shares.
  c.kv_shared_layers = r.u64_or({"num_kv_shared_layers"}, 15);
  if (c.kv_shared_layers >= c.n_layers) c.kv_shared_layers = 0;
  // AltUp's coefficient matrices grow as altup_num_inputs³ (real models: 4); LAuReL's rank as hidden_size.
  c.altup_inputs = bounded("altup_num_inputs", r.u64_or({"altup_num_inputs"}, 4), 1024);
  c.laurel_rank = bounded("laurel_rank", r.u64_or({"laurel_rank"}, 64), k_max_dimension);
  c.per_layer_width =
      bounded("hidden_size_per_layer_input", r.u64_or({"hidden_size_per_layer_input"}, 256), k_max_dimension);
  c.per_layer_vocab =
      bounded("vocab_size_per_layer_input", r.u64_or({"vocab_size_per_layer_input"}, 262144), k_max_dimension);
}

// ---------------------------------------------------------------- newest MoE families

// A list of layer indices (Llama 4 moe_layers), each below n_layers, as a per-layer mask.
std::vector<bool> read_layer_indices(const Reader& r, const Json& list, std::string_view key, std::uint64_t n_layers) {
  if (!list.is_array())
    throw InputError(fmt::format("{}: key '{}' must be an array of layer indices", r.origin(), key));
  std::vector<bool> mask(n_layers, false);
  for (const Json& i : list) {
    if (!i.is_number_unsigned() || i.get<std::uint64_t>() >= n_layers)
      throw InputError(fmt::format("{}: key '{}' holds {}; expected a layer index below {}", r.origin(), key,
                                   i.dump().substr(0, 40), n_layers));
    mask[i.get<std::uint64_t>()] = true;
  }
  return mask;
}

// Llama 4 text model (transformers configuration_llama4.py Llama4TextConfig, modeling_llama4.py; the
// class defaults are Llama 4 Scout's). Attention (Llama4TextAttention): q/k/v/o_proj biased when
// attention_bias; head_dim from the config (None: hidden_size / num_attention_heads); the qk norm of
// RoPE layers (use_qk_norm) is Llama4TextL2Norm, without weights; attn_temperature_tuning, floor_scale
// and attn_scale scale NoPE layers' queries by position: no tensors. Layers in moe_layers (default
// range(interleave_moe_layer_step − 1, num_hidden_layers, interleave_moe_layer_step): Scout every layer,
// Maverick every other one) hold Llama4TextMoe: a router [num_local_experts, h] without bias,
// num_local_experts experts of intermediate_size (Llama4TextExperts gate_up_proj [E, h, 2·I],
// down_proj [E, I, h]) and ONE shared expert of intermediate_size, without a gate; the other layers a
// dense Llama4TextMLP of intermediate_size_mlp. no_rope_layers (default: 0 at every
// no_rope_layer_interval-th layer, else 1) marks RoPE layers 1, which attend within chunks of
// attention_chunk_size tokens ("chunked_attention" in layer_types), and NoPE layers 0, which attend
// globally ("full_attention"). An engine keeps at most one chunk of a chunked layer's keys and values
// (transformers HybridChunkedCache; vLLM v1/kv_cache_interface.py ChunkedLocalAttentionSpec
// max_memory_usage_bytes: min(attention_chunk_size + max_num_batched_tokens, max_model_len) tokens),
// so they are counted as sliding layers of window attention_chunk_size (chunked_attention set).
void read_llama4_text(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive_or({"hidden_size"}, 5120);
  c.intermediate_size = r.positive_or({"intermediate_size_mlp"}, 16384);  // the dense layers' MLP
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive_or({"num_attention_heads"}, 40);
  // Llama4TextConfig.__post_init__: num_key_value_heads None is num_attention_heads; head_dim None is
  // hidden_size // num_attention_heads.
  c.n_kv_heads = r.has_key("num_key_value_heads") ? r.positive_or({"num_key_value_heads"}, c.n_heads) : 8;
  c.head_dim = r.has_key("head_dim") && !r.find({"head_dim"}) ? split_heads(r, c) : r.positive_or({"head_dim"}, 128);
  c.vocab_size = r.positive_or({"vocab_size"}, 202048);
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 4096ULL * 32);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);

  std::vector<bool> sparse;
  if (const Json* layers = r.find({"moe_layers"})) {
    sparse = read_layer_indices(r, *layers, "moe_layers", c.n_layers);
  } else {
    const std::uint64_t step = r.positive_or({"interleave_moe_layer_step"}, 1);
    sparse.assign(c.n_layers, false);
    for (std::uint64_t i = step - 1; i < c.n_layers; i += step) sparse[i] = true;
  }
  if (std::find(sparse.begin(), sparse.end(), true) != sparse.end()) {
    MoeConfig m;
    m.n_experts = r.positive_or({"num_local_experts"}, 16);
    m.n_experts_per_token = r.positive_or({"num_experts_per_tok"}, 1);
    m.expert_intermediate = r.positive_or({"intermediate_size"}, 8192);
    m.shared_intermediate = m.expert_intermediate;  // Llama4TextMoe.shared_expert: Llama4TextMLP(config)
    m.sparse_layers = std::move(sparse);
    c.moe = m;
  }

  // Chunked (RoPE) layers: layer_types when given, else no_rope_layers (an empty list or null is the
  // default, as `if self.no_rope_layers` in __post_init__ treats it).
  std::vector<bool> chunked(c.n_layers, false);
  if (const Json* types = r.find({"layer_types"})) {
    if (!types->is_array() || types->size() != c.n_layers)
      throw InputError(fmt::format("{}: key 'layer_types' must be an array of {} strings", r.origin(), c.n_layers));
    for (std::uint64_t i = 0; i < c.n_layers; ++i) {
      const Json& t = (*types)[i];
      const std::string type = t.is_string() ? t.get<std::string>() : std::string();
      if (type != "chunked_attention" && type != "full_attention")
        throw InputError(fmt::format(
            "{}: key 'layer_types' holds {} at layer {}; expected \"chunked_attention\" or \"full_attention\"",
            r.origin(), t.dump().substr(0, 40), i));
      chunked[i] = type == "chunked_attention";
    }
  } else if (const Json* rope = r.find({"no_rope_layers"}); rope && !(rope->is_array() && rope->empty())) {
    if (!rope->is_array() || rope->size() < c.n_layers)
      throw InputError(fmt::format("{}: key 'no_rope_layers' must be an array of at least {} zeros and ones",
                                   r.origin(), c.n_layers));
    for (std::uint64_t i = 0; i < c.n_layers; ++i) {
      const Json& v = (*rope)[i];
      if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 1)
        throw InputError(fmt::format("{}: key 'no_rope_layers' holds {} at layer {}; expected 0 or 1", r.origin(),
                                     v.dump().substr(0, 40), i));
      chunked[i] = v.get<std::uint64_t>() == 1;
    }
  } else {
    const std::uint64_t interval = r.positive_or({"no_rope_layer_interval"}, 4);
    for (std::uint64_t i = 0; i < c.n_layers; ++i) chunked[i] = (i + 1) % interval != 0;
  }
  // attention_chunk_size null: no chunking, every layer attends to the whole context.
  const std::uint64_t chunk = r.has_key("attention_chunk_size") && !r.find({"attention_chunk_size"})
                                  ? 0
                                  : r.positive_or({"attention_chunk_size"}, 8192);
  if (chunk > 0 && std::find(chunked.begin(), chunked.end(), true) != chunked.end()) {
    c.sliding_window = chunk;
    c.sliding_layers = std::move(chunked);
    c.chunked_attention = true;
  }
}

// image_size and patch_size: each an integer or a [height, width] pair (Llama4VisionConfig allows
// both). Sets the heights in image_size and patch_size and the widths in image_width and patch_width,
// so that the patches per tile are (height / patch) × (width / patch) and one patch holds
// num_channels × patch height × patch width values (Llama4UnfoldConvolution's input).
void read_vision_patches(const Reader& r, VisionConfig& v) {
  const auto sides = [&](std::string_view key, std::uint64_t fallback) -> std::pair<std::uint64_t, std::uint64_t> {
    const Json* j = r.find({key});
    if (j && j->is_array()) {
      if (j->size() != 2 || !(*j)[0].is_number_unsigned() || !(*j)[1].is_number_unsigned())
        throw InputError(
            fmt::format("{}: key 'vision_config.{}' must be a positive integer or two of them", r.origin(), key));
      return {(*j)[0].get<std::uint64_t>(), (*j)[1].get<std::uint64_t>()};
    }
    const std::uint64_t side = r.positive_or({key}, fallback);
    return {side, side};
  };
  const auto image = sides("image_size", 448), patch = sides("patch_size", 14);
  // Bounded so that every product below stays within 2^48.
  for (auto side : {image.first, image.second, patch.first, patch.second})
    if (side == 0 || side > k_max_dimension)
      throw InputError(fmt::format("{}: vision_config image_size and patch_size must be between 1 and {}", r.origin(),
                                   k_max_dimension));
  if (patch.first > image.first || patch.second > image.second)
    throw InputError(fmt::format("{}: vision_config patch_size is larger than image_size", r.origin()));
  const std::uint64_t patches = (image.first / patch.first) * (image.second / patch.second);
  const std::uint64_t area = patch.first * patch.second;
  const std::uint64_t patch_values = area > k_max_dimension ? area : v.n_channels * area;
  if (patches > k_max_dimension || patch_values > k_max_dimension)
    throw InputError(
        fmt::format("{}: vision_config gives {} patches of {} values, more than any real model ({} at most)",
                    r.origin(), patches, patch_values, k_max_dimension));
  v.image_size = image.first;
  v.patch_size = patch.first;
  v.image_width = image.second;
  v.patch_width = patch.second;
}

// Llama 4's vision tower (transformers configuration_llama4.py Llama4VisionConfig, whose defaults
// apply; modeling_llama4.py Llama4VisionModel, Llama4VisionPixelShuffleMLP and
// Llama4MultiModalProjector): see add_vision in parameters.cpp and image_tokens in vision.cpp.
VisionConfig read_llama4_vision(const Reader& r) {
  VisionConfig v;
  v.encoder = VisionEncoder::llama4;
  v.projector = VisionProjector::llama4;
  v.hidden_size = r.positive_or({"hidden_size"}, 768);
  v.n_layers = r.positive_or({"num_hidden_layers"}, 34);
  v.n_heads = r.positive_or({"num_attention_heads"}, 16);
  v.n_channels = r.positive_or({"num_channels"}, 3);
  v.intermediate_size = r.positive_or({"intermediate_size"}, 5632);
  v.output_dim = r.positive_or({"vision_output_dim"}, 7680);
  v.projector_input_dim = r.positive_or({"projector_input_dim"}, 4096);
  v.projector_output_dim = r.positive_or({"projector_output_dim"}, 4096);
  for (auto d : {v.hidden_size, v.n_heads, v.n_channels, v.intermediate_size, v.output_dim, v.projector_input_dim,
                 v.projector_output_dim})
    if (d > k_max_dimension)
      throw InputError(fmt::format("{}: a vision_config dimension ({}) is larger than any real model ({} at most)",
                                   r.origin(), d, k_max_dimension));
  if (v.n_layers > k_max_layers)
    throw InputError(fmt::format("{}: vision_config num_hidden_layers = {} is larger than any real model ({} at most)",
                                 r.origin(), v.n_layers, k_max_layers));
  if (v.hidden_size % v.n_heads != 0)  // Llama4VisionAttention: head_dim = hidden_size // num_attention_heads
    throw InputError(fmt::format("{}: vision_config hidden_size ({}) is not divisible by num_attention_heads ({})",
                                 r.origin(), v.hidden_size, v.n_heads));
  v.head_dim = v.hidden_size / v.n_heads;
  read_vision_patches(r, v);
  // pixel_shuffle_ratio (Llama4VisionConfig default 0.5): the processor's downsample_ratio =
  // int(round(1 / ratio²)) patches per image token (processing_llama4.py Llama4Processor.__init__).
  // A ratio above 1 or one merging more patches than a tile holds is no real model's.
  const double ratio = read_optional_float(r, "pixel_shuffle_ratio", 0.5).value_or(0.5);
  if (ratio > 1 || 1 / (ratio * ratio) > static_cast<double>(v.patches()))
    throw InputError(fmt::format(
        "{}: key 'pixel_shuffle_ratio' must be at most 1 and leave at least one token of the {} patches per tile",
        r.origin(), v.patches()));
  v.shuffle_factor = static_cast<std::uint64_t>(std::llround(1 / (ratio * ratio)));
  // The image processor's max_patches (Llama4ImageProcessorFast.max_patches = 16, as the Llama 4
  // checkpoints' preprocessor_config.json sets it): the most local tiles per image; it is not a
  // config.json key.
  v.max_num_tiles = 16;
  return v;
}

std::uint64_t gemma3n_towers_upper_bound(const Gemma3nTowersConfig& t);  // below, beside parameter_upper_bound

// Gemma 3n's audio and vision towers (transformers configuration_gemma3n.py Gemma3nAudioConfig and
// Gemma3nVisionConfig, whose defaults apply to a missing or null audio_config / vision_config; the values
// are E4B's and E2B's). sscp_conv_channel_size is two channel counts; sscp_conv_kernel_size and
// sscp_conv_stride_size are two (time, frequency) pairs, one per subsampling convolution
// (Gemma3nAudioSubSampleConvProjection builds exactly two). The vision tower is named by `architecture`:
// timm's "mobilenetv5_300m_enc" (the default) is the only one Gemma3nVisionConfig ships and the only one
// counted; its blocks are fixed by timm mobilenetv5.py _gen_mobilenet_v5, not by the config.
Gemma3nTowersConfig read_gemma3n_towers(const Json& wrapper, const std::string& origin, const ModelConfig& text) {
  const Json empty = Json::object();
  const auto sub = [&](const char* key) -> const Json& {
    const auto it = wrapper.find(key);
    if (it == wrapper.end() || it->is_null()) return empty;
    if (!it->is_object()) throw InputError(fmt::format("{}: key '{}' must be an object", origin, key));
    return *it;
  };
  Gemma3nTowersConfig t;
  const Reader a(sub("audio_config"), origin);
  t.audio_hidden = a.positive_or({"hidden_size"}, 1536);
  t.audio_layers = a.positive_or({"conf_num_hidden_layers"}, 12);
  t.audio_heads = a.positive_or({"conf_num_attention_heads"}, 8);
  t.audio_conv_kernel = a.positive_or({"conf_conv_kernel_size"}, 5);
  t.audio_input_features = a.positive_or({"input_feat_size"}, 128);
  t.audio_vocab = a.positive_or({"vocab_size"}, 128);
  const auto pairs = [&](const char* key, std::array<std::uint64_t, 2> fallback_time,
                         std::array<std::uint64_t, 2> fallback_freq) {
    std::array<std::array<std::uint64_t, 2>, 2> out{
        {{fallback_time[0], fallback_freq[0]}, {fallback_time[1], fallback_freq[1]}}};
    const Json* j = a.find({key});
    if (!j || j->is_null()) return out;
    const auto bad = [&] {
      return InputError(fmt::format(
          "{}: key 'audio_config.{}' must be two [time, frequency] pairs of positive integers", origin, key));
    };
    if (!j->is_array() || j->size() != 2) throw bad();
    for (std::size_t i = 0; i < 2; ++i) {
      const Json& pair = (*j)[i];
      if (!pair.is_array() || pair.size() != 2) throw bad();
      for (std::size_t k = 0; k < 2; ++k) {
        if (!pair[k].is_number_unsigned() || pair[k].get<std::uint64_t>() == 0 ||
            pair[k].get<std::uint64_t>() > k_max_dimension)
          throw bad();
        out[i][k] = pair[k].get<std::uint64_t>();
      }
    }
    return out;
  };
  const auto kernel = pairs("sscp_conv_kernel_size", {3, 3}, {3, 3});
  const auto stride = pairs("sscp_conv_stride_size", {2, 2}, {2, 2});
  t.sscp_channels = {128, 32};
  if (const Json* j = a.find({"sscp_conv_channel_size"}); j && !j->is_null()) {
    if (!j->is_array() || j->size() != 2 || !(*j)[0].is_number_unsigned() || !(*j)[1].is_number_unsigned() ||
        (*j)[0].get<std::uint64_t>() == 0 || (*j)[1].get<std::uint64_t>() == 0 ||
        (*j)[0].get<std::uint64_t>() > k_max_dimension || (*j)[1].get<std::uint64_t>() > k_max_dimension)
      throw InputError(
          fmt::format("{}: key 'audio_config.sscp_conv_channel_size' must be two positive integers", origin));
    t.sscp_channels = {(*j)[0].get<std::uint64_t>(), (*j)[1].get<std::uint64_t>()};
  }
  for (std::size_t i = 0; i < 2; ++i) {
    t.sscp_kernel_freq[i] = kernel[i][1];
    t.sscp_kernel_area[i] = kernel[i][0] * kernel[i][1];
    t.sscp_stride_freq[i] = stride[i][1];
  }
  for (auto d : {t.audio_hidden, t.audio_heads, t.audio_conv_kernel, t.audio_input_features, t.audio_vocab})
    if (d > k_max_dimension)
      throw InputError(fmt::format("{}: an audio_config dimension ({}) is larger than any real model ({} at most)",
                                   origin, d, k_max_dimension));
  if (t.audio_layers > k_max_layers)
    throw InputError(
        fmt::format("{}: audio_config conf_num_hidden_layers = {} is larger than any real model ({} at "
                    "most)",
                    origin, t.audio_layers, k_max_layers));
  // Gemma3nAudioAttention: head_dim = hidden_size // conf_num_attention_heads, q/k/v of heads × head_dim.
  if (t.audio_hidden % t.audio_heads != 0)
    throw InputError(fmt::format("{}: audio_config hidden_size ({}) is not divisible by conf_num_attention_heads ({})",
                                 origin, t.audio_hidden, t.audio_heads));
  // Gemma3nAudioSubSampleConvProjection: each convolution pads the frequency axis by 1 on each side.
  std::uint64_t freq = t.audio_input_features;
  for (std::size_t i = 0; i < 2; ++i) {
    if (t.sscp_kernel_freq[i] > freq + 2)
      throw InputError(
          fmt::format("{}: audio_config sscp_conv_kernel_size is wider than the {} frequency bins it "
                      "convolves",
                      origin, freq));
    freq = (freq + 2 - t.sscp_kernel_freq[i]) / t.sscp_stride_freq[i] + 1;
  }
  const Reader v(sub("vision_config"), origin);
  const std::string arch = v.string_or("architecture", "mobilenetv5_300m_enc");
  if (arch != "mobilenetv5_300m_enc")
    throw UnsupportedError(
        fmt::format("{}: vision_config architecture '{}' is not modelled (Gemma 3n's "
                    "mobilenetv5_300m_enc is)",
                    origin, arch));
  t.vision_hidden = v.positive_or({"hidden_size"}, 2048);
  t.vision_vocab = v.positive_or({"vocab_size"}, 128);
  for (auto d : {t.vision_hidden, t.vision_vocab})
    if (d > k_max_dimension)
      throw InputError(fmt::format("{}: a vision_config dimension ({}) is larger than any real model ({} at most)",
                                   origin, d, k_max_dimension));
  t.text_hidden_size = text.hidden_size;
  if (const std::uint64_t bound = gemma3n_towers_upper_bound(t); bound > k_max_parameters)
    throw InputError(
        fmt::format("{}: audio_config and vision_config describe up to {} parameters, more than any real "
                    "model (2^50 at most)",
                    origin, bound == UINT64_MAX ? std::string("2^64") : std::to_string(bound)));
  return t;
}

// MiniMax-M2 (MiniMaxAI/MiniMax-M2 custom code configuration_minimax_m2.py / modeling_minimax_m2.py,
// now transformers' minimax_m2): every layer is full attention (attn_type_list all 1) and a sparse MoE.
// MiniMaxM2Attention: q/k/v/o_proj without biases (the checkpoint holds none), head_dim from the config;
// with use_qk_norm and qk_norm_type "per_layer", q_norm and k_norm are RMSNorms over the whole
// projections (num_attention_heads × head_dim and num_key_value_heads × head_dim: QkNorm::per_head);
// rotary_dim only sets how much of each head RoPE turns. MiniMaxM2SparseMoeBlock: gate [E, h] without
// bias, e_score_correction_bias [E] when use_routing_bias (sigmoid scoring), num_local_experts
// experts w1, w3 [intermediate_size, h] and w2 [h, intermediate_size]. use_mtp / num_mtp_modules describe
// multi-token-prediction modules the released checkpoints do not hold (MiniMax-M2.7's tensor list has
// only model.layers.0-61, embed_tokens, norm and lm_head), so they are not counted.
void read_minimax_m2(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive({"hidden_size"});
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive({"num_attention_heads"});
  c.n_kv_heads = r.positive_or({"num_key_value_heads"}, c.n_heads);
  c.head_dim = head_dim_or_derived(r, c);
  c.vocab_size = r.positive({"vocab_size"});
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 0);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  if (r.boolean("use_qk_norm", false)) {
    const std::string type = r.string_or("qk_norm_type", "per_layer");
    if (type != "per_layer")
      throw UnsupportedError(
          fmt::format("{}: qk_norm_type '{}' is not supported yet (per_layer only)", r.origin(), type));
    c.qk_norm = QkNorm::per_head;
  }
  MoeConfig m;
  m.n_experts = r.positive({"num_local_experts"});
  m.n_experts_per_token = r.positive({"num_experts_per_tok"});
  m.expert_intermediate = r.positive({"intermediate_size"});
  m.score_correction_bias = r.boolean("use_routing_bias", false);
  c.intermediate_size = m.expert_intermediate;
  c.moe = m;
  if (r.u64_or({"shared_intermediate_size"}, 0) > 0)
    throw UnsupportedError(
        fmt::format("{}: a MiniMax-M2 shared expert (shared_intermediate_size > 0) is not supported yet", r.origin()));
  // attn_type_list: 1 softmax attention, 0 lightning (linear) attention (MiniMax-Text-01's hybrid).
  if (const Json* types = r.find({"attn_type_list"})) {
    if (!types->is_array() || types->size() != c.n_layers)
      throw InputError(
          fmt::format("{}: key 'attn_type_list' must be an array of {} zeros and ones", r.origin(), c.n_layers));
    for (std::uint64_t i = 0; i < c.n_layers; ++i) {
      const Json& t = (*types)[i];
      if (!t.is_number_unsigned() || t.get<std::uint64_t>() > 1)
        throw InputError(fmt::format("{}: key 'attn_type_list' holds {} at layer {}; expected 0 or 1", r.origin(),
                                     t.dump().substr(0, 40), i));
      if (t.get<std::uint64_t>() == 0)
        throw UnsupportedError(fmt::format(
            "{}: minimax_m2 lightning-attention layers (0 in attn_type_list) are not supported yet", r.origin()));
    }
  }
}

using ArchitectureReader = void (*)(const Reader&, ModelConfig&);

struct Architecture {
  std::string_view model_type;  // config.json "model_type"
  ArchitectureReader read;
  std::string_view source;  // where its keys and defaults come from
};

// MiniMax-M1 / MiniMax-Text-01 (MiniMaxAI/MiniMax-M1 custom code configuration_minimax_m1.py and
// modeling_minimax_m1.py; transformers configuration_minimax.py MiniMaxConfig for model_type minimax):
// Mixtral-style layers whose mixer is softmax attention (GQA, q/k/v/o without bias) or lightning
// attention (a linear attention with a heads × head_dim × head_dim state), chosen per layer by
// attn_type_list (1 softmax, 0 lightning) or layer_types ("full_attention", "linear_attention"); a
// block-sparse MoE of num_local_experts (w1/w2/w3 of intermediate_size, a gate without bias) in every
// layer; untied embeddings. A shared expert (shared_intermediate_size > 0) is refused: no released
// checkpoint has one.
void read_minimax_m1(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive({"hidden_size"});
  c.n_layers = r.layers({"num_hidden_layers"});
  c.n_heads = r.positive({"num_attention_heads"});
  c.n_kv_heads = r.positive_or({"num_key_value_heads"}, c.n_heads);
  c.head_dim = head_dim_or_derived(r, c);
  c.vocab_size = r.positive({"vocab_size"});
  c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 0);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  MoeConfig m;
  m.n_experts = r.positive({"num_local_experts"});
  m.n_experts_per_token = r.positive({"num_experts_per_tok"});
  m.expert_intermediate = r.positive({"intermediate_size"});
  c.intermediate_size = m.expert_intermediate;
  c.moe = m;
  if (r.u64_or({"shared_intermediate_size"}, 0) > 0)
    throw UnsupportedError(
        fmt::format("{}: a MiniMax shared expert (shared_intermediate_size > 0) is not supported yet", r.origin()));
  c.attention_layers.assign(c.n_layers, false);
  if (const Json* types = r.find({"attn_type_list"})) {
    if (!types->is_array() || types->size() != c.n_layers)
      throw InputError(
          fmt::format("{}: key 'attn_type_list' must be an array of {} zeros and ones", r.origin(), c.n_layers));
    for (std::uint64_t i = 0; i < c.n_layers; ++i) {
      const Json& t = (*types)[i];
      if (!t.is_number_unsigned() || t.get<std::uint64_t>() > 1)
        throw InputError(fmt::format("{}: key 'attn_type_list' holds {} at layer {}; expected 0 or 1", r.origin(),
                                     t.dump().substr(0, 40), i));
      c.attention_layers[i] = t.get<std::uint64_t>() == 1;
    }
  } else if (!read_linear_attention_layer_types(r, c)) {
    throw InputError(
        fmt::format("{}: required key 'attn_type_list' (or 'layer_types') is missing: which layers are softmax "
                    "attention",
                    r.origin()));
  }
  RecurrentConfig lightning;
  lightning.kind = RecurrentKind::lightning;
  lightning.n_heads = c.n_heads;  // MiniMaxM1LightningAttention: num_attention_heads × head_dim
  lightning.head_dim = c.head_dim;
  lightning.conv_bias = false;
  lightning.layers.resize(c.n_layers);
  for (std::uint64_t i = 0; i < c.n_layers; ++i) lightning.layers[i] = !c.attention_layers[i];
  c.recurrent = lightning;
}

// ---------------------------------------------------------------- vision-language wrappers
// A *ForConditionalGeneration config nests the language model in text_config and the vision encoder
// in vision_config. transformers builds each from its configuration class (Gemma3Config.__init__:
// Gemma3TextConfig(**text_config), SiglipVisionConfig(**vision_config); LlavaConfig.__init__ the
// same through CONFIG_MAPPING[model_type]), so a hub config.json lists only the keys that differ
// from the class defaults, and the defaults below (each from that class's __init__) fill the rest.

// `defaults` overlaid with the object under `key` (absent or null: the defaults alone).
Json sub_config(const Reader& r, std::string_view key, const Json& defaults) {
  Json out = defaults;
  const Json* v = r.find({key});
  if (!v) return out;
  if (!v->is_object())
    throw InputError(fmt::format("{}: key '{}' must be an object, got {}", r.origin(), key, v->dump().substr(0, 40)));
  for (auto it = v->begin(); it != v->end(); ++it) out[it.key()] = it.value();
  return out;
}

// The language model's config: the text class's defaults, then the wrapper's own torch_dtype and
// tie_word_embeddings (PretrainedConfig keys the wrapper holds; its text model ties by them where
// text_config is silent), then text_config.
Json text_config(const Reader& r, const Json& defaults) {
  Json base = defaults;
  for (const char* key : {"torch_dtype", "dtype", "tie_word_embeddings"})
    if (const Json* v = r.find({key})) base[key] = *v;
  return sub_config(r, "text_config", base);
}

std::string sub_origin(const Reader& r, std::string_view key) { return fmt::format("{} ({})", r.origin(), key); }

// The ViT keys SigLIP and CLIP vision configs share (SiglipVisionConfig, CLIPVisionConfig), bounded
// like the text model's dimensions.
VisionConfig read_vit(const Reader& v, VisionEncoder encoder) {
  VisionConfig vc;
  vc.encoder = encoder;
  vc.hidden_size = v.positive({"hidden_size"});
  vc.intermediate_size = v.positive({"intermediate_size"});
  vc.n_layers = v.layers({"num_hidden_layers"});
  vc.n_heads = v.positive({"num_attention_heads"});
  vc.n_channels = v.positive_or({"num_channels"}, 3);
  vc.patch_size = v.positive({"patch_size"});
  vc.image_size = v.positive({"image_size"});
  for (auto [key, value] : {std::pair<const char*, std::uint64_t>{"hidden_size", vc.hidden_size},
                            {"intermediate_size", vc.intermediate_size},
                            {"num_attention_heads", vc.n_heads},
                            {"num_channels", vc.n_channels},
                            {"patch_size", vc.patch_size},
                            {"image_size", vc.image_size}})
    if (value > k_max_dimension)
      throw InputError(fmt::format("{}: key '{}' = {} is larger than any real model ({} at most)", v.origin(), key,
                                   value, k_max_dimension));
  if (vc.image_size < vc.patch_size)
    throw InputError(
        fmt::format("{}: image_size ({}) is smaller than patch_size ({})", v.origin(), vc.image_size, vc.patch_size));
  // SiglipAttention / CLIPAttention: head_dim = hidden_size / num_attention_heads, which must divide.
  vc.head_dim =
      derived_head_dim(v.origin(), vc.hidden_size, vc.n_heads, "hidden_size", "num_attention_heads", "head_dim");
  if (vc.positions() > k_max_dimension)
    throw InputError(fmt::format("{}: image_size {} in patches of {} gives {} positions, more than any real model",
                                 v.origin(), vc.image_size, vc.patch_size, vc.positions()));
  return vc;
}

// The vision_config's model_type, which decides the encoder (the wrapper's default when absent).
std::string vision_model_type(const Json& vision, const std::string& origin, std::string_view fallback) {
  auto it = vision.find("model_type");
  if (it == vision.end() || it->is_null()) return std::string(fallback);
  if (!it->is_string()) throw InputError(fmt::format("{}: key 'model_type' must be a string", origin));
  return it->get<std::string>();
}

// Gemma 3 (transformers configuration_gemma3.py Gemma3Config, modeling_gemma3.py
// Gemma3ForConditionalGeneration): a gemma3_text language model, a SigLIP vision tower
// (SiglipVisionModel, vision_use_head false) and Gemma3MultiModalProjector: an average pool of the
// patch grid to mm_tokens_per_image (default 256) tokens, mm_soft_emb_norm (Gemma3RMSNorm over the
// vision width) and mm_input_projection_weight [vision hidden, text hidden], no bias.
void read_gemma3(const Reader& r, ModelConfig& c) {
  // Gemma3TextConfig.__init__ defaults.
  static const Json k_text_defaults = {
      {"model_type", "gemma3_text"}, {"vocab_size", 262208},    {"hidden_size", 2304},
      {"intermediate_size", 9216},   {"num_hidden_layers", 26}, {"num_attention_heads", 8},
      {"num_key_value_heads", 4},    {"head_dim", 256},         {"max_position_embeddings", 131072},
      {"tie_word_embeddings", true}, {"sliding_window", 4096},  {"sliding_window_pattern", 6}};
  // SiglipVisionConfig.__init__ defaults (vision_use_head defaults to true there; Gemma 3's configs
  // set it false, the only form Gemma3Model loads into its projector).
  static const Json k_vision_defaults = {{"model_type", "siglip_vision_model"},
                                         {"hidden_size", 768},
                                         {"intermediate_size", 3072},
                                         {"num_hidden_layers", 12},
                                         {"num_attention_heads", 12},
                                         {"num_channels", 3},
                                         {"image_size", 224},
                                         {"patch_size", 16},
                                         {"vision_use_head", true}};
  const Json text = text_config(r, k_text_defaults);
  const std::string text_origin = sub_origin(r, "text_config");
  read_gemma3_text(Reader(text, text_origin), c);
  const Json vision = sub_config(r, "vision_config", k_vision_defaults);
  const std::string vision_origin = sub_origin(r, "vision_config");
  const Reader v(vision, vision_origin);
  if (const std::string type = vision_model_type(vision, vision_origin, "siglip_vision_model");
      type != "siglip_vision_model")
    throw UnsupportedError(
        fmt::format("{}: vision model_type '{}' is not supported yet (siglip_vision_model)", vision_origin, type));
  if (v.boolean("vision_use_head", true))
    throw UnsupportedError(
        fmt::format("{}: vision_use_head true (a SigLIP pooling head) is not supported yet; Gemma 3 "
                    "configs set it false",
                    vision_origin));
  VisionConfig vc = read_vit(v, VisionEncoder::siglip);
  vc.projector = VisionProjector::gemma3;
  vc.projector_bias = false;
  vc.tokens_per_image = r.positive_or({"mm_tokens_per_image"}, 256);
  // Gemma3MultiModalProjector pools patches_per_side² patches with kernel patches_per_side /
  // sqrt(mm_tokens_per_image): the tokens must be a square no larger than the patch grid.
  const auto side = static_cast<std::uint64_t>(std::llround(std::sqrt(static_cast<double>(vc.tokens_per_image))));
  if (side * side != vc.tokens_per_image || side > vc.patches_per_side())
    throw InputError(fmt::format("{}: mm_tokens_per_image ({}) must be a square of at most {} × {} (the patch grid)",
                                 r.origin(), vc.tokens_per_image, vc.patches_per_side(), vc.patches_per_side()));
  c.vision = vc;
}

const Architecture* find_architecture(std::string_view model_type);

// The defaults of a text model's configuration class, for the text models a wrapper nests:
// LlamaConfig.__init__ (configuration_llama.py) and MistralConfig.__init__ (configuration_mistral.py);
// others fill nothing (their configs must then give every key).
Json text_class_defaults(std::string_view model_type) {
  if (model_type == "llama")
    return {{"model_type", "llama"},           {"vocab_size", 32000},         {"hidden_size", 4096},
            {"intermediate_size", 11008},      {"num_hidden_layers", 32},     {"num_attention_heads", 32},
            {"max_position_embeddings", 2048}, {"tie_word_embeddings", false}};
  if (model_type == "mistral")
    return {{"model_type", "mistral"},  {"vocab_size", 32000},
            {"hidden_size", 4096},      {"intermediate_size", 14336},
            {"num_hidden_layers", 32},  {"num_attention_heads", 32},
            {"num_key_value_heads", 8}, {"max_position_embeddings", 131072},
            {"sliding_window", 4096},   {"tie_word_embeddings", false}};
  return Json::object();
}

// A wrapper's language model of any registered text architecture (text_config model_type, else
// `default_type`), read by that architecture's own reader: over its class defaults when text_config
// is given, over `absent` (the wrapper's own default text model) when it is not.
void read_wrapped_text(const Reader& r, ModelConfig& c, std::string_view default_type, const Json& absent) {
  const Json* given = r.find({"text_config"});
  std::string text_type(default_type);
  if (given && given->is_object())
    if (auto it = given->find("model_type"); it != given->end() && it->is_string()) text_type = it->get<std::string>();
  const std::string text_origin = sub_origin(r, "text_config");
  const Architecture* text_arch = find_architecture(text_type);
  if (!text_arch || text_type == "llava" || text_type == "gemma3" || text_type == "mistral3")
    throw UnsupportedError(unsupported_architecture_message(text_type, text_origin));
  const Json text = text_config(r, given ? text_class_defaults(text_type) : absent);
  const Reader t(text, text_origin);
  // The text reader sees its own model_type (Falcon and GPT-BigCode readers branch on it).
  const std::string wrapper = std::exchange(c.model_type, text_type);
  text_arch->read(t, c);
  c.model_type = wrapper;
}

// LLaVA 1.5 (transformers configuration_llava.py LlavaConfig, modeling_llava.py): any text model
// (text_config model_type, "llama" by default, read by that model's own reader), a CLIP vision tower
// (CLIPVisionModel) and LlavaMultiModalProjector: linear_1 [text hidden, vision hidden × feature
// layers], GELU, linear_2 [text hidden, text hidden], both biased by multimodal_projector_bias
// (default true). The features of vision_feature_layer (an index, or a list whose outputs are
// concatenated) give (image_size / patch_size)² tokens per image, plus the class token with
// vision_feature_select_strategy "full".
void read_llava(const Reader& r, ModelConfig& c) {
  // LlavaConfig: text_config defaults to CONFIG_MAPPING["llama"]() (LlamaConfig.__init__ defaults).
  static const Json k_llama_defaults = text_class_defaults("llama");
  // LlavaConfig's default vision tower when vision_config is absent: CLIP ViT-L/14 at 336 px.
  static const Json k_llava_vision = {{"model_type", "clip_vision_model"},
                                      {"hidden_size", 1024},
                                      {"intermediate_size", 4096},
                                      {"num_hidden_layers", 24},
                                      {"num_attention_heads", 16},
                                      {"image_size", 336},
                                      {"patch_size", 14}};
  // CLIPVisionConfig.__init__ defaults, for a vision_config that is given.
  static const Json k_clip_defaults = {
      {"model_type", "clip_vision_model"}, {"hidden_size", 768}, {"intermediate_size", 3072}, {"num_hidden_layers", 12},
      {"num_attention_heads", 12},         {"num_channels", 3},  {"image_size", 224},         {"patch_size", 32}};
  read_wrapped_text(r, c, "llama", k_llama_defaults);
  const Json vision = r.find({"vision_config"}) ? sub_config(r, "vision_config", k_clip_defaults) : k_llava_vision;
  const std::string vision_origin = sub_origin(r, "vision_config");
  if (const std::string type = vision_model_type(vision, vision_origin, "clip_vision_model");
      type != "clip_vision_model")
    throw UnsupportedError(
        fmt::format("{}: vision model_type '{}' is not supported yet (clip_vision_model)", vision_origin, type));
  VisionConfig vc = read_vit(Reader(vision, vision_origin), VisionEncoder::clip);
  vc.projector = VisionProjector::llava_mlp;
  vc.projector_bias = r.boolean("multimodal_projector_bias", true);
  vc.feature_layers = 1;
  if (const Json* layers = r.find({"vision_feature_layer"}); layers && layers->is_array()) {
    if (layers->empty() || layers->size() > vc.n_layers + 1)
      throw InputError(
          fmt::format("{}: key 'vision_feature_layer' must list 1 to {} layers", r.origin(), vc.n_layers + 1));
    vc.feature_layers = layers->size();
  }
  const std::string strategy = r.string_or("vision_feature_select_strategy", "default");
  if (strategy != "default" && strategy != "full")
    throw InputError(
        fmt::format("{}: vision_feature_select_strategy '{}' is neither 'default' nor 'full'", r.origin(), strategy));
  vc.tokens_per_image = vc.patches() + (strategy == "full" ? 1U : 0U);
  c.vision = vc;
}

// Mistral 3 (transformers configuration_mistral3.py Mistral3Config, modeling_mistral3.py
// Mistral3ForConditionalGeneration; Mistral Small 3.1 and 3.2): a text model (text_config
// model_type, "mistral" by default), a Pixtral vision tower (PixtralVisionModel) and
// Mistral3MultiModalProjector, which merges spatial_merge_size² patches (default 2) into one token.
// The tokens per image depend on the image's size (vision.cpp).
void read_mistral3(const Reader& r, ModelConfig& c) {
  // Mistral3Config's default text model (Mistral Small 3.1 24B), used when text_config is absent.
  static const Json k_text_absent = {
      {"model_type", "mistral"},     {"vocab_size", 131072},    {"hidden_size", 5120},
      {"intermediate_size", 32768},  {"num_hidden_layers", 40}, {"num_attention_heads", 32},
      {"num_key_value_heads", 8},    {"head_dim", 128},         {"max_position_embeddings", 131072},
      {"tie_word_embeddings", false}};
  // Mistral3Config's default vision tower when vision_config is absent, and PixtralVisionConfig's
  // class defaults for one that is given.
  static const Json k_vision_absent = {
      {"model_type", "pixtral"},   {"hidden_size", 1024}, {"intermediate_size", 4096}, {"num_hidden_layers", 24},
      {"num_attention_heads", 16}, {"head_dim", 64},      {"image_size", 1540},        {"patch_size", 14}};
  static const Json k_pixtral_defaults = {
      {"model_type", "pixtral"},   {"hidden_size", 1024}, {"intermediate_size", 4096}, {"num_hidden_layers", 24},
      {"num_attention_heads", 16}, {"num_channels", 3},   {"image_size", 1024},        {"patch_size", 16}};
  read_wrapped_text(r, c, "mistral", k_text_absent);
  const Json vision = r.find({"vision_config"}) ? sub_config(r, "vision_config", k_pixtral_defaults) : k_vision_absent;
  const std::string vision_origin = sub_origin(r, "vision_config");
  if (const std::string type = vision_model_type(vision, vision_origin, "pixtral"); type != "pixtral")
    throw UnsupportedError(
        fmt::format("{}: vision model_type '{}' is not supported yet (pixtral)", vision_origin, type));
  const Reader v(vision, vision_origin);
  VisionConfig vc = read_vit(v, VisionEncoder::pixtral);
  // PixtralAttention: q/k/v project to num_attention_heads × head_dim (head_dim defaults to
  // hidden_size / num_attention_heads).
  vc.head_dim = v.positive_or({"head_dim"}, vc.head_dim);
  if (vc.head_dim > k_max_dimension)
    throw InputError(fmt::format("{}: key 'head_dim' = {} is larger than any real model ({} at most)", vision_origin,
                                 vc.head_dim, k_max_dimension));
  vc.projector = VisionProjector::mistral3;
  vc.projector_bias = r.boolean("multimodal_projector_bias", false);
  vc.spatial_merge_size = r.positive_or({"spatial_merge_size"}, 2);
  if (vc.spatial_merge_size > vc.patches_per_side())
    throw InputError(fmt::format("{}: spatial_merge_size ({}) is larger than the patch grid ({} per side)", r.origin(),
                                 vc.spatial_merge_size, vc.patches_per_side()));
  if (const Json* layers = r.find({"vision_feature_layer"}); layers && layers->is_array()) {
    if (layers->empty() || layers->size() > vc.n_layers + 1)
      throw InputError(
          fmt::format("{}: key 'vision_feature_layer' must list 1 to {} layers", r.origin(), vc.n_layers + 1));
    vc.feature_layers = layers->size();
  }
  c.vision = vc;
}

// The Qwen vision towers' keys (Qwen2_5_VLVisionConfig, Qwen3VLVisionConfig: depth, num_heads,
// in_channels or the older in_chans, out_hidden_size the text model's width), with their class
// defaults filling what a config leaves out.
VisionConfig read_qwen_vision(const Reader& r, const ModelConfig& c, VisionEncoder encoder, const Json& defaults) {
  const Json vision = sub_config(r, "vision_config", defaults);
  const std::string origin = sub_origin(r, "vision_config");
  const Reader v(vision, origin);
  VisionConfig vc;
  vc.encoder = encoder;
  vc.projector = VisionProjector::qwen_merger;
  vc.hidden_size = v.positive({"hidden_size"});
  vc.intermediate_size = v.positive({"intermediate_size"});
  vc.n_layers = v.layers({"depth"});
  vc.n_heads = v.positive({"num_heads"});
  vc.n_channels = v.positive_or({"in_channels", "in_chans"}, 3);
  vc.patch_size = v.positive({"patch_size"});
  vc.spatial_merge_size = v.positive_or({"spatial_merge_size"}, 2);
  vc.temporal_patch_size = v.positive_or({"temporal_patch_size"}, 2);
  for (auto [key, value] : {std::pair<const char*, std::uint64_t>{"hidden_size", vc.hidden_size},
                            {"intermediate_size", vc.intermediate_size},
                            {"num_heads", vc.n_heads},
                            {"in_channels", vc.n_channels},
                            {"patch_size", vc.patch_size},
                            {"spatial_merge_size", vc.spatial_merge_size},
                            {"temporal_patch_size", vc.temporal_patch_size}})
    if (value > k_max_dimension)
      throw InputError(fmt::format("{}: key '{}' = {} is larger than any real model ({} at most)", origin, key, value,
                                   k_max_dimension));
  vc.head_dim = derived_head_dim(origin, vc.hidden_size, vc.n_heads, "hidden_size", "num_heads", "head_dim");
  // The merger's output feeds the text model's embeddings: out_hidden_size must be its hidden size.
  if (const std::uint64_t out = v.u64_or({"out_hidden_size"}, c.hidden_size); out != c.hidden_size)
    throw InputError(fmt::format("{}: out_hidden_size ({}) differs from the text model's hidden_size ({})", origin, out,
                                 c.hidden_size));
  return vc;
}

// Qwen2.5-VL (transformers configuration_qwen2_5_vl.py, modeling_qwen2_5_vl.py): a Qwen2 text model
// whose keys sit at the top level in the hub configs (newer transformers write them into
// text_config as well; both are read, text_config winning), a ViT with windowed attention, and the
// patch merger. The processor's pixel budget is preprocessor_config.json's: min_pixels 3136 (56²),
// max_pixels 12,845,056 (16,384 tokens of 28 × 28 px) in Qwen/Qwen2.5-VL-*-Instruct.
void read_qwen2_5_vl(const Reader& r, ModelConfig& c) {
  // Qwen2_5_VLVisionConfig.__init__ defaults.
  static const Json k_vision_defaults = {
      {"depth", 32},      {"hidden_size", 3584}, {"intermediate_size", 3420}, {"num_heads", 16},
      {"in_channels", 3}, {"patch_size", 14},    {"spatial_merge_size", 2},   {"temporal_patch_size", 2}};
  Json text = r.json();
  text.erase("vision_config");
  text.erase("text_config");
  if (const Json* t = r.find({"text_config"})) {
    if (!t->is_object()) throw InputError(fmt::format("{}: key 'text_config' must be an object", r.origin()));
    for (auto it = t->begin(); it != t->end(); ++it) text[it.key()] = it.value();
  }
  const std::string text_origin = sub_origin(r, "text_config");
  read_qwen2(Reader(text, text_origin), c);
  VisionConfig vc = read_qwen_vision(r, c, VisionEncoder::qwen2_5_vl, k_vision_defaults);
  vc.min_pixels = 56ULL * 56;
  vc.max_pixels = 12'845'056;
  c.vision = vc;
}

// Qwen3-VL (transformers configuration_qwen3_vl.py, modeling_qwen3_vl.py): a Qwen3 text model in
// text_config (q/k RMSNorm, no biases), a ViT with learned positions (num_position_embeddings,
// interpolated to the image) and LayerNorm/GELU blocks, the patch merger and one deepstack merger per
// deepstack_visual_indexes entry (their outputs are added to the first text layers). The processor's
// pixel budget is preprocessor_config.json's size: shortest_edge 65,536 and longest_edge 16,777,216
// pixels (16,384 tokens of 32 × 32 px) in Qwen/Qwen3-VL-*-Instruct.
void read_qwen3_vl(const Reader& r, ModelConfig& c) {
  // Qwen3VLVisionConfig.__init__ defaults.
  static const Json k_vision_defaults = {{"depth", 27},
                                         {"hidden_size", 1152},
                                         {"intermediate_size", 4304},
                                         {"num_heads", 16},
                                         {"in_channels", 3},
                                         {"patch_size", 16},
                                         {"spatial_merge_size", 2},
                                         {"temporal_patch_size", 2},
                                         {"num_position_embeddings", 2304},
                                         {"deepstack_visual_indexes", {8, 16, 24}}};
  const Json text = text_config(r, Json::object());
  const std::string text_origin = sub_origin(r, "text_config");
  read_qwen3(Reader(text, text_origin), c);
  VisionConfig vc = read_qwen_vision(r, c, VisionEncoder::qwen3_vl, k_vision_defaults);
  const Json vision = sub_config(r, "vision_config", k_vision_defaults);
  const std::string origin = sub_origin(r, "vision_config");
  const Reader v(vision, origin);
  vc.position_table = v.positive({"num_position_embeddings"});
  if (vc.position_table > k_max_dimension)
    throw InputError(
        fmt::format("{}: key 'num_position_embeddings' = {} is larger than any real model", origin, vc.position_table));
  if (const Json* deep = v.find({"deepstack_visual_indexes"})) {
    if (!deep->is_array() || deep->size() > vc.n_layers)
      throw InputError(
          fmt::format("{}: key 'deepstack_visual_indexes' must list at most {} layers", origin, vc.n_layers));
    vc.deepstack_mergers = deep->size();
  }
  vc.min_pixels = 65'536;
  vc.max_pixels = 16'777'216;
  c.vision = vc;
}

// Mllama, Llama 3.2 Vision (transformers configuration_mllama.py MllamaConfig, modeling_mllama.py):
// a Llama text model (MllamaTextConfig) whose cross_attention_layers attend to the image features
// instead of the text, and a tiled ViT (MllamaVisionConfig: a local encoder, a gated global encoder,
// tile and aspect-ratio position embeddings) projected by one linear layer.
void read_mllama(const Reader& r, ModelConfig& c) {
  // MllamaTextConfig.__init__ defaults.
  static const Json k_text_defaults = {{"vocab_size", 128256},
                                       {"hidden_size", 4096},
                                       {"num_hidden_layers", 40},
                                       {"num_attention_heads", 32},
                                       {"num_key_value_heads", 8},
                                       {"intermediate_size", 14336},
                                       {"max_position_embeddings", 131072},
                                       {"tie_word_embeddings", false},
                                       {"cross_attention_layers", {3, 8, 13, 18, 23, 28, 33, 38}}};
  // MllamaVisionConfig.__init__ defaults.
  static const Json k_vision_defaults = {
      {"hidden_size", 1280},
      {"num_hidden_layers", 32},
      {"num_global_layers", 8},
      {"attention_heads", 16},
      {"num_channels", 3},
      {"intermediate_size", 5120},
      {"vision_output_dim", 7680},
      {"image_size", 448},
      {"patch_size", 14},
      {"max_num_tiles", 4},
      {"supported_aspect_ratios", {{1, 1}, {1, 2}, {1, 3}, {1, 4}, {2, 1}, {2, 2}, {3, 1}, {4, 1}}}};
  const Json text = text_config(r, k_text_defaults);
  const std::string text_origin = sub_origin(r, "text_config");
  const Reader t(text, text_origin);
  read_llama_like(t, c);
  c.extra_embedding_rows = 8;  // MllamaTextModel.embed_tokens: vocab_size + 8 rows
  const Json* cross = t.find({"cross_attention_layers"});
  if (!cross || !cross->is_array())
    throw InputError(fmt::format("{}: key 'cross_attention_layers' must be an array of layer indices", text_origin));
  c.attention_layers.assign(c.n_layers, true);
  for (const auto& layer : *cross) {
    // (the class default above holds signed integers; parsed JSON unsigned ones)
    const bool index = layer.is_number_integer() && layer.get<std::int64_t>() >= 0 &&
                       static_cast<std::uint64_t>(layer.get<std::int64_t>()) < c.n_layers;
    if (!index || !c.attention_layers[static_cast<std::uint64_t>(layer.get<std::int64_t>())])
      throw InputError(fmt::format("{}: key 'cross_attention_layers' must hold distinct layer indices below {}, got {}",
                                   text_origin, c.n_layers, layer.dump().substr(0, 40)));
    c.attention_layers[static_cast<std::uint64_t>(layer.get<std::int64_t>())] = false;
    ++c.n_cross_attention_layers;
  }
  const Json vision = sub_config(r, "vision_config", k_vision_defaults);
  const std::string vision_origin = sub_origin(r, "vision_config");
  Json vit = vision;  // the ViT keys under their SigLIP/CLIP names
  vit["num_attention_heads"] = vision.contains("attention_heads") ? vision["attention_heads"] : Json(16);
  const Reader v(vit, vision_origin);
  VisionConfig vc = read_vit(v, VisionEncoder::mllama);
  vc.projector = VisionProjector::mllama;
  vc.global_layers = v.u64_or({"num_global_layers"}, 8);
  vc.max_num_tiles = v.positive({"max_num_tiles"});
  const std::uint64_t output_dim = v.positive({"vision_output_dim"});
  if (vc.global_layers > k_max_layers || vc.max_num_tiles > 1024 || output_dim % vc.hidden_size != 0 ||
      output_dim / vc.hidden_size > vc.n_layers + 1)
    throw InputError(
        fmt::format("{}: num_global_layers ({}), max_num_tiles ({}) or vision_output_dim ({}, a multiple "
                    "of hidden_size {}) is out of range",
                    vision_origin, vc.global_layers, vc.max_num_tiles, output_dim, vc.hidden_size));
  vc.feature_layers = output_dim / vc.hidden_size;
  const Json* ratios = v.find({"supported_aspect_ratios"});
  if (!ratios || !ratios->is_array() || ratios->size() > 1024)
    throw InputError(
        fmt::format("{}: key 'supported_aspect_ratios' must be a list of at most 1024 ratios", vision_origin));
  vc.aspect_ratio_rows = ratios->size() + 1;  // max_aspect_ratio_id + 1 embedding rows
  vc.tokens_per_image = 1;
  c.vision = vc;
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
    // gemma3n and dense families
    {"glm4", read_glm4, "transformers configuration_glm4.py"},
    {"gemma3n_text", read_gemma3n_text, "transformers configuration_gemma3n.py (Gemma3nTextConfig)"},
    // newest MoE families
    {"llama4_text", read_llama4_text, "transformers configuration_llama4.py (Llama4TextConfig)"},
    {"llama4", read_llama4_text,
     "transformers configuration_llama4.py (Llama4Config: text_config read as llama4_text, vision_config as its "
     "vision tower)"},
    {"deepseek_v32", read_deepseek_v32, "deepseek-ai/DeepSeek-V3.2 config.json and inference/model.py (ModelArgs)"},
    {"kimi_k2", read_deepseek,
     "moonshotai/Kimi-K2-Instruct custom code (auto_map: configuration_deepseek.DeepseekV3Config)"},
    {"minimax_m2", read_minimax_m2, "MiniMaxAI/MiniMax-M2 custom code configuration_minimax_m2.py (MiniMaxM2Config)"},
    {"minimax_m1", read_minimax_m1, "MiniMaxAI/MiniMax-M1 custom code configuration_minimax_m1.py (MiniMaxM1Config)"},
    {"minimax", read_minimax_m1, "transformers configuration_minimax.py (MiniMaxConfig: layer_types)"},
    // vision-language models
    {"gemma3", read_gemma3, "transformers configuration_gemma3.py (Gemma3Config: gemma3_text + SigLIP)"},
    {"llava", read_llava, "transformers configuration_llava.py (LlavaConfig: a text model + CLIP)"},
    {"mistral3", read_mistral3, "transformers configuration_mistral3.py (Mistral3Config: a text model + Pixtral)"},
    {"qwen2_5_vl", read_qwen2_5_vl, "transformers configuration_qwen2_5_vl.py (Qwen2_5_VLConfig: Qwen2 + its ViT)"},
    {"qwen3_vl", read_qwen3_vl, "transformers configuration_qwen3_vl.py (Qwen3VLConfig: Qwen3 + its ViT)"},
    {"mllama", read_mllama, "transformers configuration_mllama.py (MllamaConfig: Llama + cross-attention + tiled ViT)"},
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
// Gemma 3n's towers, generously: the conformer, its subsampling, both embedders; the MobileNetV5 tower is fixed.
std::uint64_t gemma3n_towers_upper_bound(const Gemma3nTowersConfig& t) {
  std::uint64_t total = 0;
  const std::uint64_t ah = t.audio_hidden;
  total = sat_add(
      total, sat_mul(t.audio_layers, sat_add(sat_mul({24, ah, ah}), sat_mul(sat_add(t.audio_conv_kernel, 16), ah))));
  total = sat_add(total, sat_mul({t.sscp_channels[1], sat_add(t.audio_input_features, 4), ah}));
  total = sat_add(total, sat_mul({t.sscp_channels[0], sat_add(t.sscp_channels[1], 1),
                                  sat_add(t.sscp_kernel_area[0], t.sscp_kernel_area[1])}));
  total = sat_add(total, sat_mul(sat_add(ah, t.vision_hidden),
                                 sat_add(sat_add(t.audio_vocab, t.vision_vocab), sat_add(t.text_hidden_size, 2))));
  total = sat_add(total, 300'000'000);  // mobilenetv5_300m_enc: 294,126,912 (src/parameters.cpp)
  return total;
}

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
    layer = sat_add(
        layer, sat_mul(m.index_head_dim, sat_add(sat_mul(m.index_n_heads, sat_add(m.q_lora_rank, h)), sat_add(h, 2))));
    layer = sat_add(layer, sat_mul(m.index_n_heads, h));
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
  // Gemma 3n: AltUp's coefficients and router, LAuReL, the per-layer-input gate and projection.
  const std::uint64_t n = c.altup_inputs;
  layer = sat_add(layer, sat_add(sat_mul({n, n, sat_add(n, 1)}), sat_mul(n, h)));
  layer = sat_add(layer, sat_mul({2, h, sat_add(c.laurel_rank, c.per_layer_width)}));
  layer = sat_add(layer, sat_mul(8, h));  // norms and biases
  std::uint64_t total = sat_mul(sat_add(sat_add(c.n_layers, c.mtp_layers), c.n_cross_attention_layers), layer);
  if (c.vision) {  // encoder layers, embeddings and the projector, generously
    const auto& v = *c.vision;
    const std::uint64_t vh = v.hidden_size;
    const std::uint64_t vlayer =
        sat_add(sat_add(sat_mul({4, vh, sat_add(vh, 4)}), sat_mul({4, vh, v.n_heads, v.head_dim})),
                sat_mul({3, vh, sat_add(v.intermediate_size, 2)}));
    total = sat_add(total, sat_mul(v.n_layers, vlayer));
    total = sat_add(
        total, sat_mul(vh, sat_add(sat_add(v.positions(), 4), sat_mul({v.n_channels, v.patch_size, v.patch_size}))));
    total = sat_add(total, sat_mul(sat_add(h, 1), sat_add(sat_mul(vh, v.feature_layers), sat_add(h, 2))));
    const std::uint64_t merged = sat_mul({vh, v.spatial_merge_size, v.spatial_merge_size});
    total = sat_add(total, sat_mul({sat_add(merged, sat_add(h, 4)), merged, sat_add(v.deepstack_mergers, 1)}));
    total = sat_add(total, sat_mul({vh, v.temporal_patch_size, v.n_channels, v.patch_size, v.patch_size}));
    total = sat_add(total, sat_mul(vh, v.position_table));
    total = sat_add(
        total, sat_mul({sat_add(v.aspect_ratio_rows, 1), sat_add(v.max_num_tiles, 1), sat_add(v.positions(), 1), vh}));
    total = sat_add(total, sat_mul(v.global_layers, vlayer));
    // Llama 4: the pair-sided patch embedding, the vision adapter's fc1 and fc2 and the projector.
    total = sat_add(total, sat_mul({vh, v.n_channels, v.patch_size, v.patch_width}));
    total = sat_add(total, sat_mul(v.projector_input_dim, v.intermediate_size));
    total = sat_add(total, sat_mul(v.projector_output_dim, v.projector_output_dim));
    total = sat_add(total, sat_mul(v.output_dim, h));
  }
  if (c.gemma3n_towers) total = sat_add(total, gemma3n_towers_upper_bound(*c.gemma3n_towers));
  total = sat_add(total, sat_mul({2, c.vocab_size, std::max(h, c.word_embed_proj_dim)}));
  total = sat_add(total, sat_mul(sat_add(c.type_vocab_size, sat_add(h, 1)), h));         // token types, BERT pooler
  total = sat_add(total, sat_mul(c.relative_attention_buckets, sat_mul(2, c.n_heads)));  // T5
  total = sat_add(total, sat_mul(sat_mul(2, c.n_layers), layer));  // encoder-decoders: cross-attention, generously
  // Gemma 3n: the per-layer embedding table and its model projection, AltUp's stream projections.
  total = sat_add(total, sat_mul({c.n_layers, c.per_layer_width, sat_add(c.per_layer_vocab, h)}));
  total = sat_add(total, sat_mul({2, c.altup_inputs, h, h}));
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

std::uint64_t ModelConfig::n_kv_layers() const {
  if (kv_shared_layers == 0) return n_attention_layers();
  std::uint64_t n = 0;
  for (std::uint64_t i = 0; i + kv_shared_layers < n_layers; ++i) n += has_attention(i) ? 1U : 0U;
  return n;
}

std::uint64_t ModelConfig::n_kv_sliding_layers() const {
  if (kv_shared_layers == 0) return n_sliding_layers();
  std::uint64_t n = 0;
  for (std::uint64_t i = 0; i + kv_shared_layers < n_layers && i < sliding_layers.size(); ++i)
    n += has_attention(i) && sliding_layers[i] ? 1U : 0U;
  return n;
}

std::uint64_t RecurrentConfig::n_layers() const {
  return static_cast<std::uint64_t>(std::count(layers.begin(), layers.end(), true));
}

std::string architecture_family(const ModelConfig& c) {
  if (c.is_encoder_decoder()) return "encoder-decoder";
  if (c.encoder) return "encoder";
  if (c.vision || c.gemma3n_towers) {  // the language model's family, named inside
    ModelConfig text = c;
    text.vision.reset();
    text.gemma3n_towers.reset();
    return std::string(c.gemma3n_towers ? "vision-audio-language (" : "vision-language (") + architecture_family(text) +
           (c.n_cross_attention_layers > 0 ? ", cross-attention" : "") + ")";
  }
  std::string mixer;
  if (c.recurrent) {
    switch (c.recurrent->kind) {
      case RecurrentKind::mamba2:
        mixer = "Mamba-2";
        break;
      case RecurrentKind::gated_deltanet:
        mixer = "Gated DeltaNet";
        break;
      case RecurrentKind::mamba1:
        mixer = "Mamba-1";
        break;
      case RecurrentKind::short_conv:
        mixer = "short convolution";
        break;
      case RecurrentKind::lightning:
        mixer = "lightning attention";
        break;
    }
  }
  const std::string moe = c.moe ? "MoE" : "";
  if (mixer.empty()) return (c.moe ? "MoE" : "dense") + std::string(" transformer");
  if (c.n_attention_layers() == 0) return "state-space (" + mixer + (moe.empty() ? "" : ", " + moe) + ")";
  return "hybrid (" + mixer + " + attention" + (moe.empty() ? "" : ", " + moe) + ")";
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
  // Multimodal wrappers keep the language model in text_config. A wrapper in the registry reads it
  // with its vision tower; any other is estimated as its language model alone. Llama 4's wrapper is
  // unwrapped like the others and its vision tower read below (read_llama4_vision).
  Json wrapper;  // the wrapper itself, when the language model came from its text_config
  const auto type_it = json.find("model_type");
  const bool registered_wrapper = type_it != json.end() && type_it->is_string() && *type_it != "llama4" &&
                                  find_architecture(type_it->get<std::string>()) != nullptr;
  if (auto it = json.find("text_config");
      !registered_wrapper && it != json.end() && it->is_object() && !json.contains("hidden_size")) {
    Json text = *it;
    for (const char* key : {"torch_dtype", "tie_word_embeddings", "quantization_config"})
      if (json.contains(key) && !text.contains(key)) text[key] = json[key];
    wrapper = std::move(json);
    json = std::move(text);
  }
  ModelConfig c;
  c.origin = origin;
  const Reader r(json, c.origin);
  c.model_type = r.string_or("model_type", "");
  if (c.model_type.empty()) throw InputError(fmt::format("{}: required key 'model_type' is missing", origin));
  c.torch_dtype = r.string_or("torch_dtype", r.string_or("dtype", ""));
  read_architecture(r, c);
  // Llama4ForConditionalGeneration: the vision tower and projector beside the language model
  // (Llama4Config.vision_config; absent or null: Llama4VisionConfig's defaults), a VisionConfig like
  // every vision-language model's.
  if (wrapper.is_object() && wrapper.value("model_type", Json()) == "llama4") {
    const Json* vision = wrapper.contains("vision_config") ? &wrapper["vision_config"] : nullptr;
    const Json empty = Json::object();
    if (vision && !vision->is_null() && !vision->is_object())
      throw InputError(fmt::format("{}: key 'vision_config' must be an object", origin));
    c.vision = read_llama4_vision(Reader(vision && vision->is_object() ? *vision : empty, c.origin));
  }
  // Gemma3nForConditionalGeneration: the audio and vision towers and their embedders (Gemma3nConfig
  // audio_config, vision_config).
  if (wrapper.is_object() && wrapper.value("model_type", Json()) == "gemma3n")
    c.gemma3n_towers = read_gemma3n_towers(wrapper, c.origin, c);
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
