#include "llmmem/precision.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "llmmem/error.hpp"
#include "text.hpp"

namespace llmmem {

namespace formats {
// Block sizes of llama.cpp's types are the sizes of the block structs in ggml/src/ggml-common.h.
const StorageFormat f32{"fp32", 4, 1};
const StorageFormat f16{"fp16", 2, 1};
const StorageFormat bf16{"bf16", 2, 1};
const StorageFormat fp8{"fp8", 1, 1};
const StorageFormat int8{"int8", 1, 1};
const StorageFormat int4{"int4", 1, 2};
const StorageFormat q8_0{"q8_0", 34, 32};        // block_q8_0: fp16 d + 32 x int8
const StorageFormat q6_k{"q6_k", 210, 256};      // block_q6_K: ql[128] qh[64] scales[16] fp16 d
const StorageFormat q5_k{"q5_k", 176, 256};      // block_q5_K: fp16 d, dmin, scales[12] qh[32] qs[128]
const StorageFormat q4_k{"q4_k", 144, 256};      // block_q4_K: fp16 d, dmin, scales[12] qs[128]
const StorageFormat q3_k{"q3_k", 110, 256};      // block_q3_K: hmask[32] qs[64] scales[12] fp16 d
const StorageFormat q2_k{"q2_k", 84, 256};       // block_q2_K: scales[16] qs[64] fp16 d, dmin
const StorageFormat q4_0{"q4_0", 18, 32};        // block_q4_0: fp16 d + 16 bytes of nibbles
const StorageFormat q4_1{"q4_1", 20, 32};        // block_q4_1: fp16 d, m + 16 bytes
const StorageFormat q5_0{"q5_0", 22, 32};        // block_q5_0: fp16 d + qh[4] + qs[16]
const StorageFormat q5_1{"q5_1", 24, 32};        // block_q5_1: fp16 d, m + qh[4] + qs[16]
const StorageFormat iq4_xs{"iq4_xs", 136, 256};  // block_iq4_xs: fp16 d, scales_h, scales_l[4], qs[128]
}  // namespace formats

namespace {

using text::lower;

using formats::f32;

// GPTQ (AutoGPTQ QuantLinear): qweight int32 [in/8, out] (4 bits each), qzeros int32 [in/g, out/8]
// (4 bits per group and output), scales fp16 [in/g, out], g_idx int32 [in].
// Per 128 weights of one output column: 64 B + 0.5 B zeros + 2 B scale = 66.5 B -> 133 B / 256 values.
const StorageFormat k_gptq4{"gptq-4bit-g128", 133, 256, 4, 0};
// AWQ (AutoAWQ WQLinear_GEMM): the same qweight/qzeros/scales layout, no g_idx.
const StorageFormat k_awq4{"awq-4bit-g128", 133, 256, 0, 0};
// bitsandbytes LLM.int8 (Int8Params): int8 CB [out, in] + fp32 SCB row scale per output feature.
const StorageFormat k_bnb_int8{"bnb-int8", 1, 1, 0, 4};
// bitsandbytes NF4 (functional.quantize_4bit, blocksize 64): 4-bit codes + one fp32 absmax per 64.
const StorageFormat k_nf4{"nf4", 36, 64};
// NF4 with double quantization (QLoRA, Dettmers et al. 2023, sec. 3): absmax stored as 8 bits per
// 64 values plus one fp32 second-level scale per 256 blocks: per 16384 values 8192 + 256 + 4 bytes.
const StorageFormat k_nf4_dq{"nf4-dq", 8452, 16384};
// MXFP4 (OCP Microscaling Formats spec v1.0): 32 FP4 (E2M1) elements share one E8M0 scale byte.
const StorageFormat k_mxfp4{"mxfp4", 17, 32};

struct Alias {
  std::string_view alias;
  std::string_view canonical;
};

constexpr Alias k_aliases[] = {
    {"float32", "fp32"},
    {"f32", "fp32"},
    {"float", "fp32"},
    {"full", "fp32"},
    {"float16", "fp16"},
    {"f16", "fp16"},
    {"half", "fp16"},
    {"bfloat16", "bf16"},
    {"float8", "fp8"},
    {"f8", "fp8"},
    {"e4m3", "fp8"},
    {"fp8_e4m3", "fp8"},
    {"8bit", "int8"},
    {"i8", "int8"},
    {"4bit", "int4"},
    {"i4", "int4"},
    {"gptq", "gptq-int4"},
    {"gptq-4bit", "gptq-int4"},
    {"awq", "awq-int4"},
    {"awq-4bit", "awq-int4"},
    {"llm.int8", "bnb-int8"},
    {"bnb-8bit", "bnb-int8"},
    {"bnb-nf4", "nf4"},
    {"bnb-4bit", "nf4"},
    {"nf4-double-quant", "nf4-dq"},
    {"qlora", "nf4-dq"},
    {"q4_k", "q4_k_m"},
    {"q5_k", "q5_k_m"},
    {"q3_k", "q3_k_m"},
    {"mxfp4-moe", "mxfp4"},
};

std::vector<Precision> make_precisions() {
  using F = PrecisionFamily;
  const std::string_view ggml = "llama.cpp ggml/src/ggml-common.h block structs; tensor mix from src/llama-quant.cpp";
  return {
      {"fp32", "32-bit float", "IEEE 754 binary32", F::plain, f32, 4, 1, true},
      {"fp16", "16-bit float", "IEEE 754 binary16", F::plain, formats::f16, 2, 1, true},
      {"bf16", "bfloat16", "bfloat16: 8-bit exponent, 7-bit mantissa", F::plain, formats::bf16, 2, 1, true},
      {"fp8", "8-bit float (E4M3), per-tensor scale", "OCP FP8 E4M3; vLLM/TensorRT-LLM fp8 checkpoints", F::plain,
       formats::fp8, 1, 1, false},
      {"int8", "8-bit integer weights (plain)", "1 byte per weight, scales ignored", F::plain, formats::int8, 1, 1,
       false},
      {"int4", "4-bit integer weights (plain)", "0.5 byte per weight, scales ignored", F::plain, formats::int4, 1, 2,
       false},
      {"gptq-int4", "GPTQ 4-bit, group 128, with g_idx", "AutoGPTQ QuantLinear: qweight/qzeros/scales(fp16)/g_idx",
       F::gptq, k_gptq4, 133, 256, false},
      {"awq-int4", "AWQ 4-bit, group 128", "AutoAWQ WQLinear_GEMM: qweight/qzeros/scales(fp16)", F::gptq, k_awq4, 133,
       256, false},
      {"bnb-int8", "bitsandbytes LLM.int8()", "bitsandbytes Int8Params: int8 CB + fp32 SCB per row", F::bnb, k_bnb_int8,
       1, 1, false},
      {"nf4", "bitsandbytes NF4, blocksize 64", "bitsandbytes quantize_4bit: 4-bit codes + fp32 absmax per 64", F::bnb,
       k_nf4, 36, 64, false},
      {"nf4-dq", "bitsandbytes NF4 with double quantization (QLoRA)", "QLoRA paper sec. 3: 4 + 8/64 + 32/(64*256) bits",
       F::bnb, k_nf4_dq, 8452, 16384, false},
      {"mxfp4", "MXFP4 MoE experts, rest bf16 (gpt-oss)", "OCP Microscaling spec v1.0: 32 x E2M1 + E8M0 scale",
       F::mxfp4, k_mxfp4, 17, 32, false},
      {"q8_0", "GGUF Q8_0", ggml, F::gguf, formats::q8_0, 34, 32, false},
      {"q6_k", "GGUF Q6_K", ggml, F::gguf, formats::q6_k, 210, 256, false},
      {"q5_k_m", "GGUF Q5_K_M (Q5_K, Q6_K for some attn_v/ffn_down)", ggml, F::gguf, formats::q5_k, 176, 256, false},
      {"q5_0", "GGUF Q5_0", ggml, F::gguf, formats::q5_0, 22, 32, false},
      {"q4_k_m", "GGUF Q4_K_M (Q4_K, Q6_K for some attn_v/ffn_down)", ggml, F::gguf, formats::q4_k, 144, 256, false},
      {"q4_0", "GGUF Q4_0", ggml, F::gguf, formats::q4_0, 18, 32, false},
      {"iq4_xs", "GGUF IQ4_XS", ggml, F::gguf, formats::iq4_xs, 136, 256, false},
      {"q3_k_m", "GGUF Q3_K_M (Q3_K with Q4_K/Q5_K for attn_v, attn_output, ffn_down)", ggml, F::gguf, formats::q3_k,
       110, 256, false},
      {"q2_k", "GGUF Q2_K (Q3_K for attn_v/ffn_down)", ggml, F::gguf, formats::q2_k, 84, 256, false},
  };
}

std::string valid_names(const std::vector<Precision>& all) {
  std::string out;
  for (const auto& p : all) out += (out.empty() ? "" : ", ") + std::string(p.name);
  return out;
}

const std::vector<StorageFormat> k_kv_formats = {
    formats::f32, formats::f16, formats::bf16, formats::fp8, formats::int8, formats::q8_0, formats::q4_0,
};

}  // namespace

const std::vector<Precision>& all_precisions() {
  static const std::vector<Precision> all = make_precisions();
  return all;
}

const Precision& find_precision(std::string_view name) {
  std::string key = lower(name);
  for (const auto& a : k_aliases)
    if (a.alias == key) key = std::string(a.canonical);
  for (const auto& p : all_precisions())
    if (p.name == key) return p;
  throw UsageError(fmt::format("unknown precision '{}' (valid: {})", name, valid_names(all_precisions())));
}

const Precision& precision_from_torch_dtype(std::string_view torch_dtype) {
  // Called for every estimate: resolve the three answers once, compare without allocating.
  static const Precision& fp32 = find_precision("fp32");
  static const Precision& fp16 = find_precision("fp16");
  static const Precision& bf16 = find_precision("bf16");
  auto equals = [&](std::string_view want) {
    return torch_dtype.size() == want.size() &&
           std::equal(want.begin(), want.end(), torch_dtype.begin(),
                      [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
  };
  if (equals("float32")) return fp32;
  if (equals("float16")) return fp16;
  return bf16;
}

const std::vector<StorageFormat>& all_kv_formats() { return k_kv_formats; }

const StorageFormat& find_kv_format(std::string_view name) {
  std::string key = lower(name);
  if (key == "f32" || key == "float32") key = "fp32";
  if (key == "f16" || key == "float16" || key == "half") key = "fp16";
  if (key == "bfloat16") key = "bf16";
  if (key == "fp8_e4m3" || key == "fp8_e5m2" || key == "f8") key = "fp8";
  if (key == "q8") key = "q8_0";
  if (key == "q4") key = "q4_0";
  for (const auto& f : k_kv_formats)
    if (f.name == key) return f;
  throw UsageError(
      fmt::format("unknown KV-cache precision '{}' (valid: fp32, fp16, bf16, fp8, int8, q8_0, q4_0)", name));
}

}  // namespace llmmem
