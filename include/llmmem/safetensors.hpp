#pragma once
// safetensors headers (https://github.com/huggingface/safetensors, "Format" section): 8 bytes
// little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}, "__metadata__"},
// then the data. Only the header is read, never the data.
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "llmmem/byte_source.hpp"
#include "llmmem/tensor_file.hpp"

namespace llmmem {

// The format caps the header at 100 MB (safetensors' MAX_HEADER_SIZE).
constexpr std::uint64_t k_max_safetensors_header = 100'000'000;

// Reads and validates one file's header: length within the cap and the file, valid UTF-8 JSON
// object, no duplicate names, known dtypes, shape × dtype size == data_offsets span (checked
// multiplication), offsets inside the data section, tensors neither overlapping nor leaving holes.
// Throws InputError naming the source and the culprit.
[[nodiscard]] TensorFile read_safetensors(const ByteSource& source);

// A checkpoint folder: model.safetensors, or model.safetensors.index.json and each shard's header.
// Throws InputError when neither exists or a shard is missing or malformed.
[[nodiscard]] TensorFile read_safetensors_checkpoint(const std::filesystem::path& dir);

// model.safetensors.index.json: the shards its weight_map names (sorted, each a plain file name:
// no '/' or "..") and the map itself. Throws InputError naming `origin`.
struct SafetensorsIndex {
  std::vector<std::string> shards;
  std::vector<std::pair<std::string, std::string>> weight_map;  // tensor -> shard
};
[[nodiscard]] SafetensorsIndex parse_safetensors_index(std::string_view text, const std::string& origin);

// One checkpoint from its shards' headers (in `index.shards` order, each named as its TensorFile's
// files[0]): no tensor in two shards, every tensor of the weight_map present. `where` names the
// checkpoint in messages. Local folders and the Hub's shards go through this same check.
[[nodiscard]] TensorFile merge_safetensors_shards(const SafetensorsIndex& index, std::vector<TensorFile> shards,
                                                  const std::string& where, const std::string& origin);

// Bytes per element of a safetensors dtype ("BF16" -> 2); 0 when unknown.
[[nodiscard]] std::uint64_t safetensors_dtype_bytes(std::string_view dtype);

}  // namespace llmmem
