#include <catch2/catch.hpp>

#include "llmmem/engine.hpp"
#include "llmmem/error.hpp"
#include "test_support.hpp"

using namespace llmmem;

TEST_CASE("engines are found by id or name, with a suggestion when misspelt", "[engine]") {
  CHECK(find_engine("vllm").name == "vLLM");
  CHECK(find_engine("vLLM").id == "vllm");
  CHECK(find_engine("llamacpp").id == "llama.cpp");
  CHECK(find_engine("Ollama").id == "ollama");
  CHECK_THROWS_WITH(find_engine("vlm"), Catch::Matchers::Contains("did you mean vllm?"));
  CHECK(all_engines().size() == 6);  // transformers, its legacy cache, vLLM, SGLang, llama.cpp, Ollama
}

TEST_CASE("the engine assumed: --engine, else llama.cpp for GGUF weights, else transformers", "[engine]") {
  const Model m = test::model("llama3-8b");
  CHECK(engine_for(m, test::infer()).id == "transformers");
  CHECK(engine_for(m, test::infer("q4_k_m")).id == "llama.cpp");
  Request r = test::infer("q4_k_m");
  r.engine = &find_engine("ollama");
  CHECK(engine_for(m, r).id == "ollama");
  Model gguf = m;
  gguf.engine = &find_engine("llama.cpp");  // what the GGUF loader sets
  CHECK(engine_for(gguf, test::infer()).id == "llama.cpp");
}

TEST_CASE("default prefill chunks follow each engine's rule for the GPU", "[engine]") {
  const auto gib = [](std::uint64_t n) { return n << 30; };
  const EngineProfile& vllm = find_engine("vllm");
  // vLLM serve: 2048 tokens below 70 GiB or on any A100, 8192 above (arg_utils.py _set_default_args).
  CHECK(default_prefill_chunk(vllm, gib(24), "rtx4090") == 2048);
  CHECK(default_prefill_chunk(vllm, 81559ULL << 20, "h100-80gb") == 8192);
  CHECK(default_prefill_chunk(vllm, gib(80), "NVIDIA A100-SXM4-80GB") == 2048);
  CHECK(default_prefill_chunk(vllm, 0, "") == 2048);
  // SGLang: 2048 / 4096 / 8192 / 16384 by GPU memory (server_args.py _handle_gpu_memory_settings).
  const EngineProfile& sglang = find_engine("sglang");
  CHECK(default_prefill_chunk(sglang, gib(24), "") == 2048);
  CHECK(default_prefill_chunk(sglang, gib(40), "") == 4096);
  CHECK(default_prefill_chunk(sglang, gib(80), "") == 8192);
  CHECK(default_prefill_chunk(sglang, gib(180), "") == 16384);
  CHECK(default_prefill_chunk(find_engine("llama.cpp"), gib(24), "") == 512);
  CHECK(default_prefill_chunk(find_engine("transformers"), gib(80), "") == 0);
}

TEST_CASE("a GGUF precision on a catalog model gets all of llama.cpp: ubatch, padding and host embeddings",
          "[engine]") {
  const Model m = test::model("llama3-8b");
  const Estimate e = estimate(m, test::infer("q4_k_m", 1, 1000));
  REQUIRE(e.engine != nullptr);
  CHECK(e.engine->id == "llama.cpp");
  // KV for n_ctx 1000 padded to 1024: 32 layers × 2 × 8 KV heads × 128 × 2 B × 1024 tokens.
  CHECK(test::bytes_of(e, "kv_cache") == 32ULL * 2 * 8 * 128 * 2 * 1024);
  CHECK(e.prefill_chunk == 512);  // n_ubatch
  // The same precision under vLLM: no padding, token embeddings on the GPU.
  Request v = test::infer("q4_k_m", 1, 1000);
  v.engine = &find_engine("vllm");
  const Estimate ev = estimate(m, v);
  CHECK(test::bytes_of(ev, "kv_cache") == 32ULL * 2 * 8 * 128 * 2 * 1000);
  CHECK(test::bytes_of(ev, "weights") > test::bytes_of(e, "weights"));  // token_embd counted on the GPU
}

TEST_CASE("switching engines changes the prefill peak the way the engines differ", "[engine]") {
  const Model m = test::model("llama3.1-8b");
  Request t = test::infer("bf16", 1, 32768);
  Request v = t;
  v.engine = &find_engine("vllm");
  const auto whole = test::bytes_of(estimate(m, t), "activations");
  const auto chunked = test::bytes_of(estimate(m, v), "activations");
  CHECK(chunked < whole);  // vLLM prefills 2048 tokens per step, transformers the whole 32k prompt
  CHECK(estimate(m, v).prefill_chunk == 2048);
  CHECK(estimate(m, t).prefill_chunk == 0);
}

TEST_CASE("each engine caches KV in its own types, and a GGUF cache type implies llama.cpp", "[engine]") {
  const Model m = test::model("llama3.1-8b");
  Request r = test::infer("bf16");
  r.kv_format = &find_kv_format("q4_0");
  CHECK(engine_for(m, r).id == "llama.cpp");  // only llama.cpp-based engines have a q4_0 cache
  r.engine = &find_engine("vllm");
  CHECK_THROWS_WITH(estimate(m, r), Catch::Matchers::Contains("vLLM has no q4_0 KV cache (--kv-cache-dtype"));
  r.kv_format = &find_kv_format("fp8");
  CHECK_NOTHROW(estimate(m, r));
  r.engine = &find_engine("llama.cpp");
  CHECK_THROWS_WITH(estimate(m, r), Catch::Matchers::Contains("-ctk/-ctv"));
  r.engine = &find_engine("ollama");
  r.kv_format = &find_kv_format("q8_0");
  CHECK_NOTHROW(estimate(m, r));
  CHECK(engine_supports_kv(find_engine("transformers"), "bf16"));
  CHECK_FALSE(engine_supports_kv(find_engine("transformers"), "fp8"));
}

TEST_CASE("without flash attention llama.cpp keeps 4-byte scores, HF eager 10 in bf16", "[engine]") {
  // 8B at 4096 tokens, batch 1, prefill of 512: 32 heads × 512 × 4096 scores.
  const Model m = test::model("llama3.1-8b");
  Request hf = test::infer("bf16", 1, 4096);
  hf.attention = Attention::eager;
  hf.prefill_chunk = 512;
  Request cpp = hf;
  cpp.engine = &find_engine("llama.cpp");
  const auto scores = 32ULL * 512 * 4096;
  const auto hf_act = test::bytes_of(estimate(m, hf), "activations");
  const auto cpp_act = test::bytes_of(estimate(m, cpp), "activations");
  // The scores: bf16, their fp32 copy and the fp32 softmax (10 B; ATen's softmax upcasts bf16 by a
  // copy) against one f32 matrix (4 B); and transformers' two more hidden-size tensors per token
  // (the embeddings and the layer's input): 2 × 512 × 4096 × 2 B.
  CHECK(hf_act - cpp_act == scores * (10 - 4) + 2ULL * 512 * 4096 * 2);
}

TEST_CASE("the legacy tuple cache peaks with two copies of the KV cache at a decode step", "[engine]") {
  // transformers <= 4.35: each layer returns torch.cat([past, new]) while generate() still holds the
  // old tuple, so old and new caches are alive together. Llama-2-13B, batch 16, 1024 tokens, fp16:
  // one copy is 16 × 1024 × 40 layers × 2 × 40 heads × 128 × 2 B = 12.5 GiB; the legacy peak is 25 GiB.
  // (optimum's GPTQ benchmark, 2023: 50.28 GiB at batch 16 against 24.24 GiB of weights.)
  const Model m = test::model("llama2-13b");
  Request r = test::infer("fp16", 16, 1024);
  const std::uint64_t one_copy = 16ULL * 1024 * 40 * 2 * 40 * 128 * 2;
  CHECK(test::bytes_of(estimate(m, r), "kv_cache") == one_copy);
  r.engine = &find_engine("transformers-legacy");
  const Estimate legacy = estimate(m, r);
  CHECK(test::bytes_of(legacy, "kv_cache") == 2 * one_copy);
  CHECK(test::sums_to_total(legacy));
  // Training has no decode step: the profile changes nothing there.
  Request t = test::train("bf16", 1, 1024);
  CHECK(test::bytes_of(estimate(m, t), "kv_cache") == 0);
}
