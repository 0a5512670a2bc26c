// config.json -> ModelConfig. The only file that knows HuggingFace key names.
// Key names and defaults follow each architecture's configuration_*.py in huggingface/transformers
// (and the custom-code configs of Falcon "RefinedWeb" and Phi-2 "phi-msft").
#include "llmmem/model_config.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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

const std::vector<std::string_view> k_supported = {
    "llama",      "mistral",         "mixtral",     "qwen2",    "qwen2_moe",   "qwen3", "qwen3_moe",
    "gemma",      "gemma2",          "gemma3_text", "phi",      "phi-msft",    "phi3",  "falcon",
    "RefinedWeb", "RefinedWebModel", "gpt2",        "gpt_neox", "gpt_bigcode", "bloom", "opt",
    "cohere",     "deepseek_v2",     "deepseek_v3", "gpt_oss",
};

// Keys shared by Llama-style configs (LlamaConfig and its descendants).
void read_llama_like(const Reader& r, ModelConfig& c) {
  c.hidden_size = r.positive({"hidden_size"});
  c.intermediate_size = r.positive({"intermediate_size"});
  c.n_layers = r.positive({"num_hidden_layers"});
  c.n_heads = r.positive({"num_attention_heads"});
  c.n_kv_heads = r.u64_or({"num_key_value_heads"}, c.n_heads);
  if (c.n_kv_heads == 0) c.n_kv_heads = c.n_heads;
  c.head_dim = r.u64_or({"head_dim"}, c.hidden_size / c.n_heads);
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

void read_qwen_moe(const Reader& r, ModelConfig& c, bool shared_expert) {
  MoeConfig m;
  m.n_experts = r.positive({"num_experts"});
  m.n_experts_per_token = r.positive({"num_experts_per_tok"});
  m.expert_intermediate = r.positive({"moe_intermediate_size"});
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
    m.shared_intermediate = r.u64_or({"shared_expert_intermediate_size"}, 0);
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

void read_architecture(const Reader& r, ModelConfig& c) {
  const std::string& t = c.model_type;
  if (t == "llama" || t == "mistral" || t == "mixtral") {
    read_llama_like(r, c);
    if (t != "llama") read_uniform_window(r, c);
    if (t == "mixtral") {
      MoeConfig m;
      m.n_experts = r.positive({"num_local_experts"});
      m.n_experts_per_token = r.positive({"num_experts_per_tok"});
      m.expert_intermediate = c.intermediate_size;
      c.moe = m;
    }
  } else if (t == "qwen2" || t == "qwen2_moe") {
    read_llama_like(r, c);
    c.qkv_bias = true;  // Qwen2Attention: q/k/v with bias, o_proj without
    c.o_bias = false;
    read_qwen_sliding(r, c);
    if (t == "qwen2_moe") read_qwen_moe(r, c, true);
  } else if (t == "qwen3" || t == "qwen3_moe") {
    read_llama_like(r, c);
    c.qk_norm = QkNorm::per_head_dim;
    read_qwen_sliding(r, c);
    if (t == "qwen3_moe") read_qwen_moe(r, c, false);
  } else if (t == "gemma" || t == "gemma2" || t == "gemma3_text") {
    read_llama_like(r, c);
    c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
    if (t != "gemma") c.norms_per_layer = 4;  // input, post_attention, pre_feedforward, post_feedforward
    if (t == "gemma3_text") c.qk_norm = QkNorm::per_head_dim;
    if (t != "gemma" && !read_layer_types(r, c)) {
      const auto window = r.u64_or({"sliding_window"}, 0);
      if (window > 0) {
        c.sliding_window = window;
        c.sliding_layers.resize(c.n_layers);
        // Gemma 2: even layers slide (modeling_gemma2.py); Gemma 3: all but every pattern-th layer.
        const std::uint64_t pattern = t == "gemma2" ? 2 : r.u64_or({"sliding_window_pattern"}, 6);
        for (std::uint64_t i = 0; i < c.n_layers; ++i)
          c.sliding_layers[i] = pattern == 0 ? true : (t == "gemma2" ? i % 2 == 0 : (i + 1) % pattern != 0);
      }
    }
  } else if (t == "phi3") {
    read_llama_like(r, c);
    c.fused_qkv = true;
    c.fused_gate_up = true;
    read_uniform_window(r, c);
  } else if (t == "cohere") {
    read_llama_like(r, c);
    c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
    c.parallel_block = true;
    c.norm = NormKind::layer_norm_no_bias;
    c.norms_per_layer = 1;
    if (r.boolean("use_qk_norm", false)) c.qk_norm = QkNorm::per_head;
  } else if (t == "deepseek_v2" || t == "deepseek_v3") {
    read_llama_like(r, c);
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
  } else if (t == "gpt_oss") {
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
  } else if (t == "phi" || t == "phi-msft") {
    // Phi-1/1.5/2: parallel attention + MLP on one LayerNorm, biases everywhere, biased LM head.
    c.hidden_size = r.positive({"hidden_size", "n_embd"});
    c.n_layers = r.positive({"num_hidden_layers", "n_layer"});
    c.n_heads = r.positive({"num_attention_heads", "n_head"});
    c.n_kv_heads = r.u64_or({"num_key_value_heads", "n_head_kv"}, c.n_heads);
    c.head_dim = c.hidden_size / c.n_heads;
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
  } else if (t == "falcon" || t == "RefinedWeb" || t == "RefinedWebModel") {
    c.hidden_size = r.positive({"hidden_size", "n_embed"});
    c.n_layers = r.positive({"num_hidden_layers", "n_layer"});
    c.n_heads = r.positive({"num_attention_heads", "n_head"});
    c.head_dim = c.hidden_size / c.n_heads;
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
  } else if (t == "gpt2" || t == "gpt_bigcode") {
    c.hidden_size = r.positive({"n_embd", "hidden_size"});
    c.n_layers = r.positive({"n_layer", "num_hidden_layers"});
    c.n_heads = r.positive({"n_head", "num_attention_heads"});
    c.head_dim = c.hidden_size / c.n_heads;
    c.n_kv_heads = (t == "gpt_bigcode" && r.boolean("multi_query", true)) ? 1 : c.n_heads;
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
  } else if (t == "gpt_neox") {
    c.hidden_size = r.positive({"hidden_size"});
    c.n_layers = r.positive({"num_hidden_layers"});
    c.n_heads = r.positive({"num_attention_heads"});
    c.n_kv_heads = c.n_heads;
    c.head_dim = c.hidden_size / c.n_heads;
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
  } else if (t == "bloom") {
    c.hidden_size = r.positive({"hidden_size", "n_embed"});
    c.n_layers = r.positive({"n_layer", "num_hidden_layers"});
    c.n_heads = r.positive({"num_attention_heads", "n_head"});
    c.n_kv_heads = c.n_heads;
    c.head_dim = c.hidden_size / c.n_heads;
    c.intermediate_size = 4 * c.hidden_size;
    c.vocab_size = r.positive({"vocab_size"});
    c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
    c.gated_mlp = false;
    c.qkv_bias = c.o_bias = c.mlp_bias = true;
    c.fused_qkv = true;
    c.norm = NormKind::layer_norm;
    c.embedding_norm = true;
    c.gpt_style_activations = true;
  } else if (t == "opt") {
    c.hidden_size = r.positive({"hidden_size"});
    c.n_layers = r.positive({"num_hidden_layers"});
    c.n_heads = r.positive({"num_attention_heads"});
    c.n_kv_heads = c.n_heads;
    c.head_dim = c.hidden_size / c.n_heads;
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
  } else {
    // Not modelled: read the common keys so --params can still drive an estimate.
    c.supported = false;
    c.hidden_size = r.u64_or({"hidden_size", "n_embd", "n_embed", "d_model"}, 0);
    c.n_layers = r.u64_or({"num_hidden_layers", "n_layer", "num_layers"}, 0);
    c.n_heads = r.u64_or({"num_attention_heads", "n_head"}, 0);
    c.n_kv_heads = r.u64_or({"num_key_value_heads", "n_head_kv"}, c.n_heads);
    c.head_dim = c.n_heads ? r.u64_or({"head_dim"}, c.hidden_size / c.n_heads) : 0;
    c.intermediate_size =
        r.u64_or({"intermediate_size", "ffn_intermediate_size", "ff_intermediate_size", "n_inner"}, 4 * c.hidden_size);
    c.vocab_size = r.u64_or({"vocab_size"}, 0);
    c.max_position_embeddings = r.u64_or({"max_position_embeddings"}, 0);
  }
}

void check_shape(const ModelConfig& c) {
  if (!c.supported) return;
  if (c.n_kv_heads == 0 || c.n_heads % c.n_kv_heads != 0)
    throw InputError(fmt::format("{}: num_attention_heads ({}) must be a multiple of num_key_value_heads ({})",
                                 c.origin, c.n_heads, c.n_kv_heads));
  if (c.head_dim == 0) throw InputError(fmt::format("{}: head_dim must be positive", c.origin));
  // Reject absurd shapes early: the largest real models are far below these bounds, and beyond
  // them products of dimensions could overflow 64 bits.
  constexpr std::uint64_t k_max_dim = 1ULL << 24;
  for (auto [name, v] : {std::pair<const char*, std::uint64_t>{"hidden_size", c.hidden_size},
                         {"intermediate_size", c.intermediate_size},
                         {"num_hidden_layers", c.n_layers},
                         {"num_attention_heads", c.n_heads},
                         {"head_dim", c.head_dim},
                         {"vocab_size", c.vocab_size}})
    if (v > k_max_dim)
      throw InputError(
          fmt::format("{}: key '{}' = {} is larger than any real model ({} at most)", c.origin, name, v, k_max_dim));
  if (c.n_layers > 65536)
    throw InputError(fmt::format("{}: key 'num_hidden_layers' = {} is larger than any real model (65536 at most)",
                                 c.origin, c.n_layers));
  if (c.moe && (c.moe->n_experts > 65536 || c.moe->n_experts_per_token > c.moe->n_experts))
    throw InputError(fmt::format("{}: expert counts are inconsistent ({} routed, top-{})", c.origin, c.moe->n_experts,
                                 c.moe->n_experts_per_token));
}

}  // namespace

bool ModelConfig::is_sparse_layer(std::uint64_t layer) const {
  if (!moe) return false;
  if (std::find(moe->dense_layers.begin(), moe->dense_layers.end(), layer) != moe->dense_layers.end()) return false;
  if (layer < moe->first_dense_layers) return false;
  return moe->step_offset_one ? (layer + 1) % moe->layer_step == 0 : layer % moe->layer_step == 0;
}

std::uint64_t ModelConfig::n_sliding_layers() const {
  return static_cast<std::uint64_t>(std::count(sliding_layers.begin(), sliding_layers.end(), true));
}

const std::vector<std::string_view>& supported_model_types() { return k_supported; }

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
  check_shape(c);
  return c;
}

std::string read_text_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InputError(fmt::format("{}: no such file", path.string()));
  if (std::filesystem::is_directory(path, ec)) throw InputError(fmt::format("{}: is a directory", path.string()));
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
