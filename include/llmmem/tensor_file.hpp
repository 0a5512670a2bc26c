#pragma once
// What a checkpoint's headers say about its tensors: names, storage types, shapes and exact bytes.
// Shared by the safetensors and GGUF readers, `llmmem inspect` and the estimator.
#include <cstdint>
#include <string>
#include <vector>

#include "llmmem/bytes.hpp"

namespace llmmem {

struct TensorInfo {
  std::string name;
  std::string dtype;                 // "BF16", "F8_E4M3", "I32" (safetensors); "q4_K", "f16" (GGUF)
  std::vector<std::uint64_t> shape;  // as the file lists it
  std::uint64_t elements = 0;        // product of shape (stored elements, packed ones counted as stored)
  std::uint64_t offset = 0;          // of the data, relative to the file's data section
  std::uint64_t bytes = 0;           // exact stored bytes
  std::uint32_t file = 0;            // index into TensorFile::files for sharded checkpoints
};

struct DtypeTotal {
  std::string dtype;
  std::uint64_t tensors = 0;
  std::uint64_t elements = 0;
  Bytes bytes;
};

struct TensorFile {
  std::string format;              // "safetensors" or "gguf"
  std::vector<std::string> files;  // the files read, in order
  std::vector<TensorInfo> tensors;

  [[nodiscard]] std::vector<DtypeTotal> by_dtype() const;
  [[nodiscard]] Bytes total_bytes() const;
  [[nodiscard]] std::uint64_t total_elements() const;
};

}  // namespace llmmem
