#pragma once
// Solvers for "what fits?": each answer is found by searching the estimator itself, so that at
// the reported maximum the estimate fits and one step above it does not.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "llmmem/estimate.hpp"
#include "llmmem/gpu.hpp"
#include "llmmem/host_memory.hpp"

namespace llmmem {

struct FitQuery {
  Model model;
  Request request;  // batch / seq_len / precision of interest
  GpuTarget gpu;
  double gpu_memory_utilization = 0.9;  // vLLM's share of memory for the KV pool question
  LayoutLimits limits{};                // max_gpus: upper bound of the min-GPU search; gpus per node
  std::uint64_t kv_block_tokens = 16;   // vLLM block size
  std::optional<HostMemory> ram{};      // host memory to judge beside the GPUs (--ram, /proc/meminfo)
};

// One placement answer of an engine that splits layers between GPU and host (llama.cpp, Ollama).
struct OffloadAnswer {
  std::uint64_t value = 0;  // --gpu-layers or --n-cpu-moe
  Bytes gpu;                // the most loaded GPU's total at that setting
  Bytes host;               // the host memory it needs
  bool host_fits = true;    // against FitQuery::ram (true when no RAM is given)
};

struct FitResult {
  GpuVerdict verdict;                       // the request as asked, on the GPUs given (what --check judges)
  std::uint64_t max_seq_len = 0;            // at request.batch; 0 when nothing fits
  bool max_seq_len_is_model_limit = false;  // the model's max_position_embeddings, not memory, bounds it
  std::uint64_t max_batch = 0;              // at request.seq_len
  std::uint64_t max_concurrent_requests = 0;
  std::optional<std::uint64_t> min_gpus;  // GPUs like the largest given; empty when none up to max_gpus fits
  Layout layout;                          // the layout min_gpus uses
  std::string best_precision;             // "" when none fits
  std::uint64_t layouts_searched = 0;
  bool engine_answers = false;  // max_seq_len and max_concurrent_requests are the engine's own (vLLM, SGLang)
  // llama.cpp / Ollama on one GPU: the most layers on the GPU (-ngl; n_layer + 1 with the output),
  // and, for MoE models with every layer on the GPU, the fewest layers whose experts stay on the host
  // (--n-cpu-moe). Each is what `infer --check` accepts, one more layer (one fewer) is not.
  std::optional<OffloadAnswer> max_gpu_layers;
  std::optional<OffloadAnswer> min_cpu_moe_layers;
};

[[nodiscard]] FitResult solve_fit(const FitQuery& query);

// The verdict `infer --check` gives: the estimate on the GPUs, the engine's own start-up (vLLM's and
// SGLang's pools, llama.cpp's buffers) and, with `ram`, the host memory.
[[nodiscard]] GpuVerdict checked_verdict(const Model& model, const Request& request, const GpuTarget& target,
                                         const std::optional<HostMemory>& ram, const LayoutLimits& limits = {});

// Single questions, used by solve_fit and the tests.
[[nodiscard]] std::uint64_t max_seq_len_that_fits(const Model&, Request, const GpuTarget&);
[[nodiscard]] std::uint64_t max_batch_that_fits(const Model&, Request, const GpuTarget&);
[[nodiscard]] std::uint64_t max_concurrent_requests(const Model&, Request, const GpuTarget&, double utilization,
                                                    std::uint64_t block_tokens);

}  // namespace llmmem

namespace llmmem {

// Every valid tensor × pipeline layout with at most `max_gpus` GPUs (dp from the request), and
// whether the request fits each on GPUs of `memory`. Used by the exhaustive layout benchmark and
// by anyone who wants the whole trade-off table rather than the fewest GPUs.
struct LayoutFit {
  Layout layout;
  Bytes per_gpu;
  bool fits = false;
};
// Memory against context length: the most loaded GPU's total under request.layout (the layout
// judged for the stated request: the curve never re-plans) at 512, 1024, ... tokens up to the
// model's context length (or twice request.seq_len when it has none), and the stated length.
struct ContextPoint {
  std::uint64_t seq_len = 0;
  Bytes bytes;
  std::optional<bool> fits;  // against `capacity`, when given
};
[[nodiscard]] std::vector<ContextPoint> memory_by_context(const Model& model, const Request& request,
                                                          std::optional<Bytes> capacity);

[[nodiscard]] std::vector<LayoutFit> all_layouts(const Model& model, const Request& request, Bytes memory,
                                                 std::uint64_t max_gpus);

}  // namespace llmmem
