#include "llmmem/startup.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "bisect.hpp"
#include "llmmem/engine.hpp"
#include "llmmem/error.hpp"
#include "llmmem/weight_storage.hpp"
#include "text.hpp"

namespace llmmem {

namespace {

// Non-torch memory that appears during vLLM's profile run (memory_profiling's non_torch_increase:
// NCCL and cuBLAS workspaces; the CUDA context predates the baseline and is not in it). Published
// start-up logs show 0.16 GiB (H100, enforce_eager: vllm PR #12126) and 0.35 GiB (RTX 3090: vllm
// issue #10517); llmmem takes the midpoint, 0.25 GiB.
constexpr Bytes k_non_torch{256ULL << 20};

bool large_gpu(Bytes total, std::string_view name) {
  // EngineArgs._set_default_args: >= 70 GiB and "a100" not in the device name.
  return total.count() >= (70ULL << 30) && text::lower(name).find("a100") == std::string::npos;
}

// output.weight's bytes as stored: from the file's header, else the LM head (or the tied token
// embeddings) at the request's precision.
std::uint64_t output_weight_bytes(const Model& model, const Request& r) {
  if (model.files && !r.precision) {
    for (const auto& t : model.files->tensors)
      if (t.name == "output.weight") return t.bytes;
  }
  if (!model.params) return 0;
  const Precision& prec = r.precision ? *r.precision : precision_from_torch_dtype(model.config.torch_dtype);
  // The 16-bit dtype unquantized tensors keep (the config's; bf16 when it names none).
  const std::string_view dtype = model.config.torch_dtype;
  const StorageFormat& compute =
      find_kv_format(dtype == "float32" || dtype == "float16" || dtype == "bfloat16" ? dtype : "bfloat16");
  const TensorGroup* out = nullptr;
  for (const auto& g : model.params->groups)
    if (g.role == TensorRole::lm_head || (!out && g.role == TensorRole::embedding)) out = &g;
  return out ? group_storage(prec, compute, model.config, *out).total.count() : 0;
}

std::uint64_t component(const Estimate& e, std::string_view id) {
  const auto* c = e.find(id);
  return c ? c->bytes.count() : 0;
}

}  // namespace

VllmStartup vllm_startup(const Model& model, const Request& request, Bytes gpu_total, std::string_view gpu_name,
                         const VllmSettings& s) {
  if (s.gpu_memory_utilization <= 0 || s.gpu_memory_utilization > 1)
    throw UsageError("--gpu-memory-utilization must be in (0, 1]");
  // Encoder-only pooling models run without a KV cache (vLLM's EncoderOnlyAttention has no KV spec)
  // and their profile run packs sequences of at most max_model_len tokens: not modelled here.
  if (model.config.is_encoder_decoder())
    throw UnsupportedError(fmt::format(
        "vLLM's start-up for an encoder-decoder ({}) is not modelled; leave out --engine vllm or --gpu", model.name));
  if (model.config.encoder)
    throw UnsupportedError(
        fmt::format("vLLM's start-up for an encoder ({}, a pooling model without KV cache) is not "
                    "modelled yet; leave out --engine vllm or --gpu",
                    model.name));
  VllmStartup v;
  const bool large = large_gpu(gpu_total, gpu_name);
  v.max_model_len = s.max_model_len ? s.max_model_len
                                    : (model.config.max_position_embeddings ? model.config.max_position_embeddings
                                                                            : 2048);  // config/model.py fallback
  // `vllm serve` defaults (EngineArgs._set_default_args); without chunked prefill one step holds a
  // whole prompt (SchedulerConfig: max_num_batched_tokens >= max_model_len).
  v.max_num_batched_tokens =
      s.max_num_batched_tokens
          ? s.max_num_batched_tokens
          : (s.chunked_prefill ? (large ? 8192 : 2048) : std::max<std::uint64_t>(v.max_model_len, 2048));
  v.max_num_seqs = std::min(s.max_num_seqs ? s.max_num_seqs : (large ? 1024 : 256), v.max_num_batched_tokens);
  v.total = gpu_total;
  v.requested = Bytes(static_cast<std::uint64_t>(static_cast<long double>(gpu_total.count()) *
                                                 static_cast<long double>(s.gpu_memory_utilization)));

  Request r = request;
  r.mode = Mode::inference;
  r.method = Method::detailed;
  r.engine = &find_engine("vllm");
  // The profile run (gpu_model_runner.py profile_run -> _dummy_run): max_num_batched_tokens tokens
  // in one forward pass, no KV cache yet.
  r.batch = 1;
  r.seq_len = v.max_num_batched_tokens;
  r.prefill_chunk = v.max_num_batched_tokens;
  const Estimate profile = estimate(model, r);
  // The vision tower (vision-language models) and Gemma 3n's per-layer embeddings load with the model:
  // "Model loading took" counts them.
  v.weights = Bytes(component(profile, "weights") + component(profile, "per_layer_embeddings") +
                    component(profile, "vision_weights"));
  v.activation_peak = Bytes(component(profile, "activations"));
  // _dummy_sampler_run: logits for min(max_num_seqs, max_num_batched_tokens) requests, upcast to
  // fp32 by the sampler (v1/sample/sampler.py: logits.to(torch.float32)); vocabulary split by tp.
  const std::uint64_t vocab = ceil_div(model.config.vocab_size, request.layout.tp);
  v.sampler_logits = Bytes(checked_mul(checked_mul(v.max_num_seqs, vocab, "sampler logits"), 4, "sampler logits"));
  v.non_torch = k_non_torch;
  const Bytes used = v.weights + v.activation_peak + v.sampler_logits + v.non_torch;
  v.kv_budget = saturating_sub(v.requested, used);

  // One block of block_size tokens over every layer of this rank (kv_cache_utils: page_size_bytes ×
  // layers), taken from the estimator's KV formula (per-rank KV heads, MLA latent, KV dtype). A
  // block (16 tokens) is below every sliding window, so each layer holds a full page in it.
  Request block = r;
  block.seq_len = v.block_size;
  block.prefill_chunk = v.block_size;
  const std::uint64_t all_layers_page = component(estimate(model, block), "kv_cache");
  if (all_layers_page == 0)
    throw UnsupportedError(fmt::format("{} has no KV cache to size a vLLM pool for", model.name));
  // The hybrid allocator (v1/core/kv_cache_utils.py _get_kv_cache_config_uniform_page_size): with
  // full-attention and sliding-window layers, layers are grouped by type in groups of
  // group_size = min(layers of each type); one block holds one page of each layer of a group, all
  // groups draw on one pool, and "GPU KV cache size" is num_blocks / groups × block_size tokens.
  const ModelConfig& c = model.config;
  // Gemma 3n's KV-sharing layers have no KV spec of their own (kv_sharing_target_layer_name): not in any group.
  const std::uint64_t shared = c.n_attention_layers() - c.n_kv_layers();
  const std::uint64_t shared_sliding = c.n_sliding_layers() - c.n_kv_sliding_layers();
  const std::uint64_t n_layers = std::max<std::uint64_t>(c.n_layers - shared, 1);
  const std::uint64_t n_sliding = c.sliding_window ? c.n_sliding_layers() - shared_sliding : 0,
                      n_full = n_layers - n_sliding;
  const std::uint64_t group_size = n_sliding && n_full ? std::min(n_sliding, n_full) : n_layers;
  v.full_groups = n_full ? ceil_div(n_full, group_size) : 0;
  v.sliding_groups = n_sliding ? ceil_div(n_sliding, group_size) : 0;
  v.block_bytes = all_layers_page / n_layers * group_size;
  v.num_gpu_blocks = v.kv_budget.count() / v.block_bytes;
  v.kv_tokens = v.num_gpu_blocks / (v.full_groups + v.sliding_groups) * v.block_size;
  // Blocks one request of `len` tokens needs (kv_cache_interface.py max_memory_usage_bytes): a full
  // group cdiv(len, block_size); a sliding group cdiv(min(window − 1 + max_num_batched_tokens, len),
  // block_size) + 1; a chunked-attention group (Llama 4, ChunkedLocalAttentionSpec)
  // cdiv(min(attention_chunk_size + max_num_batched_tokens, len), block_size).
  const auto blocks_for = [&](std::uint64_t len) {
    std::uint64_t blocks = v.full_groups * ceil_div(len, v.block_size);
    if (v.sliding_groups && c.chunked_attention)
      blocks += v.sliding_groups * ceil_div(std::min(c.sliding_window + v.max_num_batched_tokens, len), v.block_size);
    else if (v.sliding_groups)
      blocks += v.sliding_groups *
                (ceil_div(std::min(c.sliding_window - 1 + v.max_num_batched_tokens, len), v.block_size) + 1);
    return blocks;
  };
  const std::uint64_t blocks_per_request = blocks_for(v.max_model_len);
  v.needed_for_max_model_len = Bytes(checked_mul(blocks_per_request, v.block_bytes, "vLLM KV"));
  // The longest request the pool holds (estimate_max_model_len: a binary search over lengths).
  v.longest_request = bisect::largest_true(0, std::max(v.max_model_len, v.kv_tokens), [&](std::uint64_t len) {
                        return blocks_for(len) <= v.num_gpu_blocks;
                      }).value_or(0);
  v.max_model_len_fits = std::min(v.max_model_len, v.longest_request);
  v.max_concurrency = static_cast<double>(v.num_gpu_blocks) / static_cast<double>(blocks_per_request);
  v.starts = v.kv_budget.count() > 0 && v.needed_for_max_model_len <= v.kv_budget;
  // CUDA graphs (config/compilation.py: cudagraph_capture_sizes from max_cudagraph_capture_size =
  // min(max_num_seqs × 2, 512)); none with enforce_eager.
  v.enforce_eager = s.enforce_eager;
  v.graph_margin = saturating_sub(v.total, v.requested);
  if (!s.enforce_eager) {
    v.largest_graph = std::min<std::uint64_t>(v.max_num_seqs * 2, 512);
    v.graph_sizes = std::min<std::uint64_t>(v.largest_graph, 4) == 4 ? 3 : (v.largest_graph >= 2 ? 2 : 1);
    for (std::uint64_t size = 8; size < 256 && size <= v.largest_graph; size += 8) ++v.graph_sizes;
    for (std::uint64_t size = 256; size <= v.largest_graph; size += 16) ++v.graph_sizes;
  }
  const auto gib = [](Bytes b) { return static_cast<double>(b.count()) / static_cast<double>(1ULL << 30); };
  if (v.kv_budget.count() == 0) {
    v.error =
        "No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing "
        "the engine.";
  } else if (!v.starts) {
    // kv_cache_utils.py check_enough_kv_cache_memory (the text of vLLM 0.11).
    v.error = fmt::format(
        "To serve at least one request with the models's max seq len ({}), ({:.2f} GiB KV cache is needed, which is "
        "larger than the available KV cache memory ({:.2f} GiB).{} Try increasing `gpu_memory_utilization` or "
        "decreasing `max_model_len` when initializing the engine.",
        v.max_model_len, gib(v.needed_for_max_model_len), gib(v.kv_budget),
        v.max_model_len_fits ? fmt::format(" Based on the available memory, the estimated maximum model length is {}.",
                                           v.max_model_len_fits)
                             : "");
  }
  return v;
}

SglangStartup sglang_startup(const Model& model, const Request& request, Bytes gpu_total, const SglangSettings& s) {
  if (s.mem_fraction_static < 0 || s.mem_fraction_static > 1)
    throw UsageError("--mem-fraction-static must be in (0, 1]");
  SglangStartup g;
  const std::uint64_t mib = 1ULL << 20, gpu = gpu_total.count() / mib, tp = request.layout.tp, pp = request.layout.pp;
  g.gpu_mem_mib = gpu;
  // server_args.py _handle_gpu_memory_settings: chunked_prefill_size and cuda_graph_max_bs by GPU memory.
  struct Step {
    std::uint64_t below_mib, chunk, bs_small_tp, bs_large_tp;
  };
  static constexpr Step k_steps[] = {{20480, 2048, 8, 8},     {35840, 2048, 24, 80},    {61440, 4096, 32, 160},
                                     {92160, 8192, 256, 512}, {163840, 8192, 256, 512}, {~0ULL, 16384, 512, 512}};
  for (const Step& st : k_steps)
    if (gpu < st.below_mib) {
      g.chunked_prefill_size = st.chunk;
      g.cuda_graph_max_bs = tp < 4 ? st.bs_small_tp : st.bs_large_tp;
      break;
    }
  // reserved_mem (MiB) = 512 + 1.5 × max(chunk, 2048) + 2 × cuda_graph_max_bs + tp × pp / 8 × 1024,
  // at least 10 GiB on GPUs over 60 GiB; mem_fraction_static = round((gpu − reserved) / gpu, 3).
  long double reserved =
      512.0L + 1.5L * static_cast<long double>(std::max<std::uint64_t>(g.chunked_prefill_size, 2048)) +
      2.0L * static_cast<long double>(g.cuda_graph_max_bs) + static_cast<long double>(tp * pp) / 8.0L * 1024.0L;
  if (gpu > 61440) reserved = std::max(reserved, 10.0L * 1024.0L);
  g.reserved_mib = static_cast<std::uint64_t>(reserved);
  g.mem_fraction_static = s.mem_fraction_static > 0
                              ? s.mem_fraction_static
                              : static_cast<double>(std::round((static_cast<long double>(gpu) - reserved) /
                                                               static_cast<long double>(gpu) * 1000.0L) /
                                                    1000.0L);
  Request r = request;
  r.mode = Mode::inference;
  r.method = Method::detailed;
  r.engine = &find_engine("sglang");
  r.batch = 1;
  r.seq_len = 1;
  r.prefill_chunk = 1;
  const Estimate e = estimate(model, r);
  g.weights = Bytes(component(e, "weights") + component(e, "per_layer_embeddings") + component(e, "vision_weights"));
  // mem_get_info after torch.distributed init: the device less its CUDA context (the estimator's
  // cuda_context_bytes, detailed_method.cpp).
  g.free_at_init = saturating_sub(gpu_total, cuda_context(e));
  const Bytes claimed(static_cast<std::uint64_t>(static_cast<long double>(g.free_at_init.count()) *
                                                 static_cast<long double>(g.mem_fraction_static)));
  g.kv_pool = saturating_sub(claimed, g.weights);
  // cell_size: the KV bytes of one token over every layer of this rank (per-rank KV heads, MLA latent).
  g.cell_bytes = component(e, "kv_cache");
  if (g.cell_bytes == 0)
    throw UnsupportedError(fmt::format("{} has no KV cache to size an SGLang pool for", model.name));
  g.max_total_num_tokens = g.kv_pool.count() / g.cell_bytes;
  g.context_len = s.context_len ? s.context_len
                                : (model.config.max_position_embeddings ? model.config.max_position_embeddings : 2048);
  // init_memory_pool: req_to_token pool of min(max(tokens / context_len × 512, 2048), 4096) rows.
  const std::uint64_t pool_rows =
      std::min<std::uint64_t>(std::max<std::uint64_t>(g.max_total_num_tokens * 512 / g.context_len, 2048), 4096);
  g.max_running_requests = std::min(g.max_total_num_tokens / 2, pool_rows);
  g.starts = g.max_total_num_tokens > 0;
  if (!g.starts)
    g.error = fmt::format(
        "Not enough memory. Please try to increase --mem-fraction-static. Current value: "
        "self.server_args.mem_fraction_static={}",
        g.mem_fraction_static);
  return g;
}

LlamaCppStartup llama_cpp_startup(const Model& model, const Request& request, const LlamaCppSettings& s) {
  if (s.n_ubatch == 0 || s.n_seq_max == 0) throw UsageError("--ubatch and --parallel must be at least 1");
  const ModelConfig& c = model.config;
  LlamaCppStartup out;
  Request r = request;
  r.mode = Mode::inference;
  r.method = Method::detailed;
  r.batch = 1;
  if (!r.engine) r.engine = &find_engine("llama.cpp");
  r.prefill_chunk = s.n_ubatch;
  const EngineProfile& engine = *r.engine;
  // n_ctx = GGML_PAD(n_ctx, 256) (llama_context constructor); the cache is one unified stream.
  out.n_ctx = ceil_div(r.seq_len, engine.context_padding) * engine.context_padding;
  out.n_ubatch = std::min(s.n_ubatch, out.n_ctx);
  out.n_seq_max = s.n_seq_max;
  out.flash_attn = s.flash_attn;
  const Estimate e = estimate(model, r);
  // Weights: the estimate's placement (load_tensors): token_embd always on the CPU, and with
  // --gpu-layers / --n-cpu-moe the layers and experts llama.cpp leaves there. Host weights are file
  // pages under mmap (CPU_Mapped, here the llama-quantize order: token_embd, output and the CPU
  // layers form one span), else pinned host buffers (CUDA_Host).
  const Component& weights = *e.find("weights");
  const Component& kv = *e.find("kv_cache");
  const std::uint64_t n_layer = c.n_layers;
  const bool output_on_gpu = !r.offload.gpu_layers || *r.offload.gpu_layers > n_layer;
  // Output buffer (output_reserve): n_seq_max rows of fp32 logits (+ n_embd with embeddings on),
  // in the output layer's host buffer (CPU when the output layer itself is on the CPU).
  const std::uint64_t vocab = c.vocab_size, embd = c.hidden_size, B = out.n_ubatch, n_kv = out.n_ctx;
  const std::uint64_t output = 4 * s.n_seq_max * (vocab + (s.embeddings ? embd : 0));
  // Compute buffers: ggml-alloc's peak over the graph reserved for n_ubatch tokens against the whole
  // cache (graph_reserve), in the closed forms docs/engines/llamacpp-ollama-transformers.md §1.6.2
  // verified to the printed 0.01 MiB against five public logs:
  //   output term   4·B·(n_vocab + n_embd)                      (logits + normed hidden state)
  //   attention, FA off  4·B·(1 + 4·n_embd + n_kv·(1 + n_head)) (fp32 KQ + the mask copy)
  //   host          4·B·(n_embd + n_kv) + integer inputs         (token rows, the fp32 mask)
  // With flash attention the KQ matrix is never formed; its own term is not verified and is left
  // out, so the output term stands for the GPU buffer. With the output layer on the CPU, ubatches
  // of 32 tokens or more run its matmul on the GPU (ggml-backend.cpp op offload), copying
  // output.weight into the GPU buffer (docs/engines/llamacpp-partial-offload.md, log A, exact).
  std::uint64_t out_term = 4 * B * (vocab + embd);
  if (!output_on_gpu && B >= 32) out_term += output_weight_bytes(model, r);
  const std::uint64_t attn_term = 4 * B * (1 + 4 * embd + n_kv * (1 + c.n_heads));
  const std::uint64_t compute_gpu = s.flash_attn ? out_term : std::max(out_term, attn_term);
  constexpr std::uint64_t k_int_inputs = 12;  // positions, token ids and output ids: 3 × int32 per token
  const std::uint64_t compute_host = 4 * B * (embd + n_kv) + k_int_inputs * B;
  // Gemma 3n's per_layer_token_embd is an input-layer tensor like token_embd: in the same host buffer.
  const Component* ple = e.find("per_layer_embeddings");
  const Bytes host_weights = weights.host + (ple ? ple->host : Bytes(0));
  const Bytes gpu_weights = weights.bytes + (ple ? ple->bytes : Bytes(0));
  out.buffers = {{"model", "CUDA0", gpu_weights},
                 {"model", r.offload.mmap ? "CPU_Mapped" : "CUDA_Host", host_weights},
                 {"kv", "CUDA0", kv.bytes}};
  if (kv.host.count() > 0) out.buffers.push_back({"kv", "CPU", kv.host});
  out.buffers.push_back({"output", output_on_gpu ? "CUDA_Host" : "CPU", Bytes(output)});
  out.buffers.push_back({"compute", "CUDA0", Bytes(compute_gpu)});
  out.buffers.push_back({"compute", "CUDA_Host", Bytes(compute_host)});
  for (const auto& b : out.buffers) (b.device == "CUDA0" ? out.gpu_total : out.host_total) += b.bytes;
  return out;
}

EngineStartup engine_startup(const Model& model, const Request& request, const GpuTarget* gpus,
                             const EngineSettings& settings) {
  EngineStartup out;
  if (request.mode != Mode::inference || request.method != Method::detailed) return out;
  const EngineProfile& engine = engine_for(model, request);
  if (engine.id == "vllm" && gpus) {
    VllmSettings v = settings.vllm;
    if (!v.max_num_batched_tokens) v.max_num_batched_tokens = request.prefill_chunk;
    // vLLM sizes itself by what CUDA reports (torch.cuda.mem_get_info), below the driver's total.
    const GpuDevice& device = gpus->smallest_device();
    out.vllm = vllm_startup(model, request, cuda_visible_memory(device.name, device.memory), device.name, v);
  } else if (engine.id == "sglang" && gpus) {
    out.sglang = sglang_startup(model, request, gpus->smallest(), settings.sglang);
  } else if (engine.id == "llama.cpp" || engine.id == "ollama") {
    LlamaCppSettings l;
    l.n_ubatch = request.prefill_chunk ? request.prefill_chunk : engine.prefill_chunk[0].tokens;
    l.n_seq_max = settings.n_seq_max;
    l.flash_attn = request.attention == Attention::flash;
    // Ollama's runner turns embeddings on (llama/llama.go NewContextParams, v0.12.10).
    l.embeddings = engine.id == "ollama";
    out.llama_cpp = llama_cpp_startup(model, request, l);
    if (engine.id == "ollama" && gpus) {
      // Ollama's scheduler estimates before it loads (llm/memory.go): num_ctx per sequence, the
      // llama.cpp context being num_ctx × num_parallel (llama/llama.go NewContextParams).
      OllamaSettings o;
      o.num_parallel = settings.n_seq_max;
      o.num_ctx = std::max<std::uint64_t>(request.seq_len / settings.n_seq_max, 1);
      o.num_batch = l.n_ubatch;
      o.flash_attn = l.flash_attn;
      if (request.kv_format) o.kv_cache_type = request.kv_format->name == "fp16" ? "f16" : request.kv_format->name;
      std::vector<Bytes> free;
      for (const auto& d : gpus->devices) free.push_back(d.free.value_or(d.memory));
      // pickBestFullFitByLibrary tries the GPUs with the most free memory first.
      std::sort(free.begin(), free.end(), [](Bytes a, Bytes b) { return a > b; });
      out.ollama = ollama_estimate(model, request, o, free);
    }
  }
  return out;
}

void apply_engine_startup(const EngineStartup& s, const EngineProfile& engine, GpuVerdict& v) {
  std::string why;
  if (s.vllm && !s.vllm->starts) why = "vLLM would not start: " + s.vllm->error;
  if (s.sglang && !s.sglang->starts) why = "SGLang would not start: " + s.sglang->error;
  // llama.cpp's own buffers must fit too: a GPU that holds the estimate but not its compute buffer
  // (it reserves logits for a whole ubatch) does not run it.
  if (s.llama_cpp && v.layout.gpus() == 1 && !v.per_gpu.empty() && s.llama_cpp->gpu_total > v.per_gpu.front().capacity)
    why = fmt::format("{}'s GPU buffers ({}) exceed the GPU's {}", engine.name, format_size(s.llama_cpp->gpu_total),
                      format_size(v.per_gpu.front().capacity));
  // Ollama runs what does not fit with the remaining layers on the CPU: a note, not a failure. The
  // estimate places those layers itself (apply_engine_defaults), and the verdict judges the GPU part.
  if (s.ollama && !s.ollama->fully_offloaded)
    v.notes.push_back(fmt::format("Ollama would offload {} of {} layers to the GPU and run the rest on the CPU",
                                  s.ollama->layers_offload, s.ollama->layers_model));
  if (why.empty()) return;
  v.fits = false;
  v.notes.push_back(std::move(why));
}

}  // namespace llmmem
