#include "llmmem/engine_defaults.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "bisect.hpp"
#include "llmmem/engine.hpp"
#include "llmmem/estimate.hpp"
#include "llmmem/gpu.hpp"
#include "llmmem/ollama_estimate.hpp"
#include "llmmem/startup.hpp"
#include "text.hpp"

namespace llmmem {

namespace {

// The GPU bytes of llama.cpp's dry run at `n_ctx` (llama_context::memory_breakdown: model, context
// and compute per device), with the weights and KV shared evenly over `devices`.
struct DryRun {
  std::uint64_t model = 0, context = 0, compute = 0;
};
DryRun dry_run(const Model& model, Request r, std::uint64_t n_ctx, std::uint64_t n_seq_max, std::uint64_t devices) {
  r.seq_len = n_ctx;
  LlamaCppSettings s;
  s.n_ubatch = r.prefill_chunk ? r.prefill_chunk : 512;
  s.n_seq_max = n_seq_max;
  s.flash_attn = r.attention == Attention::flash;
  const LlamaCppStartup b = llama_cpp_startup(model, r, s);
  DryRun d;
  for (const auto& buf : b.buffers) {
    if (buf.device != "CUDA0") continue;
    if (buf.name == "model") d.model = buf.bytes.count() / devices;
    if (buf.name == "kv") d.context = buf.bytes.count() / devices;
    if (buf.name == "compute") d.compute = buf.bytes.count();
  }
  return d;
}

}  // namespace

LlamaCppFit llama_cpp_fit(const Model& model, const Request& request, const GpuTarget& gpus, std::uint64_t n_seq_max) {
  // common/common.h: fit_params_target = 1024 MiB per device, fit_params_min_ctx = 4096.
  constexpr std::uint64_t k_min_ctx = 4096;
  LlamaCppFit f;
  f.margin = Bytes(1024ULL << 20);
  f.n_ctx_train = model.config.max_position_embeddings ? model.config.max_position_embeddings : k_min_ctx;
  const std::uint64_t devices = gpus.count();
  // ggml_backend_dev_memory: free memory now on local GPUs, else the whole device.
  Bytes free = gpus.devices.front().free.value_or(gpus.devices.front().memory);
  for (const auto& d : gpus.devices) free = std::min(free, d.free.value_or(d.memory));
  const DryRun at_train = dry_run(model, request, f.n_ctx_train, n_seq_max, devices);
  const std::uint64_t used = at_train.model + at_train.context + at_train.compute;
  f.projected_free = saturating_sub(free, Bytes(used));
  f.n_ctx = f.n_ctx_train;
  if (free.count() >= used + f.margin.count()) {
    f.fits = true;
    return f;
  }
  if (f.n_ctx_train <= k_min_ctx) return f;  // nothing to shrink: --fit moves layers instead
  // llama_params_fit_impl: bytes_per_ctx = Σ context / n_ctx_train; the context shrinks by
  // ceil(deficit / bytes_per_ctx), not below n_ctx_min.
  const std::uint64_t deficit = used + f.margin.count() - free.count();
  const std::uint64_t bytes_per_ctx = std::max<std::uint64_t>(at_train.context / f.n_ctx_train, 1);
  const std::uint64_t reduction = ceil_div(deficit, bytes_per_ctx);
  // Enough when the reduction leaves at least n_ctx_min (the engine then stops; the 256-token
  // padding the context constructor adds afterwards may eat a little of the margin).
  f.fits = reduction <= f.n_ctx_train - k_min_ctx;
  f.n_ctx = f.fits ? f.n_ctx_train - reduction : k_min_ctx;
  f.reduced = true;
  return f;
}

std::uint64_t llama_cpp_fit_layers(const Model& model, const Request& request, const GpuTarget& gpus,
                                   std::uint64_t n_seq_max) {
  const Bytes margin(1024ULL << 20);  // fit_params_target
  const GpuDevice& d = gpus.devices.front();
  const Bytes free = d.free.value_or(d.memory);
  LlamaCppSettings s;
  s.n_ubatch = request.prefill_chunk ? request.prefill_chunk : 512;
  s.n_seq_max = n_seq_max;
  s.flash_attn = request.attention == Attention::flash;
  const auto fits = [&](std::uint64_t k) {
    Request r = request;
    r.offload.gpu_layers = k;
    return llama_cpp_startup(model, r, s).gpu_total + margin <= free;
  };
  // GPU memory grows with every layer moved onto it: the largest k that fits, by bisection.
  return bisect::largest_true(0, model.config.n_layers + 1, fits).value_or(0);
}

std::vector<std::string> apply_engine_defaults(const Model& model, Request& request, const Unset& unset,
                                               const GpuTarget* gpus, std::uint64_t n_seq_max) {
  std::vector<std::string> notes;
  // Encoders take no more tokens than their position table holds (estimate() refuses more): without
  // --seq-len, a sequence is the model's longest, in training too.
  if (const std::uint64_t limit = model.config.max_position_embeddings;
      unset.seq_len && model.config.encoder && limit > 0 && request.seq_len > limit) {
    request.seq_len = limit;
    notes.push_back(
        fmt::format("encoder: {} tokens per sequence, the most its positions hold (--seq-len to change)", limit));
  }
  if (unset.attention && model.config.eager_attention_only && request.attention != Attention::eager) {
    request.attention = Attention::eager;
    notes.push_back(
        fmt::format("{}: transformers computes its attention scores with the relative position bias "
                    "(eager attention; --attention to change)",
                    model.config.model_type));
  }
  // BART's learned position tables likewise bound an encoder-decoder's input (and, by default, its target).
  if (const std::uint64_t limit = model.config.max_position_embeddings;
      unset.seq_len && model.config.is_encoder_decoder() && model.config.learned_positions > 0 && limit > 0 &&
      request.seq_len > limit) {
    request.seq_len = limit;
    notes.push_back(
        fmt::format("encoder-decoder: {} input tokens, the most its positions hold (--seq-len to change)", limit));
  }
  if (request.mode != Mode::inference || request.method != Method::detailed) return notes;
  const EngineProfile& engine = engine_for(model, request);
  if (unset.attention && !engine.flash_attn_model_types.empty()) {
    const bool on =
        engine.flash_attn_model_types == "*" || text::in_list(engine.flash_attn_model_types, model.config.model_type);
    request.attention = on ? Attention::flash : Attention::eager;
    if (!on)
      notes.push_back(fmt::format("{} keeps flash attention off for {} by default (--flash-attn on to change)",
                                  engine.name, model.config.model_type));
  }
  if (unset.seq_len && engine.default_context != 0 && !model.config.encoder) {
    if (engine.default_context != k_model_context) {
      request.seq_len = engine.default_context * n_seq_max;
      notes.push_back(fmt::format("{}'s default context: {} tokens per sequence × {} (--seq-len to change)",
                                  engine.name, engine.default_context, n_seq_max));
    } else if (const std::uint64_t train = model.config.max_position_embeddings; train > 0) {
      request.seq_len = train;
      if (!engine.fits_context || !gpus) {
        notes.push_back(
            fmt::format("{}'s default context: the model's own, {} tokens (--seq-len to change)", engine.name, train));
      } else {
        const LlamaCppFit f = llama_cpp_fit(model, request, *gpus, n_seq_max);
        request.seq_len = f.n_ctx;
        if (f.reduced)
          notes.push_back(fmt::format("{} --fit: context size reduced from {} to {} to keep 1024 MiB free per GPU",
                                      engine.name, f.n_ctx_train, f.n_ctx));
        else
          notes.push_back(fmt::format("{}'s default context: the model's own, {} tokens (--fit: no changes needed)",
                                      engine.name, train));
      }
    }
  }
  // Layers: --gpu-layers auto, or what the engine decides when the user gave no -ngl and the model
  // does not fit whole (llama.cpp --fit moves layers to the CPU; Ollama offloads the layers its
  // estimate places). One GPU only: several are split by layer ranges, not modelled with offload.
  // --fit also leaves the placement alone once the user moved tensors (--n-cpu-moe sets
  // tensor_buft_overrides; llama_params_fit_impl aborts on them as on a user -ngl).
  if (!engine.places_layers || !gpus || gpus->count() != 1 || !request.layout.is_single()) return notes;
  if (request.offload.cpu_moe_layers > 0 && !unset.gpu_layers_auto) return notes;
  const std::uint64_t n_layer = model.config.n_layers;
  std::optional<std::uint64_t> layers;
  if (unset.gpu_layers_auto || (unset.gpu_layers && engine.fits_context)) {
    const std::uint64_t k = llama_cpp_fit_layers(model, request, *gpus, n_seq_max);
    if (unset.gpu_layers_auto || k <= n_layer) layers = k;
  } else if (unset.gpu_layers && engine.id == "ollama") {
    OllamaSettings o;
    o.num_parallel = n_seq_max;
    o.num_ctx = std::max<std::uint64_t>(request.seq_len / n_seq_max, 1);
    o.flash_attn = request.attention == Attention::flash;
    const GpuDevice& d = gpus->devices.front();
    const OllamaEstimate est = ollama_estimate(model, request, o, {d.free.value_or(d.memory)});
    if (!est.fully_offloaded) layers = est.layers_offload;
  }
  if (!layers) return notes;
  request.offload.gpu_layers = *layers;
  notes.push_back(fmt::format("{}: {} of {} layers on the GPU ({}), the rest in host memory", engine.name,
                              std::min(*layers, n_layer + 1), n_layer + 1,
                              engine.id == "ollama" && !unset.gpu_layers_auto ? "its scheduler's estimate"
                                                                              : "the most that leave 1024 MiB free"));
  return notes;
}

}  // namespace llmmem
