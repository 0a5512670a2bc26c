#pragma once
// Training frameworks as data: one row per framework, each field citing the source it comes from
// (docs/engines/training-frameworks.md has the notes). Like engine profiles for inference, a row
// sets the defaults that matter for memory; every switch is also a flag of its own.
#include <string>
#include <string_view>
#include <vector>

#include "llmmem/request.hpp"

namespace llmmem {

struct Model;

struct FrameworkProfile {
  std::string_view id;                                      // what --framework takes: "torchtune"
  std::string_view name;                                    // "torchtune"
  std::string_view modelled_version;                        // the release whose source the fields were read from
  Recipe recipe = Recipe::mixed;                            // fp32 master weights (mixed) or pure bf16
  Checkpointing checkpointing = Checkpointing::none;        // full fine-tuning
  Checkpointing lora_checkpointing = Checkpointing::none;   // LoRA on a 16-bit base
  Checkpointing qlora_checkpointing = Checkpointing::none;  // LoRA on a quantized base
  Loss loss = Loss::full;                                   // how the cross-entropy is computed
  bool activation_offload = false;                          // saved activations (checkpoints) kept in host memory
  Optimizer full_optimizer = Optimizer::adamw;              // the optimizer of its full fine-tuning recipe
  Optimizer lora_optimizer = Optimizer::adamw;              // and of its LoRA recipe
  bool optimizer_in_bwd = false;       // full fine-tuning on one GPU: each gradient freed after its step
  bool peft_kbit_preparation = false;  // QLoRA through PEFT's prepare_model_for_kbit_training (fp32 upcast)
  std::string_view source;             // where the fields come from
  // The mixed recipe's 16-bit weights are torch.autocast's casts of the fp32 parameters: saved for
  // the backward (all of them; under full recomputation only the LM head's) and freed as it
  // consumes them, so none are left at its end (the HF Trainer's bf16=True, a plain autocast loop).
  // false: a persistent 16-bit copy beside the fp32 master (DeepSpeed's bf16 optimizer, Megatron).
  bool autocast_weights = false;
  // Extra state-sized buffers the AdamW step allocates: torch.optim.AdamW()'s default foreach
  // implementation takes sqrt(v) of every parameter at once (torch/optim/adam.py _multi_tensor_adam:
  // torch._foreach_sqrt(exp_avg_sqs)): 1; the fused kernel the Trainer picks (optim
  // adamw_torch_fused on torch >= 2.8, training_args.py) steps in place: 0.
  std::uint64_t optimizer_step_copies = 0;
  // Bytes per hidden unit each RMSNorm saves for its backward besides its output (which the next
  // matmul saves). HF's LlamaRMSNorm computes in fp32 (modeling_llama.py): an fp32 copy of its input
  // (saved by pow and the product) and the normalised value cast back (saved by the weight product):
  // 4 + 2 = 6; when the residual stream is fp32 (fp32 norm weights promote it: autocast over fp32
  // parameters, PEFT's k-bit upcast) the input is the fp32 copy and the normalised value stays fp32:
  // 4 + 4 = 8. 0: the norm input alone, in the compute dtype (fused kernels; not yet measured).
  std::uint64_t rmsnorm_saved_bytes = 0;
  // The framework sets PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True before torch starts (Unsloth:
  // unsloth/__init__.py of its 2024-2025 releases, now unsloth_zoo/device_type.py, "Reduce VRAM usage
  // by reducing fragmentation"). The allocator then grows one virtual segment per stream in 2 MiB pages
  // and splits it for any size, so freed blocks do not strand memory: no allocator share is charged.
  bool expandable_segments = false;
  // On one GPU the framework can keep optimizer states in host memory, so a training fit may choose
  // ZeRO-Offload (dp 1) when the GPU given is too small: DeepSpeed's offload_optimizer (the deepspeed
  // row) and FSDP's CPUOffload (the fsdp row). The HF Trainer offloads only through one of those
  // (TrainingArguments' deepspeed or fsdp argument), a plain PyTorch loop never, torchtune's
  // single-device recipes never, and Unsloth refused DeepSpeed when its published tables were made
  // (unsloth models/llama.py @ e3162dc5b, lines 1800-1801: "Unsloth: Deepspeed is not yet
  // supported!"). Layouts over several GPUs (fewest_gpus_layout) are DeepSpeed's or FSDP's whatever
  // the row; --zero 1 --offload optimizer still asks for it on one GPU.
  bool host_optimizer_offload = false;
};

// Every framework, in the order `--framework` lists them.
[[nodiscard]] const std::vector<FrameworkProfile>& all_frameworks();
// By id or name, case-insensitively; UsageError with the nearest and the list.
[[nodiscard]] const FrameworkProfile& find_framework(std::string_view name);

// The fields of a training request the user left unset, for the framework's defaults to fill.
struct UnsetTraining {
  bool recipe = false, checkpointing = false, loss = false, optimizer = false, activation_offload = false,
       optimizer_in_bwd = false, upcast_unquantized = false, expandable_segments = false;
};

// Fills what `unset` names with `request.framework`'s defaults (the HF Trainer when none is set)
// and returns a note naming what it assumed. A quantized base with LoRA is QLoRA: the framework's
// QLoRA checkpointing (PEFT's prepare_model_for_kbit_training turns it on).
std::vector<std::string> apply_framework_defaults(const Model& model, Request& request, const UnsetTraining& unset);

}  // namespace llmmem
