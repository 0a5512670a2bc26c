#pragma once
// GGUF files (llama.cpp docs/gguf.md, versions 2 and 3): magic, version, tensor and metadata
// counts, typed key/value metadata, tensor infos (name, dims, ggml type, offset), aligned data.
// Only the header is read; every count, length and offset is checked against the file size.
// Tensor sizes come from the one ggml type table, find_ggml_type() in precision.hpp.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "llmmem/byte_source.hpp"
#include "llmmem/model_config.hpp"
#include "llmmem/precision.hpp"
#include "llmmem/tensor_file.hpp"

namespace llmmem {

struct GgufFile {
  std::uint32_t version = 0;
  std::uint64_t alignment = 32;
  std::uint64_t data_offset = 0;
  // Scalar metadata as text or numbers; arrays are kept as their length only.
  std::map<std::string, std::string> strings;
  std::map<std::string, double> numbers;
  std::map<std::string, std::uint64_t> array_lengths;
  std::map<std::string, double> array_max;  // numeric arrays (per-layer head counts): their largest value
  TensorFile tensors;

  [[nodiscard]] std::optional<double> number(const std::string& key) const;
  [[nodiscard]] std::string architecture() const;
};

// Reads one GGUF file's header. Throws InputError naming the source and the culprit.
[[nodiscard]] GgufFile read_gguf(const ByteSource& source);

// Reads a GGUF file, or all parts of a split one ("-00001-of-00003.gguf"), merging their tensors.
[[nodiscard]] GgufFile read_gguf_file(const std::filesystem::path& path);

// One model from the parts of a split GGUF, in order: the first part's metadata, every part's
// tensors (each TensorInfo::file indexing its part); a tensor in two parts is an InputError.
[[nodiscard]] GgufFile merge_gguf_parts(std::vector<GgufFile> parts);

// llama.cpp gguf-split's part names, PREFIX-00001-of-00003.gguf: the prefix, this part's number and
// the count; nullopt for other names (and counts outside 1..9999).
struct GgufSplitName {
  std::string prefix;
  int part = 0, count = 0;
};
[[nodiscard]] std::optional<GgufSplitName> parse_gguf_split_name(const std::string& file_name);

// The architecture keys as a ModelConfig (Llama-like block description) for KV and activations.
[[nodiscard]] ModelConfig config_from_gguf(const GgufFile& file, const std::string& origin);

}  // namespace llmmem
