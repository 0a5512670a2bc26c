#include "llmmem/ollama_estimate.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "llmmem/error.hpp"
#include "llmmem/precision.hpp"
#include "llmmem/weight_storage.hpp"
#include "text.hpp"

// Ollama v0.12.10: llm/memory.go estimateGPULayers(), fs/ggml/ggml.go GraphSize() and GroupLayers(),
// ml/device.go MinimumMemory(). Ollama's arithmetic is uint64 (and one float64 product for the KV);
// here every product is checked instead of wrapping.

namespace llmmem {

namespace {

constexpr std::string_view k_what = "Ollama estimate";

std::uint64_t mul(std::uint64_t a, std::uint64_t b) { return checked_mul(a, b, k_what); }
std::uint64_t add(std::uint64_t a, std::uint64_t b) { return checked_add(a, b, k_what); }

// HuggingFace model_type -> the general.architecture llama.cpp's convert_hf_to_gguf.py writes, which
// is what GraphSize() switches on (Mistral and Mixtral convert as "llama"). OPT has no GGUF converter.
struct GgufArch {
  std::string_view model_type;
  std::string_view arch;
};
constexpr std::array k_gguf_archs{
    GgufArch{"llama", "llama"},
    GgufArch{"mistral", "llama"},
    GgufArch{"mixtral", "llama"},
    GgufArch{"qwen2", "qwen2"},
    GgufArch{"qwen2_moe", "qwen2moe"},
    GgufArch{"qwen3", "qwen3"},
    GgufArch{"qwen3_moe", "qwen3moe"},
    GgufArch{"gemma", "gemma"},
    GgufArch{"gemma2", "gemma2"},
    GgufArch{"gemma3_text", "gemma3"},
    GgufArch{"gemma3", "gemma3"},
    GgufArch{"cohere", "command-r"},
    GgufArch{"phi", "phi2"},
    GgufArch{"phi3", "phi3"},
    GgufArch{"falcon", "falcon"},
    GgufArch{"gpt2", "gpt2"},
    GgufArch{"gpt_neox", "gptneox"},
    GgufArch{"bloom", "bloom"},
    GgufArch{"gpt_bigcode", "starcoder"},
    GgufArch{"deepseek_v2", "deepseek2"},
    GgufArch{"deepseek_v3", "deepseek2"},
    GgufArch{"gpt_oss", "gptoss"},
};

bool is_gguf_file(const Model& m) { return m.files && m.files->format == "gguf"; }

std::string ollama_arch(const Model& m) {
  std::string type = text::lower(m.config.model_type);
  if (is_gguf_file(m)) return type;  // config_from_gguf keeps general.architecture
  for (const auto& row : k_gguf_archs)
    if (row.model_type == type) return std::string(row.arch);
  throw UnsupportedError(fmt::format("Ollama's estimate: llama.cpp has no GGUF architecture for model_type '{}' ({})",
                                     m.config.model_type, m.name));
}

// The weights as GroupLayers() groups them: one size per "blk.N", and the output "layer".
struct LayerWeights {
  std::vector<Bytes> blocks;                   // blk.N
  std::vector<bool> present;                   // blk.N exists (a GGUF file may lack some)
  Bytes output;                                // output_norm + (output, or token_embd when tied)
  std::optional<Bytes> blk0_gate_exps;         // blk.0 ffn_gate_exps.weight (merged experts: Mixtral 8x22B rule)
  std::optional<std::uint64_t> blk0_gate0_ff;  // blk.0 ffn_gate.0.weight Shape[1] (per-expert tensors: 8x7B rule)
};

// GroupLayers(): a tensor's layer is its name up to "blk.N" (or "mm.N"), else its first
// dot-separated part; the rest names the tensor within the layer.
std::pair<std::string, std::string> layer_of(std::string_view name) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto dot = name.find('.', start);
    parts.push_back(name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  std::size_t take = 1;
  const auto it = std::find_if(parts.begin(), parts.end(), [](std::string_view p) { return p == "blk" || p == "mm"; });
  if (it != parts.end() && parts.size() > static_cast<std::size_t>(it - parts.begin()) + 2)
    take = static_cast<std::size_t>(it - parts.begin()) + 2;
  auto join = [&](std::size_t from, std::size_t to) {
    std::string out;
    for (std::size_t i = from; i < to; ++i) (out += i > from ? "." : "") += parts[i];
    return out;
  };
  return {join(0, take), join(take, parts.size())};
}

LayerWeights gguf_layers(const TensorFile& files, std::uint64_t n_layers) {
  LayerWeights w;
  w.blocks.assign(n_layers, Bytes{});
  w.present.assign(n_layers, false);
  Bytes output_norm, output, token_embd;
  bool has_output = false;
  for (const auto& t : files.tensors) {
    const auto [layer, rest] = layer_of(t.name);
    const Bytes size(t.bytes);
    if (layer == "output_norm") {
      output_norm += size;
    } else if (layer == "output") {
      output += size;
      has_output = true;
    } else if (layer == "token_embd") {
      token_embd += size;
    } else if (layer.rfind("blk.", 0) == 0) {
      const std::string index = layer.substr(4);
      // Ollama looks layers up as fmt.Sprintf("blk.%d", i): decimal, no leading zeros.
      if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos || index.size() > 9 ||
          (index.size() > 1 && index[0] == '0'))
        continue;
      const std::uint64_t i = std::stoull(index);
      if (i >= n_layers) continue;  // Ollama only looks up blk.0 .. blk.(block_count-1)
      w.blocks[i] += size;
      w.present[i] = true;
      if (i == 0 && rest == "ffn_gate_exps.weight") w.blk0_gate_exps = size;
      if (i == 0 && rest == "ffn_gate.0.weight" && t.shape.size() > 1) w.blk0_gate0_ff = t.shape[1];
    }
  }
  w.output = output_norm + (has_output ? output : token_embd);
  return w;
}

bool is_expert_group(const TensorGroup& g) {
  return g.role == TensorRole::expert || g.role == TensorRole::shared_expert || g.role == TensorRole::router ||
         g.name.rfind("moe.", 0) == 0;
}

// Adds a per-layer group's bytes to `layers`, evenly, except that in a GGUF mix layer 0 takes the
// share with the most bits: llama.cpp's quantizer promotes the first layers in every mix llmmem
// models (llama-quant.cpp use_more_bits(): i < n/8; Q3_K_M attn_v: i < 2, ffn_down: i < n/16), and
// blk.0 is the buffer Ollama reserves on every GPU, so its size decides more than any other layer's.
void spread(LayerWeights& w, const std::vector<std::uint64_t>& layers, const GroupStorage& s,
            std::uint64_t values_per_layer) {
  std::uint64_t total = s.total.count(), k = layers.size();
  std::size_t first = 0;
  if (s.n_shares > 1 && layers.front() == 0 && values_per_layer > 0) {
    const auto* widest = std::max_element(s.shares.begin(), s.shares.begin() + static_cast<std::ptrdiff_t>(s.n_shares),
                                          [](const GroupStorage::Share& a, const GroupStorage::Share& b) {
                                            return a.format->bits_per_value() < b.format->bits_per_value();
                                          });
    const std::uint64_t n_widest = widest->values / values_per_layer;
    if (n_widest > 0) {
      const std::uint64_t blk0 = widest->bytes.count() / n_widest;
      w.blocks[0] += Bytes(blk0);
      total -= blk0;
      --k;
      first = 1;
    }
  }
  for (std::size_t j = first; j < layers.size(); ++j)
    w.blocks[layers[j]] += Bytes(total / k + (j - first < total % k ? 1 : 0));
}

// A catalog model's inventory stored at `precision`: each per-layer group spread over the layers
// that hold it (all, or the MoE/dense ones). weight_storage gives a mix's total per group, not which
// layers llama.cpp's use_more_bits() promotes, so a mixed group is spread evenly but for layer 0.
LayerWeights inventory_layers(const Model& m, const Precision& p) {
  const ModelConfig& c = m.config;
  if (!m.params)
    throw UnsupportedError(fmt::format("Ollama's estimate: {} has no tensor inventory ({})", m.name,
                                       unsupported_architecture_message(c.model_type, c.origin)));
  const std::uint64_t n = c.n_layers;
  LayerWeights w;
  w.blocks.assign(n, Bytes{});
  w.present.assign(n, true);
  std::vector<std::uint64_t> sparse, dense, all;
  for (std::uint64_t i = 0; i < n; ++i) {
    all.push_back(i);
    (c.is_sparse_layer(i) ? sparse : dense).push_back(i);
  }
  bool has_lm_head = false;
  const TensorGroup* embedding = nullptr;
  for (const auto& g : m.params->groups) {
    const GroupStorage s = group_storage(p, formats::f16, c, g);
    if (g.per_layer) {
      const auto& layers = (c.moe && is_expert_group(g)) ? sparse : (g.count % n == 0 ? all : dense);
      if (layers.empty()) continue;
      spread(w, layers, s, g.elements() / layers.size());
      if (g.name == "experts.gate" && layers.front() == 0) w.blk0_gate_exps = Bytes(s.total.count() / layers.size());
    } else if (g.role == TensorRole::lm_head || g.name == "lm_head.bias" || g.name.rfind("final_norm", 0) == 0) {
      w.output += s.total;  // GGUF output.weight, output.bias, output_norm.*
      has_lm_head = has_lm_head || g.role == TensorRole::lm_head;
    } else if (g.role == TensorRole::embedding) {
      embedding = &g;
    }
  }
  if (!has_lm_head && embedding) {
    // Tied embeddings: Ollama counts token_embd, which llama.cpp's quantizer types as the output
    // tensor when there is none (llama-quant.cpp: !has_output && token_embd), so size it as one.
    TensorGroup as_output = *embedding;
    as_output.role = TensorRole::lm_head;
    w.output += group_storage(p, formats::f16, c, as_output).total;
  }
  return w;
}

// GGML.FlashAttention(): the architectures whose flash attention is on unless the user says otherwise.
bool flash_attention_by_default(std::string_view arch) {
  constexpr std::array<std::string_view, 7> k_on{"gemma3",   "gptoss",  "gpt-oss",   "qwen3",
                                                 "qwen3moe", "qwen3vl", "qwen3vlmoe"};
  return std::find(k_on.begin(), k_on.end(), arch) != k_on.end();
}

// kvCacheBytesPerElement() as a fraction: f16 2, q8_0 1, q4_0 0.5 (the block scales are not counted).
struct KvType {
  std::string_view name;
  std::uint64_t num, den;
};
KvType kv_type(std::string_view requested) {
  const std::string name = text::lower(requested);
  if (name.empty() || name == "f16") return {"f16", 2, 1};
  if (name == "q8_0") return {"q8_0", 1, 1};
  if (name == "q4_0") return {"q4_0", 1, 2};
  throw UsageError(fmt::format("OLLAMA_KV_CACHE_TYPE '{}' is not one Ollama supports: f16, q8_0, q4_0", requested));
}

struct Graph {
  std::uint64_t partial = 0, full = 0;
};

// GraphSize()'s per-architecture formulas (bytes). b: batch, c: context × numParallel, e: n_embd,
// h: heads, hkv: KV heads, eh: n_embd / heads, ehk: key head size, v: vocabulary.
Graph graph_size(std::string_view arch, std::uint64_t b, std::uint64_t c, std::uint64_t e, std::uint64_t h,
                 std::uint64_t hkv, std::uint64_t eh, std::uint64_t ehk, std::uint64_t v, std::uint64_t ff,
                 const LayerWeights& w) {
  Graph g;
  const std::uint64_t out_graph = mul(mul(4, b), add(e, v));    // 4b(e + V): logits + hidden state
  const std::uint64_t out_weights = mul(mul(e, v), 105) / 128;  // e·V·105/128
  const std::uint64_t scores = mul(c, add(1, h));               // c(1 + h)
  if (arch == "llama" || arch == "llama4") {
    g.full = std::max(mul(mul(4, b), add(add(1, mul(4, e)), scores)), out_graph);
    const std::uint64_t attn = add(add(mul(mul(4, b), add(add(1, e), std::max(c, e))), mul(mul(e, e), 9) / 16),
                                   mul(mul(4, c), add(mul(b, h), mul(eh, hkv))));
    g.partial = add(mul(mul(4, b), e), std::max(attn, add(out_graph, out_weights)));
    if (w.blk0_gate_exps) {  // mixtral 8x22b: merged expert tensors
      g.partial =
          std::max(add(mul(3, w.blk0_gate_exps->count()),
                       mul(mul(4, b), add(add(add(mul(2, ff), hkv), add(e, c)), mul(eh, hkv)))),
                   mul(4, add(add(mul(mul(c, b), h), mul(mul(c, eh), hkv)), add(mul(b, 1024), mul(mul(eh, hkv), b)))));
    } else if (w.blk0_gate0_ff) {  // mixtral 8x7b: one tensor per expert
      const std::uint64_t ff1 = *w.blk0_gate0_ff;
      g.full = mul(mul(4, b), add(add(add(2, mul(3, e)), scores), add(mul(2, hkv), ff1)));
      g.partial = std::max(
          add(mul(mul(4, b), add(add(add(3, mul(eh, hkv)), add(e, scores)), ff1)),
              mul(add(mul(e, e), mul(mul(mul(3, e), hkv), ff1)), 9) / 16),
          add(mul(mul(4, b), add(add(1, mul(2, e)), scores)), mul(e, add(mul(mul(6, c), hkv) / h, mul(e, 9) / 16))));
    }
  } else if (arch == "gemma" || arch == "gemma2" || arch == "gemma3" || arch == "gemma3n") {
    const std::uint64_t qk = mul(mul(2, ehk), h);  // 2·ehK·h
    g.full = std::max(out_graph, mul(mul(4, b), add(add(add(2, c), mul(c, h)), add(mul(2, e), qk))));
    g.partial = std::max(
        add(add(mul(mul(4, e), b), out_weights), mul(mul(4, v), b)),
        add(add(mul(mul(4, b), add(add(add(mul(2, e), 1), qk), add(c, mul(c, h)))), mul(mul(mul(4, ehk), c), 8)),
            mul(mul(mul(e, ehk), h), 9) / 16));
    if (arch == "gemma3n") {
      g.full = mul(g.full, 4);
      g.partial = mul(g.partial, 4);
    }
  } else if (arch == "command-r") {
    g.full = std::max(out_graph, mul(mul(4, b), add(add(2, mul(4, e)), scores)));
    g.partial =
        std::max(add(out_graph, out_weights),
                 add(add(mul(mul(4, b), add(add(1, mul(2, e)), scores)), mul(mul(4, e), c)), mul(mul(e, e), 9) / 16));
  } else if (arch == "qwen2") {
    g.full = std::max(out_graph, mul(mul(4, b), add(add(add(1, mul(2, e)), c), mul(c, h))));
    g.partial =
        std::max(add(out_graph, out_weights), mul(4, add(mul(b, add(add(1, mul(2, e)), scores)), mul(e, add(1, c)))));
  } else if (arch == "phi2") {
    g.full = std::max(out_graph, mul(mul(4, b), add(add(add(1, mul(4, e)), c), mul(c, h))));
    g.partial = std::max(add(mul(mul(4, b), add(mul(2, e), v)), out_weights),
                         mul(mul(4, b), add(add(add(2, mul(3, e)), c), mul(c, h))));
  } else if (arch == "stablelm") {
    g.full = mul(mul(4, b), add(add(scores, mul(3, e)), 2));
    g.partial = std::max(mul(mul(4, b), add(v, mul(2, e))), g.full);
  }
  return g;  // anything else: 0, and estimateGPULayers falls back on the KV size
}

}  // namespace

OllamaEstimate ollama_estimate(const Model& model, const Request& request, const OllamaSettings& s,
                               const std::vector<Bytes>& gpu_free) {
  if (s.num_ctx == 0 || s.num_batch == 0 || s.num_parallel == 0)
    throw UsageError("Ollama's num_ctx, num_batch and num_parallel must be at least 1");
  const ModelConfig& c = model.config;
  OllamaEstimate out;
  out.architecture = ollama_arch(model);
  const std::string& arch = out.architecture;
  if (arch == "deepseek2" || arch == "gptoss" || arch == "gpt-oss" || arch == "mllama" || arch == "chatglm")
    throw UnsupportedError(fmt::format(
        "Ollama's estimate for '{}' ({}) needs what llmmem does not model (MLA key/value lengths, gpt-oss's "
        "sliding cache, cross-attention layers, ChatGLM's qkv bias)",
        arch, model.name));
  const KvType requested_kv = kv_type(s.kv_cache_type);

  // Weights: the GGUF file's own tensors, else the inventory at the requested GGUF type.
  LayerWeights w;
  if (is_gguf_file(model)) {
    w = gguf_layers(*model.files, c.n_layers);
  } else {
    const Precision& p = request.precision ? *request.precision : precision_from_torch_dtype(c.torch_dtype);
    if (p.family != PrecisionFamily::gguf && !p.is_float_16_or_32)
      throw UsageError(
          fmt::format("Ollama runs GGUF files: '{}' is not a GGUF type (try q4_k_m, q8_0 or f16)", p.name));
    w = inventory_layers(model, p);
  }

  // GGML.KV(): the head sizes default to n_embd / n_head (EmbeddingHeadCountMax); llmmem's head_dim
  // is GGUF's attention.key_length, and value_length equals it for the architectures modelled here.
  const std::uint64_t n = c.n_layers, e = c.hidden_size, h = c.n_heads, v = c.vocab_size;
  const std::uint64_t hkv = c.n_kv_heads ? c.n_kv_heads : 1;
  const std::uint64_t eh = h ? e / h : 0;
  const std::uint64_t ehk = c.head_dim ? c.head_dim : eh, ehv = ehk;
  const std::uint64_t ff = c.intermediate_size ? c.intermediate_size : (c.moe ? c.moe->expert_intermediate : 0);

  // Flash attention and the KV type (estimateGPULayers; GGML.SupportsFlashAttention()).
  const bool supports_fa = arch != "gemma2" && ehk != 0 && ehv != 0 && ehk == ehv;
  out.flash_attn = s.flash_attn.value_or(flash_attention_by_default(arch)) && supports_fa;
  const KvType kv = out.flash_attn ? requested_kv : kv_type("f16");
  out.kv_cache_type = std::string(kv.name);

  // GraphSize(context = num_ctx, batch = min(num_ctx, num_batch), numParallel): context *= numParallel.
  const std::uint64_t batch = std::min(s.num_ctx, s.num_batch);
  const std::uint64_t context = mul(s.num_ctx, s.num_parallel);
  const std::uint64_t kv_row = mul(add(ehk, ehv), hkv);  // (K + V head sizes) × KV heads
  out.kv_per_layer.assign(n, Bytes(mul(mul(context, kv_row), kv.num) / kv.den));
  if (arch == "gemma3") {
    // Every 6th layer is global; the others hold numParallel × sliding_window + batch cells.
    const std::uint64_t window = add(mul(s.num_parallel, c.sliding_window), batch);
    for (std::uint64_t i = 0; i < n; ++i)
      if ((i + 1) % 6 != 0) out.kv_per_layer[i] = Bytes(mul(mul(window, kv_row), kv.num) / kv.den);
  }
  for (const Bytes& k : out.kv_per_layer) out.memory_required_kv += k;

  Graph g = graph_size(arch, batch, context, e, h, hkv, eh, ehk, v, ff, w);
  if (g.partial == 0) g.partial = mul(h / hkv, out.memory_required_kv.count()) / 6;  // (heads / headsKV) · kv / 6
  if (g.full == 0) g.full = g.partial;
  if (!gpu_free.empty() && s.metal) {
    g.partial = g.full;  // no partial-offload overhead on Metal
  } else if (gpu_free.size() > 1) {
    g.full = g.partial;  // several GPUs always use the partial graph
  }
  out.graph_full = Bytes(g.full);
  out.graph_partial = Bytes(g.partial);
  const Bytes graph_max(std::max(g.full, g.partial));

  // Placement (estimateGPULayers).
  out.layers_requested = s.num_gpu;
  out.layers_model = n + 1;
  out.minimum_memory = s.metal ? 512_MiB : 457_MiB;
  out.layer_buffer = (w.present.empty() || !w.present[0] ? Bytes{} : w.blocks[0]) + (n ? out.kv_per_layer[0] : Bytes{});
  out.weights_nonrepeating = w.output;
  const Bytes gpu_zero_overhead = s.projector_file ? s.projector_weights : Bytes{};
  const Bytes last_layer = w.output + (s.projector_file ? Bytes{} : s.projector_weights + s.projector_graph);
  out.projector_weights = s.projector_weights;
  out.projector_graph = s.projector_file ? Bytes{} : s.projector_graph;

  const std::size_t n_gpus = gpu_free.size();
  out.allocations.assign(n_gpus, Bytes{});
  std::vector<std::uint64_t> split(n_gpus, 0);
  std::vector<std::size_t> with_space;
  Bytes overflow;
  Bytes layer_size = out.layer_buffer;
  for (std::size_t i = 0; i < n_gpus; ++i) {
    const Bytes gzo = with_space.empty() ? gpu_zero_overhead : Bytes{};
    // Only GPUs that fit the graph, the minimum, the layer buffer and at least one more layer.
    if (gpu_free[i] < s.gpu_overhead + gzo + graph_max + out.minimum_memory + layer_size * 2) continue;
    with_space.push_back(i);
    out.allocations[i] += out.minimum_memory + layer_size;  // the graph comes once full vs partial is known
  }
  if (!with_space.empty())
    out.allocations[with_space.front()] += gpu_zero_overhead;
  else
    overflow += gpu_zero_overhead;

  std::uint64_t count = 0;
  const bool capped = s.num_gpu >= 0;
  const auto cap = static_cast<std::uint64_t>(capped ? s.num_gpu : 0);
  for (std::uint64_t i = n; i-- > 0;) {  // last layer first
    if (w.present[i]) {                  // a missing blk.N keeps the previous layer's size
      layer_size = w.blocks[i] + out.kv_per_layer[i];
      out.weights_repeating += w.blocks[i];
    }
    if (capped && count >= cap) {  // stop at the user's num_gpu
      overflow += layer_size;
      continue;
    }
    // Round robin over the GPUs with space; a GPU that cannot take the layer leaves the rotation.
    for (std::size_t j = with_space.size(); j > 0; --j) {
      const std::size_t k = static_cast<std::size_t>(i % j);
      const std::size_t gpu = with_space[k];
      if (gpu_free[gpu] > s.gpu_overhead + out.allocations[gpu] + graph_max + layer_size) {
        out.allocations[gpu] += layer_size;
        ++split[gpu];
        ++count;
        break;
      }
      with_space.erase(with_space.begin() + static_cast<std::ptrdiff_t>(k));
    }
    if (with_space.empty()) overflow += layer_size;
  }
  bool fully = count >= n;

  // The output layer (with an in-file projector) goes last, on the same rule; no GPU leaves here.
  if (last_layer > Bytes{}) {
    if (!capped || count < cap) {
      for (std::size_t j = with_space.size(); j > 0; --j) {
        const std::size_t gpu = with_space[count % j];
        if (gpu_free[gpu] > s.gpu_overhead + out.allocations[gpu] + graph_max + last_layer) {
          out.allocations[gpu] += last_layer;
          ++split[gpu];
          ++count;
          break;
        }
      }
    }
    if (count < n + 1) {
      fully = false;
      overflow += last_layer;
    }
  }
  out.fully_offloaded = fully;

  Bytes vram;
  for (std::size_t i = 0; i < n_gpus; ++i) {
    if (split[i] > 0) out.allocations[i] += fully ? out.graph_full : out.graph_partial;
    vram += out.allocations[i];
  }
  out.weights_total = out.weights_repeating + out.weights_nonrepeating;
  out.memory_required_full = vram + overflow;
  if (n_gpus > 0 && count > 0) {  // VRAMSize, Layers and TensorSplit stay 0 when nothing fits
    out.layers_offload = count;
    out.layers_split = split;
    out.memory_required_partial = vram;
  }
  return out;
}

}  // namespace llmmem
