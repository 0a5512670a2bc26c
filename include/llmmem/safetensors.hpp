#pragma once
// safetensors headers (https://github.com/huggingface/safetensors, "Format" section): 8 bytes
// little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}, "__metadata__"},
// then the data. Only the header is read, never the data.
#include <filesystem>

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

// Bytes per element of a safetensors dtype ("BF16" -> 2); 0 when unknown.
[[nodiscard]] std::uint64_t safetensors_dtype_bytes(std::string_view dtype);

}  // namespace llmmem
