// The detailed method: what an expert computes by hand, component by component, for the most
// loaded GPU of the requested layout. Every formula cites its source; docs/validation.md compares
// the totals with memory that real engines reported.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <span>

#include <fmt/format.h>

#include "llmmem/error.hpp"
#include "llmmem/estimate.hpp"
#include "llmmem/framework.hpp"
#include "llmmem/recurrent_state.hpp"
#include "llmmem/vision.hpp"
#include "llmmem/weight_storage.hpp"

namespace llmmem {

namespace {

double d(std::uint64_t v) { return static_cast<double>(v); }

// Runtime overhead defaults, per GPU.
// CUDA context + cuBLAS/cuDNN workspaces: PyTorch 2.x on Ampere/Hopper shows 0.3-0.6 GiB of
// non-PyTorch memory in nvidia-smi (vLLM's profiler logs "non_torch_memory 0.35GiB" on an RTX 3090,
// vllm-project/vllm#10517); we charge 512 MiB.
constexpr Bytes k_cuda_context = 512_MiB;
// PyTorch's caching allocator rounds requests into 2 MiB / 20 MiB segments and keeps freed blocks
// of one size for the next request, so reserved exceeds allocated by a share of the transient
// memory: across 155 runs of transformers 5.17 on an H200 (tests/validation/measured, torch 2.11)
// max_memory_reserved − max_memory_allocated was a median 22 % of the memory beyond the weights
// (quartiles 15 % and 40 %). We charge 20 % of the transient buffers (activations, logits).
constexpr std::uint64_t k_fragmentation_percent = 20;

struct Plan {
  const Model& model;
  const ModelConfig& c;
  const Request& r;
  const Precision& p;
  StorageFormat compute;  // 16/32-bit dtype of activations and unquantized tensors
  StorageFormat kv;
  std::uint64_t params = 0;
  std::span<const TensorGroup> groups;  // the model's inventory (not copied); empty when only --params is known
  Layout l;
  std::uint64_t layers_on_stage = 0;
  std::uint64_t kv_tokens = 0;  // tokens the KV cache holds per sequence (seq_len, or padded)
  const EngineProfile& engine;  // the engine assumed (engine_for)
};

std::uint64_t compute_bytes(const Plan& p) { return p.compute.block_bytes / p.compute.block_values; }

// Tokens per prefill forward: --prefill-chunk, else the engine's default on an unknown GPU (the CLI
// fills in the default for the GPU given: engine.hpp default_prefill_chunk).
std::uint64_t prefill_chunk(const Plan& p) {
  // An encoder's bidirectional attention needs every token of a sequence at once: it runs whole
  // (vLLM turns chunked prefill off for encoder-only pooling models: vllm/config/vllm.py).
  if (p.c.encoder || p.c.is_encoder_decoder()) return 0;  // an encoder-decoder's encoder too
  return p.r.prefill_chunk ? p.r.prefill_chunk : p.engine.prefill_chunk[0].tokens;
}

// How many ways tensor parallelism splits a group (Megatron-LM: column/row-parallel linears,
// vocab-parallel embedding and head; norms and routers replicated).
std::uint64_t tp_split(const Plan& p, const TensorGroup& g) {
  const auto tp = p.l.tp;
  switch (g.role) {
    case TensorRole::attention:
      // DeepSeek-V3.2's indexer projections are replicated on every rank (vLLM deepseek_v2.py Indexer:
      // ReplicatedLinear wq_b and wk), so that every rank picks the same top-k tokens.
      if (g.name.starts_with("attn.indexer.")) return 1;
      // K/V projections cannot be split below one KV head per rank: replicated past n_kv_heads.
      if (g.lora_target.size() == 1 && (g.lora_target[0] == 'k' || g.lora_target[0] == 'v'))
        return std::min(tp, p.c.n_kv_heads);
      return tp;
    case TensorRole::mlp:
    case TensorRole::shared_expert:
    case TensorRole::embedding:
    case TensorRole::lm_head:
      return tp;
    case TensorRole::expert:
      return tp * p.l.ep;
    default:
      return 1;
  }
}

// Bytes of `part` that the most loaded pipeline stage holds on one tensor-parallel rank.
// `per_layer` parts are split over stages; embeddings sit on the first stage and the LM head on the
// last (Megatron-LM keeps a tied embedding's copy on the last stage too).
struct StageBytes {
  Bytes first, last;
  [[nodiscard]] Bytes max() const { return std::max(first, last); }
};

void add_to_stages(const Plan& p, const TensorGroup& g, Bytes bytes, StageBytes& s) {
  const std::uint64_t split = tp_split(p, g);
  if (g.per_layer) {
    const Bytes b(mul_div_ceil(bytes.count(), p.layers_on_stage, checked_mul(p.c.n_layers, split, "layout")));
    s.first += b;
    s.last += b;
    return;
  }
  const Bytes b(mul_div_ceil(bytes.count(), 1, split));
  const bool head_side = g.role == TensorRole::lm_head ||
                         (g.role == TensorRole::norm && g.name.starts_with("final_norm")) ||
                         (g.role == TensorRole::bias && g.name == "lm_head.bias");
  if (p.l.pp == 1) {
    s.first += b;
    s.last += b;
  } else if (head_side) {
    s.last += b;
  } else {
    s.first += b;
    if (g.role == TensorRole::embedding && g.name == "embed_tokens" && p.c.tie_word_embeddings) s.last += b;
  }
}

struct WeightResult {
  Bytes per_gpu;
  Bytes all;  // the whole model, one copy
  Bytes host;
  // Inference: Gemma 3n's per-layer embedding table, kept out of per_gpu/host for its own line.
  Bytes ple, ple_host;
  std::uint64_t ple_params = 0;
  std::uint64_t per_gpu_params = 0;
  std::vector<FormatShare> by_format;
};

// Weights exactly as the checkpoint stores them (safetensors/GGUF headers), less the token
// embeddings when the engine keeps them on the host. Tensor parallelism and pipeline stages split
// them evenly.
WeightResult stored_weights(const Plan& p, const TensorFile& files) {
  WeightResult w;
  for (const auto& t : files.tensors) {
    const bool host = p.engine.token_embeddings_on_host && t.name == "token_embd.weight";
    if (host) {
      w.host += Bytes(t.bytes);
      continue;
    }
    w.all += Bytes(t.bytes);
  }
  for (const auto& d : files.by_dtype()) w.by_format.push_back({d.dtype, d.elements, d.bytes});
  const std::uint64_t split = p.l.tp * p.l.pp;
  w.per_gpu = Bytes(ceil_div(w.all.count(), split));
  w.per_gpu_params = ceil_div(p.params, split);
  return w;
}

WeightResult weights_for(const Plan& p, const Precision& prec) {
  WeightResult w;
  if (p.groups.empty()) {  // --params without an inventory: every parameter in the main format
    w.all = tensor_bytes(prec.linear, p.params, 1, 1);
    w.per_gpu = Bytes(mul_div_ceil(w.all.count(), 1, p.l.tp * p.l.pp));
    w.per_gpu_params = mul_div_ceil(p.params, 1, p.l.tp * p.l.pp);
    w.by_format.push_back({std::string(prec.linear.name), p.params, w.all});
    return w;
  }
  StageBytes bytes, values;
  const bool upcast = p.r.mode == Mode::training && p.r.upcast_unquantized && !prec.is_float_16_or_32;
  for (const auto& g : p.groups) {
    GroupStorage one = group_storage(prec, p.compute, p.c, g);
    if (upcast && one.n_shares == 1 && one.shares[0].format == &p.compute) {
      // kept in 16 bits by the quantizer, cast to fp32 by PEFT's prepare_model_for_kbit_training
      one = group_storage(find_precision("fp32"), formats::f32, p.c, g);
    }
    // Gemma 3n's per-layer embeddings (embed_tokens_per_layer): read a row per token and per layer, like the
    // token embedding, so an engine may keep them in host memory (Google's Per-Layer Embedding caching;
    // llama.cpp's input layer). In inference they get their own line (per_layer_embeddings).
    if (g.name == "embed_tokens_per_layer" && p.r.mode == Mode::inference) {
      w.ple_params = g.elements();
      if (p.engine.token_embeddings_on_host) {
        w.ple_host += one.total;
      } else {
        StageBytes ple;
        add_to_stages(p, g, one.total, ple);
        w.ple = ple.max();
      }
      continue;
    }
    if (g.role == TensorRole::embedding && p.engine.token_embeddings_on_host) {
      w.host += one.total;
      continue;
    }
    w.all += one.total;
    add_to_stages(p, g, one.total, bytes);
    add_to_stages(p, g, Bytes(g.elements()), values);
    add_shares(w.by_format, one);
  }
  w.per_gpu = bytes.max();
  w.per_gpu_params = values.max().count();
  return w;
}

std::string format_mix(const std::vector<FormatShare>& shares) {
  std::string out;
  for (const auto& s : shares)
    fmt::format_to(std::back_inserter(out), "{}{} {}", out.empty() ? "" : " + ", s.values, s.format);
  return out;
}

// ---------------------------------------------------------------- layer placement (llama.cpp)
// The bytes llama.cpp places per decoder layer, the expert tensors among them (--n-cpu-moe moves
// those: common/arg.cpp, the pattern blk\.N\.ffn_(up|down|gate)_(ch|)exps) and the output layer
// (output.weight and output_norm: on the GPU only when -ngl exceeds n_layer).
struct LayerBytes {
  std::vector<std::uint64_t> layer, experts;
  std::uint64_t output = 0;
};

// The layer index of a GGUF tensor name ("blk.12.attn_q.weight" -> 12), or nullopt.
std::optional<std::uint64_t> gguf_layer(std::string_view name) {
  if (name.substr(0, 4) != "blk.") return std::nullopt;
  std::uint64_t i = 0;
  const auto* end = name.data() + name.size();
  const auto [ptr, ec] = std::from_chars(name.data() + 4, end, i);
  if (ec != std::errc() || ptr == end || *ptr != '.') return std::nullopt;
  return i;
}

LayerBytes layer_bytes(const Plan& p, const Model& model, bool from_files) {
  LayerBytes b;
  const std::uint64_t n = p.c.n_layers;
  b.layer.assign(n, 0);
  b.experts.assign(n, 0);
  if (from_files) {
    for (const auto& t : model.files->tensors) {
      if (const auto i = gguf_layer(t.name); i && *i < n) {
        b.layer[*i] += t.bytes;
        if (t.name.find("_exps") != std::string::npos) b.experts[*i] += t.bytes;
      } else if (t.name == "output.weight" || t.name == "output_norm.weight") {
        b.output += t.bytes;
      }
    }
    return b;
  }
  for (const auto& g : p.groups) {
    if (g.per_layer) {
      for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t bytes = layer_storage(p.p, p.compute, p.c, g, i).count();
        b.layer[i] += bytes;
        if (g.role == TensorRole::expert) b.experts[i] += bytes;
      }
    } else if (g.role == TensorRole::lm_head || g.role == TensorRole::norm) {
      b.output += group_storage(p.p, p.compute, p.c, g).total.count();
    }
  }
  return b;
}

// Moves to the host what llama.cpp keeps there under --gpu-layers, --n-cpu-moe and -nkvo
// (src/llama-model.cpp load_tensors: layer il is on the GPU when il >= n_layer − n_gpu_layers,
// the output layer when n_gpu_layers > n_layer; src/llama-kv-cache.cpp: each layer's KV on its
// layer's device unless offload_kqv is off).
void place_layers(const Plan& p, const LayerBytes& lb, Component& weights, Component& kv) {
  const LayerOffload& o = p.r.offload;
  const std::uint64_t n = p.c.n_layers;
  const std::uint64_t k = std::min(o.gpu_layers.value_or(n + 1), n + 1);
  const std::uint64_t first_gpu = n - std::min(k, n);
  std::uint64_t host = 0;
  for (std::uint64_t i = 0; i < first_gpu; ++i) host += lb.layer[i];
  for (std::uint64_t i = first_gpu; i < std::min(o.cpu_moe_layers, n); ++i) host += lb.experts[i];
  if (k <= n) host += lb.output;
  host = std::min(host, weights.bytes.count());
  weights.bytes = Bytes(weights.bytes.count() - host);
  weights.host += Bytes(host);
  weights.inputs.push_back({"gpu_layers", d(std::min(k, n))});
  if (o.cpu_moe_layers > 0) weights.inputs.push_back({"cpu_moe_layers", d(std::min(o.cpu_moe_layers, n))});
  // KV: the layers on the host hold theirs there (an even share per layer: sliding-window layers
  // are counted at the average).
  const std::uint64_t kv_host_layers = o.kv_offload ? first_gpu : n;
  const std::uint64_t kv_host = mul_div_ceil(kv.bytes.count(), kv_host_layers, std::max<std::uint64_t>(n, 1), "kv");
  kv.bytes = Bytes(kv.bytes.count() - std::min(kv_host, kv.bytes.count()));
  kv.host += Bytes(kv_host);
}

// ---------------------------------------------------------------- KV cache
// Per token and layer: 2 × kv_heads × head_dim values (K and V); MLA caches one compressed latent of
// kv_lora_rank + qk_rope_head_dim (DeepSeek-V2 paper sec. 2.1.2; vLLM and llama.cpp cache the
// latent). Sliding-window layers hold min(seq_len, window) tokens (Mistral 7B paper sec. 2;
// Gemma 2/3 and gpt-oss interleave sliding and global layers).
Component kv_cache(const Plan& p) {
  const auto& c = p.c;
  // An encoder (BERT, RoBERTa) runs one bidirectional forward over the whole input and generates
  // nothing: no key or value outlives the forward (BertModel keeps past_key_values only as a
  // decoder, is_decoder=True), so there is no cache.
  if (c.encoder)
    return {"kv_cache",
            "KV cache: none (encoder: one bidirectional forward, nothing generated or cached)",
            Bytes(0),
            "0 (no token is decoded, so no key or value is kept)",
            {{"batch", d(p.r.batch)}, {"seq_len", d(p.r.seq_len)}}};
  if (c.is_encoder_decoder()) {
    // transformers' generate for an encoder-decoder (T5ForConditionalGeneration, BartForConditionalGeneration)
    // runs the encoder once and keeps its last hidden state (batch × input × d_model, model_kwargs
    // "encoder_outputs") for every step; the EncoderDecoderCache holds, in each decoder layer, the
    // self-attention K/V of the generated tokens and the cross-attention K/V projected once from the input
    // (modeling_t5.py T5Attention: curr_past_key_values.cross_attention_cache). Per decoder layer and token:
    // 2 × kv_heads × head_dim values (T5: num_heads × d_kv, not d_model).
    const std::uint64_t heads = ceil_div(c.n_kv_heads, std::min(p.l.tp, c.n_kv_heads));
    const std::uint64_t in = p.r.seq_len, out = p.r.decoder_tokens();
    const std::uint64_t layers = mul_div_ceil(c.decoder_layers, p.layers_on_stage, c.n_layers, "kv cache");
    const std::uint64_t per_token = checked_mul(2 * heads, c.head_dim, "kv cache");
    // An engine that holds the old cache while it builds the new one (EngineProfile::kv_copies_at_decode)
    // copies the growing self-attention cache; the cross-attention cache is computed once and not rebuilt.
    const std::uint64_t copies = p.engine.kv_copies_at_decode > 1 ? p.engine.kv_copies_at_decode : 1;
    const std::uint64_t tokens = checked_add(in, checked_mul(out, copies, "kv cache"), "kv cache");
    const std::uint64_t values =
        checked_mul(checked_mul(checked_mul(layers, tokens, "kv cache"), per_token, "kv cache"), p.r.batch, "kv cache");
    const std::uint64_t kv = mul_div_ceil(values, p.kv.block_bytes, p.kv.block_values, "kv cache");
    const std::uint64_t held = checked_mul(
        checked_mul(checked_mul(p.r.batch, in, "kv cache"), c.hidden_size, "kv cache"), compute_bytes(p), "kv cache");
    return {
        "kv_cache",
        "KV cache (" + std::string(p.kv.name) + "): decoder self-attention + cross-attention, and the encoder output",
        Bytes(checked_add(kv, held, "kv cache")),
        "batch × decoder_layers × (copies × output + input tokens) × 2 × kv_heads × head_dim × bytes + batch × "
        "input × hidden × compute bytes",
        {{"batch", d(p.r.batch)},
         {"copies", d(copies)},
         {"input_tokens", d(in)},
         {"output_tokens", d(out)},
         {"decoder_layers", d(layers)},
         {"kv_heads", d(heads)},
         {"head_dim", d(c.head_dim)},
         {"bytes_per_value", p.kv.bits_per_value() / 8.0},
         {"encoder_output_bytes", d(held)}}};
  }
  const std::uint64_t s = p.kv_tokens;
  std::uint64_t values_per_token_layer = 0;
  const char* formula = "";
  InputList inputs;
  // Tensor parallelism splits KV heads; below one head per rank they are replicated (vLLM).
  const std::uint64_t heads = ceil_div(c.n_kv_heads, std::min(p.l.tp, c.n_kv_heads));
  inputs.push_back({"batch", d(p.r.batch)});
  inputs.push_back({"seq_len", d(s)});
  inputs.push_back({"layers", d(p.layers_on_stage)});
  if (c.mla) {
    values_per_token_layer = c.mla->kv_lora_rank + c.mla->qk_rope_head_dim;
    formula = "batch × Σ_layers tokens × (kv_lora_rank + qk_rope_head_dim) × bytes";
    inputs.push_back({"kv_lora_rank", d(c.mla->kv_lora_rank)});
    inputs.push_back({"qk_rope_head_dim", d(c.mla->qk_rope_head_dim)});
  } else {
    values_per_token_layer = checked_mul(2 * heads, c.head_dim, "kv cache");
    formula = "batch × Σ_layers tokens × 2 × kv_heads × head_dim × bytes";
    inputs.push_back({"kv_heads", d(heads)});
    inputs.push_back({"head_dim", d(c.head_dim)});
  }
  // Tokens held, summed over the layers of the most loaded stage.
  std::uint64_t token_layers = 0;
  std::uint64_t window_tokens = c.sliding_window ? std::min(s, c.sliding_window) : s;
  // transformers keeps a view of the prompt's K/V in each sliding layer until the first decode step
  // (engine.hpp sliding_prefill_keeps_prompt): at the prefill peak those layers hold the whole prompt.
  const bool prompt_in_window_layers = p.r.mode == Mode::inference && p.engine.sliding_prefill_keeps_prompt &&
                                       prefill_chunk(p) == 0 && window_tokens < s;
  if (prompt_in_window_layers) window_tokens = s;
  // Hybrids: attention layers only. Gemma 3n: the last num_kv_shared_layers read the K/V of an earlier layer of
  // their type and keep none (modeling_gemma3n.py is_kv_shared_layer; vLLM gives them no KV spec:
  // kv_sharing_target_layer_name; llama.cpp allocates KV for the first n_layer_kv_from_start layers only).
  const std::uint64_t n_sliding = c.n_kv_sliding_layers();
  const std::uint64_t n_full = c.n_kv_layers() - n_sliding;
  token_layers =
      checked_add(checked_mul(n_full, s, "kv cache"), checked_mul(n_sliding, window_tokens, "kv cache"), "kv cache");
  token_layers = mul_div_ceil(token_layers, p.layers_on_stage, c.n_layers, "kv cache");
  // Mllama: each cross-attention layer keeps K/V of the image features, images × tiles × 1601 per
  // sequence, whatever the text length (MllamaTextCrossAttention caches the projected
  // cross_attention_states once; vision.hpp cross_attention_tokens). Text-only prompts skip them.
  if (c.n_cross_attention_layers > 0 && c.vision && p.r.images > 0) {
    const std::uint64_t cross = checked_mul(checked_mul(c.n_cross_attention_layers, p.r.images, "kv cache"),
                                            cross_attention_tokens(*c.vision), "kv cache");
    token_layers =
        checked_add(token_layers, mul_div_ceil(cross, p.layers_on_stage, c.n_layers, "kv cache"), "kv cache");
    inputs.push_back({"cross_attention_layers", d(c.n_cross_attention_layers)});
    inputs.push_back(
        {"cross_attention_tokens", d(checked_mul(p.r.images, cross_attention_tokens(*c.vision), "kv cache"))});
  }
  const std::uint64_t values =
      checked_mul(checked_mul(token_layers, values_per_token_layer, "kv cache"), p.r.batch, "kv cache");
  Bytes bytes(mul_div_ceil(values, p.kv.block_bytes, p.kv.block_values, "kv cache"));
  // DeepSeek-V3.2: each layer also caches one indexer key per token, in its own fp8 + scale format
  // whatever the KV cache's (MlaConfig::indexer_key_bytes; vLLM DeepseekV32IndexerCache is a layer of
  // its own with an MLAAttentionSpec of one head, replicated on every tensor-parallel rank).
  const std::uint64_t indexer_key_bytes = c.mla ? c.mla->indexer_key_bytes() : 0;
  if (indexer_key_bytes > 0) {
    bytes += Bytes(checked_mul(checked_mul(token_layers, indexer_key_bytes, "kv cache"), p.r.batch, "kv cache"));
    formula = "batch × Σ_layers tokens × ((kv_lora_rank + qk_rope_head_dim) × bytes + indexer key bytes)";
    inputs.push_back({"indexer_key_bytes", d(indexer_key_bytes)});
  }
  // An engine that holds the old cache while it builds the new one peaks at two copies (engine.hpp).
  if (p.r.mode == Mode::inference && p.engine.kv_copies_at_decode > 1) {
    bytes = Bytes(checked_mul(bytes.count(), p.engine.kv_copies_at_decode, "kv cache"));
    formula = indexer_key_bytes > 0
                  ? "copies × batch × Σ_layers tokens × ((kv_lora_rank + qk_rope_head_dim) × bytes + indexer key bytes)"
              : c.mla ? "copies × batch × Σ_layers tokens × (kv_lora_rank + qk_rope_head_dim) × bytes"
                      : "copies × batch × Σ_layers tokens × 2 × kv_heads × head_dim × bytes";
    inputs.push_back({"copies", d(p.engine.kv_copies_at_decode)});
  }
  if (n_sliding > 0) {
    inputs.push_back({"sliding_layers", d(n_sliding)});
    inputs.push_back({"sliding_window", d(c.sliding_window)});
    // Llama 4: the window is an attention chunk (at most one chunk of tokens held per chunked layer).
    if (c.chunked_attention) inputs.push_back({"chunked_attention", 1});
    if (prompt_in_window_layers) inputs.push_back({"sliding_layers_hold_prompt", 1});
  }
  inputs.push_back({"bytes_per_value", p.kv.bits_per_value() / 8.0});
  return {"kv_cache", "KV cache (" + std::string(p.kv.name) + ")", bytes, formula, inputs};
}

// ---------------------------------------------------------------- inference activations
// Bytes per attention score at eager attention's peak. HF computes the scores in the compute dtype
// and calls softmax(scores, dtype=float32).to(dtype): ATen's softmax (aten/src/ATen/native/SoftMax.cpp)
// fuses the upcast only for CUDA fp16 (_softmax(half_to_float=true)); any other input is first
// copied to fp32 (input_.toType) and softmaxed into a third buffer. bf16: 2 + 4 + 4 = 10 bytes
// (measured 9.5-10 on an H200: tests/validation/measured); fp16: 2 + 4 + the 2-byte cast = 8;
// fp32: 4 + 4 = 8. llama.cpp keeps one f32 matrix softmaxed in place (EngineProfile::score_bytes).
std::uint64_t eager_score_bytes(const Plan& p) {
  if (p.engine.score_bytes) return p.engine.score_bytes;
  const std::uint64_t e = compute_bytes(p);
  return p.compute.name == "bf16" ? e + 4 + 4 : 8;
}

// Peak transient memory of a prefill of batch × seq_len tokens through the largest layer, with
// the model's 16-bit dtype (HF transformers' decoder layer; vLLM's profiler measures the same peak):
// the hidden-size tensors alive through the layer (residual and normed input; HF also the token
// embeddings and the layer's input: EngineProfile::prefill_hidden_copies), then the larger of
// attention (q, k, v, output: T·(2·heads + 2·kv_heads)·head_dim, plus heads·s² scores when eager)
// and the MLP (gate, up and their product: 3·T·intermediate; MoE: per-token top-k experts plus
// router logits, or transformers' grouped_mm path below). SDPA with a prompt longer than the
// sliding window adds transformers' s × s boolean mask. Chunked prefill (--prefill-chunk; vLLM's
// max_num_batched_tokens, llama.cpp's n_ubatch, 512 by default for GGUF files) runs
// T = batch × min(seq_len, chunk) tokens per step, and eager scores are chunk × seq_len.
Component inference_activations(const Plan& p) {
  const auto& c = p.c;
  const std::uint64_t e = compute_bytes(p), tp = p.l.tp;
  const std::uint64_t chunk = prefill_chunk(p);
  const std::uint64_t step = chunk ? std::min(chunk, p.r.seq_len) : p.r.seq_len;
  const std::uint64_t T = checked_mul(p.r.batch, step, "activations");
  const std::uint64_t heads = ceil_div(c.n_heads, tp), kv_heads = ceil_div(c.n_kv_heads, std::min(tp, c.n_kv_heads));
  std::uint64_t attn_width = (2 * heads + 2 * kv_heads) * c.head_dim;
  if (c.mla) attn_width = heads * (2 * c.head_dim + 2 * c.mla->v_head_dim) + c.mla->kv_lora_rank;
  std::uint64_t attn = checked_mul(checked_mul(T, attn_width, "activations"), e, "activations");
  std::uint64_t scores = 0;
  if (p.r.attention == Attention::eager) {
    // Eager attention materialises batch × heads × s × s scores (eager_score_bytes).
    // T5 (modeling_t5.py T5Stack / T5Attention): the first block computes position_bias [1, heads, q, k] from
    // relative_attention_bias and adds the attention mask, giving batch × heads × q × k in the compute dtype,
    // which every later block reuses: it stays alive through the whole encoder forward, beside the scores.
    const std::uint64_t per_score = eager_score_bytes(p) + (c.relative_attention_buckets > 0 ? compute_bytes(p) : 0);
    scores = checked_mul(checked_mul(checked_mul(checked_mul(p.r.batch, heads, "activations"), step, "activations"),
                                     p.r.seq_len, "activations"),
                         per_score, "activations");
    attn = checked_add(attn, scores, "activations");
  }
  std::uint64_t mlp_width = ceil_div(c.intermediate_size, tp);
  std::uint64_t mlp = 0;
  if (c.moe) {
    const auto& m = *c.moe;
    const std::uint64_t shared = m.n_shared_experts * m.expert_intermediate + m.shared_intermediate;
    mlp_width = std::max(mlp_width, ceil_div(m.n_experts_per_token * m.expert_intermediate + shared, tp));
    mlp = checked_mul(checked_mul(T, 3 * mlp_width, "activations"), e, "activations");
    if (p.engine.grouped_mm_experts) {
      // grouped_mm_experts_forward (transformers 5 integrations/moe.py) holds, for S = T·top_k
      // routed copies: the output (T·h), the gathered and the sorted inputs (2·S·h), gate_up
      // (2·S·I), the activated product (S·I) and the down projection before and after un-sorting
      // (2·S·h): T·h + 4·S·h + 3·S·I (Mixtral-8x7B measured 274 KiB per prefill token, this 272).
      const std::uint64_t S = checked_mul(T, m.n_experts_per_token, "activations");
      const std::uint64_t I = ceil_div(m.expert_intermediate, tp);
      const std::uint64_t grouped =
          checked_add(checked_mul(T, c.hidden_size, "activations"),
                      checked_mul(S, 4 * c.hidden_size + 3 * I, "activations"), "activations");
      mlp = std::max(mlp, checked_mul(grouped, e, "activations"));
    }
    mlp = checked_add(mlp, checked_mul(T, m.n_experts * 4, "activations"), "activations");
    if (p.engine.grouped_mm_experts) {
      // A decode step of transformers 5 gathers each routed token's expert matrices
      // (batched_mm_experts_forward: gate_up_proj[expert_ids], down_proj[expert_ids]):
      // batch × top_k × 3·I·h values, beyond the prefill's peak when the batch is large and the
      // prompt short (Mixtral-8x7B, batch 8: 5.6 GB measured on an H200 against its 1.1 GB prefill).
      const std::uint64_t gathered =
          checked_mul(checked_mul(checked_mul(p.r.batch, m.n_experts_per_token, "activations"),
                                  checked_mul(3 * ceil_div(m.expert_intermediate, tp), c.hidden_size, "activations"),
                                  "activations"),
                      e, "activations");
      mlp = std::max(mlp, gathered);
    }
  } else {
    mlp = checked_mul(checked_mul(T, 3 * mlp_width, "activations"), e, "activations");
  }
  std::uint64_t hidden =
      checked_mul(checked_mul(T, p.engine.prefill_hidden_copies * c.hidden_size, "activations"), e, "activations");
  std::uint64_t mask = 0;
  if (p.engine.sdpa_window_mask && p.r.attention == Attention::sdpa && c.n_sliding_layers() > 0 && !chunk &&
      c.sliding_window < p.r.seq_len)
    mask = checked_mul(T, p.r.seq_len, "activations");  // one byte per (query, key) pair
  hidden = checked_add(hidden, mask, "activations");
  // Gemma 3n (modeling_gemma3n.py Gemma3nTextModel.forward, Gemma3nTextDecoderLayer.forward): the residual is
  // altup_num_inputs stacked streams [n, T, h], and inside a layer AltUp's predictions and corrected
  // predictions ([n, T, h] each) are alive with it: (3·n − 1) hidden-size tensors beyond the one residual
  // counted above; the per-layer inputs [T, layers × per_layer_width] live through the whole forward.
  std::uint64_t gemma3n = 0;
  if (c.altup_inputs > 0 || c.per_layer_width > 0) {
    const std::uint64_t streams = c.altup_inputs > 0 ? (3 * c.altup_inputs - 1) * c.hidden_size : 0;
    gemma3n =
        checked_mul(checked_mul(T, checked_add(streams, c.n_layers * c.per_layer_width, "activations"), "activations"),
                    e, "activations");
    hidden = checked_add(hidden, gemma3n, "activations");
  }
  const Bytes bytes(checked_add(hidden, std::max(attn, mlp), "activations"));
  InputList inputs = {{"tokens", d(T)},
                      {"hidden_size", d(c.hidden_size)},
                      {"hidden_copies", d(p.engine.prefill_hidden_copies)},
                      {"heads", d(heads)},
                      {"kv_heads", d(kv_heads)},
                      {"head_dim", d(c.head_dim)},
                      {"intermediate", d(mlp_width)},
                      {"bytes", d(e)}};
  if (scores) {
    inputs.push_back({"score_bytes", d(scores)});
    inputs.push_back({"bytes_per_score", d(eager_score_bytes(p))});
    if (c.relative_attention_buckets > 0) inputs.push_back({"position_bias_bytes_per_score", d(compute_bytes(p))});
  }
  if (mask) inputs.push_back({"window_mask_bytes", d(mask)});
  if (gemma3n) inputs.push_back({"altup_and_per_layer_input_bytes", d(gemma3n)});
  if (chunk) inputs.push_back({"prefill_chunk", d(chunk)});
  return {"activations",
          fmt::format("Activations ({}, {} attention)",
                      c.encoder || c.is_encoder_decoder() ? "encoder forward peak, bidirectional" : "prefill peak",
                      to_string(p.r.attention)),
          bytes,
          !scores ? "tokens × (copies·hidden + max(attention_width, 3·intermediate)) × bytes"
                  : "tokens × (copies·hidden + max(attention_width, 3·intermediate)) × bytes + batch × heads × "
                    "chunk × seq_len × bytes_per_score",
          inputs};
}

// Logits: HF generate and vLLM compute the LM head for the last position of each sequence and
// upcast to fp32 for sampling; --logits all keeps the whole prompt's (16-bit + fp32 copy).
Component inference_logits(const Plan& p) {
  // An encoder has no LM head: BertModel returns the last hidden states (batch × seq_len × h, the
  // last layer's output, already among the activation peak's hidden copies) and the pooled [CLS]
  // vector (batch × h, modeling_bert.py BertPooler), not vocabulary logits.
  if (p.c.encoder) {
    const std::uint64_t pooled =
        checked_mul(checked_mul(p.r.batch, p.c.hidden_size, "logits"), compute_bytes(p), "logits");
    return {"logits",
            "Logits: none (encoder: outputs are the last hidden states and the pooled output)",
            Bytes(0),
            "0 (no LM head; the last hidden states are within the activations)",
            {{"rows", d(p.r.batch)}, {"hidden", d(p.c.hidden_size)}, {"pooled_output_bytes", d(pooled)}}};
  }
  const std::uint64_t V = ceil_div(p.c.vocab_size, p.l.tp);
  const bool all = p.r.logits == Logits::all;
  const std::uint64_t rows = all ? checked_mul(p.r.batch, p.r.seq_len, "logits") : p.r.batch;
  const std::uint64_t per = all ? compute_bytes(p) + 4 : 4;
  const Bytes bytes(checked_mul(checked_mul(rows, V, "logits"), per, "logits"));
  return {"logits",
          all ? "Logits (whole prompt)" : "Logits (last token, fp32)",
          bytes,
          all ? "batch × seq_len × vocab × (bytes + 4)" : "batch × vocab × 4",
          {{"rows", d(rows)}, {"vocab", d(V)}, {"bytes_per_value", d(per)}}};
}

// ---------------------------------------------------------------- training activations
// Saved activations per layer for the backward pass, in the compute dtype (bytes e):
//  * GPT-style blocks (LayerNorm, GeLU MLP, dropout): Korthikanti et al. 2022, "Reducing Activation
//    Recomputation in Large Transformer Models", eq. 1: s·b·h·(34 + 5·a·s/h) bytes per layer with
//    I = 4h, generalised to 18·sbh + 4·sb·I; the 5·a·s²·b attention term only with eager attention
//    (flash attention keeps no s×s matrices).
//  * Llama-style blocks (RMSNorm, SwiGLU, no dropout): per token 4·h (two norm inputs, two matmul
//    inputs) + (2·heads + 2·kv_heads)·head_dim (q, k, v and the attention output saved by flash
//    attention) + 4·I (gate, up, SiLU output, product), all × e, plus fp32 log-sum-exp per head;
//    eager attention adds heads·s² softmax outputs.
//  * selective recomputation (Korthikanti sec. 4.2): recompute the attention core and the MLP
//    activation function: drops the s² term, q/k/v, and two of the four intermediate tensors.
//  * full recomputation: only each layer's input (s·b·h·e) is kept, plus one layer's activations.
std::uint64_t master_weight_bytes(const Plan& p) { return (p.r.recipe == Recipe::bf16 || p.p.name == "fp32") ? 0 : 4; }

// Whether a matmul reading this input trains: always in full fine-tuning, under LoRA when one of
// `targets` has an adapter (--lora-targets; q, k, v, o by default; all-linear: every one).
// A frozen bitsandbytes 4-bit matrix (QLoRA's NF4 base) saves its input all the same: MatMul4Bit's
// forward keeps ctx.tensors = (A, B) whenever its input requires grad, which it does past the first
// adapter (bitsandbytes autograd/_functions.py MatMul4Bit.forward), so every matmul input is saved.
bool lora_adapts(const Plan& p, std::initializer_list<std::string_view> targets) {
  if (p.r.mode != Mode::training || p.r.lora_rank == 0) return true;
  if (p.p.family == PrecisionFamily::bnb && p.p.linear.bits_per_value() < 8) return true;
  for (const auto& t : lora_targets_or_default(p.r))
    if (t == "all-linear" || std::find(targets.begin(), targets.end(), t) != targets.end()) return true;
  return false;
}

const FrameworkProfile& framework_of(const Plan& p) {
  static const FrameworkProfile& trainer = find_framework("trainer");
  return p.r.framework ? *p.r.framework : trainer;
}

// Full fine-tuning under torch.autocast over fp32 parameters (FrameworkProfile::autocast_weights, the
// mixed recipe, one GPU or plain data parallelism): the 16-bit weights are casts, the fp32 ones the model's.
bool autocast_over_fp32(const Plan& p) {
  return framework_of(p).autocast_weights && p.r.recipe == Recipe::mixed && p.r.lora_rank == 0 &&
         master_weight_bytes(p) > 0 && p.l.zero == 0;
}

// Bytes per value of the residual stream in training: fp32 when the embeddings and norm weights are
// fp32 (autocast over fp32 parameters in full fine-tuning: the Trainer's bf16=True; PEFT's k-bit
// upcast of every unquantized parameter), else the compute dtype. Measured: each checkpoint of a
// fully recomputed Llama-3.2 under the Trainer's autocast is 4 bytes per hidden unit
// (tests/validation/measured).
std::uint64_t residual_stream_bytes(const Plan& p) {
  return autocast_over_fp32(p) || p.r.upcast_unquantized ? 4 : compute_bytes(p);
}

std::uint64_t layer_activation_bytes(const Plan& p, Checkpointing mode) {
  const auto& c = p.c;
  const std::uint64_t e = compute_bytes(p), tp = p.l.tp;
  const std::uint64_t sb = checked_mul(p.r.batch, p.r.seq_len, "activations");
  const std::uint64_t h = c.hidden_size, heads = ceil_div(c.n_heads, tp);
  const std::uint64_t kv_heads = ceil_div(c.n_kv_heads, std::min(tp, c.n_kv_heads));
  std::uint64_t inter = ceil_div(c.intermediate_size, tp);
  if (c.moe) {
    const auto& m = *c.moe;
    inter = ceil_div(m.n_experts_per_token * m.expert_intermediate + m.n_shared_experts * m.expert_intermediate +
                         m.shared_intermediate,
                     tp);
  }
  const std::uint64_t s2 =
      checked_mul(checked_mul(checked_mul(heads, p.r.seq_len, "activations"), p.r.seq_len, "activations"), p.r.batch,
                  "activations");
  const bool eager = p.r.attention == Attention::eager;
  // Sequence parallelism (Korthikanti sec. 4.2.2) splits the h-sized tensors over tp as well.
  const std::uint64_t h_part = ceil_div(h, tp);
  std::uint64_t per_token = 0, quadratic = 0;
  if (c.gpt_style_activations) {
    // bytes per token: attention 11h, MLP 3h + 4I, norms 4h (== 34h when I = 4h)
    // Korthikanti's coefficients are bytes for 16-bit activations.
    per_token = mode == Checkpointing::full ? h_part * e : 18 * h_part + 4 * inter;
    if (eager && mode == Checkpointing::none) quadratic = checked_mul(5, s2, "activations");
  } else {
    const std::uint64_t qkvo = (2 * heads + 2 * kv_heads) * c.head_dim;
    // Two RMSNorms per layer: what each saves (FrameworkProfile::rmsnorm_saved_bytes; the input in
    // the compute dtype when 0) and its output, the next matmul's input, in the compute dtype. The
    // residual stream, and so each layer's input and checkpoint, is fp32 when fp32 norm weights
    // promote it (residual_stream_bytes).
    const FrameworkProfile& f = framework_of(p);
    const std::uint64_t stream = residual_stream_bytes(p);
    const std::uint64_t norm = f.rmsnorm_saved_bytes == 0 ? e : f.rmsnorm_saved_bytes + (stream > e ? 2 : 0);
    const std::uint64_t norms = 2 * h_part * (norm + e);
    // A frozen matrix's backward needs only its weight, not its input (grad_x = grad_y · W): under
    // LoRA, a matmul input is saved only where an adapter reads it (measured on an H200: Llama-3.1-8B
    // with q, k, v, o adapters saves neither the MLP's input nor the down projection's).
    const bool attn_in = lora_adapts(p, {"q", "k", "v"}), mlp_in = lora_adapts(p, {"gate", "up"});
    const bool down_in = lora_adapts(p, {"down"});
    const std::uint64_t lora_norms = h_part * (2 * norm + (attn_in ? e : 0) + (mlp_in ? e : 0));
    switch (mode) {
      case Checkpointing::none:
        per_token = lora_norms + (qkvo + (down_in ? 4 : 3) * inter) * e + heads * 4;
        break;
      case Checkpointing::selective:
        per_token = norms + (heads * c.head_dim + 2 * inter) * e;
        break;
      case Checkpointing::full:
        per_token = h_part * stream;
        break;
    }
    if (eager && mode == Checkpointing::none) quadratic = checked_mul(s2, e, "activations");
  }
  return checked_add(checked_mul(sb, per_token, "activations"), quadratic, "activations");
}

// An encoder-decoder trained with teacher forcing (T5ForConditionalGeneration, BartForConditionalGeneration
// with labels): encoder blocks over batch × input tokens, decoder blocks over batch × target tokens, each
// decoder block also saving its cross-attention (the query and output over the targets, K and V projected
// from the input: (2·heads·head_dim)·target + (2·kv_heads·head_dim)·input values, plus the extra norm's
// input) under no recomputation; the encoder's output (batch × input × h) stays alive for every decoder
// block. Returns the bytes of all blocks (the caller scales them to a pipeline stage).
std::uint64_t encoder_decoder_activation_bytes(const Plan& p, Checkpointing mode) {
  const auto& c = p.c;
  Request enc_r = p.r, dec_r = p.r;
  dec_r.seq_len = p.r.decoder_tokens();
  const Plan pe{p.model,           c,           enc_r,   p.p, p.compute, p.kv, p.params, p.groups, p.l,
                p.layers_on_stage, p.kv_tokens, p.engine};
  const Plan pd{p.model,           c,           dec_r,   p.p, p.compute, p.kv, p.params, p.groups, p.l,
                p.layers_on_stage, p.kv_tokens, p.engine};
  const std::uint64_t e = compute_bytes(p), tp = p.l.tp;
  const std::uint64_t heads = ceil_div(c.n_heads, tp), kv_heads = ceil_div(c.n_kv_heads, std::min(tp, c.n_kv_heads));
  std::uint64_t cross = 0;
  if (mode == Checkpointing::none) {
    const std::uint64_t q_side = checked_mul(dec_r.seq_len, 2 * heads * c.head_dim + c.hidden_size, "activations");
    const std::uint64_t kv_side = checked_mul(p.r.seq_len, 2 * kv_heads * c.head_dim, "activations");
    cross = checked_mul(checked_mul(checked_add(q_side, kv_side, "activations"), p.r.batch, "activations"), e,
                        "activations");
  }
  const std::uint64_t enc = checked_mul(layer_activation_bytes(pe, mode), c.encoder_layers, "activations");
  const std::uint64_t dec =
      checked_mul(checked_add(layer_activation_bytes(pd, mode), cross, "activations"), c.decoder_layers, "activations");
  const std::uint64_t memory = checked_mul(
      checked_mul(checked_mul(p.r.batch, p.r.seq_len, "activations"), c.hidden_size, "activations"), e, "activations");
  return checked_add(checked_add(enc, dec, "activations"), memory, "activations");
}

Component training_activations(const Plan& p) {
  const std::uint64_t per_layer = p.c.is_encoder_decoder()
                                      ? ceil_div(encoder_decoder_activation_bytes(p, p.r.checkpointing), p.c.n_layers)
                                      : layer_activation_bytes(p, p.r.checkpointing);
  // 1F1B pipeline schedules keep pp micro-batches in flight on the first stage (Narayanan et al. 2021).
  const std::uint64_t layers_held = std::min(p.c.n_layers, checked_mul(p.layers_on_stage, p.l.pp, "activations"));
  std::uint64_t bytes = checked_mul(per_layer, layers_held, "activations");
  if (p.r.checkpointing == Checkpointing::full)  // the layer being recomputed holds everything once
    bytes = checked_add(bytes, layer_activation_bytes(p, Checkpointing::none), "activations");
  InputList inputs = {{"layers", d(layers_held)},
                      {"batch", d(p.r.batch)},
                      {"seq_len", d(p.r.seq_len)},
                      {"per_layer_bytes", d(per_layer)},
                      {"bytes", d(compute_bytes(p))}};
  if (p.c.is_encoder_decoder()) {
    inputs.push_back({"encoder_layers", d(p.c.encoder_layers)});
    inputs.push_back({"decoder_layers", d(p.c.decoder_layers)});
    inputs.push_back({"target_tokens", d(p.r.decoder_tokens())});
  }
  if (p.r.activation_offload) {
    // Saved activations (checkpoints) go to host memory as each layer finishes and come back for
    // its backward (torchtune training/_activation_offloading.py OffloadActivations; Unsloth's
    // "unsloth" gradient checkpointing): the GPU holds the layer being computed, the host the rest.
    const std::uint64_t one = layer_activation_bytes(p, Checkpointing::none);
    Component c{"activations",
                fmt::format("Activations ({} block, checkpointing {}, offloaded)",
                            p.c.gpt_style_activations ? "GPT" : "Llama", to_string(p.r.checkpointing)),
                Bytes(one), "one layer on the GPU; layers × per-layer saved bytes in host memory", inputs};
    c.host = Bytes(checked_mul(checked_mul(per_layer, layers_held, "activations"), p.l.ranks_per_node(), "host"));
    return c;
  }
  if (p.c.is_encoder_decoder())
    return {"activations",
            fmt::format("Activations (encoder over the input, decoder over the targets, {} block, checkpointing {})",
                        p.c.gpt_style_activations ? "GPT" : "Llama", to_string(p.r.checkpointing)),
            Bytes(bytes),
            "encoder_layers × per-layer bytes (batch × input) + decoder_layers × (per-layer bytes (batch × target) + "
            "cross-attention) + batch × input × h × bytes (encoder output)",
            inputs};
  return {"activations",
          fmt::format("Activations ({} block, checkpointing {})", p.c.gpt_style_activations ? "GPT" : "Llama",
                      to_string(p.r.checkpointing)),
          Bytes(bytes),
          p.c.gpt_style_activations
              ? "layers × batch × seq_len × (18·h + 4·I) [+ 5·heads·seq_len²·batch when eager]"
              : "layers × batch × seq_len × (2·h·(norm saved + bytes) + ((2·heads + 2·kv_heads)·head_dim + 4·I)·"
                "bytes + 4·heads), matmul inputs only where they train",
          inputs};
}

// Training logits: the LM head's output for every position in 16 bits, its fp32 upcast for the
// loss, and the fp32 gradient of the logits (HF LlamaForCausalLM: logits.float() then cross_entropy).
// --loss chunked models torchtune's CEWithChunkedOutputLoss and fused/chunked losses (Liger): the
// 16-bit logits and their 16-bit gradient, upcasting one chunk at a time.
Component training_logits(const Plan& p) {
  if (p.c.encoder) {
    // Sequence classification (BertForSequenceClassification, RobertaForSequenceClassification): one
    // row of num_labels logits per sequence from the pooled [CLS] vector, not a vocabulary per token;
    // the loss (CrossEntropyLoss over batch rows) keeps them in fp32 as the HF loss does (3 × 4 B per
    // logit, the accounting below).
    const std::uint64_t rows = p.r.batch, labels = p.c.num_labels;
    return {"logits",
            "Logits and loss buffers (classification head: one row per sequence, no vocabulary)",
            Bytes(checked_mul(checked_mul(rows, labels, "logits"), 12, "logits")),
            "batch × num_labels × 3 × 4 B",
            {{"batch", d(rows)}, {"num_labels", d(labels)}, {"bytes_per_value", 12}}};
  }
  const std::uint64_t V = ceil_div(p.c.vocab_size, p.l.tp);
  if (p.r.loss == Loss::fused) {
    // Fused linear + cross-entropy (Liger liger_kernel/ops/fused_linear_cross_entropy.py; Unsloth's
    // chunked loss): the logits of one chunk of rows at a time, chunk = the next power of two of
    // B·T / ceil(V / H), in 16 bits with their fp32 upcast, plus the 16-bit gradient of the input.
    const std::uint64_t BT = checked_mul(p.r.batch, p.r.seq_len, "logits");
    const std::uint64_t want = ceil_div(BT, ceil_div(V, std::max<std::uint64_t>(p.c.hidden_size, 1)));
    std::uint64_t chunk = 1;
    while (chunk < want) chunk *= 2;
    chunk = std::min(chunk, std::max<std::uint64_t>(BT, 1));
    const std::uint64_t e = compute_bytes(p);
    const Bytes bytes(checked_add(checked_mul(checked_mul(chunk, V, "logits"), e + 4, "logits"),
                                  checked_mul(checked_mul(BT, p.c.hidden_size, "logits"), e, "logits"), "logits"));
    return {"logits",
            "Logits and loss buffers (fused loss)",
            bytes,
            "chunk × vocab × (bytes + 4) + batch × seq_len × hidden × bytes",
            {{"chunk_rows", d(chunk)}, {"vocab", d(V)}, {"hidden", d(p.c.hidden_size)}, {"bytes", d(e)}}};
  }
  // Unsloth's cross-entropy kernel (unsloth/kernels/cross_entropy_loss.py) writes the gradient over
  // the 16-bit logits in place: one 16-bit value per logit.
  // torchtune's CEWithChunkedOutputLoss (modules/loss/ce_chunked_output_loss.py, num_output_chunks 8;
  // TransformerDecoder.chunked_output): all eight 16-bit chunks at once, one upcast to fp32 at a
  // time: bytes + 4 / 8 per logit (as the recipes run it, loss compiled).
  constexpr std::uint64_t k_chunks = 8;
  // HF's ForCausalLMLoss (transformers loss/loss_utils.py): logits.float() then cross_entropy. Its
  // forward holds the 16-bit logits, their fp32 copy and the fp32 log-probabilities (bytes + 8); its
  // backward the saved log-probabilities, the NLL gradient and the log-softmax input gradient
  // (3 × 4 B). The Trainer's compute_loss drops the model's output before the backward
  // (trainer.py training_step), so the 16-bit logits are gone by then: max(bytes + 8, 12) = 12 B per
  // logit (measured within 1 % on an H200, tests/validation/measured; docs/engines/training-frameworks.md §1.1).
  const std::uint64_t logits_bytes = p.r.upcast_unquantized ? 4 : compute_bytes(p);
  // Gemma 2's soft-capping (tanh over the logits, Gemma2ForCausalLM.forward) saves its 16-bit
  // output for the backward, alive through the loss's (measured: 1.95 GiB at 4,096 × 256,000).
  const std::uint64_t softcap = p.c.logit_softcapping ? compute_bytes(p) : 0;
  const std::uint64_t hf_loss = std::max<std::uint64_t>(logits_bytes + 4 + 4, 12) + softcap;
  const std::uint64_t per8 = p.r.loss == Loss::chunked   ? k_chunks * compute_bytes(p) + 4
                             : p.r.loss == Loss::inplace ? k_chunks * compute_bytes(p)
                                                         : k_chunks * hf_loss;
  const std::uint64_t per = per8 / k_chunks;  // for the inputs (whole bytes)
  const Bytes bytes(
      mul_div_ceil(checked_mul(checked_mul(p.r.batch, p.r.seq_len, "logits"), V, "logits"), per8, k_chunks, "logits"));
  return {"logits",
          fmt::format("Logits and loss buffers ({} loss)", to_string(p.r.loss)),
          bytes,
          p.r.loss == Loss::chunked ? "batch × seq_len × vocab × (bytes + 4 / 8 chunks)"
          : p.r.loss == Loss::inplace
              ? "batch × seq_len × vocab × bytes"
              : "batch × seq_len × vocab × max(logits bytes + 2 × 4 B, 3 × 4 B fp32 in the backward)",
          {{"batch", d(p.r.batch)}, {"seq_len", d(p.r.seq_len)}, {"vocab", d(V)}, {"bytes_per_value", d(per)}}};
}

// ---------------------------------------------------------------- optimizers
// State bytes per trainable parameter: AdamW keeps m and v (2 × 4 B in fp32; 2 × 2 B under the pure
// bf16 recipe); bitsandbytes 8-bit AdamW 2 × 1 B (Dettmers et al. 2022, block-wise scales ignored);
// paged variants the same bytes, pageable to host memory under pressure; SGD with momentum one
// buffer; Adafactor (Shazeer & Stern 2018) row and column second-moment factors per matrix.
std::uint64_t optimizer_state_bytes(const Plan& p, std::uint64_t trainable, std::span<const TensorGroup> groups,
                                    const char*& formula) {
  const std::uint64_t state = p.r.recipe == Recipe::bf16 ? 2 : 4;
  switch (p.r.optimizer) {
    case Optimizer::adamw:
    case Optimizer::paged_adamw:
      formula = state == 2 ? "trainable × 2 states × 2 B (bf16)" : "trainable × 2 states × 4 B (fp32)";
      return checked_mul(trainable, 2 * state, "optimizer");
    case Optimizer::adamw_8bit:
    case Optimizer::paged_adamw_8bit:
      formula = "trainable × 2 states × 1 B";
      return checked_mul(trainable, 2, "optimizer");
    case Optimizer::sgd:
      formula = "none (plain SGD keeps no state)";
      return 0;
    case Optimizer::sgd_momentum:
      formula = state == 2 ? "trainable × 2 B momentum (bf16)" : "trainable × 4 B momentum (fp32)";
      return checked_mul(trainable, state, "optimizer");
    case Optimizer::adafactor: {
      formula = "Σ_matrices (rows + cols) × 4 B + Σ_vectors n × 4 B";
      std::uint64_t values = 0;
      for (const auto& g : groups) values += (g.is_matrix() ? g.rows + g.cols : g.rows * g.cols) * g.count;
      if (groups.empty()) values = trainable;
      return checked_mul(values, 4, "optimizer");
    }
  }
  return 0;
}

// LoRA adapters (Hu et al. 2021): each adapted [out, in] matrix gains A [r, in] and B [out, r].
std::vector<TensorGroup> lora_groups(const Plan& p) {
  const std::vector<std::string> targets = lora_targets_or_default(p.r);
  const bool all_linear = std::find(targets.begin(), targets.end(), "all-linear") != targets.end();
  std::vector<TensorGroup> out;
  for (const auto& g : p.groups) {
    if (!g.is_matrix() || g.lora_target.empty()) continue;
    bool hit = all_linear;
    for (const auto& t : targets) {
      if (g.lora_target == t) hit = true;
      // fused matrices are adapted when any of their parts is targeted (PEFT targets qkv_proj)
      if (g.lora_target == "qkv" && (t == "q" || t == "k" || t == "v")) hit = true;
      if (g.lora_target == "gate_up" && (t == "gate" || t == "up")) hit = true;
      if (g.lora_target == "kv" && (t == "k" || t == "v")) hit = true;
    }
    if (!hit) continue;
    out.push_back({g.name + ".lora", g.role, p.r.lora_rank, g.rows + g.cols, g.count, "", g.per_layer});
  }
  return out;
}

void validate_lora_targets(const Request& r) {
  static const std::vector<std::string> k_valid = {"q", "k", "v", "o", "gate", "up", "down", "all-linear"};
  for (const auto& t : r.lora_targets)
    if (std::find(k_valid.begin(), k_valid.end(), t) == k_valid.end())
      throw UsageError(fmt::format("unknown LoRA target '{}' (valid: q, k, v, o, gate, up, down, all-linear)", t));
}

Component overhead(const Plan& p, Bytes transient) {
  if (p.r.overhead) return {"overhead", "Runtime overhead (--overhead)", *p.r.overhead, "as given", {}};
  // With expandable segments (--expandable-segments; FrameworkProfile::expandable_segments, Unsloth's
  // default) freed blocks strand no memory: the CUDA context alone. Unsloth's longest-context table for Llama 3.1 8B
  // QLoRA agrees within 6 % this way and is 17 % shorter with the share (tests/framework_test.cpp).
  const std::uint64_t percent = p.r.expandable_segments ? 0 : k_fragmentation_percent;
  const Bytes frag(mul_div_ceil(transient.count(), percent, 100, "overhead"));
  return {"overhead",
          "Runtime overhead (CUDA context, allocator)",
          k_cuda_context + frag,
          percent == 0 ? "cuda_context (expandable allocator segments: no allocator share)"
                       : "cuda_context + 20% × (activations + logits)",
          {{"cuda_context_bytes", d(k_cuda_context.count())}, {"fragmentation_percent", d(percent)}}};
}

StorageFormat compute_format(const ModelConfig& c, const Precision& p) {
  if (p.is_float_16_or_32) return p.linear;
  return precision_from_torch_dtype(c.torch_dtype).name == "fp16" ? formats::f16 : formats::bf16;
}

// Picks the weight precision: --precision, else what the checkpoint ships (quantization_config),
// else torch_dtype.
const Precision& default_precision(const ModelConfig& c) {
  if (c.quantization) {
    const auto& q = *c.quantization;
    if (q.method == "mxfp4") return find_precision("mxfp4");
    if (q.method == "fp8") return find_precision("fp8");
    if (q.method == "gptq" && q.bits == 4) return find_precision("gptq-int4");
    if (q.method == "awq" && q.bits == 4) return find_precision("awq-int4");
  }
  return precision_from_torch_dtype(c.torch_dtype);
}

// What is trained, in all and on this GPU: LoRA adapters, or a share of every weight.
struct Trainable {
  std::vector<TensorGroup> adapters;  // LoRA only
  std::uint64_t all = 0;              // trainable parameters of the whole model
  std::uint64_t gpu = 0;              // of them, on this GPU (tensor/pipeline split)
};

Trainable trainable(const Plan& p, const WeightResult& w, bool lora) {
  Trainable t;
  if (lora) {
    t.adapters = lora_groups(p);
    if (t.adapters.empty()) throw UsageError("--lora-targets matched no matrix of this model");
    Plan ap = p;
    ap.groups = t.adapters;
    for (const auto& g : t.adapters) t.all += g.elements();
    t.gpu = weights_for(ap, find_precision("fp32")).per_gpu_params;
    return t;
  }
  const auto share = [&](std::uint64_t n) {
    return static_cast<std::uint64_t>(
        std::llround(static_cast<long double>(n) * static_cast<long double>(p.r.trainable_percent) / 100.0L));
  };
  t.all = share(p.params);
  t.gpu = share(w.per_gpu_params);
  return t;
}

// ZeRO stage s shards a state over the data-parallel ranks from stage s on (Rajbhandari et al.
// 2020: stage 1 optimizer states, 2 gradients, 3 parameters).
Bytes zero_shard(const Plan& p, std::uint64_t bytes, int from_stage) {
  return Bytes(p.l.zero >= from_stage ? ceil_div(bytes, p.l.dp) : bytes);
}

InputList training_inputs(const Plan& p, const Trainable& t) {
  return {{"trainable_parameters", d(t.gpu)},
          {"data_parallel", d(p.l.dp)},
          {"zero_stage", d(static_cast<std::uint64_t>(p.l.zero))}};
}

// Bytes per trainable parameter by recipe (Rajbhandari et al. 2020, "ZeRO", sec. 3.1: mixed
// precision keeps an fp32 master copy and fp32 optimizer states beside the 16-bit weights;
// Megatron-LM's distributed optimizer adds fp32 main_grad, 18 B/param with Adam; a pure bf16
// recipe keeps weights, gradients and Adam states in bf16, 8 B/param). Training in fp32 needs no
// separate master copy.
std::uint64_t gradient_bytes(const Plan& p) { return p.r.recipe == Recipe::bf16 ? 2 : 4; }

// The elements of the largest single parameter tensor on this GPU (the embedding or LM head of most
// models): one gradient is that large when gradients are released one at a time.
std::uint64_t largest_parameter(const Plan& p) {
  std::uint64_t largest = 0;
  for (const auto& g : p.groups)
    largest = std::max(largest, g.elements() / std::max<std::uint64_t>(g.count, 1) / tp_split(p, g));
  return largest;
}

// The largest unit ZeRO-3 / FSDP gathers whole on this GPU: a decoder block (its per-layer tensors),
// the token embeddings or the head, in the weights' stored bytes per parameter.
Bytes largest_gather_unit(const Plan& p, const WeightResult& w) {
  std::uint64_t block = 0, largest = 0;
  for (const auto& g : p.groups) {
    if (g.per_layer)
      block += g.elements() / std::max<std::uint64_t>(p.c.n_layers, 1) / tp_split(p, g);
    else if (g.role == TensorRole::embedding || g.role == TensorRole::lm_head)
      largest = std::max(largest, g.elements() / tp_split(p, g));
  }
  largest = std::max(largest, block);
  if (largest == 0 || w.per_gpu_params == 0)  // --params alone: an average layer
    return Bytes(ceil_div(w.per_gpu.count(), p.layers_on_stage));
  return Bytes(mul_div_ceil(largest, w.per_gpu.count(), w.per_gpu_params, "gather unit"));
}

// Host bytes of one node for a per-rank share under offload: every rank on the node keeps its own.
Bytes on_node(const Plan& p, Bytes per_rank) {
  return Bytes(checked_mul(per_rank.count(), p.l.ranks_per_node(), "host memory"));
}

// The fp32 master copy of the trained weights (mixed and megatron recipes), sharded from ZeRO-1,
// in host memory under ZeRO-Offload (Ren et al. 2021, "ZeRO-Offload", sec. 4.1: fp32 parameters,
// gradients and optimizer states live on the CPU, which runs the optimizer step).
Component master_weights(const Plan& p, const Trainable& t) {
  const Bytes shard = zero_shard(p, checked_mul(t.gpu, 4, "master"), 1);
  Component c{"master_weights", "Master weights (fp32)", p.l.offload_optimizer ? Bytes(0) : shard, "trainable × 4 B",
              training_inputs(p, t)};
  if (p.l.offload_optimizer) c.host = on_node(p, shard);
  return c;
}

// LoRA adapters are the trained weights: fp32 under mixed/megatron recipes, bf16 under pure bf16
// (PEFT keeps adapter weights in fp32 unless autocast_adapter_dtype=False).
Component lora_adapters(const Plan& p, const Trainable& t) {
  const std::uint64_t bytes = p.r.recipe == Recipe::bf16 ? 2 : 4;
  return {"lora_adapters", fmt::format("LoRA adapters (rank {})", p.r.lora_rank),
          zero_shard(p, checked_mul(t.gpu, bytes, "lora"), 3),
          bytes == 2 ? "Σ_adapted rank × (in + out) × 2 B (bf16)" : "Σ_adapted rank × (in + out) × 4 B (fp32)",
          training_inputs(p, t)};
}

// One gradient per trained parameter, in fp32 (mixed, megatron's main_grad) or bf16; sharded from
// ZeRO-2. Under ZeRO-Offload each rank also keeps its shard in fp32 on the host for the CPU
// optimizer step (ZeRO-Offload sec. 4.1).
Component gradients(const Plan& p, const Trainable& t) {
  const std::uint64_t bytes = gradient_bytes(p);
  Component c{"gradients", bytes == 2 ? "Gradients (bf16)" : "Gradients (fp32)",
              zero_shard(p, checked_mul(t.gpu, bytes, "gradients"), 2),
              bytes == 2 ? "trainable × 2 B (bf16)" : "trainable × 4 B (fp32)", training_inputs(p, t)};
  // DeepSpeed ZeRO-2 reduces the 16-bit gradients into its partition (averaged_gradients) and copies
  // it to fp32 for the step (stage_1_and_2.py step: .to(single_partition_of_fp32_groups dtype)), so
  // the partition peaks at 2 + 4 B per parameter; its estimator counts the same (2·P + 18·P/N).
  if (p.l.zero == 2 && bytes == 4 && !p.l.offload_optimizer) {
    c.bytes = zero_shard(p, checked_mul(t.gpu, 6, "gradients"), 2);
    c.label = "Gradients (bf16 partition + fp32 copy)";
    c.formula = "trainable × (2 B 16-bit partition + 4 B fp32 copy at the step) / dp";
  }
  if (p.r.optimizer_in_bwd && p.r.lora_rank == 0) {
    // The optimizer steps each parameter as soon as its gradient is ready and frees it (torchtune
    // training/memory.py register_optim_in_bwd_hooks): one parameter's gradient at a time, the
    // largest bounding the peak.
    const std::uint64_t largest = p.groups.empty() ? t.gpu : largest_parameter(p);
    c.bytes = Bytes(checked_mul(std::min(largest, t.gpu), bytes, "gradients"));
    c.formula = "largest parameter × bytes (optimizer in the backward: each gradient freed after its step)";
    c.inputs.push_back({"largest_parameter", d(largest)});
  }
  if (p.l.offload_optimizer) {
    c.host = on_node(p, zero_shard(p, checked_mul(t.gpu, 4, "gradients"), 1));
    // On the GPU only the bucket being reduced before its copy to the host: reduce_bucket_size,
    // hidden² elements as the HF Trainer's "auto" sets it (transformers integrations/deepspeed.py
    // trainer_config_finalize), in the 16-bit dtype.
    const std::uint64_t bucket = checked_mul(checked_mul(p.c.hidden_size, p.c.hidden_size, "bucket"), 2, "bucket");
    c.bytes = Bytes(std::min(c.bytes.count(), bucket));
    c.formula = "min(reduce bucket hidden² × 2 B, shard) on the GPU; trainable × 4 B (fp32) on the host";
    c.inputs.push_back({"reduce_bucket_elements", d(p.c.hidden_size * p.c.hidden_size)});
  }
  return c;
}

// The optimizer's states (see optimizer_state_bytes), sharded from ZeRO-1, in host memory under
// ZeRO-Offload.
Component optimizer_states(const Plan& p, const Trainable& t) {
  const char* formula = "";
  const std::uint64_t bytes =
      optimizer_state_bytes(p, t.gpu, p.r.lora_rank > 0 ? std::span<const TensorGroup>(t.adapters) : p.groups, formula);
  Component c{"optimizer_states", fmt::format("Optimizer states ({})", to_string(p.r.optimizer)),
              p.l.offload_optimizer ? Bytes(0) : zero_shard(p, bytes, 1), formula, training_inputs(p, t)};
  // Paged optimizers keep their states in CUDA managed memory (bitsandbytes GlobalPageManager,
  // cudaMallocManaged): the driver pages them out to host memory when the GPU is full, and torch's
  // allocator never counts them. They are placed on the host, where they fit whatever the GPU holds.
  const bool paged = p.r.optimizer == Optimizer::paged_adamw || p.r.optimizer == Optimizer::paged_adamw_8bit;
  if (p.l.offload_optimizer || paged) {
    c.host = on_node(p, zero_shard(p, bytes, 1));
    c.bytes = Bytes(0);
  }
  return c;
}

// The breakdown at the moment of the training peak. Autograd walks the layers backwards: each
// layer's gradients appear as its saved activations are freed, and the loss buffers go first. So
// the peak is at one end of the backward (between them memory moves linearly from one to the
// other): at its start, saved activations and the loss buffers with only the first gradient (the
// largest parameter's), or at its end, every gradient with one layer's activations (its
// recompute). Under autocast (FrameworkProfile::autocast_weights) the 16-bit weights are casts saved
// for the backward: all of them at its start (the LM head's alone under full recomputation), none
// at its end. A foreach optimizer step adds state-sized buffers to every gradient
// (FrameworkProfile::optimizer_step_copies): a third candidate. Whichever is largest is the
// breakdown shown; the other moments' parts are freed by then. Gradients released in the backward
// (optimizer in the backward) never accumulate, and LoRA's are too few to matter.
void at_training_peak(const Plan& p, Estimate& e) {
  Component* grads = nullptr;
  Component* acts = nullptr;
  Component* logits = nullptr;
  Component* weights = nullptr;
  Component* states = nullptr;
  for (auto& c : e.components) {
    if (c.id == "gradients") grads = &c;
    if (c.id == "activations") acts = &c;
    if (c.id == "logits") logits = &c;
    if (c.id == "weights") weights = &c;
    if (c.id == "optimizer_states") states = &c;
  }
  if (!grads || !acts || !logits || !weights || p.r.optimizer_in_bwd) return;
  if (p.r.lora_rank > 0) {
    // LoRA's gradients are too few to matter: under full recomputation the peak is the loss's
    // backward over the checkpoints, or the first recomputed layer once the loss buffers are freed.
    if (p.r.checkpointing != Checkpointing::full || p.r.activation_offload) return;
    const std::uint64_t layer = std::min(layer_activation_bytes(p, Checkpointing::none), acts->bytes.count());
    if (logits->bytes.count() >= layer) {
      acts->bytes = Bytes(acts->bytes.count() - layer);
      acts->label += ", checkpoints at the start of the backward";
    } else {
      logits->bytes = Bytes(0);
      logits->label += ", freed before the peak";
    }
    return;
  }
  const FrameworkProfile& f = framework_of(p);
  // the first gradient of the backward: the largest parameter's
  const std::uint64_t first =
      std::min(checked_mul(largest_parameter(p), gradient_bytes(p), "gradients"), grads->bytes.count());
  const std::uint64_t one_layer = std::min(layer_activation_bytes(p, Checkpointing::none), acts->bytes.count());
  // Under full recomputation the loss's backward runs before any layer is recomputed: the start
  // holds the checkpoints alone (training_activations adds one recomputed layer for the rest).
  const std::uint64_t saved = p.r.checkpointing == Checkpointing::full && !p.r.activation_offload
                                  ? acts->bytes.count() - one_layer
                                  : acts->bytes.count();
  const bool autocast = autocast_over_fp32(p);
  const std::uint64_t w = weights->bytes.count();
  const std::uint64_t w_start = !autocast || p.r.checkpointing != Checkpointing::full
                                    ? w
                                    : std::min(w, checked_mul(largest_parameter(p), compute_bytes(p), "weights"));
  const std::uint64_t w_end = autocast ? 0 : w;
  const std::uint64_t start = w_start + saved + logits->bytes.count() + first;
  const std::uint64_t end = w_end + grads->bytes.count() + one_layer;
  // foreach AdamW: sqrt of the second moment of every parameter at once (one state's bytes).
  const bool adamw = p.r.optimizer == Optimizer::adamw && states && states->bytes.count() > 0;
  const std::uint64_t step_buffer =
      adamw ? checked_mul(states->bytes.count() / 2, f.optimizer_step_copies, "optimizer") : 0;
  const std::uint64_t step = w_end + grads->bytes.count() + step_buffer;
  enum class Moment { backward_start, backward_end, optimizer_step };
  const Moment at = step_buffer > 0 && step >= start && step >= end ? Moment::optimizer_step
                    : end >= start                                  ? Moment::backward_end
                                                                    : Moment::backward_start;
  if (autocast) {
    weights->bytes = Bytes(at == Moment::backward_start ? w_start : w_end);
    weights->label += at == Moment::backward_start
                          ? (w_start < w ? ", autocast copies: the LM head's at the start of the backward"
                                         : ", autocast copies saved for the backward")
                          : ", autocast copies, freed by the end of the backward";
  }
  if (at == Moment::backward_start) {
    grads->bytes = Bytes(first);
    grads->label += ", the first at the start of the backward";
    if (saved != acts->bytes.count()) {
      acts->bytes = Bytes(saved);
      acts->label += ", checkpoints at the start of the backward";
    }
    return;
  }
  logits->bytes = Bytes(0);
  logits->label += ", freed before the peak";
  if (at == Moment::backward_end) {
    acts->bytes = Bytes(one_layer);
    acts->label += ", one layer at the end of the backward";  // (host memory keeps its own peak)
    return;
  }
  acts->bytes = Bytes(0);
  acts->label += ", freed before the optimizer step";
  const std::uint64_t copies = f.optimizer_step_copies;
  e.components.push_back({"optimizer_step",  // invalidates the pointers above: last
                          "Optimizer step buffers (foreach AdamW)",
                          Bytes(step_buffer),
                          "one optimizer state × copies (torch._foreach_sqrt of every second moment)",
                          {{"copies", d(copies)}}});
}

// ---------------------------------------------------------------- vision-language models
// The images of a step: batch × --images, each through the encoder at once (vision.hpp).
std::uint64_t step_images(const Plan& p) { return checked_mul(p.r.batch, p.r.images, "images"); }

// Inference: the encoder runs before the language model's prefill (Gemma3Model / LlavaModel forward:
// get_image_features, then the language model over the merged embeddings), so the step's peak is
// the larger of the two; the projected image features (batch × images × tokens × text hidden) stay
// alive through both.
void add_vision_inference_peak(const Plan& p, Component& acts) {
  const VisionConfig& v = *p.c.vision;
  const std::uint64_t images = step_images(p), e = compute_bytes(p);
  const std::uint64_t features =
      checked_mul(checked_mul(checked_mul(images, image_tokens(v, p.r.image_size), "vision activations"),
                              p.c.hidden_size, "vision activations"),
                  e, "vision activations");
  const std::uint64_t encoder =
      encoder_peak_bytes(v, p.r.image_size, images, e, p.r.attention == Attention::eager ? eager_score_bytes(p) : 0);
  acts.inputs.push_back({"images", d(images)});
  acts.inputs.push_back({"vision_encoder_bytes", d(encoder)});
  acts.inputs.push_back({"image_features_bytes", d(features)});
  if (encoder > acts.bytes.count()) {
    acts.bytes = Bytes(encoder);
    acts.label =
        fmt::format("Activations (vision encoder peak, {} images, {} attention)", images, to_string(p.r.attention));
    acts.formula =
        "images × positions × (2·h_vision + max(4·h_vision, 2·I_vision)) × bytes [+ images × heads × positions² × "
        "bytes_per_score when eager] + pixel values; image features added";
  }
  acts.bytes += Bytes(features);
}

// Training: the encoder's saved activations for the backward, beside the language model's
// (vision.hpp encoder_training_bytes); under full recomputation only each encoder layer's input
// (images × positions × h_vision × 2 B) is kept.
void add_vision_training(const Plan& p, Component& acts) {
  const VisionConfig& v = *p.c.vision;
  const std::uint64_t images = step_images(p);
  const std::uint64_t bytes =
      p.r.checkpointing == Checkpointing::full
          ? checked_mul(checked_mul(checked_mul(images, encoder_positions(v, p.r.image_size), "vision activations"),
                                    checked_mul(v.n_layers, v.hidden_size, "vision activations"), "vision activations"),
                        2, "vision activations")
          : encoder_training_bytes(v, p.r.image_size, images);
  acts.bytes += Bytes(bytes);
  acts.inputs.push_back({"images", d(images)});
  acts.inputs.push_back({"vision_encoder_bytes", d(bytes)});
}

// The vision tower and projector as their own line: the part of the weights line they make up on
// this GPU (the whole weights less the text model's, so the two add up to what the GPU holds; the
// tower is replicated and sits on the first pipeline stage).
Component vision_weights(const Plan& p, const Precision& prec, Bytes all_weights) {
  std::vector<TensorGroup> text;
  std::uint64_t params = 0;
  for (const auto& g : p.groups) {
    if (g.role == TensorRole::vision)
      params += g.elements();
    else
      text.push_back(g);
  }
  Plan tp = p;
  tp.groups = text;
  const Bytes bytes = saturating_sub(all_weights, weights_for(tp, prec).per_gpu);
  // Gemma 3n's line also holds its audio tower (TensorRole::vision covers every multimodal tower).
  return {"vision_weights",
          p.c.gemma3n_towers ? std::string("Vision + audio tower weights and their embedders (Gemma 3n: MobileNetV5, "
                                           "USM conformer)")
                             : fmt::format("Vision tower + projector weights ({})", to_string(p.c.vision->encoder)),
          bytes,
          "Σ_vision tensors stored bytes (kept in 16 bits)",
          {{"parameters", d(params)}}};
}

}  // namespace

Estimate estimate_detailed(const Model& model, const Request& r) {
  const ModelConfig& c = model.config;
  if (!model.params && !r.params_override && !model.files)
    throw UnsupportedError(unsupported_architecture_message(c.model_type, c.origin) + "; pass --params to estimate");
  if (c.hidden_size == 0 || c.n_layers == 0 || c.n_heads == 0 || c.head_dim == 0 || c.n_kv_heads == 0)
    throw InputError(fmt::format("{}: hidden size, layers and attention heads are needed to estimate", c.origin));
  validate_lora_targets(r);
  const Precision& prec = r.precision ? *r.precision : default_precision(c);
  const StorageFormat compute = compute_format(c, prec);
  // Images add their tokens to every sequence's context: the KV cache, the prefill and the training
  // step all run over seq_len + images × tokens per image (the processor expands each image
  // placeholder into that many tokens before the language model sees the prompt).
  Request with_images = r;
  std::uint64_t per_image = 0, image_context = 0;
  if ((r.images > 0 || r.image_size.given()) && c.gemma3n_towers)
    throw UnsupportedError(
        fmt::format("--images: Gemma 3n's image tokens and vision activations are not modelled yet "
                    "({} counts its vision and audio towers' weights only)",
                    model.name));
  if ((r.images > 0 || r.image_size.given()) && !c.vision)
    throw UsageError(fmt::format("--images and --image-size need a vision-language model; {} ({}) has no vision tower",
                                 model.name, c.model_type));
  if (c.vision) {
    per_image = image_tokens(*c.vision, r.image_size);
    image_context = checked_mul(r.images, per_image, "image tokens");
    with_images.seq_len = checked_add(r.seq_len, image_context, "image tokens");
  }
  const Request& rq = with_images;
  Plan p{model, c,  rq,        prec, compute,    rq.kv_format ? *rq.kv_format : compute,
         0,     {}, rq.layout, 0,    rq.seq_len, engine_for(model, rq)};
  std::vector<TensorGroup> with_head;  // an encoder's groups and its classification head (training)
  if (r.params_override) {
    p.params = *r.params_override;
  } else if (model.params) {
    p.params = model.params->total;
    p.groups = model.params->groups;
    if (c.encoder && r.mode == Mode::training) {
      // Fine-tuning adds a classification head over the pooled output: BertForSequenceClassification's
      // classifier [num_labels, h] + bias. RobertaForSequenceClassification drops the pooler
      // (add_pooling_layer=False) for RobertaClassificationHead's dense [h, h] + bias and out_proj
      // [num_labels, h] + bias: the same count.
      with_head.assign(p.groups.begin(), p.groups.end());
      std::uint64_t head = checked_mul(c.num_labels, c.hidden_size + 1, "parameters");
      if (c.prediction_head) {
        // ModernBertForSequenceClassification: ModernBertPredictionHead (dense [h, h], bias when
        // classifier_bias, then a norm like the model's: weight, and bias when norm_bias) before the classifier.
        const std::uint64_t h = c.hidden_size, norm = c.norm == NormKind::layer_norm ? 2 * h : h;
        with_head.push_back({"head.dense", TensorRole::other, h, h, 1, "", false});
        if (c.prediction_head_bias) with_head.push_back({"head.dense.bias", TensorRole::bias, h, 1, 1, "", false});
        with_head.push_back({"head.norm", TensorRole::norm, norm, 1, 1, "", false});
        head = checked_add(head, h * h + (c.prediction_head_bias ? h : 0) + norm, "parameters");
      }
      with_head.push_back({"classifier", TensorRole::lm_head, c.num_labels, c.hidden_size, 1, "", false});
      with_head.push_back({"classifier.bias", TensorRole::bias, c.num_labels, 1, 1, "", false});
      p.groups = with_head;
      p.params = checked_add(p.params, head, "parameters");
    }
  } else {
    p.params = model.files->total_elements();  // GGUF shapes are logical values
  }
  if (r.engine && r.kv_format && !engine_supports_kv(p.engine, r.kv_format->name))
    throw UsageError(fmt::format("{} has no {} KV cache ({})", p.engine.name, r.kv_format->name, p.engine.kv_option));
  p.kv_tokens = checked_mul(ceil_div(rq.seq_len, p.engine.context_padding), p.engine.context_padding, "kv cache");
  if (p.l.pp > c.n_layers)
    throw UsageError(fmt::format("--pp {} is larger than the model's {} layers", p.l.pp, c.n_layers));
  p.layers_on_stage = ceil_div(c.n_layers, p.l.pp);

  Estimate e;
  e.components.reserve(8);
  e.mode = r.mode;
  e.method = Method::detailed;
  e.model_name = model.name;
  e.hf_id = model.hf_id;
  e.model_type = c.model_type;
  e.parameters = p.params;
  e.active_parameters = (model.params && !r.params_override && !c.encoder) ? model.params->active : p.params;
  e.precision = std::string(prec.name);
  e.kv_precision = std::string(p.kv.name);
  e.engine = &p.engine;
  e.prefill_chunk = r.mode == Mode::inference ? prefill_chunk(p) : 0;
  e.request = r;
  e.image_tokens_per_image = per_image;
  e.image_tokens = image_context;
  if (r.images > 0)
    e.notes.push_back(
        fmt::format("{} image{} × {} tokens = {} image tokens in each sequence's context ({} + {} = {} "
                    "tokens); the vision encoder runs on batch × images = {} at once",
                    r.images, r.images == 1 ? "" : "s", per_image, image_context, r.seq_len, image_context, rq.seq_len,
                    checked_mul(r.batch, r.images, "images")));
  const bool sized = c.vision && (c.vision->projector == VisionProjector::mistral3 ||
                                  c.vision->projector == VisionProjector::qwen_merger ||
                                  c.vision->projector == VisionProjector::llama4);
  if (r.images > 0 && sized && !r.image_size.given() && c.vision->projector == VisionProjector::llama4)
    e.notes.push_back(fmt::format(
        "no --image-size: each image is cut into the most tiles the processor makes, max_patches = {} tiles of {} px "
        "and the global tile ({} tokens per image), the most tokens an image can add; give --image-size WxH for your "
        "images",
        c.vision->max_num_tiles, c.vision->image_size, per_image));
  else if (r.images > 0 && sized && !r.image_size.given())
    e.notes.emplace_back(
        "no --image-size: each image is taken at the largest size the model's processor keeps, the most tokens an "
        "image can add; give --image-size WxH for your images");
  if (r.images > 0 && c.n_cross_attention_layers > 0)
    e.notes.push_back(
        fmt::format("each image's {} feature tokens are K/V of the {} cross-attention layers, not context",
                    cross_attention_tokens(*c.vision), c.n_cross_attention_layers));
  if (c.vision && r.images == 0 && !r.params_override)
    e.notes.emplace_back(
        "a text-only prompt: the vision tower's weights are loaded, but no image tokens or encoder activations are "
        "counted (add --images N)");
  if (r.params_override) e.notes.emplace_back("weights from --params: every parameter counted in the main format");
  if (c.gemma3n_towers && model.params && !r.params_override)
    e.notes.emplace_back(
        "Gemma 3n's vision (MobileNetV5) and audio (USM conformer) towers and their embedders are counted (their "
        "own weights line); image and audio tokens and the towers' activations are not modelled yet, so --images is "
        "refused");
  if (c.encoder)
    e.notes.push_back(r.mode == Mode::inference
                          ? fmt::format("encoder: batch {} × {} tokens in one forward pass; no KV cache, the outputs "
                                        "are hidden states (embeddings), not logits",
                                        r.batch, r.seq_len)
                          : fmt::format("encoder: fine-tuning with a classification head of {} labels ({} × hidden + "
                                        "bias over the pooled output{})",
                                        c.num_labels, c.num_labels,
                                        c.prediction_head ? ", after a dense [hidden, hidden] and a norm" : ""));

  if (c.is_encoder_decoder())
    e.notes.push_back(
        r.mode == Mode::inference
            ? fmt::format(
                  "encoder-decoder: the encoder reads batch {} × {} input tokens once; the decoder generates {} "
                  "tokens (--target-len), caching self-attention K/V of those and cross-attention K/V of the "
                  "input in each of its {} layers",
                  r.batch, r.seq_len, r.decoder_tokens(), c.decoder_layers)
            : fmt::format("encoder-decoder: teacher forcing over {} input and {} target tokens (--target-len) per "
                          "sequence",
                          r.seq_len, r.decoder_tokens()));

  const bool lora = r.mode == Mode::training && r.lora_rank > 0;
  const bool quantized_base = !prec.is_float_16_or_32;
  if (r.mode == Mode::training && !lora && quantized_base)
    throw UsageError(
        fmt::format("full fine-tuning needs fp32, fp16 or bf16 weights, not {}; add --lora-rank for "
                    "LoRA/QLoRA on a quantized base",
                    prec.name));

  // Weights as stored; in full training under the mixed/megatron recipes this is the 16-bit compute
  // copy, and the fp32 master copy is its own component.
  const bool from_files = model.files && !r.precision && !r.params_override;
  const WeightResult w = from_files ? stored_weights(p, *model.files) : weights_for(p, prec);
  if (from_files) e.precision = "as stored";
  // ZeRO-3 / FSDP shard every parameter, frozen LoRA bases included, over the data-parallel ranks,
  // and all-gather one layer at a time: the layer being computed plus the prefetched next one are
  // held unsharded (PyTorch FSDP forward_prefetch / DeepSpeed stage3_prefetch_bucket_size).
  Bytes weights_gpu = w.per_gpu;
  if (p.l.zero == 3 && r.mode == Mode::training) {
    weights_gpu = p.l.offload_params ? Bytes(0) : Bytes(ceil_div(w.per_gpu.count(), p.l.dp));
    // Two gather units held whole (the one computing, the one prefetched): DeepSpeed's estimator
    // counts 4 B × its largest layer (stage3.py estimate_zero3_model_states_mem_needs: 2 × 2 B),
    // and the largest unit is the embedding or the head when they outgrow a decoder block.
    if (p.l.dp > 1 || p.l.offload_params) weights_gpu += largest_gather_unit(p, w) * 2;
  }
  e.components.push_back(
      {"weights",
       from_files ? fmt::format("Model weights (as stored, {} tensors)", model.files->tensors.size())
                  : "Model weights (" + std::string(prec.name) + ")",
       weights_gpu,
       from_files ? "Σ_tensors bytes in the file headers" : "Σ_tensors stored bytes (format per tensor)",
       {{"parameters", d(w.per_gpu_params)},
        {"bits_per_weight", from_files ? stored_bits_per_weight(*model.files) : prec.linear.bits_per_value()}}});
  e.components.back().detail = from_files ? stored_mix(*model.files) : format_mix(w.by_format);
  e.components.back().host = w.host;
  // vLLM --cpu-offload-gb: that much of each GPU's weights in host memory, for every GPU of the node.
  if (r.mode == Mode::inference && r.cpu_offload.count() > 0) {
    Component& wc = e.components.back();
    const Bytes moved(std::min(r.cpu_offload.count(), wc.bytes.count()));
    wc.bytes = Bytes(wc.bytes.count() - moved.count());
    wc.host += on_node(p, moved);
    wc.inputs.push_back({"cpu_offload_bytes", d(moved.count())});
  }
  // ZeRO-3 parameter offload: each rank's 16-bit shard lives on the host between gathers.
  if (p.l.zero == 3 && r.mode == Mode::training && p.l.offload_params)
    e.components.back().host += on_node(p, Bytes(ceil_div(w.per_gpu.count(), p.l.dp)));
  if (w.host.count() > 0)
    e.notes.push_back(
        fmt::format("{} keeps the token embeddings ({}) in host memory", p.engine.name, format_size(w.host)));

  Bytes transient;
  if (r.mode == Mode::inference) {
    e.components.push_back(kv_cache(p));
    e.components.push_back(inference_activations(p));
    if (c.vision && rq.images > 0) add_vision_inference_peak(p, e.components.back());
    e.components.push_back(inference_logits(p));
    transient = e.components[2].bytes + e.components[3].bytes;
    // Mamba-2 / Gated DeltaNet layers: a fixed state per sequence (src/recurrent_state.cpp).
    if (c.recurrent)
      e.components.push_back(recurrent_state(c, p.engine, compute_bytes(p), r.batch, p.layers_on_stage, p.l.tp));
    if (r.offload.any()) {
      if (!p.engine.places_layers)
        throw UsageError(
            fmt::format("{} does not split layers between GPU and host (--engine llama.cpp or ollama)", p.engine.name));
      if (!p.l.is_single())
        throw UnsupportedError("--gpu-layers, --n-cpu-moe and --no-kv-offload are modelled on one GPU only");
      place_layers(p, layer_bytes(p, model, from_files), e.components[0], e.components[1]);
    }
    // Host weights under mmap are file pages: what the CPU computes with is read every token and
    // must stay resident to run at speed; token_embd is only read a row per token (llama-mmap.cpp;
    // docs/engines/llamacpp-partial-offload.md). Without mmap they are allocated (pinned).
    if (p.engine.places_layers && e.components[0].host > w.host) {
      const Bytes layers = saturating_sub(e.components[0].host, w.host);
      e.notes.push_back(r.offload.mmap
                            ? fmt::format("mmap: {} of the host weights are layers read every token (keep them "
                                          "resident); the {} of token embeddings are mapped and read a row per token",
                                          format_size(layers), format_size(w.host))
                            : fmt::format("--no-mmap: {} of host weights allocated in pinned memory",
                                          format_size(e.components[0].host)));
    }
    if (w.ple_params > 0) {
      // After the layer placement above, which indexes the components: the per-layer embeddings' own line.
      Component ple{"per_layer_embeddings",
                    "Per-layer embeddings (Gemma 3n PLE; may stay in host memory)",
                    w.ple,
                    "per_layer_vocab × layers × per_layer_width values, stored as the token embedding",
                    {{"parameters", d(w.ple_params)}}};
      ple.host = w.ple_host;
      e.components.insert(e.components.begin() + 1, ple);
      e.notes.push_back(fmt::format(
          "per-layer embeddings: {} on the GPU{}; they are read a row per token like the token embedding, so an "
          "engine may keep them in host memory (Gemma 3n's Per-Layer Embedding caching)",
          format_size(w.ple),
          w.ple_host.count() > 0 ? fmt::format(", {} in host memory", format_size(w.ple_host)) : ""));
    }
  } else {
    const Trainable t = trainable(p, w, lora);
    e.trainable_parameters = t.all;
    if (lora)
      e.components.push_back(lora_adapters(p, t));
    else if (master_weight_bytes(p) > 0)
      e.components.push_back(master_weights(p, t));
    e.components.push_back(gradients(p, t));
    e.components.push_back(optimizer_states(p, t));
    if (r.optimizer == Optimizer::paged_adamw || r.optimizer == Optimizer::paged_adamw_8bit)
      e.notes.emplace_back(
          "paged optimizer: its states are CUDA managed memory, paged to host memory when the GPU is full; counted "
          "under host memory, and not by torch's allocator");
    e.components.push_back(training_activations(p));
    if (c.vision && rq.images > 0) add_vision_training(p, e.components.back());
    if (c.is_encoder_decoder()) {
      // The LM head runs over the decoder's target tokens only (teacher forcing).
      Request dec_r = r;
      dec_r.seq_len = r.decoder_tokens();
      const Plan pd{p.model,           c,           dec_r,   p.p, p.compute, p.kv, p.params, p.groups, p.l,
                    p.layers_on_stage, p.kv_tokens, p.engine};
      e.components.push_back(training_logits(pd));
    } else {
      e.components.push_back(training_logits(p));
    }
    at_training_peak(p, e);
    transient = e.find("activations")->bytes + e.find("logits")->bytes;
  }
  // The vision tower's own line. llama.cpp's projector file (--mmproj): its tensors as stored, on the
  // GPU (mtmd_context_params use_gpu, on unless --no-mmproj-offload: tools/mtmd/mtmd.h,
  // common/arg.cpp). A vision-language config: split off the weights line where that line is still
  // the stored weights (not autocast casts, not ZeRO-3 shards, not the file headers' exact bytes).
  if (model.vision_files && r.mode == Mode::inference) {
    const TensorFile& f = *model.vision_files;
    Component vc{"vision_weights",
                 fmt::format("Vision tower + projector weights (--mmproj, {} tensors)", f.tensors.size()),
                 f.total_bytes(),
                 "Σ_tensors bytes in the projector file's header",
                 {{"parameters", d(f.total_elements())}, {"bits_per_weight", stored_bits_per_weight(f)}}};
    vc.detail = stored_mix(f);
    e.components.insert(e.components.begin() + 1, std::move(vc));
  } else if ((c.vision || c.gemma3n_towers) && model.params && model.params->vision > 0 && !from_files &&
             !r.params_override) {
    Component& wc = e.components.front();
    const bool unaltered = r.mode == Mode::inference || (wc.bytes == weights_gpu && p.l.zero != 3);
    if (unaltered) {
      Component vc = vision_weights(p, prec, w.per_gpu);
      vc.bytes = std::min(vc.bytes, wc.bytes);
      wc.bytes = saturating_sub(wc.bytes, vc.bytes);
      wc.inputs.push_back({"vision_parameters", d(model.params->vision)});
      e.components.insert(e.components.begin() + 1, std::move(vc));
    }
  }
  e.components.push_back(overhead(p, transient));
  for (const auto& comp : e.components) {
    e.total += comp.bytes;
    e.host_total += comp.host;
  }
  if (!p.l.is_single())
    e.notes.push_back(fmt::format("per GPU, most loaded of tp={} pp={} dp={}{}", p.l.tp, p.l.pp, p.l.dp,
                                  p.l.ep > 1 ? fmt::format(" ep={}", p.l.ep) : ""));
  return e;
}

}  // namespace llmmem
