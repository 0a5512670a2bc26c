#include "llmmem/precision.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <fmt/format.h>

#include "llmmem/error.hpp"
#include "text.hpp"

namespace llmmem {

namespace {

// ggml/include/ggml.h enum ggml_type gives the ids (4, 5, 31-33 and 36-38 were removed from ggml and
// are absent here); each size is sizeof the block struct in ggml/src/ggml-common.h, with
// QK_K = 256, QK4_0 = QK4_1 = QK5_0 = QK5_1 = QK8_0 = QK8_1 = QK4_NL = QK_MXFP4 = 32 and
// ggml_half = 2 bytes.
constexpr GgmlType k_ggml_types[] = {
    {.id = 0, .name = "f32", .block_values = 1, .block_bytes = 4, .source = "float"},
    {.id = 1, .name = "f16", .block_values = 1, .block_bytes = 2, .source = "ggml_fp16_t"},
    {.id = 2, .name = "q4_0", .block_values = 32, .block_bytes = 18, .source = "block_q4_0: d, qs[16]"},
    {.id = 3, .name = "q4_1", .block_values = 32, .block_bytes = 20, .source = "block_q4_1: d, m, qs[16]"},
    {.id = 6, .name = "q5_0", .block_values = 32, .block_bytes = 22, .source = "block_q5_0: d, qh[4], qs[16]"},
    {.id = 7, .name = "q5_1", .block_values = 32, .block_bytes = 24, .source = "block_q5_1: d, m, qh[4], qs[16]"},
    {.id = 8, .name = "q8_0", .block_values = 32, .block_bytes = 34, .source = "block_q8_0: d, qs[32]"},
    {.id = 9, .name = "q8_1", .block_values = 32, .block_bytes = 36, .source = "block_q8_1: d, s, qs[32]"},
    {.id = 10,
     .name = "q2_K",
     .block_values = 256,
     .block_bytes = 84,
     .source = "block_q2_K: scales[16], qs[64], d, dmin"},
    {.id = 11,
     .name = "q3_K",
     .block_values = 256,
     .block_bytes = 110,
     .source = "block_q3_K: hmask[32], qs[64], scales[12], d"},
    {.id = 12,
     .name = "q4_K",
     .block_values = 256,
     .block_bytes = 144,
     .source = "block_q4_K: d, dmin, scales[12], qs[128]"},
    {.id = 13,
     .name = "q5_K",
     .block_values = 256,
     .block_bytes = 176,
     .source = "block_q5_K: d, dmin, scales[12], qh[32], qs[128]"},
    {.id = 14,
     .name = "q6_K",
     .block_values = 256,
     .block_bytes = 210,
     .source = "block_q6_K: ql[128], qh[64], scales[16], d"},
    {.id = 15,
     .name = "q8_K",
     .block_values = 256,
     .block_bytes = 292,
     .source = "block_q8_K: float d, qs[256], int16 bsums[16]"},
    {.id = 16, .name = "iq2_xxs", .block_values = 256, .block_bytes = 66, .source = "block_iq2_xxs: d, uint16 qs[32]"},
    {.id = 17,
     .name = "iq2_xs",
     .block_values = 256,
     .block_bytes = 74,
     .source = "block_iq2_xs: d, uint16 qs[32], scales[8]"},
    {.id = 18, .name = "iq3_xxs", .block_values = 256, .block_bytes = 98, .source = "block_iq3_xxs: d, qs[96]"},
    {.id = 19,
     .name = "iq1_s",
     .block_values = 256,
     .block_bytes = 50,
     .source = "block_iq1_s: d, qs[32], uint16 qh[8]"},
    {.id = 20, .name = "iq4_nl", .block_values = 32, .block_bytes = 18, .source = "block_iq4_nl: d, qs[16]"},
    {.id = 21,
     .name = "iq3_s",
     .block_values = 256,
     .block_bytes = 110,
     .source = "block_iq3_s: d, qs[64], qh[8], signs[32], scales[4]"},
    {.id = 22,
     .name = "iq2_s",
     .block_values = 256,
     .block_bytes = 82,
     .source = "block_iq2_s: d, qs[64], qh[8], scales[8]"},
    {.id = 23,
     .name = "iq4_xs",
     .block_values = 256,
     .block_bytes = 136,
     .source = "block_iq4_xs: d, uint16 scales_h, scales_l[4], qs[128]"},
    {.id = 24, .name = "i8", .block_values = 1, .block_bytes = 1, .source = "int8_t"},
    {.id = 25, .name = "i16", .block_values = 1, .block_bytes = 2, .source = "int16_t"},
    {.id = 26, .name = "i32", .block_values = 1, .block_bytes = 4, .source = "int32_t"},
    {.id = 27, .name = "i64", .block_values = 1, .block_bytes = 8, .source = "int64_t"},
    {.id = 28, .name = "f64", .block_values = 1, .block_bytes = 8, .source = "double"},
    {.id = 29,
     .name = "iq1_m",
     .block_values = 256,
     .block_bytes = 56,
     .source = "block_iq1_m: qs[32], qh[16], scales[8]"},
    {.id = 30, .name = "bf16", .block_values = 1, .block_bytes = 2, .source = "ggml_bf16_t"},
    {.id = 34, .name = "tq1_0", .block_values = 256, .block_bytes = 54, .source = "block_tq1_0: qs[48], qh[4], d"},
    {.id = 35, .name = "tq2_0", .block_values = 256, .block_bytes = 66, .source = "block_tq2_0: qs[64], d"},
    {.id = 39, .name = "mxfp4", .block_values = 32, .block_bytes = 17, .source = "block_mxfp4: E8M0 e, qs[16]"},
};

// A llama.cpp storage format under llmmem's name, its block size taken from the table above.
constexpr StorageFormat ggml_format(std::string_view ggml_name, std::string_view name) {
  for (const auto& t : k_ggml_types)
    if (t.name == ggml_name) return StorageFormat{name, t.block_bytes, t.block_values};
  throw std::logic_error("not a ggml type");  // evaluated at compile time: a typo fails the build
}

}  // namespace

namespace formats {
const StorageFormat f32{"fp32", 4, 1};
const StorageFormat f16{"fp16", 2, 1};
const StorageFormat bf16{"bf16", 2, 1};
const StorageFormat fp8{"fp8", 1, 1};
const StorageFormat int8{"int8", 1, 1};
const StorageFormat int4{"int4", 1, 2};
constinit const StorageFormat q8_0 = ggml_format("q8_0", "q8_0");
constinit const StorageFormat q6_k = ggml_format("q6_K", "q6_k");
constinit const StorageFormat q5_k = ggml_format("q5_K", "q5_k");
constinit const StorageFormat q4_k = ggml_format("q4_K", "q4_k");
constinit const StorageFormat q3_k = ggml_format("q3_K", "q3_k");
constinit const StorageFormat q2_k = ggml_format("q2_K", "q2_k");
constinit const StorageFormat q4_0 = ggml_format("q4_0", "q4_0");
constinit const StorageFormat q4_1 = ggml_format("q4_1", "q4_1");
constinit const StorageFormat q5_0 = ggml_format("q5_0", "q5_0");
constinit const StorageFormat q5_1 = ggml_format("q5_1", "q5_1");
constinit const StorageFormat iq4_xs = ggml_format("iq4_xs", "iq4_xs");
}  // namespace formats

std::span<const GgmlType> ggml_types() { return k_ggml_types; }

const GgmlType* find_ggml_type(std::uint32_t id) {
  for (const auto& t : k_ggml_types)
    if (t.id == id) return &t;
  return nullptr;
}

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
// MXFP4 (OCP Microscaling Formats spec v1.0): 32 FP4 (E2M1) elements share one E8M0 scale byte,
// which is also ggml's block_mxfp4.
constexpr StorageFormat k_mxfp4 = ggml_format("mxfp4", "mxfp4");

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
  // A llama.cpp file type: its main format's block size is also its bytes per parameter.
  auto gguf = [&](std::string_view name, std::string_view description, const StorageFormat& f, unsigned rank) {
    return Precision{name, description, ggml, F::gguf, f, f.block_bytes, f.block_values, false, rank};
  };
  return {
      {"fp32", "32-bit float", "IEEE 754 binary32", F::plain, f32, 4, 1, true, 0},
      {"fp16", "16-bit float", "IEEE 754 binary16", F::plain, formats::f16, 2, 1, true, 0},
      {"bf16", "bfloat16", "bfloat16: 8-bit exponent, 7-bit mantissa", F::plain, formats::bf16, 2, 1, true, 1},
      {"fp8", "8-bit float (E4M3), per-tensor scale", "OCP FP8 E4M3; vLLM/TensorRT-LLM fp8 checkpoints", F::plain,
       formats::fp8, 1, 1, false, 2},
      {"int8", "8-bit integer weights (plain)", "1 byte per weight, scales ignored", F::plain, formats::int8, 1, 1,
       false, 4},
      {"int4", "4-bit integer weights (plain)", "0.5 byte per weight, scales ignored", F::plain, formats::int4, 1, 2,
       false, 0},
      {"gptq-int4", "GPTQ 4-bit, group 128, with g_idx", "AutoGPTQ QuantLinear: qweight/qzeros/scales(fp16)/g_idx",
       F::gptq, k_gptq4, 133, 256, false, 8},
      {"awq-int4", "AWQ 4-bit, group 128", "AutoAWQ WQLinear_GEMM: qweight/qzeros/scales(fp16)", F::gptq, k_awq4, 133,
       256, false, 7},
      {"bnb-int8", "bitsandbytes LLM.int8()", "bitsandbytes Int8Params: int8 CB + fp32 SCB per row", F::bnb, k_bnb_int8,
       1, 1, false, 0},
      {"nf4", "bitsandbytes NF4, blocksize 64", "bitsandbytes quantize_4bit: 4-bit codes + fp32 absmax per 64", F::bnb,
       k_nf4, 36, 64, false, 10},
      {"nf4-dq", "bitsandbytes NF4 with double quantization (QLoRA)", "QLoRA paper sec. 3: 4 + 8/64 + 32/(64*256) bits",
       F::bnb, k_nf4_dq, 8452, 16384, false, 0},
      {"mxfp4", "MXFP4 MoE experts, rest bf16 (gpt-oss)", "OCP Microscaling spec v1.0: 32 x E2M1 + E8M0 scale",
       F::mxfp4, k_mxfp4, 17, 32, false, 0},
      gguf("q8_0", "GGUF Q8_0", formats::q8_0, 3),
      gguf("q6_k", "GGUF Q6_K", formats::q6_k, 5),
      gguf("q5_k_m", "GGUF Q5_K_M (Q5_K, Q6_K for some attn_v/ffn_down)", formats::q5_k, 6),
      gguf("q5_0", "GGUF Q5_0", formats::q5_0, 0),
      gguf("q4_k_m", "GGUF Q4_K_M (Q4_K, Q6_K for some attn_v/ffn_down)", formats::q4_k, 9),
      gguf("q4_0", "GGUF Q4_0", formats::q4_0, 11),
      gguf("iq4_xs", "GGUF IQ4_XS", formats::iq4_xs, 12),
      gguf("q3_k_m", "GGUF Q3_K_M (Q3_K with Q4_K/Q5_K for attn_v, attn_output, ffn_down)", formats::q3_k, 13),
      gguf("q2_k", "GGUF Q2_K (Q3_K for attn_v/ffn_down)", formats::q2_k, 14),
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
