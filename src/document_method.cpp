// The founding article's formulas, reproduced exactly (--method document). Its published figures,
// Llama-3-70B at 70e9 parameters, bf16, batch 1, seq_len 2048: 142.51 GiB inference and 924.82 GiB
// training with AdamW, are asserted to the byte in tests/document_method_test.cpp.
#include <fmt/format.h>

#include "llmmem/error.hpp"
#include "llmmem/estimate.hpp"

namespace llmmem {

namespace {

// Optimizer state bytes per trainable parameter as the article gives them.
std::uint64_t article_optimizer_bytes(Optimizer o) {
  switch (o) {
    case Optimizer::adamw:
    case Optimizer::paged_adamw:
      return 8;
    case Optimizer::adamw_8bit:
    case Optimizer::paged_adamw_8bit:
      return 2;
    case Optimizer::sgd:
    case Optimizer::sgd_momentum:
      return 4;
    case Optimizer::adafactor:
      break;
  }
  throw UsageError(fmt::format("--method document knows adamw, adamw-8bit and sgd, not {}", to_string(o)));
}

double d(std::uint64_t v) { return static_cast<double>(v); }

}  // namespace

Estimate estimate_document(const Model& model, const Request& r) {
  const ModelConfig& c = model.config;
  const Precision& p = r.precision ? *r.precision : precision_from_torch_dtype(c.torch_dtype);
  if (!r.params_override && !model.params && !model.files)
    throw UnsupportedError(
        fmt::format("architecture '{}' is not supported yet ({}); pass --params to estimate", c.model_type, c.origin));
  if (c.hidden_size == 0 || c.n_layers == 0 || c.n_heads == 0)
    throw InputError(
        fmt::format("{}: hidden size, layers and attention heads are needed for the KV cache and "
                    "activation formulas",
                    c.origin));
  if (r.lora_rank > 0) throw UsageError("--method document has no LoRA; use --method detailed");
  if (r.images > 0 || r.image_size.given())
    throw UsageError("--images and --image-size need --method detailed (the article's formulas are text-only)");
  const std::uint64_t params = r.params_override ? *r.params_override
                               : model.params    ? model.params->total
                                                 : model.files->total_elements();
  const std::uint64_t b = r.batch, s = r.seq_len, h = c.hidden_size, L = c.n_layers, a = c.n_heads;

  Estimate e;
  e.components.reserve(5);
  e.mode = r.mode;
  e.method = Method::document;
  e.model_name = model.name;
  e.hf_id = model.hf_id;
  e.model_type = c.model_type;
  e.parameters = params;
  e.active_parameters = params;
  e.precision = std::string(p.name);
  e.kv_precision = std::string(p.name);
  e.request = r;

  // weights = parameters x bytes per parameter (fp32 4, fp16/bf16 2, int8 1, int4 0.5)
  const Bytes weights(mul_div_ceil(params, p.document_bytes_num, p.document_bytes_den, "weights"));
  const double bpp = d(p.document_bytes_num) / d(p.document_bytes_den);
  e.components.push_back({"weights",
                          "Model weights",
                          weights,
                          "parameters × bytes_per_parameter",
                          {{"parameters", d(params)}, {"bytes_per_parameter", bpp}}});

  // KV cache = 2 × batch × seq_len × layers × hidden_size × bytes (no grouped-query attention)
  const std::uint64_t kv_values =
      checked_mul(checked_mul(checked_mul(checked_mul(2, b, "kv cache"), s, "kv cache"), L, "kv cache"), h, "kv cache");
  const Bytes kv(mul_div_ceil(kv_values, p.document_bytes_num, p.document_bytes_den, "kv cache"));
  e.components.push_back(
      {"kv_cache",
       "KV cache",
       kv,
       "2 × batch × seq_len × layers × hidden_size × bytes",
       {{"batch", d(b)}, {"seq_len", d(s)}, {"layers", d(L)}, {"hidden_size", d(h)}, {"bytes", bpp}}});

  // activations = batch × seq_len × hidden × (34 + 5 × seq_len × heads / hidden) × 4 bytes (fp32),
  // computed as 4 × (34·b·s·h + 5·b·s²·a) so that no fraction is rounded.
  const std::uint64_t bs = checked_mul(b, s, "activations");
  const std::uint64_t linear_term = checked_mul(checked_mul(34, bs, "activations"), h, "activations");
  const std::uint64_t quadratic_term =
      checked_mul(checked_mul(checked_mul(5, bs, "activations"), s, "activations"), a, "activations");
  const Bytes act(checked_mul(checked_add(linear_term, quadratic_term, "activations"), 4, "activations"));
  e.components.push_back({"activations",
                          "Activations (fp32)",
                          act,
                          "batch × seq_len × hidden_size × (34 + 5 × seq_len × heads / hidden_size) × 4",
                          {{"batch", d(b)}, {"seq_len", d(s)}, {"hidden_size", d(h)}, {"heads", d(a)}}});

  if (r.concurrency > 1) {
    // The article serves N concurrent calls with N model instances.
    for (auto& comp : e.components) {
      comp.bytes = comp.bytes * r.concurrency;
      comp.detail = "then × concurrency (one model instance per concurrent call)";
      comp.inputs.push_back({"concurrency", d(r.concurrency)});
    }
  }

  if (r.mode == Mode::training) {
    // training adds (optimizer + gradients) bytes per trainable parameter; gradients are fp32 (4 B).
    const std::uint64_t trainable = static_cast<std::uint64_t>(
        static_cast<long double>(params) * static_cast<long double>(r.trainable_percent) / 100.0L + 0.5L);
    e.trainable_parameters = trainable;
    const std::uint64_t opt = article_optimizer_bytes(r.optimizer);
    e.components.push_back({"optimizer_states",
                            "Optimizer states",
                            Bytes(checked_mul(trainable, opt, "optimizer")),
                            "trainable_parameters × optimizer_bytes",
                            {{"trainable_parameters", d(trainable)}, {"optimizer_bytes", d(opt)}}});
    e.components.push_back({"gradients",
                            "Gradients (fp32)",
                            Bytes(checked_mul(trainable, 4, "gradients")),
                            "trainable_parameters × 4",
                            {{"trainable_parameters", d(trainable)}}});
  }
  for (const auto& comp : e.components) e.total += comp.bytes;
  e.notes.emplace_back(
      "document method: the founding article's formulas; no grouped-query attention, no runtime "
      "overhead");
  return e;
}

}  // namespace llmmem
