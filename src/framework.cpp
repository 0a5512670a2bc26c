#include "llmmem/framework.hpp"

#include <fmt/format.h>

#include "llmmem/error.hpp"
#include "llmmem/estimate.hpp"
#include "llmmem/spell.hpp"

namespace llmmem {

namespace {

// The rows. Sources (docs/engines/training-frameworks.md has the notes):
// - trainer: transformers 5.17 TrainingArguments (gradient_checkpointing False, optim adamw_torch_fused
//   on torch >= 2.8, bf16 autocast over fp32 weights); PEFT 0.17 prepare_model_for_kbit_training
//   (peft/utils/other.py: use_gradient_checkpointing=True for a quantized base); the loss upcasts
//   the whole logits to fp32 (LlamaForCausalLM.forward, loss_utils.py ForCausalLMLoss).
// - torchtune 0.6: configs llama3_1/8B_full_single_device.yaml (dtype bf16: no fp32 master copy,
//   enable_activation_checkpointing True, bitsandbytes PagedAdamW8bit, optimizer_in_bwd True) and
//   8B_lora_single_device.yaml (torch.optim.AdamW); loss torchtune.modules.loss.CEWithChunkedOutputLoss.
// - deepspeed, fsdp: the HF Trainer with DeepSpeed ZeRO (transformers integrations/deepspeed.py
//   "auto" values) or accelerate's FSDP; the same training defaults as the Trainer.
// - unsloth 2025.x: FastLanguageModel.get_peft_model(use_gradient_checkpointing="unsloth"):
//   checkpoints offloaded to host memory (unsloth_zoo gradient_checkpointing.py); Apple's Cut Cross
//   Entropy since Dec 2024 (unsloth.ai/blog/llama3-3: the logits are never materialised whole, as
//   --loss fused; before it the in-place kernel of unsloth/kernels/cross_entropy_loss.py, --loss
//   inplace); the notebooks' optim "adamw_8bit".
// - llama-factory 0.9.5 (hiyouga/LLaMA-Factory ff6d4d12e): the HF Trainer (so its optimizer and
//   loss), with its own defaults: src/llamafactory/hparams/model_args.py disable_gradient_checkpointing
//   False (checkpointing on for every method), upcast_layernorm False, use_unsloth_gc False,
//   enable_liger_kernel False; model/model_utils/checkpointing.py prepare_model_for_training instead of
//   PEFT's prepare_model_for_kbit_training, so a quantized base keeps its embeddings and LM head in the
//   16-bit dtype (docs/engines/training-frameworks.md §1.6). Axolotl calls PEFT's preparation as the
//   Trainer does (src/axolotl/loaders/model.py) and has no row: its memory defaults are the Trainer's.
// - pytorch: a plain training loop, torch 2.11: model in fp32 under torch.autocast(bf16), loss from
//   the model (HF ForCausalLMLoss), torch.optim.AdamW() with its defaults (foreach on CUDA:
//   torch/optim/optimizer.py _default_to_fused_or_foreach).
// clang-format off
const std::vector<FrameworkProfile> k_frameworks = {
    // id, name, version, recipe, checkpointing (full FT, LoRA, QLoRA), loss, activation offload,
    // full FT optimizer, LoRA optimizer, optimizer in backward, PEFT k-bit preparation, source,
    // autocast weights, extra state copies at the optimizer step, RMSNorm bytes saved per hidden unit,
    // expandable allocator segments, optimizer offload to host memory a fit may choose
    {"trainer", "HF Trainer + PEFT", "transformers 5.17 / PEFT 0.21", Recipe::mixed,
     Checkpointing::none, Checkpointing::none, Checkpointing::full, Loss::full, false,
     Optimizer::adamw, Optimizer::adamw, false, true,
     "transformers training_args.py; peft utils/other.py prepare_model_for_kbit_training", true, 0, 6},
    {"torchtune", "torchtune", "0.6", Recipe::bf16,
     Checkpointing::full, Checkpointing::full, Checkpointing::full, Loss::chunked, false,
     Optimizer::paged_adamw_8bit, Optimizer::adamw, true, false,
     "recipes/configs/llama3_1/8B_full_single_device.yaml, 8B_lora_single_device.yaml; modules/loss"},
    {"deepspeed", "HF Trainer + DeepSpeed", "transformers 4.57 / DeepSpeed 0.16", Recipe::mixed,
     Checkpointing::none, Checkpointing::none, Checkpointing::full, Loss::full, false,
     Optimizer::adamw, Optimizer::adamw, false, true, "transformers integrations/deepspeed.py", false, 0, 6, false,
     true},
    {"fsdp", "HF Trainer + FSDP", "transformers 4.57 / accelerate 1.x", Recipe::mixed,
     Checkpointing::none, Checkpointing::none, Checkpointing::full, Loss::full, false,
     Optimizer::adamw, Optimizer::adamw, false, true, "accelerate utils/dataclasses.py FullyShardedDataParallelPlugin",
     false, 0, 6, false, true},
    {"unsloth", "Unsloth", "2025.10", Recipe::mixed,
     Checkpointing::full, Checkpointing::full, Checkpointing::full, Loss::fused, true,
     Optimizer::adamw_8bit, Optimizer::adamw_8bit, false, false,
     "unsloth models/llama.py get_peft_model; unsloth_zoo gradient_checkpointing.py; kernels/cross_entropy_loss.py; "
     "unsloth_zoo device_type.py PYTORCH_CUDA_ALLOC_CONF", false, 0, 0, true},
    {"llama-factory", "LLaMA-Factory", "0.9.5", Recipe::mixed,
     Checkpointing::full, Checkpointing::full, Checkpointing::full, Loss::full, false,
     Optimizer::adamw, Optimizer::adamw, false, false,
     "LLaMA-Factory hparams/model_args.py; model/model_utils/checkpointing.py prepare_model_for_training", true, 0, 6},
    {"pytorch", "PyTorch loop", "torch 2.11", Recipe::mixed,
     Checkpointing::none, Checkpointing::none, Checkpointing::none, Loss::full, false,
     Optimizer::adamw, Optimizer::adamw, false, false,
     "torch/optim/adam.py _multi_tensor_adam; torch/amp/autocast_mode.py", true, 1, 6},
};
// clang-format on

}  // namespace

const std::vector<FrameworkProfile>& all_frameworks() { return k_frameworks; }

const FrameworkProfile& find_framework(std::string_view name) { return find_row(k_frameworks, name, "framework"); }

std::vector<std::string> apply_framework_defaults(const Model& model, Request& r, const UnsetTraining& unset) {
  std::vector<std::string> notes;
  if (r.mode != Mode::training || r.method != Method::detailed) return notes;
  static const FrameworkProfile& trainer = find_framework("trainer");
  const FrameworkProfile& f = r.framework ? *r.framework : trainer;
  r.framework = &f;
  const bool lora = r.lora_rank > 0;
  const Precision* prec = r.precision;
  const bool quantized = prec ? !prec->is_float_16_or_32 : static_cast<bool>(model.config.quantization);
  if (unset.recipe) r.recipe = f.recipe;
  if (unset.checkpointing)
    r.checkpointing = !lora ? f.checkpointing : (quantized ? f.qlora_checkpointing : f.lora_checkpointing);
  if (unset.loss) r.loss = f.loss;
  if (unset.optimizer) r.optimizer = lora ? f.lora_optimizer : f.full_optimizer;
  if (unset.activation_offload) r.activation_offload = f.activation_offload;
  if (unset.expandable_segments) r.expandable_segments = f.expandable_segments;
  // torchtune steps in the backward only in its single-device full fine-tuning recipes.
  if (unset.optimizer_in_bwd) r.optimizer_in_bwd = f.optimizer_in_bwd && !lora && r.layout.gpus() == 1;
  // TRL's SFTTrainer calls PEFT's prepare_model_for_kbit_training for QLoRA unless the base is
  // sharded (FSDP / ZeRO-3 QLoRA); torchtune, Unsloth and LLaMA-Factory prepare their own way.
  if (unset.upcast_unquantized)
    r.upcast_unquantized = f.peft_kbit_preparation && lora && quantized && r.layout.zero < 3;
  notes.push_back(fmt::format("framework {} {}: recipe {}, checkpointing {}, loss {}, optimizer {}{}{}{}", f.name,
                              f.modelled_version, to_string(r.recipe), to_string(r.checkpointing), to_string(r.loss),
                              to_string(r.optimizer), r.optimizer_in_bwd ? ", optimizer in backward" : "",
                              r.activation_offload ? ", activations offloaded to host memory" : "",
                              r.expandable_segments ? ", expandable allocator segments" : ""));
  return notes;
}

}  // namespace llmmem
