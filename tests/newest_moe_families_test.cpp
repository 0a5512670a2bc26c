// The newest MoE families (issue 13): Llama 4 (chunked attention, interleaved MoE with a shared expert,
// the vision tower of the multimodal wrapper), DeepSeek-V3.2 (the lightning indexer and its key cache),
// MiniMax-M2.
#include <catch2/catch.hpp>

#include "llmmem/engine.hpp"
#include "llmmem/error.hpp"
#include "llmmem/parameters.hpp"
#include "llmmem/startup.hpp"
#include "llmmem/vision.hpp"
#include "test_support.hpp"

using namespace llmmem;

namespace {

std::uint64_t elements_named(const ParameterCount& p, std::string_view prefix) {
  std::uint64_t n = 0;
  for (const auto& g : p.groups)
    if (g.name.starts_with(prefix)) n += g.elements();
  return n;
}

}  // namespace

TEST_CASE("Llama 4 Scout: 48 MoE layers of 16 experts and a shared one, a vision tower", "[parameters][llama4]") {
  // Text model (transformers modeling_llama4.py), h = 5120, 40 heads / 8 KV heads of 128, vocab 202048:
  //   attention q, o 2 × 5120 × 5120 + k, v 2 × 1024 × 5120 = 62,914,560 (no biases; the qk norm is an
  //     L2 norm without weights)
  //   Llama4TextMoe in every layer (interleave_moe_layer_step 1): router 16 × 5120 = 81,920; experts
  //     16 × 3 × 5120 × 8192 = 2,013,265,920; shared expert 3 × 5120 × 8192 = 125,829,120
  //   input_layernorm, post_attention_layernorm 2 × 5120
  //   -> 2,202,101,760 per layer; × 48 = 105,700,884,480
  //   embed_tokens and the untied lm_head 2 × 202048 × 5120 = 2,068,971,520; final norm 5120
  const std::uint64_t layer = 62'914'560ULL + 81'920 + 16ULL * 125'829'120 + 125'829'120 + 2ULL * 5120;
  CHECK(layer == 2'202'101'760ULL);
  const std::uint64_t text = 48 * layer + 2ULL * 202'048 * 5120 + 5120;
  CHECK(text == 107'769'861'120ULL);
  // Vision tower (Llama4VisionModel), h_v = 1408, 34 layers, intermediate 5632, image 336, patch 14:
  //   patch_embedding 1408 × (3 × 14 × 14) = 827,904; class_embedding 1408; positional_embedding_vlm
  //     ((336 / 14)² + 1) × 1408 = 577 × 1408 = 812,416; layernorm_pre and _post 4 × 1408
  //   per layer: q/k/v/o 4 × (1408 × 1408 + 1408) = 7,935,488; fc1 5632 × 1408 + 5632 and fc2
  //     1408 × 5632 + 1408 = 15,866,752; two LayerNorms 4 × 1408 -> 23,807,872; × 34 = 809,467,648
  //   vision_adapter fc1 4096 × 5632 = 23,068,672 and fc2 4096 × 4096 = 16,777,216 (no biases)
  //   multi_modal_projector.linear_1 5120 × 4096 = 20,971,520 (no bias)
  const std::uint64_t vision_layer = 4 * (1408ULL * 1408 + 1408) + 2ULL * 5632 * 1408 + 5632 + 1408 + 4 * 1408;
  CHECK(vision_layer == 23'807'872ULL);
  const std::uint64_t vision = 827'904ULL + 1408 + 577ULL * 1408 + 4 * 1408 + 34 * vision_layer + 4096ULL * 5632 +
                               4096ULL * 4096 + 5120ULL * 4096;
  CHECK(vision == 871'932'416ULL);
  const Model m = test::model("llama4-scout");
  const ParameterCount& p = *m.params;
  REQUIRE(m.config.vision);  // one more VisionConfig family, counted by add_vision
  CHECK(m.config.vision->encoder == VisionEncoder::llama4);
  CHECK(elements_named(p, "vision.") + elements_named(p, "multi_modal_projector") == vision);
  // Published: 108,641,793,536 is the hub's safetensors parameter total for
  // meta-llama/Llama-4-Scout-17B-16E-Instruct (safetensors.parameters.BF16, revision 92f3b159, as public
  // hub-metadata records quote it; the unsloth mirror's tally is the same), text model and vision tower.
  CHECK(p.total == text + vision);
  CHECK(p.total == 108'641'793'536ULL);
  // Active per text token: the vision tower runs per image, and 15 of 16 experts idle in 48 layers,
  // 48 × 15 × 125,829,120 = 90,596,966,400: 17,172,894,720 ("17B active").
  CHECK(p.active == text - 48ULL * 15 * 125'829'120);
  CHECK(p.active == 17'172'894'720ULL);
}

TEST_CASE("Llama 4 Maverick: MoE of 128 experts in every other layer, dense MLPs between", "[parameters][llama4]") {
  // interleave_moe_layer_step 2: moe_layers = range(1, 48, 2), 24 layers; the 24 others hold a dense
  // Llama4TextMLP of intermediate_size_mlp 16384: 3 × 5120 × 16384 = 251,658,240.
  // MoE layer: router 128 × 5120 = 655,360 + experts 128 × 125,829,120 = 16,106,127,360 + shared expert
  //   125,829,120 = 16,232,611,840. Attention and norms as Scout's (62,914,560 + 10,240) in all 48.
  const std::uint64_t text =
      48ULL * (62'914'560 + 10'240) + 24ULL * 251'658'240 + 24ULL * 16'232'611'840ULL + 2ULL * 202'048 * 5120 + 5120;
  CHECK(text == 400'711'848'960ULL);
  const Model m = test::model("llama4-maverick");
  const ParameterCount& p = *m.params;
  // Published: 401,583,781,376 for meta-llama/Llama-4-Maverick-17B-128E-Instruct (Fireworks' billing
  // export documents parameter_count 401583781376 for "Llama 4 Maverick Basic"), the text model plus the
  // same vision tower as Scout's, 871,932,416.
  CHECK(p.total == text + 871'932'416ULL);
  CHECK(p.total == 401'583'781'376ULL);
  // Active: 127 idle experts of 128 in 24 layers, 24 × 127 × 125,829,120 = 383,527,157,760.
  CHECK(p.active == text - 24ULL * 127 * 125'829'120);
  CHECK(p.active == 17'184'691'200ULL);
}

TEST_CASE("Llama 4 chunked layers hold at most one chunk of KV", "[detailed][kv][llama4]") {
  // no_rope_layers (default: NoPE every 4th layer): 36 RoPE layers attend within chunks of 8192 tokens,
  // 12 NoPE layers (3, 7, ..., 47) globally. vLLM gives the chunked layers a ChunkedLocalAttentionSpec
  // (v1/kv_cache_interface.py) whose blocks cover min(attention_chunk_size + max_num_batched_tokens,
  // max_model_len) tokens, transformers a HybridChunkedCache of attention_chunk_size per chunked layer.
  const Model m = test::model("llama4-scout");
  REQUIRE(m.config.chunked_attention);
  REQUIRE(m.config.sliding_window == 8192);
  REQUIRE(m.config.n_sliding_layers() == 36);
  Request r = test::infer(nullptr, 1, 32768);
  r.engine = &find_engine("sglang");  // a token pool without transformers' prefill view of the prompt
  // 32k context: 12 global layers × 32768 + 36 chunked layers × 8192 = 393,216 + 294,912 = 688,128
  // token-layers, × 2 (K, V) × 8 KV heads × 128 × 2 bytes (bf16) = 2,818,572,288.
  const Estimate e = estimate(m, r);
  CHECK(test::bytes_of(e, "kv_cache") == (12ULL * 32768 + 36ULL * 8192) * 2 * 8 * 128 * 2);
  CHECK(test::bytes_of(e, "kv_cache") == 2'818'572'288ULL);
  // Below one chunk every layer holds the whole context: 48 × 4096 × 4096 B = 805,306,368.
  r.seq_len = 4096;
  CHECK(test::bytes_of(estimate(m, r), "kv_cache") == 48ULL * 4096 * 2 * 8 * 128 * 2);
  // The vision tower is its own weights line (871,932,416 parameters in bf16: 1,743,864,832 B); a
  // text-only prompt counts no image tokens (tests/llama4_vision_test.cpp has --images).
  CHECK(test::bytes_of(e, "vision_weights") == 2ULL * 871'932'416ULL);
  CHECK(e.image_tokens == 0);
}

TEST_CASE("llama4_text configs: moe_layers, no_rope_layers, chunking off, bad lists", "[model_config][llama4]") {
  const std::string base =
      R"("model_type": "llama4_text", "hidden_size": 64, "intermediate_size": 32, "intermediate_size_mlp": 128,
         "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
         "num_local_experts": 4, "num_experts_per_tok": 1, "vocab_size": 256)";
  const auto parse = [&](const std::string& extra) { return parse_model_config("{" + base + extra + "}", "t.json"); };
  SECTION("explicit moe_layers and no_rope_layers") {
    const ModelConfig c = parse(R"(, "moe_layers": [1, 3], "no_rope_layers": [1, 0, 1, 0])");
    CHECK(!c.is_sparse_layer(0));
    CHECK(c.is_sparse_layer(1));
    CHECK(c.is_sparse_layer(3));
    CHECK(c.n_sliding_layers() == 2);
    CHECK(c.sliding_window == 8192);  // Llama4TextConfig's attention_chunk_size default
    CHECK(!c.vision);                 // a text-only config has no vision tower
    // 4 × (attention 2·64·64 + 2·32·64 = 12,288 + norms 128) + 2 dense MLPs 3·64·128 = 49,152 + 2 MoE
    // layers (router 4·64 = 256 + experts 4·3·64·32 = 24,576 + shared 3·64·32 = 6,144: 30,976) + embed and
    // head 2·256·64 + final norm 64
    CHECK(count_parameters(c).total == 4ULL * (12'288 + 128) + 49'152 + 2ULL * 30'976 + 2ULL * 256 * 64 + 64);
  }
  SECTION("attention_chunk_size null: every layer global") {
    const ModelConfig c = parse(R"(, "attention_chunk_size": null)");
    CHECK(c.n_sliding_layers() == 0);
    CHECK(!c.chunked_attention);
  }
  SECTION("malformed lists name the key") {
    CHECK_THROWS_WITH(parse(R"(, "moe_layers": [4])"), Catch::Matchers::Contains("moe_layers"));
    CHECK_THROWS_WITH(parse(R"(, "no_rope_layers": [1, 2, 1, 0])"), Catch::Matchers::Contains("no_rope_layers"));
    CHECK_THROWS_WITH(parse(R"(, "no_rope_layers": [1, 0])"), Catch::Matchers::Contains("no_rope_layers"));
    CHECK_THROWS_AS(parse(R"(, "interleave_moe_layer_step": 0)"), InputError);
  }
  SECTION("a wrapper's hostile vision_config is an InputError") {
    const auto wrap = [&](const std::string& vision) {
      return parse_model_config(R"({"model_type": "llama4", "text_config": {)" + base + "}, " + vision + "}", "w.json");
    };
    CHECK(wrap(R"("vision_config": {})").vision);  // Llama4VisionConfig defaults
    CHECK_THROWS_AS(wrap(R"("vision_config": 3)"), InputError);
    CHECK_THROWS_AS(wrap(R"("vision_config": {"patch_size": 0})"), InputError);
    CHECK_THROWS_AS(wrap(R"("vision_config": {"hidden_size": 1000, "num_attention_heads": 16})"), InputError);
    CHECK_THROWS_AS(wrap(R"("vision_config": {"image_size": 16777216, "patch_size": 1})"), InputError);
    CHECK_THROWS_AS(wrap(R"("vision_config": {"num_hidden_layers": 65536, "hidden_size": 16777216})"), InputError);
  }
}

TEST_CASE("DeepSeek-V3.2: DeepSeek-V3 plus a lightning indexer in every layer", "[parameters][deepseek_v32]") {
  // Indexer (DeepSeek-V3.2 inference/model.py Indexer), index_n_heads 64 × index_head_dim 128, h = 7168:
  //   wq_b 64 · 128 × 1536 (q_lora_rank) = 12,582,912; wk 128 × 7168 = 917,504; k_norm LayerNorm 2 × 128;
  //   weights_proj 64 × 7168 = 458,752 -> 13,959,424 per layer
  const std::uint64_t indexer = 64ULL * 128 * 1536 + 128ULL * 7168 + 2 * 128 + 64ULL * 7168;
  CHECK(indexer == 13'959'424ULL);
  const Model v3 = test::model("deepseek-v3");
  const Model m = test::model("deepseek-v3.2");
  const ParameterCount& p = *m.params;
  // The same shapes as DeepSeek-V3 otherwise: 671,026,419,200 + 61 × 13,959,424 = 671,877,944,064.
  CHECK(p.total == v3.params->total + 61 * indexer);
  CHECK(p.total == 671'877'944'064ULL);
  // The MTP layer (a full decoder layer) holds an indexer too: 13,463,426,304 + 13,959,424.
  CHECK(p.mtp_extra == v3.params->mtp_extra + indexer);
  // FP8 block scales (128 × 128): DeepSeek-V3's 41,540,496 plus the indexer's quantized wq_b (64 × 12 tiles)
  // and wk (1 × 56 tiles) in 62 layers: 62 × 824 = 51,088.
  CHECK(p.fp8_scale_values == v3.params->fp8_scale_values + 62ULL * (64 * 12 + 56));
  CHECK(p.fp8_scale_values == 41'591'584ULL);
  // Published: the hub's safetensors totals, as a public hub-metadata table lists them:
  // deepseek-ai/DeepSeek-V3.2-Exp and DeepSeek-V3.2-Speciale (the same architecture and config keys)
  // 685,396,921,376 = parameters + MTP layer + FP8 block scales; deepseek-ai/DeepSeek-V3.2 685,355,329,792,
  // exactly the same less the 41,591,584 block scales.
  CHECK(p.checkpoint_values() == 685'396'921'376ULL);
  CHECK(p.total + p.mtp_extra == 685'355'329'792ULL);
}

TEST_CASE("DeepSeek-V3.2's indexer keeps an fp8 key and its scale per token and layer",
          "[detailed][kv][deepseek_v32]") {
  // vLLM (model_executor/models/deepseek_v2.py): DeepseekV32IndexerCache is an attention layer of its own
  // with an MLAAttentionSpec of one head of index_head_dim + index_head_dim // quant_block_size × 4 uint8
  // values, quant_block_size 128: 128 fp8 bytes + one 4-byte fp32 scale = 132 bytes per token and layer,
  // whatever the KV dtype. The MLA latent: (512 + 64) × 2 bytes (bf16) = 1,152.
  const Model m = test::model("deepseek-v3.2");
  REQUIRE(m.config.mla->indexer_key_bytes() == 132);
  Request r = test::infer(nullptr, 1, 4096);
  r.engine = &find_engine("vllm");
  // 61 layers × 4096 tokens × (1,152 + 132) = 320,815,104
  const Estimate e = estimate(m, r);
  CHECK(test::bytes_of(e, "kv_cache") == 61ULL * 4096 * (1152 + 132));
  CHECK(test::bytes_of(e, "kv_cache") == 320'815'104ULL);
  // DeepSeek-V3.1 (no indexer) holds the latent alone: 61 × 4096 × 1,152.
  CHECK(test::bytes_of(estimate(test::model("deepseek-v3.1"), r), "kv_cache") == 61ULL * 4096 * 1152);
}

TEST_CASE("DeepSeek-V3.1 and Kimi K2: the DeepSeek-V3 reader", "[parameters][deepseek_v32]") {
  // DeepSeek-V3.1 keeps DeepSeek-V3's shapes. Published: 684,531,386,000, the hub's safetensors total for
  // deepseek-ai/DeepSeek-V3.1 (and V3.1-Base, V3.1-Terminus) in a public hub-metadata table, the same as
  // DeepSeek-V3's: parameters, the MTP layer and the FP8 block scales.
  CHECK(test::model("deepseek-v3.1").params->checkpoint_values() == 684'531'386'000ULL);
  // Kimi K2 (model_type kimi_k2, DeepseekV3Config): h = 7168, 61 layers, 64 MLA heads, 384 experts of 2048,
  // one shared expert, the first layer dense, vocab 163840, no MTP layer:
  //   MLA q_a 1536 × 7168 = 11,010,048 + q_a_norm 1536 + q_b 64 · 192 × 1536 = 18,874,368 + kv_a 576 × 7168 =
  //   4,128,768 + kv_a_norm 512 + kv_b 64 · 256 × 512 = 8,388,608 + o 7168 × 8192 = 58,720,256 = 101,124,096;
  //   two norms 14,336; layer 0 MLP 3 × 7168 × 18432 = 396,361,728; layers 1-60: router 384 × 7168 =
  //   2,752,512 + e_score_correction_bias 384 + experts 384 × 3 × 7168 × 2048 = 16,911,433,728 + shared expert
  //   44,040,192 = 16,958,226,816; embed and head 2 × 163840 × 7168; final norm 7168.
  const std::uint64_t mla = 11'010'048ULL + 1536 + 18'874'368 + 4'128'768 + 512 + 8'388'608 + 58'720'256;
  CHECK(mla == 101'124'096ULL);
  const std::uint64_t expected =
      61 * (mla + 14'336) + 396'361'728ULL + 60 * 16'958'226'816ULL + 2ULL * 163'840 * 7168 + 7168;
  // Published: 1,026,408,232,448, Fireworks' paramCount for kimi-k2-instruct, llama.cpp's n_params for a
  // Kimi K2 GGUF, and a public recount of the Kimi-K2-Instruct shard headers ("逻辑参数" 1026408232448).
  CHECK(expected == 1'026'408'232'448ULL);
  const Model k = test::model("kimi-k2");
  CHECK(k.config.model_type == "kimi_k2");
  CHECK(k.params->total == expected);
  CHECK(k.params->mtp_extra == 0);
  // Active: 376 idle experts of 384 in 60 layers.
  CHECK(k.params->active == expected - 60ULL * 376 * 3 * 7168 * 2048);
}

TEST_CASE("MiniMax-M2: 62 full-attention layers of 256 experts, q/k norms over all heads", "[parameters][minimax_m2]") {
  // MiniMaxM2 (modeling_minimax_m2.py; shapes as the MiniMax-M2.7 checkpoint's tensor list), h = 3072,
  // 48 heads / 8 KV heads of 128:
  //   attention q 6144 × 3072 = 18,874,368, k and v 2 × 1024 × 3072 = 6,291,456, o 3072 × 6144 = 18,874,368
  //     -> 44,040,192; q_norm 6144 + k_norm 1024 (qk_norm_type per_layer) = 7,168
  //   MoE: gate 256 × 3072 = 786,432; e_score_correction_bias 256; experts 256 × 3 × 3072 × 1536 =
  //     3,623,878,656 (w1, w3 [1536, 3072], w2 [3072, 1536])
  //   input_layernorm, post_attention_layernorm 2 × 3072
  //   -> 3,668,718,848 per layer; × 62 = 227,460,568,576; embed and untied lm_head 2 × 200064 × 3072 =
  //   1,229,193,216; final norm 3072.
  const std::uint64_t layer = 44'040'192ULL + 7'168 + 786'432 + 256 + 256ULL * 3 * 3072 * 1536 + 2ULL * 3072;
  CHECK(layer == 3'668'718'848ULL);
  const std::uint64_t expected = 62 * layer + 2ULL * 200'064 * 3072 + 3072;
  CHECK(expected == 228'689'764'864ULL);
  const Model m = test::model("minimax-m2");
  const ParameterCount& p = *m.params;
  // Published: 228,689,764,864, the hub's safetensors total for MiniMaxAI/MiniMax-M2 (also M2.1 and M2.7)
  // in a public hub-metadata table.
  CHECK(p.total == expected);
  CHECK(p.mtp_extra == 0);  // use_mtp describes modules the checkpoint does not hold
  // With the FP8 block scales (128 × 128 tiles): per expert w1, w3 12 × 24 and w2 24 × 12 = 864, × 256 ×
  // 62 = 13,713,408; attention q, o 48 × 24 and 24 × 48, k, v 8 × 24: 2,688 × 62 = 166,656 -> 13,880,064.
  // 228,703,644,928 is the MiniMax-M2.7 checkpoint's tensor tally (a public dump of its 125 shards:
  // "参数总量 228,703,644,928") and the hub total listed for MiniMax-M2.5.
  CHECK(p.fp8_scale_values == 62ULL * (256 * 864 + 2688));
  CHECK(p.checkpoint_values() == 228'703'644'928ULL);
  // Active: 248 idle experts of 256 in 62 layers, 62 × 248 × 14,155,776 = 217,659,211,776.
  CHECK(p.active == expected - 62ULL * 248 * 3 * 3072 * 1536);
  CHECK(p.active == 11'030'553'088ULL);
}

TEST_CASE("MiniMax-M2 KV cache: every layer global, and hybrid or shared-expert configs refused", "[kv][minimax_m2]") {
  Request r = test::infer(nullptr, 1, 32768);
  r.engine = &find_engine("sglang");
  // 62 layers × 32768 tokens × 2 × 8 KV heads × 128 × 2 bytes = 8,321,499,136
  CHECK(test::bytes_of(estimate(test::model("minimax-m2"), r), "kv_cache") == 62ULL * 32768 * 2 * 8 * 128 * 2);
  const std::string base = R"("model_type": "minimax_m2", "hidden_size": 64, "intermediate_size": 32,
      "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
      "num_local_experts": 4, "num_experts_per_tok": 2, "vocab_size": 256)";
  const auto parse = [&](const std::string& extra) { return parse_model_config("{" + base + extra + "}", "m.json"); };
  CHECK(parse(R"(, "use_qk_norm": true, "qk_norm_type": "per_layer")").qk_norm == QkNorm::per_head);
  CHECK_THROWS_AS(parse(R"(, "attn_type_list": [0, 1])"), UnsupportedError);
  CHECK_THROWS_AS(parse(R"(, "attn_type_list": [1, 2])"), InputError);
  CHECK_THROWS_AS(parse(R"(, "attn_type_list": [1])"), InputError);
  CHECK_THROWS_AS(parse(R"(, "shared_intermediate_size": 64)"), UnsupportedError);
  CHECK_THROWS_AS(parse(R"(, "use_qk_norm": true, "qk_norm_type": "per_head")"), UnsupportedError);
}

TEST_CASE("vLLM start-up: Llama 4's chunked layers get block groups of one chunk plus a batch",
          "[startup][vllm][llama4]") {
  // The hybrid allocator (kv_cache_utils.py) groups 12 full-attention and 36 chunked layers in groups of
  // min(12, 36) = 12 layers: one full group and three chunked ones. A block is 16 tokens × 12 layers × 2 ×
  // (8 / 4) KV heads × 128 × 2 B = 196,608 B at tp=4. One 65536-token request needs cdiv(65536, 16) =
  // 4096 full blocks and, per chunked group, ChunkedLocalAttentionSpec's cdiv(min(attention_chunk_size +
  // max_num_batched_tokens, max_model_len), 16) = cdiv(min(8192 + 8192, 65536), 16) = 1024 blocks (no
  // extra block, unlike SlidingWindowSpec's window − 1 + batch + 1): 4096 + 3 × 1024 = 7168.
  VllmSettings s;
  s.max_model_len = 65536;
  Request r = test::infer();
  r.layout.tp = 4;
  const VllmStartup v = vllm_startup(test::model("llama4-scout"), r,
                                     cuda_visible_memory("h100-80gb", find_gpu("h100-80gb").memory), "h100-80gb", s);
  REQUIRE(v.max_num_batched_tokens == 8192);
  CHECK(v.full_groups == 1);
  CHECK(v.sliding_groups == 3);
  CHECK(v.block_bytes == 16ULL * 12 * 2 * 2 * 128 * 2);
  CHECK(v.needed_for_max_model_len.count() == (4096ULL + 3 * 1024) * v.block_bytes);
}
