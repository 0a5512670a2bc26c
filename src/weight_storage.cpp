#include "llmmem/weight_storage.hpp"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

namespace llmmem {

Bytes tensor_bytes(const StorageFormat& f, std::uint64_t rows, std::uint64_t cols, std::uint64_t count) {
  const std::uint64_t values = checked_mul(rows, cols, "tensor size");
  std::uint64_t one = mul_div_ceil(values, f.block_bytes, f.block_values, "tensor size");
  one = checked_add(one, checked_mul(cols, f.bytes_per_in_feature, "tensor size"), "tensor size");
  one = checked_add(one, checked_mul(rows, f.bytes_per_out_feature, "tensor size"), "tensor size");
  return Bytes(checked_mul(one, count, "tensor size"));
}

namespace {

bool is_block_linear(const TensorGroup& g) {
  return g.is_matrix() && (g.role == TensorRole::attention || g.role == TensorRole::mlp ||
                           g.role == TensorRole::expert || g.role == TensorRole::shared_expert);
}

// llama.cpp src/llama-quant.cpp, use_more_bits(): the first and last eighth of the layers and
// every third layer between them get more bits in the *_M mixes.
bool use_more_bits(std::uint64_t i, std::uint64_t n) {
  return i < n / 8 || i >= 7 * n / 8 || (i >= n / 8 && (i - n / 8) % 3 == 2);
}

// The type llama.cpp's quantizer gives tensor `g` in layer `i` of `n` for the file type `p`.
const StorageFormat& gguf_type(const Precision& p, const TensorGroup& g, std::uint64_t i, std::uint64_t n) {
  const std::string_view name = p.name;
  const bool v = g.lora_target == "v", down = g.lora_target == "down", o = g.lora_target == "o";
  if (name == "q4_k_m" && (v || down)) return use_more_bits(i, n) ? formats::q6_k : formats::q4_k;
  if (name == "q5_k_m" && (v || down)) return use_more_bits(i, n) ? formats::q6_k : formats::q5_k;
  if (name == "q3_k_m") {
    if (v) return i < 2 ? formats::q5_k : formats::q4_k;
    if (down) return i < n / 16 ? formats::q5_k : (use_more_bits(i, n) ? formats::q4_k : formats::q3_k);
    if (o) return formats::q4_k;
  }
  if (name == "q2_k" && (v || down)) return formats::q3_k;
  return p.linear;
}

void add(GroupStorage& out, const StorageFormat& f, std::uint64_t values, Bytes bytes) {
  for (std::size_t i = 0; i < out.n_shares; ++i) {
    if (out.shares[i].format == &f) {
      out.shares[i].values += values;
      out.shares[i].bytes += bytes;
      out.total += bytes;
      return;
    }
  }
  out.shares[out.n_shares++] = {&f, values, bytes};  // at most 3 formats per group (GGUF mixes)
  out.total += bytes;
}

}  // namespace

GroupStorage group_storage(const Precision& p, const StorageFormat& compute, const ModelConfig& c,
                           const TensorGroup& g) {
  GroupStorage out;
  const std::uint64_t values = g.elements();
  auto whole = [&](const StorageFormat& f) { add(out, f, values, tensor_bytes(f, g.rows, g.cols, g.count)); };
  if (p.family == PrecisionFamily::plain) {
    // fp32/fp16/bf16 store everything in that type; fp8/int8/int4 quantize the block linears only.
    whole((p.is_float_16_or_32 || is_block_linear(g)) ? p.linear : compute);
  } else if (p.family == PrecisionFamily::gguf) {
    if (!g.is_matrix()) {  // llama.cpp keeps 1-D tensors (norms, biases) in f32
      whole(formats::f32);
    } else if (g.role == TensorRole::lm_head) {
      // output.weight: Q6_K for the k-quant and legacy 4/5-bit types, else the file type.
      whole(p.name == "q8_0" ? formats::q8_0 : formats::q6_k);
    } else if (g.role == TensorRole::router || (!is_block_linear(g) && g.role != TensorRole::embedding)) {
      // (token_embd stays in the file type below; where it lives is the engine's choice)
      whole(formats::f16);
    } else if (g.per_layer && g.count % c.n_layers == 0) {
      const std::uint64_t per_layer = g.count / c.n_layers;
      for (std::uint64_t i = 0; i < c.n_layers; ++i) {
        const StorageFormat& f = gguf_type(p, g, i, c.n_layers);
        add(out, f, checked_mul(values / g.count, per_layer, "parameters"), tensor_bytes(f, g.rows, g.cols, per_layer));
      }
    } else {
      whole(p.linear);
    }
  } else {
    // GPTQ/AWQ/bitsandbytes quantize the decoder's linear layers; MXFP4 (gpt-oss) only the experts.
    const bool quantized =
        p.family == PrecisionFamily::mxfp4 ? g.role == TensorRole::expert && g.is_matrix() : is_block_linear(g);
    whole(quantized ? p.linear : compute);
  }
  return out;
}

Bytes layer_storage(const Precision& p, const StorageFormat& compute, const ModelConfig& c, const TensorGroup& g,
                    std::uint64_t layer) {
  if (!g.per_layer || c.n_layers == 0 || g.count % c.n_layers != 0) return Bytes(0);
  const std::uint64_t per_layer = g.count / c.n_layers;
  if (p.family == PrecisionFamily::gguf && g.is_matrix() && is_block_linear(g))
    return tensor_bytes(gguf_type(p, g, layer, c.n_layers), g.rows, g.cols, per_layer);
  // Every other format stores each layer alike: an even share of the group.
  return Bytes(group_storage(p, compute, c, g).total.count() / c.n_layers);
}

void add_shares(std::vector<FormatShare>& tally, const GroupStorage& group) {
  for (std::size_t i = 0; i < group.n_shares; ++i) {
    const auto& s = group.shares[i];
    auto it =
        std::find_if(tally.begin(), tally.end(), [&](const FormatShare& f) { return f.format == s.format->name; });
    if (it == tally.end()) {
      tally.push_back({std::string(s.format->name), s.values, s.bytes});
    } else {
      it->values = checked_add(it->values, s.values, "parameters");
      it->bytes += s.bytes;
    }
  }
}

WeightStorage weight_storage(const Precision& p, const StorageFormat& compute, const ModelConfig& c,
                             const std::vector<TensorGroup>& groups, bool token_embeddings_on_host) {
  WeightStorage w;
  for (const auto& g : groups) {
    const GroupStorage one = group_storage(p, compute, c, g);
    if (token_embeddings_on_host && g.role == TensorRole::embedding) {
      w.host += one.total;
      continue;
    }
    add_shares(w.by_format, one);
    w.total += one.total;
  }
  return w;
}

namespace {
double bits(Bytes bytes, std::uint64_t elements) {
  return elements == 0 ? 0.0 : 8.0 * static_cast<double>(bytes.count()) / static_cast<double>(elements);
}
}  // namespace

double stored_bits_per_weight(const TensorFile& files) { return bits(files.total_bytes(), files.total_elements()); }

std::string stored_mix(const TensorFile& files) {
  std::string out = fmt::format("{:.4g} bits per weight as stored", stored_bits_per_weight(files));
  const char* sep = ": ";
  for (const auto& d : files.by_dtype()) {
    fmt::format_to(std::back_inserter(out), "{}{} {} ({:.4g} bits)", sep, d.elements, d.dtype,
                   bits(d.bytes, d.elements));
    sep = " + ";
  }
  return out;
}

}  // namespace llmmem
