#pragma once
// The estimator: a Model and a Request in, an Estimate (a plain record of components) out.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmmem/bytes.hpp"
#include "llmmem/model_config.hpp"
#include "llmmem/parameters.hpp"
#include "llmmem/request.hpp"
#include "llmmem/tensor_file.hpp"

namespace llmmem {

// A model ready to estimate: its config and, when the architecture is supported, its inventory.
struct Model {
  std::string name;  // catalog alias, or the path it was read from
  std::optional<std::string> hf_id;
  ModelConfig config;
  std::optional<ParameterCount> params;      // empty when the architecture is not supported
  std::optional<TensorFile> files;           // tensors read from safetensors/GGUF headers: exact stored bytes
  const EngineProfile* engine = nullptr;     // the engine its files are made for (GGUF: llama.cpp), if any
  std::vector<std::string> notes{};          // what the loader noticed (a file that contradicts its config, ...);
                                             // copied into every estimate of this model
  std::optional<TensorFile> vision_files{};  // --mmproj: llama.cpp's projector GGUF (the vision tower), exact bytes
};

// Builds a Model from a config, counting parameters where the architecture is supported.
[[nodiscard]] Model make_model(std::string name, std::optional<std::string> hf_id, ModelConfig config);

// One figure an estimate used, for --explain and the JSON "inputs".
struct Input {
  std::string_view name;  // always a string literal
  double value = 0;
};

// The inputs of one component: a fixed-capacity list, so that an estimate allocates little.
class InputList {
 public:
  static constexpr std::size_t k_capacity = 12;
  InputList() = default;
  InputList(std::initializer_list<Input> inputs) {
    for (const auto& in : inputs) push_back(in);
  }
  void push_back(Input in) {
    if (m_size < k_capacity) m_items[m_size++] = in;  // capacity covers every component's inputs
  }
  [[nodiscard]] const Input* begin() const { return m_items.data(); }
  [[nodiscard]] const Input* end() const { return m_items.data() + m_size; }
  [[nodiscard]] std::size_t size() const { return m_size; }
  [[nodiscard]] bool empty() const { return m_size == 0; }

 private:
  std::array<Input, k_capacity> m_items{};
  std::size_t m_size = 0;
};

// One line of the breakdown. `id` is a stable snake_case key: weights, kv_cache, activations,
// logits, gradients, optimizer_states, master_weights, lora_adapters, overhead.
struct Component {
  std::string id;
  std::string label;
  Bytes bytes;
  const char* formula = "";  // how `bytes` was computed, in words and symbols: a string literal
                             // (const char*, so that a temporary std::string cannot bind to it)
  InputList inputs;
  std::string detail{};  // the variable part of the explanation (weights: the format mix), may be empty
  // What the component keeps in host (system) memory on one node instead of on the GPU: weights of
  // layers llama.cpp leaves on the CPU, token embeddings, ZeRO-Offload's optimizer states. `bytes`
  // is the GPU part only.
  Bytes host{};

  // formula and detail together, as --explain and the JSON show them.
  [[nodiscard]] std::string explanation() const {
    return detail.empty() ? std::string(formula) : std::string(formula) + ": " + detail;
  }
};

struct Estimate {
  Mode mode = Mode::inference;
  Method method = Method::detailed;
  std::string model_name;
  std::optional<std::string> hf_id;
  std::string model_type;
  std::uint64_t parameters = 0;
  std::uint64_t active_parameters = 0;
  std::uint64_t trainable_parameters = 0;
  std::string precision;  // weight precision name
  std::string kv_precision;
  const EngineProfile* engine = nullptr;     // the engine assumed (detailed method)
  std::uint64_t prefill_chunk = 0;           // tokens per prefill step used (0: the whole prompt)
  std::uint64_t image_tokens_per_image = 0;  // vision-language models with --images: tokens one image adds
  std::uint64_t image_tokens = 0;            // request.images × image_tokens_per_image, in each sequence
  Request request;
  std::vector<Component> components;  // for one GPU of the layout (the most loaded one)
  Bytes total;                        // sum of components' GPU bytes
  Bytes host_total;                   // sum of components' host bytes (one node)
  std::vector<std::string> notes;     // assumptions worth telling the user

  [[nodiscard]] const Component* find(std::string_view id) const;
};

// The estimate as each tool measures it (what published figures report): torch's
// max_memory_allocated (the components without the runtime overhead), max_memory_reserved (plus
// the allocator's slack: the overhead less its CUDA context) and the device's used memory as
// nvidia-smi or NVML show it (everything: total_bytes, what the verdict uses). Managed memory
// (paged optimizers) is counted on the host, where none of the three sees it.
struct MemoryFigures {
  Bytes allocated, reserved, device;
};
[[nodiscard]] MemoryFigures memory_figures(const Estimate& estimate);
// The CUDA context the estimate's overhead holds (its cuda_context_bytes input; 0 without one).
[[nodiscard]] Bytes cuda_context(const Estimate& estimate);

// Why a layout is invalid for the model (tp must divide the heads, pp <= layers, ...), or nothing.
// Never throws: searches ask this and move on.
[[nodiscard]] std::optional<std::string> layout_problem(const Model& model, const Layout& layout);
// The same check for a layout the user gave: throws UsageError with the problem.
void validate_layout(const Model& model, const Layout& layout);

// Dispatches on request.method. Throws UsageError / UnsupportedError / OverflowError.
[[nodiscard]] Estimate estimate(const Model& model, const Request& request);

// The article's formulas, exactly (see src/document_method.cpp).
[[nodiscard]] Estimate estimate_document(const Model& model, const Request& request);
// The expert's estimate (see src/detailed_method.cpp).
[[nodiscard]] Estimate estimate_detailed(const Model& model, const Request& request);

}  // namespace llmmem
