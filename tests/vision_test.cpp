// Vision-language models: the vision tower's parameters, the tokens each image adds to the context,
// the encoder's activations and the vision_weights line.
#include <catch2/catch.hpp>

#include "llmmem/error.hpp"
#include "llmmem/parameters.hpp"
#include "llmmem/vision.hpp"
#include "test_support.hpp"

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "file_writers.hpp"

using namespace llmmem;

namespace {

Request with_images(Request r, std::uint64_t images) {
  r.images = images;
  return r;
}

// SigLIP so400m/14 at 896 px, Gemma 3's tower (vision_config of every google/gemma-3-*-it):
//   patch_embedding 1152·3·14·14 + 1152 = 678,528; position_embedding (896/14)² = 4096 × 1152 = 4,718,592;
//   per layer: q/k/v/out 4·(1152² + 1152) = 5,313,024, fc1 4304·1152 + 4304 = 4,962,512,
//   fc2 1152·4304 + 1152 = 4,959,360, two LayerNorms 4·1152 = 4,608: 15,239,504 × 27 = 411,466,608;
//   post_layernorm 2,304. Tower: 678,528 + 4,718,592 + 411,466,608 + 2,304 = 416,866,032.
constexpr std::uint64_t k_gemma3_siglip = 416'866'032;

}  // namespace

TEST_CASE("Gemma 3 4B, 12B and 27B: the published totals, SigLIP tower and projector included",
          "[parameters][vision]") {
  // Published: HF safetensors totals of google/gemma-3-{4b,12b,27b}-it: 4,300,079,472 (the hub API's
  // safetensors.total, also sum(p.numel()) of Gemma3ForConditionalGeneration checked in public
  // scripts, and keras-hub's medgemma_4b preset "params": 4300079472), 12,187,325,040 (hub API
  // "api/models/google/gemma-3-12b-it": safetensors total 12187325040, quoted in public test
  // fixtures), 27,432,406,640 (keras-hub medgemma_instruct_27b preset "params": 27432406640 and
  // llama.cpp's n_params for gemma-3-27b-it: the same shapes).
  // Projector: mm_soft_emb_norm 1152 + mm_input_projection 1152 × text hidden.
  struct Row {
    const char* alias;
    std::uint64_t published, text_hidden;
  };
  for (const Row& row : {Row{"gemma3-4b", 4'300'079'472ULL, 2560}, Row{"gemma3-12b", 12'187'325'040ULL, 3840},
                         Row{"gemma3-27b", 27'432'406'640ULL, 5376}}) {
    INFO(row.alias);
    const Model m = test::model(row.alias);
    REQUIRE(m.config.vision);
    CHECK(m.config.model_type == "gemma3");
    CHECK(m.params->total == row.published);
    CHECK(m.params->vision == k_gemma3_siglip + 1152 + 1152 * row.text_hidden);
  }
  // The 4B's text model by hand (Gemma3TextConfig defaults fill what text_config leaves out: 8 heads,
  // 4 KV heads, head_dim 256, vocabulary 262,208, tied): embeddings 262,208 × 2560 = 671,252,480;
  // per layer q 2560·2048 + k, v 2·2560·1024 + o 2048·2560 = 15,728,640, MLP 3·2560·10240 = 78,643,200,
  // four norms 4·2560 and q/k norms 2·256 = 10,752: 94,382,592 × 34 = 3,209,008,128; final norm 2560.
  const Model m4 = test::model("gemma3-4b");
  CHECK(m4.params->total - m4.params->vision == 671'252'480ULL + 3'209'008'128ULL + 2560);
  CHECK(m4.config.n_heads == 8);
  CHECK(m4.config.n_kv_heads == 4);
  CHECK(m4.config.vocab_size == 262'208);
  CHECK(m4.config.tie_word_embeddings);
  CHECK(m4.config.n_sliding_layers() == 29);  // 34 layers, every 6th global
  CHECK(m4.config.sliding_window == 1024);
}

TEST_CASE("LLaVA 1.5 7B: the published total, CLIP ViT-L/14-336 and the two-layer projector included",
          "[parameters][vision]") {
  // Published: sum(p.numel()) of LlavaForConditionalGeneration for llava-hf/llava-1.5-7b-hf =
  // 7,063,427,072 (asserted in public test scripts and quoted in a public training write-up, both
  // loading the hub checkpoint).
  // By hand: Llama 2 7B's text model with vocabulary 32,064 (LlamaConfig defaults: hidden 4096,
  // intermediate 11008, 32 layers, 32 heads, untied): 6,738,939,904. CLIP: class_embedding 1024,
  // patch_embedding 1024·3·14·14 = 602,112 (no bias), positions 577 × 1024 = 590,848, pre_layrnorm
  // 2048, 24 layers × (4·(1024² + 1024) + 4096·1024 + 4096 + 1024·4096 + 1024 + 4·1024) = 24 × 12,596,224
  // = 302,309,376, post_layernorm 2048: 303,507,456. Projector: linear_1 4096·1024 + 4096 and linear_2
  // 4096·4096 + 4096 = 20,979,712.
  const Model m = test::model("llava-1.5-7b");
  REQUIRE(m.config.vision);
  CHECK(m.config.model_type == "llava");
  CHECK(m.config.hidden_size == 4096);
  CHECK(m.config.n_layers == 32);
  CHECK(m.params->vision == 303'507'456ULL + 20'979'712ULL);
  CHECK(m.params->total == 6'738'939'904ULL + 303'507'456ULL + 20'979'712ULL);
  CHECK(m.params->total == 7'063'427'072ULL);
}

TEST_CASE("tokens per image: Gemma 3 pools to 256, LLaVA 1.5 keeps 576 patches", "[vision]") {
  // Gemma 3: the 64 × 64 patch grid (896 / 14) average-pooled 4 × 4 to 16 × 16 = mm_tokens_per_image.
  const VisionConfig g = *test::model("gemma3-12b").config.vision;
  CHECK(g.patches_per_side() == 64);
  CHECK(encoder_positions(g, {}) == 4096);
  CHECK(image_tokens(g, {}) == 256);
  CHECK(image_tokens(g, {1920, 1080}) == 256);  // resized to 896 × 896 by the processor
  // LLaVA 1.5: (336 / 14)² = 576 patch features (the class token dropped: strategy "default"), the
  // encoder running 577 positions.
  const VisionConfig l = *test::model("llava-1.5-7b").config.vision;
  CHECK(encoder_positions(l, {}) == 577);
  CHECK(image_tokens(l, {}) == 576);
  CHECK_THROWS_AS(image_tokens(l, {640, 0}), UsageError);
}

TEST_CASE("images grow the KV cache by their tokens, exactly as that many more text tokens would", "[vision]") {
  const Model m = test::model("gemma3-4b");
  const Estimate two = estimate(m, with_images(test::infer(nullptr, 1, 2048), 2));
  const Estimate text = estimate(m, test::infer(nullptr, 1, 2048 + 512));
  CHECK(two.image_tokens_per_image == 256);
  CHECK(two.image_tokens == 512);
  CHECK(test::bytes_of(two, "kv_cache") == test::bytes_of(text, "kv_cache"));
  // By hand: 2048 + 2 × 256 = 2560 tokens; per token and layer K and V of 4 heads × 256 × 2 B = 4096 B.
  // The catalog config runs under transformers, whose 29 sliding layers still hold the whole prompt at
  // the prefill peak (engine.hpp sliding_prefill_keeps_prompt): 34 × 2560 × 4096 = 356,515,840.
  CHECK(test::bytes_of(two, "kv_cache") == 356'515'840ULL);
  // Under vLLM the sliding layers keep their 1024-token window: 5 × 2560 × 4096 + 29 × 1024 × 4096 =
  // 52,428,800 + 121,634,816 = 174,063,616.
  Request on_vllm = with_images(test::infer(nullptr, 1, 2048), 2);
  on_vllm.engine = &find_engine("vllm");
  on_vllm.prefill_chunk = 8192;
  CHECK(test::bytes_of(estimate(m, on_vllm), "kv_cache") == 174'063'616ULL);
  const Estimate none = estimate(m, test::infer(nullptr, 1, 2048));
  CHECK(test::bytes_of(two, "kv_cache") > test::bytes_of(none, "kv_cache"));
  CHECK(none.image_tokens == 0);
  CHECK(test::sums_to_total(two));
  // LLaVA 1.5 7B, full attention: 3 images add 1728 tokens of 32 layers × 2 × 4096 × 2 B = 524,288 B each.
  const Model llava = test::model("llava-1.5-7b");
  const std::uint64_t kv0 = test::bytes_of(estimate(llava, test::infer(nullptr, 1, 1000)), "kv_cache");
  const std::uint64_t kv3 = test::bytes_of(estimate(llava, with_images(test::infer(nullptr, 1, 1000), 3)), "kv_cache");
  CHECK(kv3 - kv0 == 3ULL * 576 * 524'288);
}

TEST_CASE("the vision encoder's peak for many images at once outgrows the prefill", "[vision]") {
  const Model m = test::model("gemma3-4b");
  // Batch 1 with 8 images: the encoder runs 8 × 4096 positions. Per position 2·1152 + max(4·1152,
  // 2·4304) = 10,912 values × 2 B; 8 × 4096 × 10,912 × 2 = 715,128,832; pixel values 8 × 3 × 896² × 2 B
  // = 38,535,168; the projected features 8 × 256 × 2560 × 2 B = 10,485,760 stay alive.
  const Estimate e = estimate(m, with_images(test::infer(nullptr, 1, 2048), 8));
  const Component* acts = e.find("activations");
  REQUIRE(acts);
  CHECK(acts->bytes.count() == 715'128'832ULL + 38'535'168ULL + 10'485'760ULL);
  CHECK(acts->label.find("vision encoder") != std::string::npos);
  // One image: the text prefill of 2048 + 256 tokens stays the larger; only the features are added.
  const Estimate one = estimate(m, with_images(test::infer(nullptr, 1, 2048), 1));
  const Estimate plain = estimate(m, test::infer(nullptr, 1, 2048 + 256));
  CHECK(test::bytes_of(one, "activations") == test::bytes_of(plain, "activations") + 256ULL * 2560 * 2);
}

TEST_CASE("the vision tower is its own weights line, and the lines add up to the whole model", "[vision]") {
  const Model m = test::model("gemma3-27b");
  const Estimate e = estimate(m, test::infer("bf16"));
  const Component* v = e.find("vision_weights");
  REQUIRE(v);
  // 416,866,032 + 1152 + 1152 × 5376 = 423,060,336 parameters in bf16.
  CHECK(v->bytes.count() == 423'060'336ULL * 2);
  CHECK(test::bytes_of(e, "weights") + v->bytes.count() == 27'432'406'640ULL * 2);
  CHECK(test::sums_to_total(e));
  // Quantized text weights, 16-bit tower (it is not one of the decoder's block linears).
  const Estimate q = estimate(m, test::infer("int4"));
  CHECK(test::bytes_of(q, "vision_weights") == 423'060'336ULL * 2);
  // Training: all parameters train, the tower included.
  const Estimate t = estimate(m, with_images(test::train("bf16", 1, 1024), 1));
  CHECK(t.trainable_parameters == 27'432'406'640ULL);
  CHECK(test::sums_to_total(t));
}

TEST_CASE("images on a text-only model and vision configs out of bounds are errors", "[vision][errors]") {
  CHECK_THROWS_AS(estimate(test::model("llama3-8b"), with_images(test::infer(), 1)), UsageError);
  Request r = with_images(test::infer(), k_max_images + 1);
  CHECK_THROWS_AS(validate(r), UsageError);
  const std::string base =
      R"({"model_type": "gemma3", "text_config": {"hidden_size": 2560, "intermediate_size": 10240,
          "num_hidden_layers": 34}, "vision_config": {"hidden_size": 1152, "image_size": 896,
          "intermediate_size": 4304, "num_attention_heads": 16, "num_hidden_layers": 27, "patch_size": 14,
          "vision_use_head": false}})";
  CHECK_NOTHROW(parse_model_config(base, "ok.json"));
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = base;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  CHECK_THROWS_WITH(parse_model_config(with("\"patch_size\": 14", "\"patch_size\": 1000"), "x.json"),
                    Catch::Contains("vision_config") && Catch::Contains("patch_size"));
  CHECK_THROWS_WITH(parse_model_config(with("\"num_attention_heads\": 16", "\"num_attention_heads\": 7"), "x.json"),
                    Catch::Contains("vision_config") && Catch::Contains("num_attention_heads"));
  CHECK_THROWS_WITH(parse_model_config(with("\"num_hidden_layers\": 27", "\"num_hidden_layers\": 99999999"), "x.json"),
                    Catch::Contains("num_hidden_layers"));
  CHECK_THROWS_WITH(parse_model_config(with("\"hidden_size\": 1152", "\"hidden_size\": -1"), "x.json"),
                    Catch::Contains("hidden_size"));
  CHECK_THROWS_WITH(parse_model_config(with("\"image_size\": 896", "\"image_size\": 99999999999"), "x.json"),
                    Catch::Contains("image_size"));
  CHECK_THROWS_AS(parse_model_config(with("\"vision_use_head\": false", "\"vision_use_head\": true"), "x.json"),
                  UnsupportedError);
  CHECK_THROWS_WITH(parse_model_config(with("\"model_type\": \"gemma3\",",
                                            "\"model_type\": \"gemma3\", "
                                            "\"mm_tokens_per_image\": 255,"),
                                       "x.json"),
                    Catch::Contains("mm_tokens_per_image"));
  CHECK_THROWS_AS(parse_model_config(with("\"vision_config\": {", "\"vision_config\": 3, \"x\": {"), "x.json"),
                  InputError);
}

TEST_CASE("cli: --images and --image-size, in the table and in the JSON", "[cli][vision]") {
  auto r = test::run("infer --model gemma3-4b --images 2 --format json");
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["settings"]["images"] == 2);
  CHECK(j["settings"]["image_size"].is_null());
  CHECK(j["settings"]["image_tokens_per_image"] == 256);
  CHECK(j["settings"]["image_tokens"] == 512);
  CHECK(j["settings"]["seq_len"] == 2048);
  bool vision_line = false;
  for (const auto& c : j["components"]) vision_line = vision_line || c["id"] == "vision_weights";
  CHECK(vision_line);
  auto sized = test::run("infer --model llava-1.5-7b --images 1 --image-size 1024x768 --format json");
  REQUIRE(sized.code == 0);
  const auto js = nlohmann::json::parse(sized.out);
  CHECK(js["settings"]["image_size"]["width"] == 1024);
  CHECK(js["settings"]["image_size"]["height"] == 768);
  CHECK(js["settings"]["image_tokens"] == 576);
  CHECK(test::run("infer --model llava-1.5-7b --image-size 336").code == 0);
  auto table = test::run("train --model gemma3-4b --images 3 --seq-len 1024");
  REQUIRE(table.code == 0);
  CHECK(table.out.find("seq-len 1024 + 3 images (768 tokens)") != std::string::npos);
  CHECK(table.out.find("Vision tower + projector weights") != std::string::npos);
  // Text-only models keep their JSON as it was: no image keys.
  auto text = test::run("infer --model llama3-8b --format json");
  REQUIRE(text.code == 0);
  CHECK_FALSE(nlohmann::json::parse(text.out)["settings"].contains("images"));
}

TEST_CASE("cli: bad --images and --image-size exit 2 with one line", "[cli][vision][errors]") {
  test::check_error(test::run("infer --model gemma3-4b --images -1"), 2, "--images");
  test::check_error(test::run("infer --model gemma3-4b --images two"), 2, "--images");
  test::check_error(test::run("infer --model gemma3-4b --images 1.5"), 2, "--images");
  test::check_error(test::run("infer --model gemma3-4b --images 100000"), 2, "--images");
  test::check_error(test::run("infer --model gemma3-4b --images 99999999999999999999999"), 2, "--images");
  test::check_error(test::run("infer --model gemma3-4b --image-size 0x10"), 2, "--image-size");
  test::check_error(test::run("infer --model gemma3-4b --image-size 10x"), 2, "--image-size");
  test::check_error(test::run("infer --model gemma3-4b --image-size big"), 2, "--image-size");
  test::check_error(test::run("infer --model gemma3-4b --image-size 100000x100"), 2, "--image-size");
  test::check_error(test::run("infer --model llama3-8b --images 1"), 2, "vision");
  test::check_error(test::run("infer --model gemma3-4b --images 1 --method document"), 2, "--images");
}

TEST_CASE("Mistral Small 3.2 24B: the published total, Pixtral tower and patch-merging projector included",
          "[parameters][vision]") {
  // Published: 24,011,361,280 (keras-hub mistral3 preset mistral_small_3.1_24b_base_2503_en "params":
  // 24011361280, the same shapes; quoted as published_total_parameters of
  // mistralai/Mistral-Small-3.2-24B-Instruct-2506 in public evaluation configs).
  // By hand. Text (MistralConfig, untied, no window: sliding_window null): embeddings and head
  // 2 × 131,072 × 5120 = 1,342,177,280; per layer q 5120·4096 + k, v 2·5120·1024 + o 4096·5120
  // = 52,428,800, MLP 3·5120·32768 = 503,316,480, two norms 10,240: 555,755,520 × 40 = 22,230,220,800;
  // final norm 5120: 23,572,403,200. Pixtral: patch_conv 1024·3·14·14 = 602,112, ln_pre 1024, 24 layers
  // × (4·1024·1024 + 3·4096·1024 + 2·1024) = 24 × 16,779,264 = 402,702,336: 403,305,472. Projector: norm
  // 1024, patch merger 1024 × 4096 = 4,194,304, linear_1 5120 × 1024 = 5,242,880, linear_2 5120² =
  // 26,214,400, no biases (multimodal_projector_bias false): 35,652,608.
  const Model m = test::model("mistral-small-3.2-24b");
  REQUIRE(m.config.vision);
  CHECK(m.config.model_type == "mistral3");
  CHECK(m.config.sliding_window == 0);
  CHECK(m.params->vision == 403'305'472ULL + 35'652'608ULL);
  CHECK(m.params->total == 23'572'403'200ULL + 403'305'472ULL + 35'652'608ULL);
  CHECK(m.params->total == 24'011'361'280ULL);
}

TEST_CASE("tokens per image: Mistral 3 counts 28-px cells of the image as given, a break per row", "[vision]") {
  const VisionConfig v = *test::model("mistral-small-3.2-24b").config.vision;
  // Cells of patch 14 × spatial_merge_size 2 = 28 px; rows × (cols + 1) tokens ([IMG] per cell, an
  // [IMG_BREAK] or the final [IMG_END] per row).
  // The model's own size, 1540 × 1540: 55 × 56 = 3080; the encoder runs (55·2)² = 12,100 patches.
  CHECK(image_tokens(v, {}) == 3080);
  CHECK(encoder_positions(v, {}) == 12'100);
  // 1024 × 768: rows ceil(768 / 28) = 28, cols ceil(1024 / 28) = 37: 28 × 38 = 1064; patches 56 × 74.
  CHECK(image_tokens(v, {1024, 768}) == 1064);
  CHECK(encoder_positions(v, {1024, 768}) == 56ULL * 74);
  // 2000 × 500 is scaled to fit 1540: 1540 × floor(500·1540/2000) = 385: rows ceil(385/28) = 14,
  // cols 55: 14 × 56 = 784.
  CHECK(image_tokens(v, {2000, 500}) == 784);
  // A small image: 100 × 100 → 4 × 4 cells: 4 × 5 = 20.
  CHECK(image_tokens(v, {100, 100}) == 20);
  // The KV cache grows by the tokens of the size given.
  const Model m = test::model("mistral-small-3.2-24b");
  Request r = with_images(test::infer(nullptr, 1, 1000), 2);
  r.image_size = {1024, 768};
  const Estimate e = estimate(m, r);
  CHECK(e.image_tokens == 2 * 1064);
  CHECK(test::bytes_of(e, "kv_cache") ==
        test::bytes_of(estimate(m, test::infer(nullptr, 1, 1000 + 2 * 1064)), "kv_cache"));
}

TEST_CASE("Qwen2.5-VL 7B and Qwen3-VL 8B: the published totals, towers and mergers included", "[parameters][vision]") {
  // Qwen2.5-VL-7B-Instruct, published 8,292,166,656 (the hub's numParameters and the mteb model
  // card's n_parameters; a public fine-tuning script prints the same total, 676,550,144 of them in
  // model.visual and 7,615,616,512 once it is frozen).
  // By hand. Text (Qwen2 7B, vocabulary 152,064, untied): 2 × 152,064 × 3584 = 1,089,994,752; per
  // layer q 3584² + 3584 bias, k, v 2·(3584·512 + 512), o 3584², MLP 3·3584·18944, two norms:
  // 233,057,792 × 28 = 6,525,618,176; final norm 3584: 7,615,616,512. ViT: patch_embed
  // 1280·3·2·14·14 = 1,505,280; per block norms 2·1280, qkv 3840·1280 + 3840, proj 1280² + 1280,
  // gate/up 2·(3420·1280 + 3420), down 1280·3420 + 1280 = 19,702,200 × 32 = 630,470,400; merger ln_q
  // 1280, mlp.0 5120² + 5120, mlp.2 3584·5120 + 3584 = 44,574,464: 676,550,144.
  const Model q25 = test::model("qwen2.5-vl-7b");
  REQUIRE(q25.config.vision);
  CHECK(q25.config.model_type == "qwen2_5_vl");
  CHECK(q25.params->vision == 676'550'144ULL);
  CHECK(q25.params->total - q25.params->vision == 7'615'616'512ULL);
  CHECK(q25.params->total == 8'292'166'656ULL);
  // Qwen3-VL-8B-Instruct, published 8,767,123,696 (the hub API's safetensors total, BF16
  // 8767123696, quoted in a public hub verification table; the GGUF general.parameter_count of its
  // conversion). By hand. Text (Qwen3, vocabulary 151,936, untied): 2 × 151,936 × 4096 =
  // 1,244,659,712; per layer q 4096², k, v 2·4096·1024, o 4096², q/k norms 2·128, MLP 3·4096·12288,
  // two norms: 192,946,432 × 36 = 6,946,071,552; final norm 4096: 8,190,735,360. ViT: patch_embed
  // 1152·3·2·16·16 + 1152 = 1,770,624, pos_embed 2304 × 1152 = 2,654,208, 27 blocks × 15,239,504 =
  // 411,466,608; merger 2·1152 + 4608² + 4608 + 4096·4608 + 4096 = 40,119,040; three deepstack
  // mergers 3 × (2·4608 + 4608² + 4608 + 4096·4608 + 4096) = 120,377,856: 576,388,336.
  const Model q3 = test::model("qwen3-vl-8b");
  REQUIRE(q3.config.vision);
  CHECK(q3.config.model_type == "qwen3_vl");
  CHECK(q3.params->vision == 576'388'336ULL);
  CHECK(q3.params->total - q3.params->vision == 8'190'735'360ULL);
  CHECK(q3.params->total == 8'767'123'696ULL);
}

TEST_CASE("tokens per image: Qwen's smart_resize, then (H/28)·(W/28) or (H/32)·(W/32)", "[vision]") {
  const VisionConfig q25 = *test::model("qwen2.5-vl-7b").config.vision;
  // 1024 × 1024: each side rounded to a multiple of 28: 1036; 37 × 37 = 1369 tokens, 74 × 74 = 5476
  // patches of 14 px (each merger token is 2 × 2 patches).
  CHECK(image_tokens(q25, {1024, 1024}) == 1369);
  CHECK(encoder_positions(q25, {1024, 1024}) == 5476);
  // 1024 × 768: 1036 × 756 (round(768 / 28) = 27): 37 × 27 = 999.
  CHECK(image_tokens(q25, {1024, 768}) == 999);
  // 8000 × 6000 is over max_pixels 12,845,056: scaled by beta = sqrt(48e6 / 12,845,056) and floored
  // to multiples of 28: 4116 × 3080: 147 × 110 = 16,170 tokens.
  CHECK(image_tokens(q25, {8000, 6000}) == 16'170);
  // No size: the largest square of the budget, 3584 × 3584: 128² = 16,384 tokens.
  CHECK(image_tokens(q25, {}) == 16'384);
  CHECK(encoder_positions(q25, {}) == 65'536);
  CHECK_THROWS_AS(image_tokens(q25, {20, 500}), UsageError);  // a side below 28 px
  const VisionConfig q3 = *test::model("qwen3-vl-8b").config.vision;
  // Qwen3-VL, 32-px cells: 1024 × 1024 → 32 × 32 = 1024 tokens; 1920 × 1080 → 1920 × 1088: 60 × 34 =
  // 2040; 100 × 100 is under min_pixels 65,536: scaled up to 256 × 256: 64 tokens.
  CHECK(image_tokens(q3, {1024, 1024}) == 1024);
  CHECK(image_tokens(q3, {1920, 1080}) == 2040);
  CHECK(image_tokens(q3, {100, 100}) == 64);
  CHECK(image_tokens(q3, {}) == 16'384);
  // The context grows by them: 3 images of 1024 × 1024 on Qwen3-VL 8B add 3072 tokens.
  const Model m = test::model("qwen3-vl-8b");
  Request r = with_images(test::infer(nullptr, 1, 1000), 3);
  r.image_size = {1024, 1024};
  CHECK(test::bytes_of(estimate(m, r), "kv_cache") ==
        test::bytes_of(estimate(m, test::infer(nullptr, 1, 1000 + 3072)), "kv_cache"));
}

TEST_CASE("cli: --mmproj adds llama.cpp's projector file as the vision weights", "[cli][vision][gguf]") {
  test::TempDir dir("cli_mmproj");
  test::Gguf model;
  test::llama_metadata(model);
  model.tensor("output_norm.weight", {256}, 0, 1024);
  dir.write("model.gguf", model.bytes());
  // A LLaVA-style projector file: CLIP at 336 px, patch 14, two f16 tensors of 8 MiB.
  const test::Gguf proj = test::llava_projector();
  dir.write("mmproj.gguf", proj.bytes());
  const std::string m = (dir.path() / "model.gguf").string(), p = (dir.path() / "mmproj.gguf").string();
  auto r = test::run("infer --model " + m + " --mmproj " + p + " --images 2 --format json");
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  std::uint64_t vision = 0;
  for (const auto& c : j["components"])
    if (c["id"] == "vision_weights") vision = c["bytes"].get<std::uint64_t>();
  CHECK(vision == 2ULL * 1024 * 4096 * 2);                // the two tensors as stored
  CHECK(j["settings"]["image_tokens_per_image"] == 576);  // (336 / 14)², LLaVA's patches
  CHECK(j["settings"]["image_tokens"] == 1152);
  // Errors: a projector for a model that is not a GGUF (exit 2), a file that is not a projector (exit 3).
  test::check_error(test::run("infer --model llama3-8b --mmproj " + p), 2, "--mmproj");
  test::check_error(test::run("infer --model " + m + " --mmproj " + m), 3, "clip");
  test::check_error(test::run("infer --model " + m + " --mmproj " + (dir.path() / "none.gguf").string()), 3,
                    "none.gguf");
}

TEST_CASE("Llama 3.2 11B Vision: the published total, cross-attention layers and the tiled ViT included",
          "[parameters][vision]") {
  // Published: 10,670,220,835 for meta-llama/llama-3.2-11b-vision-instruct (a public table of HF
  // parameter counts of vision-language models, the hub's safetensors total).
  // By hand. Text: embed_tokens (128,256 + 8) × 4096 = 525,369,344, lm_head 128,256 × 4096 =
  // 525,336,576; 40 layers of q, o 2·4096², k, v 2·4096·1024, MLP 3·4096·14336, two norms
  // = 218,112,000 × 40 = 8,724,480,000 (the 8 cross-attention layers have the same q/k/v/o and MLP
  // shapes), plus their q_norm and k_norm 2·128 and two gates: 8 × 258 = 2064; final norm 4096:
  // 9,775,192,080. ViT: patch 1280·3·14·14 = 752,640, class 1280, gated positions 1 + 1601·1280 +
  // 9 × 4·1601·1280 = 75,814,657, pre and post tile embeddings 2 × (9 × 4·1280 + 1) = 92,162,
  // layernorm pre/post 4·1280 = 5120, 32 local layers × 19,672,320 = 629,514,240, 8 global layers ×
  // (19,672,320 + 2) = 157,378,576: 863,567,379 (odd: the gates). Projector 7680·4096 + 4096 =
  // 31,461,376.
  const Model m = test::model("llama3.2-11b-vision");
  REQUIRE(m.config.vision);
  CHECK(m.config.model_type == "mllama");
  CHECK(m.config.n_cross_attention_layers == 8);
  CHECK(m.config.n_attention_layers() == 32);
  CHECK(m.params->vision == 863'567'379ULL + 31'461'376ULL);
  CHECK(m.params->total == 9'775'192'080ULL + 863'567'379ULL + 31'461'376ULL);
  CHECK(m.params->total == 10'670'220'835ULL);
}

TEST_CASE("Llama 3.2 Vision: images fill the cross-attention K/V, one <|image|> token the context", "[vision]") {
  const Model m = test::model("llama3.2-11b-vision");
  const VisionConfig& v = *m.config.vision;
  // 4 tiles × ((560 / 14)² + 1) = 4 × 1601 = 6404 feature tokens per image.
  CHECK(cross_attention_tokens(v) == 6404);
  CHECK(image_tokens(v, {}) == 1);
  // Text only: 32 self-attention layers × 2048 tokens × 2 × 8 × 128 × 2 B = 268,435,456; the
  // cross-attention layers hold nothing.
  const Estimate text = estimate(m, test::infer("bf16", 1, 2048));
  CHECK(test::bytes_of(text, "kv_cache") == 32ULL * 2048 * 2 * 8 * 128 * 2);
  // Two images: the context gains their 2 <|image|> tokens (2050 in 32 layers), and each of the 8
  // cross-attention layers keeps 2 × 6404 tokens: (32 × 2050 + 8 × 12,808) × 4096 B.
  const Estimate two = estimate(m, with_images(test::infer("bf16", 1, 2048), 2));
  CHECK(test::bytes_of(two, "kv_cache") == (32ULL * 2050 + 8ULL * 12'808) * 2 * 8 * 128 * 2);
  CHECK(test::sums_to_total(two));
}

TEST_CASE("the vision encoder's activations: one inference pass and the training step's saved tensors", "[vision]") {
  const VisionConfig v = *test::model("gemma3-4b").config.vision;
  // Inference, one 896-px image in bf16: 4096 positions × (2·1152 + max(4·1152, 2·4304)) × 2 B =
  // 89,391,104, plus the pixel values 3 × 896² × 2 B = 4,816,896: 94,208,000. Eager attention adds
  // 16 heads × 4096² scores at the bytes given per score (10 in bf16): 2,684,354,560.
  CHECK(encoder_peak_bytes(v, {}, 1, 2, 0) == 94'208'000ULL);
  CHECK(encoder_peak_bytes(v, {}, 1, 2, 10) == 94'208'000ULL + 16ULL * 4096 * 4096 * 10);
  CHECK(encoder_peak_bytes(v, {}, 0, 2, 0) == 0);
  // Training: Korthikanti's GPT-style block, 18·h + 4·I bytes per position and layer:
  // 27 layers × 4096 × (18·1152 + 4·4304) = 27 × 4096 × 37,952 = 4,197,187,584.
  CHECK(encoder_training_bytes(v, {}, 1) == 4'197'187'584ULL);
  CHECK(encoder_training_bytes(v, {}, 2) == 2 * 4'197'187'584ULL);
}

TEST_CASE("a Qwen vision config with patches larger than any image still estimates text-only prompts",
          "[vision][errors]") {
  // patch_size 5000 × merge 2: one 10,000-px cell is the smallest image; without --image-size the
  // default image is that one cell (1 token), never an error about a size the user did not give.
  const std::string json = R"({"model_type": "qwen2_5_vl", "hidden_size": 64, "intermediate_size": 128,
      "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 100,
      "vision_config": {"depth": 1, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2, "patch_size": 5000,
      "spatial_merge_size": 2, "out_hidden_size": 64}})";
  const Model m = make_model("hostile", std::nullopt, parse_model_config(json, "hostile.json"));
  CHECK(image_tokens(*m.config.vision, {}) == 1);
  CHECK_NOTHROW(estimate(m, test::infer("bf16")));
  CHECK_NOTHROW(estimate(m, with_images(test::infer("bf16"), 1)));
  Request small = with_images(test::infer("bf16"), 1);
  small.image_size = {1000, 1000};  // below one cell: smart_resize refuses it, a usage error
  CHECK_THROWS_AS(estimate(m, small), UsageError);
}
