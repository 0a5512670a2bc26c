#pragma once
// Which tensors an engine keeps in which storage format, and the bytes that takes.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "llmmem/bytes.hpp"
#include "llmmem/model_config.hpp"
#include "llmmem/parameters.hpp"
#include "llmmem/precision.hpp"
#include "llmmem/tensor_file.hpp"

namespace llmmem {

// Bytes of `count` tensors of shape [rows, cols] in `format` (blocks rounded up per tensor).
[[nodiscard]] Bytes tensor_bytes(const StorageFormat& format, std::uint64_t rows, std::uint64_t cols,
                                 std::uint64_t count);

struct FormatShare {
  std::string format;
  std::uint64_t values = 0;
  Bytes bytes;
};

struct WeightStorage {
  Bytes total;                         // on the GPU
  Bytes host;                          // kept in host memory by the engine (llama.cpp token_embd)
  std::vector<FormatShare> by_format;  // what `total` is made of
};

// How one tensor group is stored: at most four formats (GGUF mixes give some layers more bits).
// Computed without allocating; the building block of weight_storage() and the per-GPU split.
struct GroupStorage {
  struct Share {
    const StorageFormat* format = nullptr;
    std::uint64_t values = 0;
    Bytes bytes;
  };
  std::array<Share, 4> shares{};
  std::size_t n_shares = 0;
  Bytes total;
};
[[nodiscard]] GroupStorage group_storage(const Precision& precision, const StorageFormat& compute,
                                         const ModelConfig& config, const TensorGroup& group);

// The bytes of the tensors `group` has in decoder layer `layer` (0 for a group that is not per
// layer), in the format llama.cpp's mixes give that layer.
[[nodiscard]] Bytes layer_storage(const Precision& precision, const StorageFormat& compute, const ModelConfig& config,
                                  const TensorGroup& group, std::uint64_t layer);

// Adds a group's shares to a per-format tally (one entry per format, in first-seen order).
void add_shares(std::vector<FormatShare>& tally, const GroupStorage& group);

// Storage of every group under `precision`, with `compute` the 16/32-bit dtype of unquantized
// tensors. Quantized families keep embeddings, LM head, norms, biases and routers unquantized, as
// the engines do; GGUF mixes follow llama.cpp's llama_tensor_get_type (src/llama-quant.cpp).
// `token_embeddings_on_host`: the engine keeps the token embeddings in host memory (llama.cpp);
// they are counted in `host`, not `total`.
[[nodiscard]] WeightStorage weight_storage(const Precision& precision, const StorageFormat& compute,
                                           const ModelConfig& config, const std::vector<TensorGroup>& groups,
                                           bool token_embeddings_on_host);

// Bits per weight of a checkpoint as its headers store it: 8 × bytes / elements over every tensor.
// GGUF shapes count logical values, so for a GGUF file this is its real bits per weight (about 4.9
// for a Q4_K_M mix); for packed safetensors (GPTQ int32, bnb uint8) it is per stored element. 0 for
// a file without elements.
[[nodiscard]] double stored_bits_per_weight(const TensorFile& files);

// The weights detail (--explain, JSON) for a checkpoint read from its headers: the bits per weight
// over the file, then each dtype's elements and bits per weight, largest share first:
// "4.89 bits per weight as stored: 3623878656 q4_K (4.5 bits) + 492830720 q6_K (6.5625 bits) + ...".
[[nodiscard]] std::string stored_mix(const TensorFile& files);

}  // namespace llmmem
