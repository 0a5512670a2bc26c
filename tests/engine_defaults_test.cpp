// The context and attention each engine picks when the user does not say (engine_defaults.hpp).
#include <catch2/catch.hpp>

#include "llmmem/engine.hpp"
#include "llmmem/engine_defaults.hpp"
#include "llmmem/gpu.hpp"
#include "llmmem/startup.hpp"
#include "test_support.hpp"

using namespace llmmem;

namespace {
std::uint64_t buffer(const LlamaCppStartup& s, std::string_view name) {
  for (const auto& b : s.buffers)
    if (b.name == name && b.device == "CUDA0") return b.bytes.count();
  return 0;
}
}  // namespace

TEST_CASE("llama.cpp --fit shrinks the context by the deficit over the KV bytes per token", "[engine][defaults]") {
  // Llama-3.1-8B Q8_0 on one RTX 3060 (12288 MiB). The dry run at n_ctx_train = 131072 holds the
  // weights (token_embd stays on the host), 131072 × 32 layers × 2 × 1024 × 2 B = 16 GiB of KV and
  // the compute buffer; llama_params_fit_impl wants 1024 MiB free, so it cuts
  // ceil(deficit / 131072 B per token) tokens (Σ context / n_ctx_train = 16 GiB / 131072).
  const Model m = test::model("llama3.1-8b");
  Request r = test::infer("q8_0", 1, 131072);
  r.engine = &find_engine("llama.cpp");
  const GpuTarget gpu = parse_gpu_target("rtx3060");
  LlamaCppSettings s;
  const LlamaCppStartup at_train = llama_cpp_startup(m, r, s);
  const std::uint64_t kv = buffer(at_train, "kv");
  CHECK(kv == 131072ULL * 32 * 2 * 1024 * 2);
  const std::uint64_t used = buffer(at_train, "model") + kv + buffer(at_train, "compute");
  const std::uint64_t deficit = used + (1024ULL << 20) - (12288ULL << 20);
  const LlamaCppFit f = llama_cpp_fit(m, r, gpu, 1);
  CHECK(f.n_ctx_train == 131072);
  CHECK(f.reduced);
  CHECK(f.fits);
  CHECK(f.n_ctx == 131072 - ceil_div(deficit, 131072));
  // At that context the GPU keeps the margin, to the 256-token padding the engine adds later.
  Request fitted = r;
  fitted.seq_len = f.n_ctx;
  const LlamaCppStartup at_fit = llama_cpp_startup(m, fitted, s);
  const std::uint64_t padding = 255ULL * 32 * 2 * 1024 * 2;
  CHECK(buffer(at_fit, "model") + buffer(at_fit, "kv") + buffer(at_fit, "compute") <=
        (12288ULL << 20) - (1024ULL << 20) + padding);
  // A GPU with room for the whole context keeps it: "no changes needed".
  const LlamaCppFit big = llama_cpp_fit(m, r, parse_gpu_target("h100-80gb"), 1);
  CHECK_FALSE(big.reduced);
  CHECK(big.n_ctx == 131072);
  // Llama-3.1-70B Q4_K_M (about 40 GiB of weights) cannot fit a 12 GiB GPU at any context: the
  // context stops at fit_params_min_ctx 4096 and --fit would move layers to the CPU.
  const LlamaCppFit none = llama_cpp_fit(test::model("llama3.1-70b"), test::infer("q4_k_m", 1, 131072), gpu, 1);
  CHECK_FALSE(none.fits);
  CHECK(none.n_ctx == 4096);
}

TEST_CASE("engine defaults: llama.cpp's model context, Ollama's num_ctx and flash-attention list",
          "[engine][defaults]") {
  const Model llama = test::model("llama3.1-8b");
  const Unset unset{true, true};
  // llama.cpp without a GPU: n_ctx 0 = n_ctx_train; flash attention auto = on (CUDA).
  Request r = test::infer("q4_k_m");
  r.attention = Attention::eager;
  auto notes = apply_engine_defaults(llama, r, unset, nullptr, 1);
  CHECK(r.seq_len == 131072);
  CHECK(r.attention == Attention::flash);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("the model's own, 131072 tokens") != std::string::npos);
  // Ollama v0.12.10: num_ctx 4096 per sequence (× --parallel); flash attention off for llama, on for gpt-oss.
  Request o = test::infer();
  o.engine = &find_engine("ollama");
  (void)apply_engine_defaults(llama, o, unset, nullptr, 2);
  CHECK(o.seq_len == 8192);
  CHECK(o.attention == Attention::eager);
  Request g = test::infer();
  g.engine = &find_engine("ollama");
  (void)apply_engine_defaults(test::model("gpt-oss-20b"), g, unset, nullptr, 1);
  CHECK(g.attention == Attention::flash);
  // What the user set stays; transformers and vLLM have no such defaults.
  Request given = test::infer("q4_k_m", 1, 8192);
  given.attention = Attention::eager;
  CHECK(apply_engine_defaults(llama, given, Unset{}, nullptr, 1).empty());
  CHECK(given.seq_len == 8192);
  CHECK(given.attention == Attention::eager);
  Request t = test::infer("bf16", 1, 2048);
  CHECK(apply_engine_defaults(llama, t, unset, nullptr, 1).empty());
  CHECK(t.seq_len == 2048);
}
