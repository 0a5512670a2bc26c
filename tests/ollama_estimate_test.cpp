// Ollama's pre-load estimate (llm/memory.go estimateGPULayers, v0.12.10) against the `offload` lines
// Ollama printed in public issues. Ollama prints sizes with format.HumanBytes2 ("%.1f GiB", "%.1f MiB"),
// so a figure the formula gives exactly is compared as the printed string; weight sums come from
// llmmem's catalog inventory rather than the GGUF file Ollama read, and are compared within 1 % plus
// the printed rounding.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "llmmem/error.hpp"
#include "llmmem/ollama_estimate.hpp"
#include "test_support.hpp"

using namespace llmmem;

namespace {

constexpr double k_mib = 1024.0 * 1024.0;
constexpr double k_gib = 1024.0 * k_mib;

// format.HumanBytes2 (Ollama format/bytes.go).
std::string printed(Bytes b) {
  const auto x = static_cast<double>(b.count());
  if (x >= k_gib) return fmt::format("{:.1f} GiB", x / k_gib);
  if (x >= k_mib) return fmt::format("{:.1f} MiB", x / k_mib);
  return fmt::format("{} B", b.count());
}

// Within 1 % of a printed "x.y GiB", widened by the 0.05 GiB the printing rounds away.
bool near_gib(Bytes b, double logged_gib) {
  const double gib = static_cast<double>(b.count()) / k_gib;
  return std::abs(gib - logged_gib) <= 0.01 * logged_gib + 0.05;
}

Bytes gib(double n) { return Bytes(static_cast<std::uint64_t>(n * k_gib)); }
Bytes mib(double n) { return Bytes(static_cast<std::uint64_t>(n * k_mib)); }

Model from_config(const char* name, const char* json) {
  return make_model(name, std::nullopt, parse_model_config(json, name));
}

OllamaSettings ctx(std::uint64_t num_ctx, std::uint64_t num_parallel) {
  OllamaSettings s;
  s.num_ctx = num_ctx;
  s.num_parallel = num_parallel;
  return s;
}

// The invariants of every estimate: partial is the allocations, full adds what stays in RAM, the
// weights add up, and the layers placed are the split.
void check_consistency(const OllamaEstimate& e) {
  Bytes sum, kv;
  for (const Bytes a : e.allocations) sum += a;
  for (const Bytes k : e.kv_per_layer) kv += k;
  std::uint64_t split = 0;
  for (const auto n : e.layers_split) split += n;
  CHECK(kv == e.memory_required_kv);
  CHECK(e.weights_total == e.weights_repeating + e.weights_nonrepeating);
  CHECK(e.memory_required_full >= sum);
  if (e.layers_offload > 0) CHECK(e.memory_required_partial == sum);
  CHECK(split == e.layers_offload);
  CHECK(e.fully_offloaded == (e.layers_offload == e.layers_model));
}

}  // namespace

TEST_CASE("Ollama estimate: the worked example of docs/engines (Llama-3.1-8B, num_ctx 2048, 4 parallel)", "[ollama]") {
  // docs/engines/llamacpp-ollama-transformers.md §2.2: context 2048 × 4 = 8192 cells, batch 512.
  const OllamaEstimate e = ollama_estimate(test::model("llama3.1-8b"), test::infer("q4_k_m"), ctx(2048, 4), {gib(24)});
  // kv: 32 layers × 8192 × (128 + 128) × 8 KV heads × 2 B = 1 GiB (llama.cpp logs 1024.00 MiB).
  CHECK(e.memory_required_kv == 1_GiB);
  CHECK(e.kv_per_layer.size() == 32);
  // graph.full = max(4·512·(1 + 4·4096 + 8192·33), 4·512·(4096 + 128256)) = 587,204,608 = 560.0 MiB,
  // llama.cpp's logged CUDA0 compute buffer with flash attention off.
  CHECK(e.graph_full == Bytes(4ULL * 512 * (1 + 4 * 4096 + 8192 * 33)));
  CHECK(printed(e.graph_full) == "560.0 MiB");
  // graph.partial = 4·512·4096 + max(4·512·(1 + 4096 + 8192) + 4096²·9/16 + 4·8192·(512·32 + 128·8),
  //                                  4·512·(4096 + 128256) + 4096·128256·105/128)
  //               = 8,388,608 + max(605,030,400, 701,997,056) = 710,385,664 = 677.5 MiB.
  CHECK(e.graph_partial == Bytes(710'385'664));
  CHECK(printed(e.graph_partial) == "677.5 MiB");
  CHECK(e.architecture == "llama");
  CHECK_FALSE(e.flash_attn);  // llama is not on GGML.FlashAttention()'s list
  CHECK(e.layers_model == 33);
  CHECK(e.layers_offload == 33);
  CHECK(e.fully_offloaded);
  check_consistency(e);
}

TEST_CASE("Ollama estimate: Llama-3.2-3B Q4_K_M, 4 parallel, on an 80 GB GPU (ollama issue 8098)", "[ollama]") {
  // ollama/ollama#8098, comment of 2024-12-15 (Ollama 0.5.x, "offload to cuda"): llama3.2:3b
  // (blob dde5aa3f, Q4_K_M), --ctx-size 8192 --parallel 4 (num_ctx 2048), memory.available [78.6 GiB]:
  //   layers.model=29 layers.offload=29 memory.required.full="3.7 GiB" memory.required.partial="3.7 GiB"
  //   memory.required.kv="896.0 MiB" memory.weights.total="2.4 GiB" memory.weights.repeating="2.1 GiB"
  //   memory.weights.nonrepeating="308.2 MiB" memory.graph.full="424.0 MiB" memory.graph.partial="570.7 MiB"
  const Model m = from_config("llama3.2-3b", R"({"model_type": "llama", "hidden_size": 3072,
      "intermediate_size": 8192, "num_hidden_layers": 28, "num_attention_heads": 24, "num_key_value_heads": 8,
      "head_dim": 128, "vocab_size": 128256, "max_position_embeddings": 131072, "tie_word_embeddings": true,
      "rms_norm_eps": 1e-05, "torch_dtype": "bfloat16"})");  // meta-llama/Llama-3.2-3B-Instruct config.json
  const OllamaEstimate e = ollama_estimate(m, test::infer("q4_k_m"), ctx(2048, 4), {gib(78.6)});
  // kv: 28 × 8192 × (128 + 128) × 8 × 2 B = 896 MiB.
  CHECK(printed(e.memory_required_kv) == "896.0 MiB");
  // graph.full: 4·512·(1 + 4·3072 + 8192·25) = 424.0 MiB; graph.partial by the llama rule: 570.7 MiB.
  CHECK(printed(e.graph_full) == "424.0 MiB");
  CHECK(printed(e.graph_partial) == "570.7 MiB");
  // Tied embeddings: no output tensor, so token_embd counts, typed Q6_K as llama.cpp types the output:
  // 128256 × 3072 × 6.5625 / 8 + output_norm 12 KiB = 308.2 MiB.
  CHECK(printed(e.weights_nonrepeating) == "308.2 MiB");
  // Before v0.6.2 the log printed weights.total = Σ blk + KV and repeating = that − nonrepeating.
  CHECK(near_gib(e.weights_repeating + e.memory_required_kv, 2.4));
  CHECK(near_gib(saturating_sub(e.weights_repeating + e.memory_required_kv, e.weights_nonrepeating), 2.1));
  CHECK(e.layers_model == 29);
  CHECK(e.layers_offload == 29);
  // full = partial = 457 MiB + (blk.0 + its KV) + Σ (blk + KV) + output + graph.full.
  CHECK(near_gib(e.memory_required_full, 3.7));
  CHECK(e.memory_required_partial == e.memory_required_full);
  check_consistency(e);
}

TEST_CASE("Ollama estimate: Llama-3-70B Q8_0 over four 22 GiB GPUs, 64000 tokens (ollama issue 9181)", "[ollama]") {
  // ollama/ollama#9181, 2025-02-18 (Ollama 0.5.x): a Llama-3-70B-class model (81 = 80 + 1 layers,
  // graph = the llama rule with 64 heads) in Q8_0 (nonrepeating 1.0 GiB = Q8_0 output), --ctx-size 64000
  // --parallel 1, OLLAMA_FLASH_ATTENTION on, no KV type, memory.available [22.0 ×4 GiB]:
  //   layers.offload=44 layers.split=11,11,11,11 memory.required.full="127.4 GiB"
  //   memory.required.partial="87.1 GiB" memory.required.kv="19.5 GiB"
  //   memory.required.allocations="[21.8 GiB 21.8 GiB 21.8 GiB 21.8 GiB]" memory.weights.total="87.3 GiB"
  //   memory.weights.repeating="86.2 GiB" memory.weights.nonrepeating="1.0 GiB"
  //   memory.graph.full="8.2 GiB" memory.graph.partial="8.2 GiB"
  OllamaSettings s = ctx(64000, 1);
  s.flash_attn = true;
  const OllamaEstimate e =
      ollama_estimate(test::model("llama3.1-70b"), test::infer("q8_0"), s, {gib(22), gib(22), gib(22), gib(22)});
  // kv: 80 × 64000 × 256 × 8 × 2 B = 20,971,520,000 B = 19.5 GiB (flash attention, but f16).
  CHECK(e.memory_required_kv == Bytes(20'971'520'000));
  CHECK(e.flash_attn);
  CHECK(e.kv_cache_type == "f16");
  // Several GPUs: full = partial = 4·512·8192 + 4·512·(1 + 8192 + 64000) + 8192²·9/16
  //   + 4·64000·(512·64 + 128·8) = 8,853,129,216 B = 8.2 GiB.
  CHECK(e.graph_partial == Bytes(8'853'129'216));
  CHECK(e.graph_full == e.graph_partial);
  CHECK(printed(e.graph_full) == "8.2 GiB");
  // A layer is 0.847 GiB of Q8_0 weights + 0.244 GiB of KV = 1.09 GiB; each GPU holds 457 MiB + one
  // layer of buffer + 11 layers + 8.2 GiB graph = 21.8 GiB; a 12th would need 22.9 GiB.
  CHECK(e.layers_offload == 44);
  CHECK(e.layers_split == std::vector<std::uint64_t>{11, 11, 11, 11});
  REQUIRE(e.allocations.size() == 4);
  for (const Bytes a : e.allocations) CHECK(near_gib(a, 21.8));
  CHECK(near_gib(e.memory_required_partial, 87.1));
  CHECK(near_gib(e.memory_required_full, 127.4));  // + 36 layers and the output in RAM
  // Q8_0 output: 128256 × 8192 × 34/32 + 32 KiB norm = 1.04 GiB.
  CHECK(printed(e.weights_nonrepeating) == "1.0 GiB");
  // Ollama 0.5: weights.total = Σ blk + KV (67.7 + 19.5), repeating = that − output.
  CHECK(near_gib(e.weights_repeating + e.memory_required_kv, 87.3));
  CHECK(near_gib(saturating_sub(e.weights_repeating + e.memory_required_kv, e.weights_nonrepeating), 86.2));
  CHECK_FALSE(e.fully_offloaded);
  check_consistency(e);
}

TEST_CASE("Ollama estimate: Qwen2-72B on a 24 GiB ROCm GPU, partial offload (ollama issue 5913)", "[ollama]") {
  // ollama/ollama#5913, comment of 2024-07-24 (Ollama 0.2/0.3, "offload to rocm"):
  // dolphin-qwen2:72b-v2.9.2-q4_k_s, --ctx-size 2048 --parallel 1, memory.available [24.0 GiB]:
  //   layers.model=81 layers.offload=43 memory.required.full="43.1 GiB" memory.required.partial="23.7 GiB"
  //   memory.required.kv="640.0 MiB" memory.weights.total="39.9 GiB" memory.weights.nonrepeating="974.6 MiB"
  //   memory.graph.full="313.0 MiB" memory.graph.partial="1.3 GiB"
  // llmmem has no Q4_K_S; the file's blocks are 39.27 GiB (39.9 − 0.625 KV), llmmem's Q4_K_M
  // inventory 39.20 GiB (−0.2 %), so its layer count and sizes are compared, within 1 %.
  const OllamaEstimate e = ollama_estimate(test::model("qwen2-72b"), test::infer("q4_k_m"), ctx(2048, 1), {gib(24)});
  // kv: 80 × 2048 × 256 × 8 × 2 B = 640 MiB.
  CHECK(printed(e.memory_required_kv) == "640.0 MiB");
  // qwen2: full = max(4·512·(8192 + 152064), 4·512·(1 + 16384 + 2048 + 2048·64)) = 313.0 MiB;
  // partial = 4·512·(8192 + 152064) + 8192·152064·105/128 = 1.26 GiB.
  CHECK(printed(e.graph_full) == "313.0 MiB");
  CHECK(printed(e.graph_partial) == "1.3 GiB");
  // Q6_K output: 152064 × 8192 × 6.5625 / 8 + 32 KiB = 974.6 MiB.
  CHECK(printed(e.weights_nonrepeating) == "974.6 MiB");
  CHECK(near_gib(e.weights_repeating + e.memory_required_kv, 39.9));
  // Layers of 0.49 GiB + 8 MiB KV from the last one down: 457 MiB + buffer + 43 layers + the partial
  // graph (1.26 GiB) is 23.6 GiB (the log: 23.7); a 44th would pass 24.0 GiB.
  CHECK(e.layers_offload == 43);
  CHECK(near_gib(e.memory_required_partial, 23.7));
  CHECK(near_gib(e.memory_required_full, 43.1));
  CHECK_FALSE(e.fully_offloaded);
  check_consistency(e);
}

TEST_CASE("Ollama estimate: Gemma 3 12B with its vision projector on an 11.1 GiB GPU (ollama PR 12000)", "[ollama]") {
  // ollama/ollama#12000, comment of 2025-08-22 (Ollama 0.11, Go engine): gemma3:12b (blob e8ad13ef,
  // Q4_K_M with the vision tower in the file), --ctx-size 8192 --parallel 1, memory.available [11.1 GiB]:
  //   layers.model=49 layers.offload=48 memory.required.full="11.4 GiB" memory.required.partial="8.9 GiB"
  //   memory.required.kv="992.0 MiB" memory.weights.total="6.8 GiB" memory.weights.repeating="6.0 GiB"
  //   memory.weights.nonrepeating="787.5 MiB" memory.graph.full="519.5 MiB" memory.graph.partial="1.3 GiB"
  //   projector.weights="795.9 MiB" projector.graph="1.0 GiB"
  // google/gemma-3-12b-it's text config; vocab_size is the GGUF tokenizer's 262144 (llama.cpp drops
  // the 64 padding rows of HF's 262208).
  const Model m = from_config("gemma3-12b", R"({"model_type": "gemma3_text", "hidden_size": 3840,
      "intermediate_size": 15360, "num_hidden_layers": 48, "num_attention_heads": 16, "num_key_value_heads": 8,
      "head_dim": 256, "vocab_size": 262144, "max_position_embeddings": 131072, "sliding_window": 1024,
      "sliding_window_pattern": 6, "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06,
      "hidden_activation": "gelu_pytorch_tanh", "torch_dtype": "bfloat16"})");
  OllamaSettings s = ctx(8192, 1);
  s.flash_attn = false;  // the 0.11 default; with an f16 cache it changes no figure
  s.projector_weights = mib(795.9);
  s.projector_graph = 1_GiB;
  const OllamaEstimate e = ollama_estimate(m, test::infer("q4_k_m"), s, {gib(11.1)});
  // kv: 8 global layers × 8192 cells + 40 sliding layers × (1024 + 512 batch) cells, × (256 + 256) × 8 × 2 B
  // = 512 + 480 = 992 MiB.
  CHECK(e.memory_required_kv == 992_MiB);
  // gemma: full = max(4·512·(3840 + 262144), 4·512·(2 + 8192 + 8192·16 + 2·3840 + 2·256·16)) = 519.5 MiB;
  // partial = 4·3840·512 + 3840·262144·105/128 + 4·262144·512 = 1.28 GiB.
  CHECK(printed(e.graph_full) == "519.5 MiB");
  CHECK(printed(e.graph_partial) == "1.3 GiB");
  // Tied: token_embd as Q6_K, 262144 × 3840 × 6.5625 / 8 + 15 KiB = 787.5 MiB.
  CHECK(printed(e.weights_nonrepeating) == "787.5 MiB");
  CHECK(near_gib(e.weights_repeating, 6.0));
  CHECK(near_gib(e.weights_total, 6.8));
  // All 48 blocks fit (8.9 GiB with the partial graph); the output layer carries the projector
  // (787.5 MiB + 795.9 MiB + 1 GiB) and does not.
  CHECK(e.layers_offload == 48);
  CHECK(near_gib(e.memory_required_partial, 8.9));
  CHECK(near_gib(e.memory_required_full, 11.4));
  CHECK(e.projector_graph == 1_GiB);
  check_consistency(e);
}

TEST_CASE("Ollama estimate: Qwen2.5-14B Q2_K, num_ctx 4096 (intel/ipex-llm issue 13277)", "[ollama]") {
  // intel/ipex-llm#13277, comment of 2025-08-05 (Ollama 0.11 as ipex-llm ships it, CPU only):
  // qwen2.5-coder:14b-base-q2_K, default num_ctx 4096, parallel 1:
  //   layers.model=49 memory.required.kv="768.0 MiB" memory.weights.nonrepeating="609.1 MiB"
  //   memory.graph.full="348.0 MiB" memory.graph.partial="916.1 MiB"
  // Qwen/Qwen2.5-14B config.json. Only the exact figures are compared: llmmem's Q2_K mix gives blocks
  // of 4.39 GiB where the file has 4.5 (weights.repeating), 2-4 % apart, and 0.11 ran CPU-only loads
  // as one CPU "GPU" where v0.12.10 has none.
  const Model m = from_config("qwen2.5-14b", R"({"model_type": "qwen2", "hidden_size": 5120,
      "intermediate_size": 13824, "num_hidden_layers": 48, "num_attention_heads": 40, "num_key_value_heads": 8,
      "vocab_size": 152064, "max_position_embeddings": 131072, "tie_word_embeddings": false,
      "use_sliding_window": false, "sliding_window": 131072, "max_window_layers": 48, "rms_norm_eps": 1e-06,
      "torch_dtype": "bfloat16"})");
  const OllamaEstimate e = ollama_estimate(m, test::infer("q2_k"), ctx(4096, 1), {});
  // kv: 48 × 4096 × 256 × 8 × 2 B = 768 MiB.
  CHECK(printed(e.memory_required_kv) == "768.0 MiB");
  // qwen2: full = 4·512·(1 + 10240 + 4096 + 4096·40) = 348.0 MiB (over 4·512·(5120 + 152064) = 307.0);
  // partial = 4·512·(5120 + 152064) + 5120·152064·105/128 = 916.1 MiB.
  CHECK(printed(e.graph_full) == "348.0 MiB");
  CHECK(printed(e.graph_partial) == "916.1 MiB");
  // The output stays Q6_K in a Q2_K file: 152064 × 5120 × 6.5625 / 8 + 20 KiB = 609.1 MiB.
  CHECK(printed(e.weights_nonrepeating) == "609.1 MiB");
  CHECK(e.layers_model == 49);
  // v0.12.10 without GPUs: nothing offloaded, everything in RAM, no minimum and no graph.
  CHECK(e.layers_offload == 0);
  CHECK(e.allocations.empty());
  CHECK(e.memory_required_partial == Bytes{});
  CHECK(e.memory_required_full == e.weights_total + e.memory_required_kv);
  check_consistency(e);
}

TEST_CASE("Ollama estimate: a GPU too small for the model gets the last layers that fit", "[ollama]") {
  // Llama-3.1-8B Q4_K_M, num_ctx 4096: KV 16 MiB a layer, graph full 4·512·(1 + 16384 + 4096·33)
  // = 296 MiB, partial 4·512·4096 + 4·512·(4096 + 128256) + 4096·128256·105/128 = 677.5 MiB.
  const Model m = test::model("llama3.1-8b");
  const OllamaEstimate whole = ollama_estimate(m, test::infer("q4_k_m"), ctx(4096, 1), {gib(24)});
  CHECK(whole.fully_offloaded);
  CHECK(whole.layers_offload == 33);
  CHECK(printed(whole.graph_full) == "296.0 MiB");

  // On 4 GiB, layers go on from the last while free > used + 677.5 MiB (the larger graph) + layer:
  // used starts at 457 MiB + the buffer (blk.0, Q6_K-promoted, 132.5 MiB + 16 MiB KV) = 605.5 MiB, and
  // a layer is 124.5 MiB + 16 MiB = 140.5 MiB; 605.5 + 20 × 140.5 + 677.5 = 4093.4 MiB fits, 21 do not.
  const OllamaEstimate small = ollama_estimate(m, test::infer("q4_k_m"), ctx(4096, 1), {4_GiB});
  CHECK(small.layers_offload > 0);
  CHECK(small.layers_offload < 32);
  CHECK(small.layers_offload == 20);
  CHECK_FALSE(small.fully_offloaded);
  REQUIRE(small.allocations.size() == 1);
  CHECK(small.allocations[0] < 4_GiB);
  CHECK(small.memory_required_full ==
        saturating_sub(whole.memory_required_full, whole.graph_full) + small.graph_partial);
  check_consistency(small);

  // Too little for the graph, the minimum and two layers: the GPU is not used at all.
  const OllamaEstimate tiny = ollama_estimate(m, test::infer("q4_k_m"), ctx(4096, 1), {1_GiB});
  CHECK(tiny.layers_offload == 0);
  CHECK(tiny.memory_required_partial == Bytes{});
  CHECK(tiny.allocations.front() == Bytes{});
}

TEST_CASE("Ollama estimate: num_gpu caps the layers offloaded", "[ollama]") {
  const Model m = test::model("llama3.1-8b");
  OllamaSettings s = ctx(4096, 1);
  s.num_gpu = 10;
  const OllamaEstimate e = ollama_estimate(m, test::infer("q4_k_m"), s, {gib(24)});
  CHECK(e.layers_requested == 10);
  CHECK(e.layers_offload == 10);  // the last 10 blocks; the output layer waits for layer 11
  CHECK_FALSE(e.fully_offloaded);
  CHECK(e.memory_required_full > e.memory_required_partial);
  check_consistency(e);

  s.num_gpu = 0;
  const OllamaEstimate none = ollama_estimate(m, test::infer("q4_k_m"), s, {gib(24)});
  CHECK(none.layers_offload == 0);
  CHECK(none.memory_required_partial == Bytes{});

  s.num_gpu = 40;  // more than the model has: every layer and the output
  CHECK(ollama_estimate(m, test::infer("q4_k_m"), s, {gib(24)}).layers_offload == 33);
}

TEST_CASE("Ollama estimate: the KV type applies only with flash attention", "[ollama]") {
  const Model m = test::model("llama3.1-8b");
  OllamaSettings s = ctx(8192, 1);
  s.kv_cache_type = "q8_0";
  // Flash attention off (llama's default): OLLAMA_KV_CACHE_TYPE is ignored, f16 = 2 B per value.
  const OllamaEstimate off = ollama_estimate(m, test::infer("q4_k_m"), s, {gib(24)});
  CHECK(off.kv_cache_type == "f16");
  CHECK(off.memory_required_kv == 1_GiB);  // 32 × 8192 × 256 × 8 × 2 B
  s.flash_attn = true;
  const OllamaEstimate q8 = ollama_estimate(m, test::infer("q4_k_m"), s, {gib(24)});
  CHECK(q8.kv_cache_type == "q8_0");
  CHECK(q8.memory_required_kv == 512_MiB);  // 1 B per value: the q8_0 block scales are not counted
  s.kv_cache_type = "Q4_0";
  CHECK(ollama_estimate(m, test::infer("q4_k_m"), s, {gib(24)}).memory_required_kv == 256_MiB);
  s.kv_cache_type = "q5_1";
  CHECK_THROWS_AS(ollama_estimate(m, test::infer("q4_k_m"), s, {gib(24)}), UsageError);

  // Gemma 2 never gets flash attention (GGML.SupportsFlashAttention), whatever the setting.
  OllamaSettings g = ctx(4096, 1);
  g.flash_attn = true;
  g.kv_cache_type = "q8_0";
  const OllamaEstimate gemma2 = ollama_estimate(test::model("gemma2-9b"), test::infer("q4_k_m"), g, {gib(24)});
  CHECK_FALSE(gemma2.flash_attn);
  CHECK(gemma2.kv_cache_type == "f16");
}

TEST_CASE("Ollama estimate: an architecture GraphSize does not list falls back on the KV size", "[ollama]") {
  // qwen3 has no case in GraphSize: partial = (heads / KV heads) · kv / 6, full = partial.
  // Qwen3-8B at 4096: kv = 36 × 4096 × 256 × 8 × 2 B = 576 MiB; 32 / 8 · 576 / 6 = 384 MiB.
  const OllamaEstimate e = ollama_estimate(test::model("qwen3-8b"), test::infer("q4_k_m"), ctx(4096, 1), {gib(24)});
  CHECK(e.architecture == "qwen3");
  CHECK(e.memory_required_kv == 576_MiB);
  CHECK(e.graph_partial == 384_MiB);
  CHECK(e.graph_full == e.graph_partial);
  CHECK(e.flash_attn);  // on by default for qwen3 in v0.12.10
}

TEST_CASE("Ollama estimate: Metal reserves 512 MiB and uses the full graph for partial offloads", "[ollama]") {
  OllamaSettings s = ctx(4096, 1);
  s.metal = true;
  const OllamaEstimate e = ollama_estimate(test::model("llama3.1-8b"), test::infer("q4_k_m"), s, {4_GiB});
  CHECK(e.minimum_memory == 512_MiB);
  CHECK(e.graph_partial == e.graph_full);
}

TEST_CASE("Ollama estimate: a GGUF file's tensors are grouped by name as GroupLayers does", "[ollama]") {
  ModelConfig c;
  c.model_type = "llama";
  c.origin = "tiny.gguf";
  c.n_layers = 2;
  c.hidden_size = 64;
  c.n_heads = 4;
  c.n_kv_heads = 4;
  c.head_dim = 16;
  c.vocab_size = 100;
  c.supported = false;
  Model m;
  m.name = "tiny.gguf";
  m.config = c;
  TensorFile f;
  f.format = "gguf";
  auto tensor = [&](const char* name, std::uint64_t bytes) { f.tensors.push_back({name, "f16", {}, 0, 0, bytes, 0}); };
  tensor("token_embd.weight", 5000);
  tensor("blk.0.attn_q.weight", 300);
  tensor("blk.0.ffn_down.weight", 700);
  tensor("blk.1.attn_q.weight", 400);
  tensor("output_norm.weight", 64);
  tensor("v.blk.0.attn_q.weight", 9999);  // a vision layer ("v.blk.0"), not a text block
  tensor("rope_freqs.weight", 32);        // a layer of its own, counted nowhere
  m.files = f;
  const OllamaEstimate e = ollama_estimate(m, test::infer("q8_0"), ctx(16, 1), {gib(1)});
  CHECK(e.weights_repeating == Bytes(1400));
  CHECK(e.weights_nonrepeating == Bytes(5064));  // no output tensor: output_norm + token_embd
  // kv: 16 × (16 + 16) × 4 × 2 B = 4096 B a layer; the buffer is blk.0 + its KV.
  CHECK(e.layer_buffer == Bytes(1000 + 4096));
  CHECK(e.layers_offload == 3);
}

TEST_CASE("Ollama estimate: what it refuses", "[ollama]") {
  const Model m = test::model("llama3.1-8b");
  CHECK_THROWS_AS(ollama_estimate(m, test::infer("gptq"), ctx(4096, 1), {}), UsageError);
  CHECK_THROWS_AS(ollama_estimate(m, test::infer("q4_k_m"), ctx(4096, 0), {}), UsageError);
  CHECK_THROWS_AS(ollama_estimate(test::model("deepseek-v2-lite"), test::infer("q4_k_m"), ctx(4096, 1), {}),
                  UnsupportedError);
  CHECK_THROWS_AS(ollama_estimate(test::model("opt-6.7b"), test::infer("q4_k_m"), ctx(4096, 1), {}), UnsupportedError);
  // f16 is a GGUF type too: every tensor but token_embd (Llama-3.1-8B has an output matrix) at 2 B,
  // norms included (f32 in a real file).
  CHECK(ollama_estimate(m, test::infer("fp16"), ctx(4096, 1), {}).weights_total ==
        Bytes(2 * (8'030'261'248ULL - 128256ULL * 4096)));
}
