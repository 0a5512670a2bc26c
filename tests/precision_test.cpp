#include <catch2/catch.hpp>

#include <algorithm>

#include "llmmem/error.hpp"
#include "llmmem/precision.hpp"

using namespace llmmem;

TEST_CASE("precision names are case-insensitive with the usual aliases", "[precision]") {
  CHECK(find_precision("BF16").name == "bf16");
  CHECK(find_precision("bfloat16").name == "bf16");
  CHECK(find_precision("half").name == "fp16");
  CHECK(find_precision("float32").name == "fp32");
  CHECK(find_precision("8bit").name == "int8");
  CHECK(find_precision("4bit").name == "int4");
  CHECK(find_precision("Q4_K_M").name == "q4_k_m");
  CHECK(find_precision("qlora").name == "nf4-dq");
  CHECK_THROWS_AS(find_precision("fp12"), UsageError);
}

TEST_CASE("the article's bytes per parameter", "[precision]") {
  auto bpp = [](const char* n) {
    const auto& p = find_precision(n);
    return static_cast<double>(p.document_bytes_num) / static_cast<double>(p.document_bytes_den);
  };
  CHECK(bpp("fp32") == 4.0);
  CHECK(bpp("fp16") == 2.0);
  CHECK(bpp("bf16") == 2.0);
  CHECK(bpp("int8") == 1.0);
  CHECK(bpp("int4") == 0.5);
}

TEST_CASE("quantized formats carry their real bits per weight", "[precision]") {
  // ggml-common.h: block_q4_0 = 2 + 16 bytes per 32 -> 4.5 bits; q8_0 = 34/32 -> 8.5 bits;
  // q6_K = 210/256 -> 6.5625; q4_K = 144/256 -> 4.5; q3_K = 110/256 -> 3.4375; q2_K = 84/256 -> 2.625;
  // iq4_xs = 136/256 -> 4.25
  CHECK(find_precision("q4_0").linear.bits_per_value() == 4.5);
  CHECK(find_precision("q8_0").linear.bits_per_value() == 8.5);
  CHECK(find_precision("q6_k").linear.bits_per_value() == 6.5625);
  CHECK(find_precision("q4_k_m").linear.bits_per_value() == 4.5);
  CHECK(find_precision("q3_k_m").linear.bits_per_value() == 3.4375);
  CHECK(find_precision("q2_k").linear.bits_per_value() == 2.625);
  CHECK(find_precision("iq4_xs").linear.bits_per_value() == 4.25);
  // NF4: 4 + 32/64 = 4.5 bits; double quantization: 4 + 8/64 + 32/(64*256) = 4.1272 bits
  CHECK(find_precision("nf4").linear.bits_per_value() == 4.5);
  CHECK(find_precision("nf4-dq").linear.bits_per_value() == Approx(4.0 + 8.0 / 64 + 32.0 / (64 * 256)));
  // GPTQ/AWQ g128: 4 + (16-bit scale + 4-bit zero) / 128 = 4.15625 bits
  CHECK(find_precision("gptq").linear.bits_per_value() == Approx(4.15625));
  // MXFP4: 4 + 8/32 = 4.25 bits
  CHECK(find_precision("mxfp4").linear.bits_per_value() == 4.25);
}

TEST_CASE("KV-cache precisions", "[precision]") {
  CHECK(find_kv_format("fp16").name == "fp16");
  CHECK(find_kv_format("F16").name == "fp16");
  CHECK(find_kv_format("q8_0").bits_per_value() == 8.5);
  CHECK(find_kv_format("q4_0").bits_per_value() == 4.5);
  CHECK_THROWS_AS(find_kv_format("q3_k"), UsageError);
}

TEST_CASE("one ggml type table: ids, names and block sizes", "[precision][gguf]") {
  // ids from ggml.h enum ggml_type, sizes from the block structs in ggml-common.h
  REQUIRE(find_ggml_type(12) != nullptr);
  CHECK(find_ggml_type(12)->name == "q4_K");
  CHECK(find_ggml_type(12)->block_values == 256);
  CHECK(find_ggml_type(12)->block_bytes == 144);  // 2 + 2 + 12 + 128
  CHECK(find_ggml_type(14)->block_bytes == 210);  // q6_K: 128 + 64 + 16 + 2
  CHECK(find_ggml_type(8)->block_bytes == 34);    // q8_0: 2 + 32
  CHECK(find_ggml_type(30)->name == "bf16");
  CHECK(find_ggml_type(39)->block_bytes == 17);  // mxfp4: 1 + 16
  // removed from ggml (Q4_2, Q4_3, the Q4_0_4_4 repacks): unknown, not a stale size
  for (std::uint32_t gone : {4U, 5U, 31U, 32U, 33U, 36U, 37U, 38U, 40U}) CHECK(find_ggml_type(gone) == nullptr);
  // ids ascend and are unique; every row cites its struct and has a whole block
  std::uint32_t last = 0;
  bool first = true;
  for (const auto& t : ggml_types()) {
    INFO(t.name);
    CHECK((first || t.id > last));
    CHECK_FALSE(t.source.empty());
    CHECK(t.block_values > 0);
    CHECK(t.block_bytes > 0);
    last = t.id;
    first = false;
  }
  CHECK(ggml_types().size() == 32);
  // the llama.cpp storage formats take their sizes from the same rows
  auto same = [](const StorageFormat& f, std::uint32_t id) {
    const GgmlType* t = find_ggml_type(id);
    return t && f.block_bytes == t->block_bytes && f.block_values == t->block_values;
  };
  CHECK(same(formats::q8_0, 8));
  CHECK(same(formats::q6_k, 14));
  CHECK(same(formats::q5_k, 13));
  CHECK(same(formats::q4_k, 12));
  CHECK(same(formats::q3_k, 11));
  CHECK(same(formats::q2_k, 10));
  CHECK(same(formats::q4_0, 2));
  CHECK(same(formats::q4_1, 3));
  CHECK(same(formats::q5_0, 6));
  CHECK(same(formats::q5_1, 7));
  CHECK(same(formats::iq4_xs, 23));
  CHECK(same(find_precision("mxfp4").linear, 39));
  // GGUF file types' article bytes per parameter are their main format's block size
  CHECK(find_precision("q4_k_m").document_bytes_num == 144);
  CHECK(find_precision("q4_k_m").document_bytes_den == 256);
}

TEST_CASE("quality ranks order fit's precision search, each rank once", "[precision]") {
  std::vector<std::pair<unsigned, std::string_view>> ranked;
  for (const auto& p : all_precisions())
    if (p.quality_rank > 0) ranked.emplace_back(p.quality_rank, p.name);
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string_view> order;
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    CHECK(ranked[i].first == i + 1);  // 1, 2, 3, ... with no gap or tie
    order.push_back(ranked[i].second);
  }
  CHECK(order == std::vector<std::string_view>{"bf16", "fp8", "q8_0", "int8", "q6_k", "q5_k_m", "awq-int4", "gptq-int4",
                                               "q4_k_m", "nf4", "q4_0", "iq4_xs", "q3_k_m", "q2_k"});
  CHECK(find_precision("fp32").quality_rank == 0);
}
