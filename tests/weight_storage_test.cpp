#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "llmmem/weight_storage.hpp"
#include "test_support.hpp"

using namespace llmmem;

namespace {
WeightStorage storage(const char* model, const char* precision) {
  const Model m = test::model(model);
  // As the engine that runs each format places them: llama.cpp keeps GGUF token embeddings on the host.
  const Precision& p = find_precision(precision);
  return weight_storage(p, formats::f16, m.config, m.params->groups, p.family == PrecisionFamily::gguf);
}
}  // namespace

// open_llama_7b_v2 has Llama-2-7B's shapes (32 layers, 4096 hidden, 11008 MLP, vocab 32000).
// llama.cpp CI logs its GPU weight buffer: Q4_0 3577.56 MiB, Q8_0 6695.84 MiB, with token_embd on the host.
TEST_CASE("GGUF Q4_0 weights match llama.cpp's buffer to the MiB", "[weights][gguf]") {
  // layer matrices 32 × (4·4096² + 3·4096·11008) = 6,476,005,376 values × 18/32 = 3,642,753,024 B
  // output.weight in Q6_K: 32000·4096 × 210/256 = 107,520,000 B; norms f32: (32·2·4096 + 4096) × 4 = 1,064,960 B
  const auto w = storage("llama2-7b", "q4_0");
  CHECK(w.total.count() == 3'642'753'024ULL + 107'520'000ULL + 1'064'960ULL);
  // llama.cpp pads each tensor to its buffer alignment, so its printed 3577.56 MiB is a few hundred
  // bytes above the data itself: agree within 0.01 MiB.
  CHECK(static_cast<double>(w.total.count()) / 1048576.0 == Approx(3577.56).margin(0.01));
  // token_embd Q4_0 on the host: 131,072,000 × 18/32 = 73,728,000 B = 70.31 MiB
  CHECK(w.host.count() == 73'728'000ULL);
}

TEST_CASE("GGUF Q8_0 weights match llama.cpp's buffer to the MiB", "[weights][gguf]") {
  // 6,476,005,376 × 34/32 + output Q8_0 131,072,000 × 34/32 + norms 1,064,960 = 7,021,084,672 B
  const auto w = storage("llama2-7b", "q8_0");
  CHECK(w.total.count() == 7'021'084'672ULL);
  CHECK(static_cast<double>(w.total.count()) / 1048576.0 == Approx(6695.84).margin(0.01));
}

TEST_CASE("Q4_K_M gives some attn_v and ffn_down tensors Q6_K", "[weights][gguf]") {
  const auto w = storage("llama2-7b", "q4_k_m");
  bool has_q6 = false, has_q4 = false;
  for (const auto& s : w.by_format) {
    has_q6 = has_q6 || s.format == "q6_k";
    has_q4 = has_q4 || s.format == "q4_k";
  }
  CHECK(has_q6);
  CHECK(has_q4);
  // use_more_bits(i, 32): i < 4, i >= 28 and i = 6, 9, ..., 27 -> 16 layers whose attn_v [4096, 4096]
  // and ffn_down [4096, 11008] (61,865,984 values per layer) are Q6_K: 16 × 61,865,984 × 210/256 = 811,991,040 B
  // the other 16 layers' attn_v/ffn_down and every q, k, o, gate, up in Q4_K (144/256):
  //   16 × 61,865,984 × 144/256 + 32 × 140,509,184 × 144/256 = 3,085,959,168 B
  // output Q6_K 107,520,000 B; norms f32 1,064,960 B
  CHECK(w.total.count() == 811'991'040ULL + 3'085'959'168ULL + 107'520'000ULL + 1'064'960ULL);
}

TEST_CASE("bitsandbytes and GPTQ keep the LM head and embeddings in 16 bits", "[weights]") {
  // head + embeddings: 2 × 525,336,576 values × 2 bytes stay 16-bit
  const auto nf4 = storage("llama3-8b", "nf4");
  std::uint64_t sixteen = 0;
  for (const auto& s : nf4.by_format)
    if (s.format == "fp16") sixteen += s.values;
  CHECK(sixteen == 2 * 525'336'576ULL + 32 * 2 * 4096 + 4096);
  // GPTQ g128: each quantized [out, in] matrix takes ceil(out·in·133/256) + 4·in bytes (g_idx)
  CHECK(tensor_bytes(find_precision("gptq").linear, 4096, 4096, 1).count() == 4096ULL * 4096 * 133 / 256 + 4 * 4096);
}

TEST_CASE("MXFP4 quantizes only the experts of gpt-oss", "[weights]") {
  const auto w = storage("gpt-oss-20b", "mxfp4");
  std::uint64_t mx = 0;
  for (const auto& s : w.by_format)
    if (s.format == "mxfp4") mx = s.values;
  // experts: 24 layers × 32 × (2880·5760 + 2880·2880) = 19,110,297,600 values
  CHECK(mx == 24ULL * 32 * (2880ULL * 5760 + 2880ULL * 2880));
}
