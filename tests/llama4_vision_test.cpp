// Llama 4's vision tower as one more VisionConfig family: the tokens each image adds (the processor's
// tiles), the KV cache they fill, the encoder's activations per tile, and --images on the CLI.
#include <catch2/catch.hpp>

#include "llmmem/error.hpp"
#include "llmmem/parameters.hpp"
#include "llmmem/vision.hpp"
#include "test_support.hpp"

#include <nlohmann/json.hpp>

#include "cli_support.hpp"

using namespace llmmem;

TEST_CASE("Llama 4: an image's tokens from the processor's 336-px tiles, 144 per tile after the pixel shuffle",
          "[vision][llama4]") {
  const Model m = test::model("llama4-scout");
  REQUIRE(m.config.vision);
  const VisionConfig& v = *m.config.vision;
  CHECK(v.encoder == VisionEncoder::llama4);
  CHECK(v.projector == VisionProjector::llama4);
  CHECK(architecture_family(m.config) == "vision-language (MoE transformer)");
  // vision_config: image_size 336, patch_size 14: (336 / 14)² = 576 patches per tile and the class
  // embedding, 577 positions; pixel_shuffle_ratio 0.5: 1 / 0.5² = 4 patches per token, 144 per tile.
  CHECK(v.patches() == 576);
  CHECK(v.positions() == 577);
  CHECK(v.shuffle_factor == 4);
  CHECK(v.max_num_tiles == 16);  // Llama4ImageProcessorFast.max_patches
  // processing_llama4.py _prompt_split_image, N = 144 tokens per tile:
  //   one tile: <|image_start|> <|image|> N × <|patch|> <|image_end|> = N + 3 = 147;
  //   T > 1 tiles: T × (N + 1) (each tile's patches and its x or y separator) + N + 3 for the global tile.
  // 336 × 336: the 1 × 1 canvas fits it at scale 1, the least upscaling -> 1 tile, no global tile.
  CHECK(image_tokens(v, {336, 336}) == 147);
  CHECK(encoder_sequences(v, {336, 336}) == 1);
  CHECK(encoder_positions(v, {336, 336}) == 577);
  // 672 wide × 336 high: the 1 × 2 canvas has scale min(336/336, 672/672) = 1 -> 2 tiles and the global
  // one: 2 × 145 + 147 = 437 (ai-dynamo/aiconfigurator's Llama 4 tests expect the same 437 for 336 × 672
  // and 147 for 336 × 336), the encoder running 3 tiles of 577 positions.
  CHECK(image_tokens(v, {672, 336}) == 437);
  CHECK(encoder_sequences(v, {672, 336}) == 3);
  CHECK(encoder_positions(v, {672, 336}) == 3 * 577);
  // 1000 wide × 800 high: a canvas of r rows and c columns scales it by min(336r / 800, 336c / 1000);
  // at least 1 needs r ≥ 3 and c ≥ 3; the smallest such scale is 1008 / 1000 (c = 3, any r from 3 to 5),
  // and the smallest of those canvases is 3 × 3: 9 tiles, 9 × 145 + 147 = 1452 tokens, 10 sequences.
  CHECK(image_tokens(v, {1000, 800}) == 1452);
  CHECK(encoder_sequences(v, {1000, 800}) == 10);
  // 4000 wide × 300 high: one row; 12 columns (4032 px) is the least upscaling, 4032 / 4000 (13 columns:
  // 4368 / 4000; two rows cannot hold 12 columns within 16 tiles): 12 × 145 + 147 = 1887.
  CHECK(image_tokens(v, {4000, 300}) == 1887);
  // 8000 × 8000: no canvas holds it unscaled; the least downscaling is the 4 × 4 canvas (1344 / 8000):
  // 16 × 145 + 147 = 2467, as many as without a size (the most an image can add).
  CHECK(image_tokens(v, {8000, 8000}) == 2467);
  CHECK(image_tokens(v, {}) == 16 * 145 + 147);
  CHECK(encoder_sequences(v, {}) == 17);
  // A small image is upscaled into one tile: 100 × 50 -> 1 × 1 at scale 3.36.
  CHECK(image_tokens(v, {100, 50}) == 147);
  CHECK_THROWS_AS(image_tokens(v, {640, 0}), UsageError);
}

TEST_CASE("Llama 4: the encoder's activations run tile by tile", "[vision][llama4]") {
  const VisionConfig v = *test::model("llama4-scout").config.vision;
  // 672 × 336: 3 tiles of 577 positions, h = 1408, I = 5632 (Llama4VisionMLP: fc1, GELU, fc2; not gated).
  // Inference peak: 1731 positions × (2 × 1408 + max(4 × 1408, 2 × 5632) = 14,080) × 2 B = 48,744,960,
  // plus the pixels 3 tiles × 3 channels × 576 patches × 14² × 2 B = 2,032,128: 50,777,088.
  CHECK(encoder_peak_bytes(v, {672, 336}, 1, 2, 0) == 1731ULL * 14'080 * 2 + 3ULL * 3 * 576 * 196 * 2);
  CHECK(encoder_peak_bytes(v, {672, 336}, 1, 2, 0) == 50'777'088ULL);
  // Eager attention adds each tile's own scores, tiles × heads × 577² × 4 B = 3 × 16 × 332,929 × 4 =
  // 63,922,368 (not (3 × 577)²: the tiles are separate sequences).
  CHECK(encoder_peak_bytes(v, {672, 336}, 1, 2, 4) == 50'777'088ULL + 63'922'368ULL);
  // Training: 1731 positions × (18 × 1408 + 4 × 5632 = 47,872) B × 34 layers = 2,817,458,688.
  CHECK(encoder_training_bytes(v, {672, 336}, 1) == 1731ULL * 47'872 * 34);
  CHECK(encoder_training_bytes(v, {672, 336}, 1) == 2'817'458'688ULL);
}

TEST_CASE("Llama 4 Scout: images grow the KV cache exactly as that many more text tokens would",
          "[vision][llama4][kv]") {
  const Model m = test::model("llama4-scout");
  Request r = test::infer(nullptr, 1, 2048);
  r.engine = &find_engine("sglang");  // a token pool, as in the chunked-attention test
  r.images = 2;
  r.image_size = {672, 336};
  const Estimate e = estimate(m, r);
  CHECK(e.image_tokens_per_image == 437);
  CHECK(e.image_tokens == 874);
  Request text = test::infer(nullptr, 1, 2048 + 874);
  text.engine = r.engine;
  CHECK(test::bytes_of(e, "kv_cache") == test::bytes_of(estimate(m, text), "kv_cache"));
  // By hand: 2048 + 2 × 437 = 2922 tokens, below one 8192-token chunk, so all 48 layers hold them all:
  // 48 × 2922 × (2 × 8 KV heads × 128 × 2 B = 4096 B) = 574,488,576.
  CHECK(test::bytes_of(e, "kv_cache") == 574'488'576ULL);
  CHECK(test::sums_to_total(e));
  // Without --image-size: 2467 tokens per image (16 tiles and the global one), and a note says so.
  r.image_size = {};
  const Estimate largest = estimate(m, r);
  CHECK(largest.image_tokens_per_image == 2467);
  bool noted = false;
  for (const auto& n : largest.notes) noted = noted || n.find("max_patches = 16") != std::string::npos;
  CHECK(noted);
}

TEST_CASE("Llama 4 vision_config keys: pairs, pixel_shuffle_ratio, bad values", "[model_config][llama4][vision]") {
  const std::string text =
      R"("text_config": {"model_type": "llama4_text", "hidden_size": 64, "intermediate_size": 32,
         "intermediate_size_mlp": 128, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
         "head_dim": 16, "num_local_experts": 4, "num_experts_per_tok": 1, "vocab_size": 256})";
  const auto wrap = [&](const std::string& vision) {
    return parse_model_config(R"({"model_type": "llama4", )" + text + R"(, "vision_config": )" + vision + "}",
                              "w.json");
  };
  // Llama4VisionConfig's defaults: image_size 448, patch_size 14: (448 / 14)² = 1024 patches, 256 tokens a tile.
  const ModelConfig d = wrap("{}");
  REQUIRE(d.vision);
  CHECK(d.vision->patches() == 1024);
  CHECK(image_tokens(*d.vision, {448, 448}) == 256 + 3);
  // A [height, width] pair: (336 / 14) × (672 / 14) = 24 × 48 = 1152 patches, the position table 1153 rows.
  const ModelConfig pair = wrap(R"({"image_size": [336, 672], "patch_size": 14})");
  CHECK(pair.vision->patches() == 1152);
  CHECK(pair.vision->positions() == 1153);
  // pixel_shuffle_ratio 0.25: 16 patches per token, 576 / 16 = 36 a tile at 336 px.
  const ModelConfig quarter = wrap(R"({"image_size": 336, "patch_size": 14, "pixel_shuffle_ratio": 0.25})");
  CHECK(quarter.vision->shuffle_factor == 16);
  CHECK(image_tokens(*quarter.vision, {336, 336}) == 36 + 3);
  CHECK_THROWS_AS(wrap(R"({"pixel_shuffle_ratio": 2})"), InputError);
  CHECK_THROWS_AS(wrap(R"({"pixel_shuffle_ratio": "half"})"), InputError);
  CHECK_THROWS_AS(wrap(R"({"pixel_shuffle_ratio": 0.001, "image_size": 28, "patch_size": 14})"), InputError);
  CHECK_THROWS_AS(wrap(R"({"image_size": [336], "patch_size": 14})"), InputError);
  CHECK_THROWS_AS(wrap(R"({"image_size": 14, "patch_size": 28})"), InputError);
}

TEST_CASE("cli: --images works for llama4-scout", "[cli][vision][llama4]") {
  auto r = test::run("infer --model llama4-scout --images 1 --image-size 336x336 --format json");
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["settings"]["image_tokens_per_image"] == 147);
  CHECK(j["settings"]["image_tokens"] == 147);
  auto largest = test::run("infer --model llama4-scout --images 2 --format json");
  REQUIRE(largest.code == 0);
  CHECK(nlohmann::json::parse(largest.out)["settings"]["image_tokens"] == 2 * 2467);
  auto table = test::run("infer --model llama4-scout --images 1 --image-size 672x336 --seq-len 1024");
  REQUIRE(table.code == 0);
  CHECK(table.out.find("seq-len 1024 + 1 image (437 tokens)") != std::string::npos);
  CHECK(table.out.find("Vision tower + projector weights (Llama 4 ViT)") != std::string::npos);
  auto train = test::run("train --model llama4-scout --images 1 --image-size 672x336 --seq-len 1024");
  REQUIRE(train.code == 0);
  CHECK(train.out.find("seq-len 1024 + 1 image (437 tokens)") != std::string::npos);
}
