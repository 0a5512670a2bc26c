#pragma once
// Weight and cache storage formats: how many bytes a block of values takes, where that figure
// comes from, and which tensors an engine keeps in which format.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace llmmem {

// A storage format for one tensor: `block_bytes` bytes hold `block_values` values, plus optional
// per-row metadata (GPTQ's int32 g_idx per input feature, LLM.int8's fp32 scale per output row).
struct StorageFormat {
  std::string_view name;  // "bf16", "q4_0", "nf4-dq", "gptq-4bit-g128"
  std::uint64_t block_bytes = 2;
  std::uint64_t block_values = 1;
  std::uint64_t bytes_per_in_feature = 0;
  std::uint64_t bytes_per_out_feature = 0;

  [[nodiscard]] double bits_per_value() const {
    return 8.0 * static_cast<double>(block_bytes) / static_cast<double>(block_values);
  }
  friend bool operator==(const StorageFormat& a, const StorageFormat& b) { return a.name == b.name; }
};

// The families of weight precisions, which decide how non-linear tensors are stored.
enum class PrecisionFamily {
  plain,  // fp32/fp16/bf16/fp8/int8/int4: every tensor in one format (norms kept 16-bit)
  gguf,   // llama.cpp files: k-quant mixes, norms f32, output matrix usually q6_k
  gptq,   // GPTQ/AWQ checkpoints: linear layers packed, embeddings and LM head 16-bit
  bnb,    // bitsandbytes int8 / NF4: linear layers quantized, LM head and embeddings 16-bit
  mxfp4,  // gpt-oss: MoE expert weights MXFP4, everything else bf16
};

// A weight precision the user can name with --precision.
struct Precision {
  std::string_view name;  // canonical name, lower case
  std::string_view description;
  std::string_view source;  // where the bits per weight come from
  PrecisionFamily family = PrecisionFamily::plain;
  StorageFormat linear;  // the main format of quantizable 2-D weights
  // The article's bytes per parameter (document method), as num/den; only plain formats have it.
  std::uint64_t document_bytes_num = 0;
  std::uint64_t document_bytes_den = 1;
  bool is_float_16_or_32 = false;  // fp32/fp16/bf16: also a valid compute and KV dtype
  // Quality rank: the order `fit` tries precisions in for "best precision that fits", 1 best; 0 not
  // tried (fp32 wastes memory, fp16 is the model's own 16-bit dtype in bf16's place, the rest are
  // variants of a ranked format). GGUF ranks follow the perplexity column of llama.cpp's quantize
  // table (tools/quantize/README.md); GPTQ/AWQ/NF4 sit between Q5_K_M and Q4_0 as the AWQ paper's
  // (Lin et al. 2023, table 4) and QLoRA's (Dettmers et al. 2023, sec. 4) perplexities place them.
  unsigned quality_rank = 0;
};

// All weight precisions, in the order `llmmem precisions` lists them.
[[nodiscard]] const std::vector<Precision>& all_precisions();

// Finds a precision by name or alias, case-insensitively ("BF16", "bfloat16", "half", "4bit",
// "Q4_K_M", "gptq"). Throws UsageError listing the valid names when unknown.
[[nodiscard]] const Precision& find_precision(std::string_view name);

// Maps a config's torch_dtype ("bfloat16", "float16", "float32") to a precision; bf16 when absent.
[[nodiscard]] const Precision& precision_from_torch_dtype(std::string_view torch_dtype);

// KV-cache element formats (--kv-precision): fp32, fp16, bf16, fp8, int8, q8_0, q4_0.
[[nodiscard]] const StorageFormat& find_kv_format(std::string_view name);
[[nodiscard]] const std::vector<StorageFormat>& all_kv_formats();

// One row per ggml tensor type: the id GGUF files store (ggml/include/ggml.h, enum ggml_type), the
// name ggml_type_name() prints, and the size of one block (values per block, bytes per block) from
// the block struct in ggml/src/ggml-common.h that `source` names. The GGUF reader sizes tensors
// with it and the llama.cpp formats below take their block sizes from it.
struct GgmlType {
  std::uint32_t id = 0;
  std::string_view name;  // "q4_K", "f16"
  std::uint64_t block_values = 1;
  std::uint64_t block_bytes = 1;
  std::string_view source;  // the block struct and its fields
};

// Every ggml type llmmem knows, in id order.
[[nodiscard]] std::span<const GgmlType> ggml_types();

// The row for a ggml_type id; nullptr for ids that are unknown or were removed from ggml.
[[nodiscard]] const GgmlType* find_ggml_type(std::uint32_t id);

// Commonly used formats, shared by the estimator and the file readers.
namespace formats {
extern const StorageFormat f32, f16, bf16, fp8, int8, int4;
extern const StorageFormat q8_0, q6_k, q5_k, q4_k, q3_k, q2_k, q4_0, q4_1, q5_0, q5_1, iq4_xs;
}  // namespace formats

}  // namespace llmmem
