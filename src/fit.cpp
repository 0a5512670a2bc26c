#include "llmmem/fit.hpp"

#include <algorithm>

#include "bisect.hpp"
#include "llmmem/error.hpp"
#include "llmmem/startup.hpp"

namespace llmmem {

namespace {

// Does `request` fit on `target`? (judge() treats a total beyond 64 bits as not fitting.)
bool fits(const Model& model, const Request& request, const GpuTarget& target) {
  return judge(model, request, target).fits;
}

// Largest x in [1, hi] with pred(x) true, assuming pred is monotone (true then false); 0 if none.
template <typename Pred>
std::uint64_t largest_true(std::uint64_t hi, Pred pred) {
  return bisect::largest_true(1, hi, pred).value_or(0);
}

}  // namespace

std::uint64_t max_seq_len_that_fits(const Model& model, Request request, const GpuTarget& target) {
  const GpuTarget& t = target;
  const std::uint64_t cap = model.config.max_position_embeddings ? model.config.max_position_embeddings : (1ULL << 24);
  return largest_true(cap, [&](std::uint64_t s) {
    request.seq_len = s;
    return fits(model, request, t);
  });
}

std::uint64_t max_batch_that_fits(const Model& model, Request request, const GpuTarget& target) {
  const GpuTarget& t = target;
  return largest_true(1ULL << 20, [&](std::uint64_t b) {
    request.batch = b;
    return fits(model, request, t);
  });
}

// vLLM's KV pool: gpu_memory_utilization × memory, less weights, the activation peak and the
// non-torch overhead (vllm/worker: determine_num_available_blocks), divided into blocks of
// `block_tokens` tokens; a request of seq_len tokens takes ceil(seq_len / block_tokens) blocks.
// With several GPUs every valid tensor × pipeline layout over them is tried and the largest pool wins.
std::uint64_t max_concurrent_requests(const Model& model, Request request, const GpuTarget& target, double utilization,
                                      std::uint64_t block_tokens) {
  if (utilization <= 0 || utilization > 1) throw UsageError("--gpu-memory-utilization must be in (0, 1]");
  if (block_tokens == 0) throw UsageError("the KV block size must be positive");
  request.mode = Mode::inference;
  request.batch = 1;
  request.seq_len = ceil_div(request.seq_len, block_tokens) * block_tokens;
  // Every GPU of a tensor/pipeline layout gets an equal pool, so the smallest GPU bounds it.
  const auto budget = static_cast<std::uint64_t>(static_cast<long double>(target.smallest().count()) * utilization);
  std::vector<Layout> layouts;
  if (!request.layout.is_single()) {
    layouts.push_back(request.layout);
  } else {
    for (const auto& lf : all_layouts(model, request, target.smallest(), target.count())) layouts.push_back(lf.layout);
  }
  std::uint64_t best = 0;
  for (const auto& layout : layouts) {
    Request one = request;
    one.layout = layout;
    Estimate e;
    try {
      e = estimate(model, one);
    } catch (const OverflowError&) {
      continue;
    }
    const Bytes kv = e.find("kv_cache") ? e.find("kv_cache")->bytes : Bytes(0);
    const Bytes fixed = saturating_sub(e.total, kv);
    if (kv.count() == 0 || Bytes(budget) <= fixed) continue;
    best = std::max(best, (budget - fixed.count()) / kv.count());
  }
  return best;
}

GpuVerdict checked_verdict(const Model& model, const Request& request, const GpuTarget& target,
                           const std::optional<HostMemory>& ram, const LayoutLimits& limits) {
  GpuVerdict v = judge(model, request, target, limits);
  Request judged = request;
  judged.layout = v.layout;
  const EngineStartup s = engine_startup(model, judged, &target, EngineSettings{});
  apply_engine_startup(s, engine_for(model, request), v);
  judge_host(estimate(model, judged), ram, target, v);
  return v;
}

namespace {

// llama.cpp's placement questions on one GPU (see FitResult): GPU memory only grows with the layers
// (and experts) put on it, so each answer is a bisection on the GPU verdict; the host memory is then
// judged at the answer (it only shrinks as more goes to the GPU).
void solve_offload(const FitQuery& q, FitResult& r) {
  const Model& m = q.model;
  if (!engine_for(m, q.request).places_layers || q.gpu.count() != 1 || q.request.mode != Mode::inference ||
      q.request.method != Method::detailed)
    return;
  const std::uint64_t n = m.config.n_layers;
  // At the answer, the host judged as --check judges it (unified machines: one pool with the GPU).
  const auto answer = [&](const Request& req, std::uint64_t value) {
    const Estimate e = estimate(m, req);
    const GpuVerdict v = checked_verdict(m, req, q.gpu, q.ram, q.limits);
    return OffloadAnswer{value, e.total, e.host_total, !v.host || v.host->fits};
  };
  const auto gpu_fits = [&](const Request& req) { return checked_verdict(m, req, q.gpu, std::nullopt, q.limits).fits; };
  Request layers = q.request;
  layers.offload.cpu_moe_layers = 0;
  const std::optional<std::uint64_t> best = bisect::largest_true(0, n + 1, [&](std::uint64_t k) {
    layers.offload.gpu_layers = k;
    return gpu_fits(layers);
  });
  if (best) {
    layers.offload.gpu_layers = *best;
    r.max_gpu_layers = answer(layers, *best);
  }
  bool moe = false;
  if (m.params)
    for (const auto& g : m.params->groups) moe = moe || g.role == TensorRole::expert;
  if (!moe) return;
  Request experts = q.request;
  experts.offload.gpu_layers = std::nullopt;
  const std::optional<std::uint64_t> fewest = bisect::smallest_true(0, n, [&](std::uint64_t k) {
    experts.offload.cpu_moe_layers = k;
    return gpu_fits(experts);
  });
  if (fewest) {
    experts.offload.cpu_moe_layers = *fewest;
    r.min_cpu_moe_layers = answer(experts, *fewest);
  }
}

}  // namespace

FitResult solve_fit(const FitQuery& q) {
  FitResult r;
  const GpuTarget& t = q.gpu;
  r.verdict = judge(q.model, q.request, t, q.limits);
  r.max_seq_len = max_seq_len_that_fits(q.model, q.request, t);
  r.max_seq_len_is_model_limit = r.max_seq_len > 0 && q.model.config.max_position_embeddings == r.max_seq_len;
  r.max_batch = max_batch_that_fits(q.model, q.request, t);
  r.max_concurrent_requests =
      max_concurrent_requests(q.model, q.request, t, q.gpu_memory_utilization, q.kv_block_tokens);
  // With an engine that sizes its own pool, the context and concurrency answers are the engine's:
  // vLLM's --max-model-len auto and the concurrency it logs for seq_len-token requests
  // (kv_cache_utils.py); SGLang's token pool and max_running_requests (model_runner.py).
  Request judged = q.request;
  judged.layout = r.verdict.layout;
  EngineSettings settings;
  settings.vllm.gpu_memory_utilization = q.gpu_memory_utilization;
  settings.vllm.max_model_len = q.request.seq_len;
  settings.sglang.context_len = q.request.seq_len;
  const EngineStartup engine = engine_startup(q.model, judged, &t, settings);
  const std::uint64_t limit = q.model.config.max_position_embeddings;
  auto answer = [&](std::uint64_t pool_tokens, std::uint64_t concurrent) {
    r.max_seq_len = limit ? std::min(pool_tokens, limit) : pool_tokens;
    r.max_seq_len_is_model_limit = limit > 0 && pool_tokens >= limit;
    r.max_concurrent_requests = concurrent;
    r.engine_answers = true;
  };
  if (engine.vllm) answer(engine.vllm->longest_request, static_cast<std::uint64_t>(engine.vllm->max_concurrency));
  if (engine.sglang)
    answer(engine.sglang->max_total_num_tokens,
           std::min(engine.sglang->max_total_num_tokens / q.request.seq_len, engine.sglang->max_running_requests));
  if (auto layout = fewest_gpus_layout(q.model, q.request, q.gpu.largest(), q.limits, &r.layouts_searched)) {
    r.min_gpus = layout->gpus();
    r.layout = *layout;
  }
  // Highest quality first (Precision::quality_rank); bf16 stands for the model's own 16-bit dtype.
  std::vector<const Precision*> ranked;
  for (const auto& p : all_precisions())
    if (p.quality_rank > 0) ranked.push_back(&p);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Precision* a, const Precision* b) { return a->quality_rank < b->quality_rank; });
  for (const Precision* p : ranked) {
    Request req = q.request;
    if (q.request.mode == Mode::training && !p->is_float_16_or_32 && q.request.lora_rank == 0) continue;
    req.precision = (p->name == "bf16" && q.model.config.torch_dtype == "float16") ? &find_precision("fp16") : p;
    // A precision another engine runs (bf16 weights: transformers) has no llama.cpp layer placement.
    if (!engine_for(q.model, req).places_layers) req.offload = LayerOffload{};
    if (fits(q.model, req, t)) {
      r.best_precision = std::string(req.precision->name);
      break;
    }
  }
  solve_offload(q, r);
  return r;
}

std::vector<LayoutFit> all_layouts(const Model& model, const Request& request, Bytes memory, std::uint64_t max_gpus) {
  std::vector<LayoutFit> out;
  const std::uint64_t dp = request.layout.dp;
  for (std::uint64_t tp = 1; tp * dp <= max_gpus; ++tp) {
    for (std::uint64_t pp = 1; tp * pp * dp <= max_gpus; ++pp) {
      Layout l = request.layout;
      l.tp = tp;
      l.pp = pp;
      if (layout_problem(model, l)) continue;
      Request r = request;
      r.layout = l;
      const Bytes per = estimate(model, r).total;
      out.push_back({l, per, per <= memory});
    }
  }
  return out;
}

std::vector<ContextPoint> memory_by_context(const Model& model, const Request& request, std::optional<Bytes> capacity) {
  std::uint64_t top = model.config.max_position_embeddings ? model.config.max_position_embeddings : 2 * request.seq_len;
  top = std::max<std::uint64_t>(top, request.seq_len);
  std::vector<ContextPoint> points;
  for (std::uint64_t s = 512; s < top; s *= 2) points.push_back({s, {}, {}});
  points.push_back({top, {}, {}});
  points.push_back({request.seq_len, {}, {}});  // the length asked about is always on the curve
  std::sort(points.begin(), points.end(),
            [](const ContextPoint& a, const ContextPoint& b) { return a.seq_len < b.seq_len; });
  points.erase(std::unique(points.begin(), points.end(),
                           [](const ContextPoint& a, const ContextPoint& b) { return a.seq_len == b.seq_len; }),
               points.end());
  Request r = request;
  for (auto& p : points) {
    r.seq_len = p.seq_len;
    const auto per = per_gpu_bytes(model, r, r.layout);
    p.bytes = per.value_or(Bytes(0));
    if (capacity) p.fits = p.bytes <= *capacity;
  }
  return points;
}

}  // namespace llmmem
