#pragma once
// What the user asks the estimator: the workload, the precision and the parallel layout.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "llmmem/bytes.hpp"
#include "llmmem/engine.hpp"
#include "llmmem/precision.hpp"
#include "llmmem/vision.hpp"

namespace llmmem {

enum class Method { document, detailed };
enum class Mode { inference, training };
enum class Attention { eager, sdpa, flash };
enum class Logits { last, all };
enum class Loss { full, chunked, fused, inplace };
enum class Checkpointing { none, selective, full };
enum class Recipe { mixed, bf16, megatron };
enum class Optimizer { adamw, adamw_8bit, paged_adamw, paged_adamw_8bit, sgd, sgd_momentum, adafactor };

// How the work is spread over GPUs. All 1: one GPU holds everything.
struct Layout {
  std::uint64_t tp = 1;  // tensor parallel: shards attention/MLP weights and KV heads
  std::uint64_t pp = 1;  // pipeline parallel: splits the layers
  std::uint64_t dp = 1;  // data parallel replicas (ZeRO shards across them)
  std::uint64_t ep = 1;  // expert parallel: splits routed experts (within tp*dp GPUs)
  int zero = 0;          // 0..3; FSDP full sharding == 3
  bool offload_optimizer = false;
  bool offload_params = false;
  std::uint64_t gpus_per_node = 8;  // ranks sharing one node's host memory (--gpus-per-node)
  [[nodiscard]] std::uint64_t gpus() const { return tp * pp * dp; }
  // The ranks on one node: their host bytes add up in its memory.
  [[nodiscard]] std::uint64_t ranks_per_node() const { return std::min(gpus(), gpus_per_node); }
  [[nodiscard]] bool is_single() const { return tp == 1 && pp == 1 && dp == 1 && ep == 1; }
};

// Where llama.cpp-based engines put each layer (src/llama-model.cpp load_tensors; the flags of
// common/arg.cpp). docs/engines/llamacpp-partial-offload.md has the rules and the logs they match.
struct LayerOffload {
  // -ngl: the last gpu_layers decoder layers go to the GPU, and the output layer too once
  // gpu_layers > n_layer (i_gpu_start = n_layer − n_gpu_layers); nullopt: every layer and the output.
  std::optional<std::uint64_t> gpu_layers;
  std::uint64_t cpu_moe_layers = 0;  // --n-cpu-moe N: expert tensors of layers 0..N-1 in host memory
  bool kv_offload = true;            // false: -nkvo, every layer's KV cache in host memory
  bool mmap = true;                  // host weights are file pages (CPU_Mapped); false: allocated
  // --tensor-split: the share of layers each GPU gets, in order (llama.cpp -ts); empty: by memory.
  std::vector<double> tensor_split{};
  [[nodiscard]] bool any() const { return gpu_layers || cpu_moe_layers > 0 || !kv_offload; }
};

struct FrameworkProfile;

struct Request {
  Mode mode = Mode::inference;
  Method method = Method::detailed;
  const Precision* precision = nullptr;      // nullptr: the config's torch_dtype
  const StorageFormat* kv_format = nullptr;  // nullptr: the 16-bit compute dtype
  std::uint64_t batch = 1;
  std::uint64_t seq_len = 2048;
  // Encoder-decoders (T5, BART): tokens the decoder generates (inference) or is trained on (teacher
  // forcing), beside seq_len tokens of input to the encoder; 0: as many as the input (--target-len).
  std::uint64_t target_len = 0;
  [[nodiscard]] std::uint64_t decoder_tokens() const { return target_len ? target_len : seq_len; }
  std::uint64_t concurrency = 1;  // document method: model instances
  // Vision-language models: images in each sequence (--images), each adding the model's tokens per
  // image to the context, and their size (--image-size; 0 × 0: the model's own resolution). The
  // encoder runs on batch × images images at once.
  std::uint64_t images = 0;
  ImageSize image_size{};
  std::optional<std::uint64_t> params_override;  // --params
  Attention attention = Attention::flash;
  Logits logits = Logits::last;
  const EngineProfile* engine = nullptr;  // --engine; nullptr: engine_for() picks (engine.hpp)
  std::uint64_t prefill_chunk = 0;        // tokens per prefill step; 0: the engine's default
  std::optional<Bytes> overhead;          // --overhead: replaces the runtime overhead
  LayerOffload offload;                   // llama.cpp/Ollama layer placement (inference)
  // vLLM --cpu-offload-gb: this many bytes of each GPU's weights stay in host memory and are read
  // over the bus (config/offload.py / model_executor/models/utils.py maybe_offload_to_cpu, UVA).
  Bytes cpu_offload{};

  // Training.
  Optimizer optimizer = Optimizer::adamw;
  double trainable_percent = 100.0;
  Recipe recipe = Recipe::mixed;
  Checkpointing checkpointing = Checkpointing::none;
  Loss loss = Loss::full;  // chunked: torchtune; fused: Liger linear + CE; inplace: Unsloth's kernel
  const FrameworkProfile* framework = nullptr;  // --framework (framework.hpp); nullptr: the HF Trainer
  bool optimizer_in_bwd = false;                // each parameter stepped and its gradient freed in the backward
  bool activation_offload = false;              // saved activations / checkpoints kept in host memory
  // PEFT's prepare_model_for_kbit_training (peft/utils/other.py): on a quantized base every
  // parameter left in 16 bits (embeddings, LM head, norms) is cast to fp32.
  bool upcast_unquantized = false;
  // PyTorch's allocator runs with PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True: freed blocks strand
  // no memory, so no allocator share is charged (FrameworkProfile::expandable_segments; --expandable-segments).
  bool expandable_segments = false;
  std::uint64_t lora_rank = 0;            // 0: full fine-tuning
  std::vector<std::string> lora_targets;  // empty: q,k,v,o; "all-linear" expands

  Layout layout;
};

// The LoRA targets a request adapts: --lora-targets, or q, k, v, o when none is given (PEFT's
// defaults for Llama-style models, peft/utils/constants.py TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING).
[[nodiscard]] std::vector<std::string> lora_targets_or_default(const Request& request);

// Checks ranges and combinations, throwing UsageError naming the offending setting.
void validate(const Request& request);

[[nodiscard]] std::string_view to_string(Method);
[[nodiscard]] std::string_view to_string(Mode);
[[nodiscard]] std::string_view to_string(Attention);
[[nodiscard]] std::string_view to_string(Logits);
[[nodiscard]] std::string_view to_string(Loss);
[[nodiscard]] std::string_view to_string(Checkpointing);
[[nodiscard]] std::string_view to_string(Recipe);
[[nodiscard]] std::string_view to_string(Optimizer);

// Parse the names users type (case-insensitive); throw UsageError listing the valid ones.
[[nodiscard]] Method parse_method(std::string_view);
[[nodiscard]] Attention parse_attention(std::string_view);
[[nodiscard]] Logits parse_logits(std::string_view);
[[nodiscard]] Loss parse_loss(std::string_view);
[[nodiscard]] Checkpointing parse_checkpointing(std::string_view);
[[nodiscard]] Recipe parse_recipe(std::string_view);
[[nodiscard]] Optimizer parse_optimizer(std::string_view);

}  // namespace llmmem
