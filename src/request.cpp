#include "llmmem/request.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "llmmem/error.hpp"

namespace llmmem {

namespace {

template <typename E, std::size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<Method, 2> k_methods{{{Method::document, "document"}, {Method::detailed, "detailed"}}};
constexpr Names<Mode, 2> k_modes{{{Mode::inference, "infer"}, {Mode::training, "train"}}};
constexpr Names<Attention, 3> k_attention{
    {{Attention::eager, "eager"}, {Attention::sdpa, "sdpa"}, {Attention::flash, "flash"}}};
constexpr Names<Logits, 2> k_logits{{{Logits::last, "last"}, {Logits::all, "all"}}};
constexpr Names<Loss, 4> k_loss{
    {{Loss::full, "full"}, {Loss::chunked, "chunked"}, {Loss::fused, "fused"}, {Loss::inplace, "inplace"}}};
constexpr Names<Checkpointing, 3> k_checkpointing{
    {{Checkpointing::none, "none"}, {Checkpointing::selective, "selective"}, {Checkpointing::full, "full"}}};
constexpr Names<Recipe, 3> k_recipes{
    {{Recipe::mixed, "mixed"}, {Recipe::bf16, "bf16"}, {Recipe::megatron, "megatron"}}};
constexpr Names<Optimizer, 7> k_optimizers{{{Optimizer::adamw, "adamw"},
                                            {Optimizer::adamw_8bit, "adamw-8bit"},
                                            {Optimizer::paged_adamw, "paged-adamw"},
                                            {Optimizer::paged_adamw_8bit, "paged-adamw-8bit"},
                                            {Optimizer::sgd, "sgd"},
                                            {Optimizer::sgd_momentum, "sgd-momentum"},
                                            {Optimizer::adafactor, "adafactor"}}};

template <typename E, std::size_t N>
std::string_view name_of(const Names<E, N>& names, E value) {
  for (const auto& [v, n] : names)
    if (v == value) return n;
  return "?";
}

template <typename E, std::size_t N>
E parse_name(const Names<E, N>& names, std::string_view text, std::string_view what) {
  std::string key(text);
  for (auto& ch : key) ch = ch == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (key == "adam") key = "adamw";
  if (key == "adamw8bit" || key == "adamw-8") key = "adamw-8bit";
  for (const auto& [v, n] : names)
    if (n == key) return v;
  std::string valid;
  for (const auto& [v, n] : names) valid += (valid.empty() ? "" : ", ") + std::string(n);
  throw UsageError(fmt::format("unknown {} '{}' (valid: {})", what, text, valid));
}

}  // namespace

std::string_view to_string(Method v) { return name_of(k_methods, v); }
std::string_view to_string(Mode v) { return name_of(k_modes, v); }
std::string_view to_string(Attention v) { return name_of(k_attention, v); }
std::string_view to_string(Logits v) { return name_of(k_logits, v); }
std::string_view to_string(Loss v) { return name_of(k_loss, v); }
std::string_view to_string(Checkpointing v) { return name_of(k_checkpointing, v); }
std::string_view to_string(Recipe v) { return name_of(k_recipes, v); }
std::string_view to_string(Optimizer v) { return name_of(k_optimizers, v); }

Method parse_method(std::string_view t) { return parse_name(k_methods, t, "method"); }
Attention parse_attention(std::string_view t) { return parse_name(k_attention, t, "attention implementation"); }
Logits parse_logits(std::string_view t) { return parse_name(k_logits, t, "logits mode"); }
Loss parse_loss(std::string_view t) { return parse_name(k_loss, t, "loss implementation"); }
Checkpointing parse_checkpointing(std::string_view t) {
  return parse_name(k_checkpointing, t, "gradient checkpointing mode");
}
Recipe parse_recipe(std::string_view t) { return parse_name(k_recipes, t, "precision recipe"); }
Optimizer parse_optimizer(std::string_view t) { return parse_name(k_optimizers, t, "optimizer"); }

std::vector<std::string> lora_targets_or_default(const Request& request) {
  return request.lora_targets.empty() ? std::vector<std::string>{"q", "k", "v", "o"} : request.lora_targets;
}

void validate(const Request& r) {
  if (r.batch == 0) throw UsageError("--batch must be at least 1");
  if (r.seq_len == 0) throw UsageError("--seq-len must be at least 1");
  if (r.concurrency == 0) throw UsageError("--concurrency must be at least 1");
  if (!std::isfinite(r.trainable_percent) || r.trainable_percent < 0 || r.trainable_percent > 100)
    throw UsageError(fmt::format("--trainable-percent must be between 0 and 100, got {}", r.trainable_percent));
  if (r.params_override && *r.params_override == 0) throw UsageError("--params must be positive");
  if (r.images > k_max_images)
    throw UsageError(fmt::format("--images {} is more than any prompt holds ({} at most)", r.images, k_max_images));
  if ((r.image_size.width == 0) != (r.image_size.height == 0) || r.image_size.width > k_max_image_side ||
      r.image_size.height > k_max_image_side)
    throw UsageError(fmt::format("--image-size {}x{} must have both sides between 1 and {} pixels", r.image_size.width,
                                 r.image_size.height, k_max_image_side));
  const auto& l = r.layout;
  if (l.tp == 0 || l.pp == 0 || l.dp == 0 || l.ep == 0)
    throw UsageError("--tp, --pp, --dp and --ep must be at least 1");
  if (l.tp > 4096 || l.pp > 4096 || l.dp > 1048576 || l.ep > 65536)
    throw UsageError("parallel sizes are larger than any real cluster (--tp/--pp at most 4096, --dp at most 1048576)");
  if (l.zero < 0 || l.zero > 3) throw UsageError(fmt::format("--zero must be 0, 1, 2 or 3, got {}", l.zero));
  if (r.mode == Mode::inference && (l.zero != 0 || l.offload_optimizer || l.offload_params))
    throw UsageError("--zero and --offload apply to training only");
  if (l.offload_params && l.zero != 3) throw UsageError("--offload params needs --zero 3 (or --fsdp)");
  if (r.lora_rank > 65536) throw UsageError(fmt::format("--lora-rank {} is larger than any real adapter", r.lora_rank));
}

}  // namespace llmmem
