#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "llmmem/error.hpp"
#include "llmmem/parameters.hpp"
#include "test_support.hpp"

using namespace llmmem;

namespace {

// Rows of tests/fixtures/parameter_counts.tsv (a copy of shared/reference/parameter_counts.tsv).
std::map<std::string, std::uint64_t> published_counts() {
  std::ifstream in(std::string(LLMMEM_FIXTURES) + "/parameter_counts.tsv");
  std::map<std::string, std::uint64_t> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string name, hf_id, count;
    std::getline(row, name, '\t');
    std::getline(row, hf_id, '\t');
    std::getline(row, count, '\t');
    if (!count.empty()) out[hf_id] = std::stoull(count);
  }
  return out;
}

}  // namespace

TEST_CASE("every published count with a catalog config comes out exact", "[parameters]") {
  const auto counts = published_counts();
  REQUIRE(counts.size() >= 25);
  int checked = 0;
  for (const auto& item : test::catalog().items()) {
    auto it = counts.find(item.hf_id);
    if (it == counts.end()) continue;
    const Model m = test::catalog().load(item);
    REQUIRE(m.params);
    INFO(item.alias << " (" << item.hf_id << ")");
    // DeepSeek-V3/R1's published figure is the checkpoint's tensor total: parameters, the
    // multi-token-prediction layer and the FP8 block scales.
    const bool checkpoint_total = item.hf_id == "deepseek-ai/DeepSeek-R1";
    CHECK((checkpoint_total ? m.params->checkpoint_values() : m.params->total) == it->second);
    ++checked;
  }
  CHECK(checked >= 25);
}

TEST_CASE("the issue's named counts", "[parameters]") {
  CHECK(test::model("llama3-70b").params->total == 70'553'706'496ULL);
  CHECK(test::model("llama3.1-8b").params->total == 8'030'261'248ULL);
  CHECK(test::model("llama2-7b").params->total == 6'738'415'616ULL);
  CHECK(test::model("qwen2.5-7b").params->total == 7'615'616'512ULL);
}

TEST_CASE("Qwen2.5-14B by hand", "[parameters]") {
  // Qwen/Qwen2.5-14B config: hidden 5120, 48 layers, 40 heads / 8 KV heads of 128, MLP 13824,
  // vocab 152064, untied, q/k/v biases. Embeddings 2 * 152064*5120 = 1,557,135,360; per layer
  // q 5120*5120+5120, k,v 2*(5120*1024+1024), o 5120*5120, MLP 3*5120*13824, 2 norms of 5120 =
  // 275,268,608; * 48 = 13,212,893,184; + final norm 5120 = 14,770,033,664 (the model card's 14.7B).
  CHECK(test::model("qwen2.5-14b").params->total == 14'770'033'664ULL);
}

TEST_CASE("Llama-3-8B by hand", "[parameters]") {
  // embed 128256*4096 = 525,336,576 (and the same again for the untied head)
  // per layer: q,o 2*4096*4096 + k,v 2*4096*1024 = 41,943,040; MLP 3*4096*14336 = 176,160,768;
  //            two RMSNorms 8,192 -> 218,112,000; x32 = 6,979,584,000
  // total = 6,979,584,000 + 2*525,336,576 + 4096 (final norm) = 8,030,261,248
  const auto p = test::model("llama3-8b").params;
  CHECK(p->total == 6'979'584'000ULL + 2 * 525'336'576ULL + 4096);
  CHECK(p->embedding == 525'336'576ULL);
}

TEST_CASE("MoE models report active parameters", "[parameters]") {
  // Mixtral-8x7B: each layer holds 8 experts of 3*4096*14336 = 176,160,768; 6 of 8 idle per token:
  // active = 46,702,792,704 - 32 * 6 * 176,160,768 = 12,879,925,248
  const auto p = test::model("mixtral-8x7b").params;
  CHECK(p->active == 46'702'792'704ULL - 32ULL * 6 * 176'160'768ULL);
  // dense models: active == total
  CHECK(test::model("llama3-8b").params->active == test::model("llama3-8b").params->total);
}

TEST_CASE("gpt-oss-20b: biases, sinks, router and expert biases", "[parameters]") {
  // attention per layer: q 2880*4096+4096, k,v 2880*512+512 each, o 4096*2880+2880, sinks 64 = 26,550,144
  // MoE per layer: router 2880*32+32; experts 32*(2880*5760+5760) + 32*(2880*2880+2880) = 796,631,072
  // norms 2*2880; 24 layers; embed + unembed 2*201088*2880; final norm 2880
  const std::uint64_t layer = 26'550'144ULL + 796'631'072ULL + 5'760ULL;
  CHECK(test::model("gpt-oss-20b").params->total == 24 * layer + 2ULL * 201'088 * 2'880 + 2'880);
}

TEST_CASE("Phi-3-small by hand: biases everywhere, fused GeGeLU up_proj, tied head", "[parameters]") {
  // h 4096, 32 layers, 32 heads, 8 kv heads, head_dim 128, ff_intermediate_size 14336, vocab 100352
  // (vLLM models/phi3_small.py shapes). Per layer:
  //   query_key_value (4096 + 2·1024) × 4096 = 25,165,824 + bias 6,144
  //   dense 4096 × 4096 = 16,777,216 + bias 4,096
  //   up_proj 2·14336 × 4096 = 117,440,512 + bias 28,672; down_proj 14336 × 4096 = 58,720,256 + bias 4,096
  //   two LayerNorms with bias 4 × 4096 = 16,384                       -> 218,163,200; × 32 = 6,981,222,400
  // embed 100352 × 4096 = 411,041,792 (tied head), final LayerNorm 8,192 -> 7,392,272,384.
  // No exact public figure was found; the hub lists 7.39B, and its four bf16 shards (4.83 + 4.8 + 4.8
  // + 0.352 GB on huggingface.co/microsoft/Phi-3-small-8k-instruct/tree/main) hold ≈ 14.78 GB = 2 × 7.39e9.
  CHECK(test::model("phi3-small").params->total == 32ULL * 218'163'200 + 411'041'792 + 8'192);
  CHECK(test::model("phi3-small").params->total == 7'392'272'384ULL);
}

TEST_CASE("Nemotron Nano 9B v2: 27 Mamba-2, 4 attention and 25 MLP layers", "[parameters]") {
  // Mamba layer: in_proj (10240 + 12288 + 128) × 4480 = 101,498,880; conv1d 12288 × 4 + bias 12288 =
  //   61,440; dt_bias, A_log, D 3 × 128; gated norm 10240; out_proj 4480 × 10240 = 45,875,200
  //   -> 147,446,144 (inner 128 × 80 = 10240, conv_dim 10240 + 2·8·128 = 12288)
  // attention: q, o 2 × 5120 × 4480 + k, v 2 × 1024 × 4480 = 55,050,240; MLP up + down 2 × 15680 × 4480
  //   = 140,492,800; one RMSNorm per layer 56 × 4480; final norm 4480; embed + head 2 × 131072 × 4480.
  // Total 8,888,227,328: listed for nvidia/NVIDIA-Nemotron-Nano-9B-v2 in a public parameter table
  // ("Nemotron-Nano-9B-v2", 8888227328) and twice it, 17,776,454,656, as the bf16 weight bytes a public
  // NIM benchmark script records for the model.
  const std::uint64_t expected =
      27ULL * 147'446'144 + 4ULL * 55'050'240 + 25ULL * 140'492'800 + 56ULL * 4480 + 4480 + 2ULL * 131'072 * 4480;
  CHECK(expected == 8'888'227'328ULL);
  CHECK(test::model("nemotron-nano-9b-v2").params->total == expected);
}

TEST_CASE("Mamba-Codestral-7B: 64 Mamba-2 layers and nothing else", "[parameters]") {
  // Per layer: in_proj (8192 + 10240 + 128) × 4096 = 76,021,760; conv1d 10240 × 4 + bias 10240 = 51,200;
  // dt_bias, A_log, D 384; gated norm 8192; out_proj 4096 × 8192 = 33,554,432; RMSNorm 4096
  // -> 109,640,064; × 64 + embed and untied head 2 × 32768 × 4096 + norm_f 4096 = 7,285,403,648.
  // Published: a public importer pinned to mistralai/Mamba-Codestral-7B-v0.1 records its bf16
  // payload as 14,570,807,296 bytes over 579 tensors (64 × 9 + 3) = 2 × 7,285,403,648.
  CHECK(test::model("mamba-codestral-7b").params->total == 64ULL * 109'640'064 + 2ULL * 32'768 * 4'096 + 4'096);
  CHECK(test::model("mamba-codestral-7b").params->total * 2 == 14'570'807'296ULL);
}

TEST_CASE("Qwen3-Next-80B-A3B: 36 Gated DeltaNet and 12 gated-attention layers, 512 experts and a shared one",
          "[parameters]") {
  // Shapes from transformers modeling_qwen3_next.py, h = 2048:
  // gated attention (12 layers): q_proj 2 × 16 × 256 (query and its output gate) × 2048 = 16,777,216;
  //   k, v 2 × (2 × 256) × 2048 = 2,097,152; o_proj 2048 × 4096 = 8,388,608; q_norm, k_norm 2 × 256
  //   -> 27,263,488
  // Gated DeltaNet (36 layers), key_dim 16 × 128 = 2048, value_dim 32 × 128 = 4096:
  //   in_proj_qkvz (2·2048 + 2·4096) × 2048 = 25,165,824; in_proj_ba 2·32 × 2048 = 131,072;
  //   conv1d 8192 × 4 = 32,768; dt_bias, A_log 2 × 32; norm 128; out_proj 2048 × 4096 = 8,388,608
  //   -> 33,718,464
  // MoE (48 layers): router 512 × 2048 = 1,048,576; experts 512 × 3 × 512 × 2048 = 1,610,612,736;
  //   shared expert 3 × 512 × 2048 = 3,145,728; shared_expert_gate 2048 -> 1,614,809,088
  // two RMSNorms per layer 48 × 2 × 2048; final norm 2048; embed and untied head 2 × 151936 × 2048.
  const std::uint64_t expected =
      12ULL * 27'263'488 + 36ULL * 33'718'464 + 48ULL * 1'614'809'088 + 48ULL * 2 * 2048 + 2048 + 2ULL * 151'936 * 2048;
  CHECK(expected == 79'674'391'296ULL);
  const Model m = test::model("qwen3-next-80b-a3b");
  const ParameterCount& p = *m.params;
  // Published: llama.cpp's /v1/models metadata for a Qwen3-Next-80B-A3B GGUF (which drops mtp.*)
  // reports n_params 79674391296, as public importers' safetensors tallies of Qwen/Qwen3-Coder-Next
  // (the same architecture and config) do.
  CHECK(p.total == expected);
  // The checkpoint's mtp.* (one full-attention MoE layer 27,263,488 + 2 × 2048 + 1,614,809,088, fc
  // 2048 × 4096 = 8,388,608 and three norms 3 × 2048; embedding and head shared) adds 1,650,471,424:
  // 81,324,862,720 is the hub's safetensors parameter total for Qwen/Qwen3-Next-80B-A3B-Instruct
  // ("81.3B params"; a public hub-metadata table lists total_params 81324862720 for the Instruct and
  // Thinking repositories).
  CHECK(p.mtp_extra == 27'263'488ULL + 2ULL * 2048 + 1'614'809'088ULL + 8'388'608 + 3ULL * 2048);
  CHECK(p.checkpoint_values() == 81'324'862'720ULL);
  // Active: the 502 idle experts of 512 in 48 layers, 48 × 502 × 3 × 512 × 2048 = 75,799,461,888, leave
  // 3,874,929,408 ("A3B").
  CHECK(p.active == expected - 48ULL * 502 * 3 * 512 * 2048);
  CHECK(p.active == 3'874'929'408ULL);
}

TEST_CASE("OLMo-2-1124-7B: q/k norms over all heads, post-attention and post-feedforward norms", "[parameters]") {
  // Shapes from transformers modular_olmo2.py (Olmo2Attention, Olmo2DecoderLayer), h = 4096, 32 heads of 128:
  // q, k, v, o 4 × 4096 × 4096 = 67,108,864; gate, up, down 3 × 4096 × 11008 = 135,266,304;
  // q_norm 32 × 128 = 4096 and k_norm 32 × 128 = 4096 (RMSNorms over the whole projections, not per
  // head_dim as Qwen3's); post_attention_layernorm and post_feedforward_layernorm 2 × 4096
  // -> 202,391,552 per layer; × 32 + embed and untied lm_head 2 × 100352 × 4096 + final norm 4096.
  const std::uint64_t per_layer = 4ULL * 4096 * 4096 + 3ULL * 4096 * 11008 + 2ULL * 4096 + 2ULL * 4096;
  CHECK(per_layer == 202'391'552ULL);
  const std::uint64_t expected = 32 * per_layer + 2ULL * 100'352 * 4096 + 4096;
  // Published: 7,298,617,344 is the hub's safetensors parameter total ("safetensors": {"total":
  // 7298617344}) for allenai/OLMo-2-1124-7B (revision 7df9a82) and allenai/OLMo-2-1124-7B-Instruct, as
  // public hub-metadata tables record it.
  CHECK(expected == 7'298'617'344ULL);
  const Model m = test::model("olmo2-7b");
  CHECK(m.params->total == expected);
  CHECK(m.params->mtp_extra == 0);
  CHECK(m.params->active == expected);
}

TEST_CASE("GLM-4.5-Air: one dense layer, 45 MoE layers of 128 experts and a shared one, an MTP layer", "[parameters]") {
  // Shapes from transformers modeling_glm4_moe.py, h = 4096, 96 query heads and 8 KV heads of 128:
  // attention q 12288 × 4096 = 50,331,648, k and v 2 × 1024 × 4096 = 8,388,608, o 4096 × 12288 =
  //   50,331,648, q/k/v biases 12288 + 2 × 1024 = 14,336 (attention_bias; o_proj has none); no q/k norms
  //   (use_qk_norm false) -> 109,066,240; input and post-attention RMSNorms 2 × 4096 -> 109,074,432 per layer
  // layer 0 (first_k_dense_replace 1): dense MLP 3 × 4096 × 10944 = 134,479,872
  // layers 1-45: router weight 128 × 4096 = 524,288 and e_score_correction_bias 128; experts
  //   128 × 3 × 4096 × 1408 = 2,214,592,512; shared expert 3 × 4096 × 1408 = 17,301,504 -> 2,232,418,432
  // embed and untied head 2 × 151552 × 4096 = 1,241,513,984; final norm 4096.
  const std::uint64_t layer = 109'074'432ULL, moe = 2'232'418'432ULL;
  CHECK(layer == 12288ULL * 4096 * 2 + 2ULL * 1024 * 4096 + 14'336 + 2ULL * 4096);
  CHECK(moe == 128ULL * 4096 + 128 + 129ULL * 3 * 4096 * 1408);
  const std::uint64_t expected = 46 * layer + 134'479'872ULL + 45 * moe + 2ULL * 151'552 * 4096 + 4096;
  CHECK(expected == 106'852'251'264ULL);
  const Model m = test::model("glm4.5-air");
  const ParameterCount& p = *m.params;
  CHECK(p.total == expected);
  // The checkpoint's model.layers.46 (num_nextn_predict_layers 1; vLLM glm4_moe_mtp.py): a MoE decoder
  // layer 109,074,432 + 2,232,418,432, enorm, hnorm and shared_head.norm 3 × 4096, eh_proj 4096 × 8192 =
  // 33,554,432, and its own embed_tokens and shared_head.head 2 × 151552 × 4096 -> 3,616,573,568.
  CHECK(p.mtp_extra == layer + moe + 3ULL * 4096 + 4096ULL * 8192 + 2ULL * 151'552 * 4096);
  CHECK(p.mtp_extra == 3'616'573'568ULL);
  // Published: 110,468,824,832 is the hub's safetensors parameter total for zai-org/GLM-4.5-Air
  // (https://huggingface.co/api/models/zai-org/GLM-4.5-Air, safetensors.total; the model card's "106B"
  // leaves out the MTP layer, and a GLM-4.5-Air fine-tune published without it, PrimeIntellect/INTELLECT-3,
  // totals 106,852,251,264, the count above).
  CHECK(p.checkpoint_values() == 110'468'824'832ULL);
  // Active: 120 idle experts of 128 in 45 layers, 45 × 120 × 3 × 4096 × 1408 = 93,428,121,600, leave
  // 13,424,129,664 (the card's "12B active" leaves out the embedding and head, 1.24B).
  CHECK(p.active == expected - 45ULL * 120 * 3 * 4096 * 1408);
  CHECK(p.active == 13'424'129'664ULL);
}

TEST_CASE("Jamba 1.5 Mini: 28 Mamba-1 and 4 attention layers, MoE 2 of 16 in every other layer", "[parameters]") {
  // Shapes from transformers modeling_jamba.py, h = 4096, config ai21labs/AI21-Jamba-1.5-Mini:
  // attention (layers i % 8 == 4: 4, 12, 20, 28): q 4096 × 4096 = 16,777,216; k, v 2 × (8 × 128) × 4096
  //   = 8,388,608; o 4096 × 4096 = 16,777,216; no biases -> 41,943,040
  // JambaMambaMixer (the other 28 layers), d_inner = 2 × 4096 = 8192, dt_rank 256, d_state 16, d_conv 4:
  //   in_proj 2·8192 × 4096 = 67,108,864; conv1d 8192 × 1 × 4 = 32,768 + bias 8192;
  //   x_proj (256 + 2·16) × 8192 = 2,359,296; dt_proj 8192 × 256 = 2,097,152 + bias 8192;
  //   A_log 8192 × 16 = 131,072; D 8192; out_proj 4096 × 8192 = 33,554,432 (mamba_proj_bias false);
  //   dt_layernorm 256, b_layernorm 16, c_layernorm 16 -> 105,308,448
  // feed-forward: JambaMLP 3 × 4096 × 14336 = 176,160,768 in the 16 even layers; JambaSparseMoeBlock in
  //   the 16 odd layers (i % 2 == 1): router 16 × 4096 = 65,536 + 16 experts × 176,160,768
  //   = 2,818,637,824
  // input_layernorm and pre_ff_layernorm 32 × 2 × 4096; final_layernorm 4096; embed_tokens and the untied
  // lm_head 2 × 65536 × 4096.
  const std::uint64_t expected = 4ULL * 41'943'040 + 28ULL * 105'308'448 + 16ULL * 176'160'768 + 16ULL * 2'818'637'824 +
                                 32ULL * 2 * 4096 + 4096 + 2ULL * 65'536 * 4096;
  CHECK(expected == 51'570'323'328ULL);
  const Model m = test::model("jamba-mini-1.5");
  const ParameterCount& p = *m.params;
  CHECK(p.total == expected);
  // Published: the checkpoint's model.safetensors.index.json gives total_size 103,140,646,656 bytes
  // (quoted in a public generated model card of the checkpoint whose config is transformers 4.40.2 and
  // generation_config 4.44.2, i.e. AI21-Jamba-1.5-Mini; the hub shows "51.6B params"), all bf16:
  // 103,140,646,656 / 2 = 51,570,323,328.
  CHECK(p.total * 2 == 103'140'646'656ULL);
  // Active: 14 idle experts of 16 in 16 layers, 16 × 14 × 176,160,768 = 39,460,012,032, leave
  // 12,110,311,296 ("12B active").
  CHECK(p.active == expected - 16ULL * 14 * 176'160'768);
  CHECK(p.active == 12'110'311'296ULL);
}

TEST_CASE("an unsupported architecture is an error naming it", "[parameters][errors]") {
  const auto c = load_model_config(std::string(LLMMEM_FIXTURES) + "/configs/unsupported.json");
  CHECK_THROWS_AS(count_parameters(c), UnsupportedError);
  CHECK_THROWS_WITH(count_parameters(c),
                    Catch::Matchers::Contains("'rwkv'") && Catch::Matchers::Contains("not supported"));
}

TEST_CASE("Mamba 2.8B: 64 Mamba-1 layers, tied head", "[parameters]") {
  // MambaMixer (transformers modeling_mamba.py), d_inner = expand × hidden = 2 × 2560 = 5120, time_step_rank
  // 160, state_size 16, conv_kernel 4, use_bias false, use_conv_bias true:
  //   in_proj 2·5120 × 2560 = 26,214,400; conv1d 5120 × 1 × 4 = 20,480 + bias 5120;
  //   x_proj (160 + 2·16) × 5120 = 983,040; dt_proj 5120 × 160 = 819,200 + bias 5120;
  //   A_log 5120 × 16 = 81,920; D 5120; out_proj 2560 × 5120 = 13,107,200 -> 41,241,600
  //   plus the block's RMSNorm 2560 -> 41,244,160 per layer.
  // × 64 = 2,639,626,240; embeddings 50280 × 2560 = 128,716,800 (lm_head tied); norm_f 2560.
  const std::uint64_t layer = 2ULL * 5120 * 2560 + 5120ULL * 4 + 5120 + (160ULL + 32) * 5120 + 5120ULL * 160 + 5120 +
                              5120ULL * 16 + 5120 + 2560ULL * 5120 + 2560;
  CHECK(layer == 41'244'160ULL);
  const std::uint64_t expected = 64 * layer + 50'280ULL * 2560 + 2560;
  // Published: mamba_ssm's benchmark script (sum of the parameters' numel) prints "Number of parameters:
  // 2768345600" for state-spaces/mamba-2.8b, the original checkpoint the -hf one converts tensor for
  // tensor (AMD ROCm blog "Mamba on AMD GPUs with ROCm", 28 Jun 2024); hub "2.77B params".
  CHECK(expected == 2'768'345'600ULL);
  const Model m = test::model("mamba-2.8b");
  CHECK(m.params->total == expected);
  CHECK(m.params->active == expected);
}

TEST_CASE("Granite 4.0-H-Tiny: 36 Mamba-2 and 4 attention layers, 64 experts and a shared MLP in each",
          "[parameters]") {
  // modeling_granitemoehybrid.py, hidden 1536, 40 layers (layer_types: attention at 5, 15, 25, 35):
  // Mamba-2 mixer (Bamba's), 48 heads × 64 = inner 3072, n_groups 1, d_state 128, conv 4, conv bias, no
  //   projection bias: conv_dim = 3072 + 2·128 = 3328; in_proj (3072 + 3328 + 48) × 1536 = 9,904,128;
  //   conv1d 3328 × 4 = 13,312 + bias 3328; dt_bias, A_log, D 3 × 48 = 144; gated norm 3072;
  //   out_proj 1536 × 3072 = 4,718,592 -> 14,642,576
  // attention, 12 heads × 128 (1536 / 12), 4 kv heads: q 1536 × 1536 + k, v 2 × 512 × 1536 + o 1536 × 1536
  //   = 6,291,456
  // every layer: router 64 × 1536 = 98,304; experts 64 × 3 × 512 × 1536 = 150,994,944 (input_linear
  //   [64, 1024, 1536], output_linear [64, 1536, 512]); shared_mlp 3 × 1024 × 1536 = 4,718,592;
  //   input_layernorm and post_attention_layernorm 2 × 1536 -> 155,814,912
  // embed_tokens 100352 × 1536 = 154,140,672 (lm_head tied); norm 1536.
  const std::uint64_t mamba = (3072ULL + 3328 + 48) * 1536 + 3328ULL * 4 + 3328 + 144 + 3072 + 1536ULL * 3072;
  CHECK(mamba == 14'642'576ULL);
  const std::uint64_t attention = 2ULL * 1536 * 1536 + 2ULL * 512 * 1536;
  const std::uint64_t ffn = 64ULL * 1536 + 64ULL * 3 * 512 * 1536 + 3ULL * 1024 * 1536 + 2ULL * 1536;
  CHECK(ffn == 155'814'912ULL);
  const std::uint64_t expected = 36 * mamba + 4 * attention + 40 * ffn + 100'352ULL * 1536 + 1536;
  // Published: the hub's safetensors metadata total for ibm-granite/granite-4.0-h-tiny(-base) is
  // 6,939,037,248 parameters (quoted with the pinned revision f95c8e83 of granite-4.0-h-tiny-base by a public
  // donor-screen note; its three bf16 shards sum to 13,878,142,256 B = 2 × 6,939,037,248 + the headers).
  CHECK(expected == 6'939'037'248ULL);
  const Model m = test::model("granite-4.0-h-tiny");
  REQUIRE(m.config.n_attention_layers() == 4);
  REQUIRE(m.config.recurrent->n_layers() == 36);
  CHECK(m.params->total == expected);
  // Active: 58 idle experts of 64 in 40 layers, 40 × 58 × 2,359,296 = 5,473,566,720, leave 1,465,470,528
  // (IBM: "1B activated parameters").
  CHECK(m.params->active == expected - 40ULL * 58 * 3 * 512 * 1536);
  CHECK(m.params->active == 1'465'470'528ULL);
}

TEST_CASE("BERT base (uncased) and RoBERTa base: encoders with a pooler, no LM head", "[parameters]") {
  // BertModel (transformers modeling_bert.py), hidden 768, 12 layers, intermediate 3072:
  //   embeddings: word 30522 × 768 = 23,440,896; position 512 × 768 = 393,216; token type 2 × 768 = 1,536;
  //     LayerNorm 2 × 768 = 1,536 -> 23,837,184
  //   per layer: query, key, value, attention output dense 4 × (768 × 768 + 768) = 2,362,368; attention
  //     LayerNorm 1,536; intermediate 3072 × 768 + 3072 = 2,362,368; output 768 × 3072 + 768 = 2,360,064;
  //     output LayerNorm 1,536 -> 7,087,872; × 12 = 85,054,464
  //   pooler dense 768 × 768 + 768 = 590,592
  const std::uint64_t layer = 4 * (768ULL * 768 + 768) + 1536 + (3072ULL * 768 + 3072) + (768ULL * 3072 + 768) + 1536;
  CHECK(layer == 7'087'872ULL);
  const std::uint64_t pooler = 768ULL * 768 + 768;
  const std::uint64_t bert = 30'522ULL * 768 + 512ULL * 768 + 2ULL * 768 + 1536 + 12 * layer + pooler;
  // Published: AutoModel.from_pretrained("bert-base-uncased").num_parameters() = 109482240 (a public
  // script printing it beside roberta-base 124645632: code index id 2228351197; toynlp's test "109482240
  // match EXACTLY with Huggingface implementation: BertModel.from_pretrained("bert-base-uncased")").
  CHECK(bert == 109'482'240ULL);
  const Model b = test::model("bert-base-uncased");
  CHECK(b.params->total == bert);
  CHECK(b.params->active == bert);
  CHECK(b.config.encoder);
  CHECK(b.config.max_position_embeddings == 512);
  // RobertaModel (modeling_roberta.py): BERT's layers; word 50265 × 768, position 514 × 768 (ids start
  // at padding_idx + 1 = 2), token type 1 × 768.
  const std::uint64_t roberta = 50'265ULL * 768 + 514ULL * 768 + 1ULL * 768 + 1536 + 12 * layer + pooler;
  // Published: AutoModel.from_pretrained("roberta-base").num_parameters() = 124645632 (same script; a
  // Keras summary prints tf_roberta_model (TFRobertaModel) 124645632: code index id 17378708522).
  CHECK(roberta == 124'645'632ULL);
  const Model r = test::model("roberta-base");
  CHECK(r.params->total == roberta);
  CHECK(r.config.max_position_embeddings == 512);  // 514 rows less pad_token_id 1 less 1
  CHECK(r.config.learned_positions == 514);
  for (const auto& g : r.params->groups) CHECK(g.role != TensorRole::lm_head);
}

TEST_CASE("XLM-RoBERTa base: RoBERTa's reader with a 250,002-token vocabulary", "[parameters]") {
  // FacebookAI/xlm-roberta-base config.json: RoBERTa-base shapes, vocab_size 250002 (modeling_xlm_roberta.py is
  // modeling_roberta.py's modules): 250002 × 768 = 192,001,536 + 514 × 768 + 768 + 1536 + 12 × 7,087,872 +
  // 590,592 = 278,043,648. Published: a public notes file lists ('xlm-roberta-base', 278043648, 278.043648)
  // beside ('xlm-roberta-large', 559890432) (code index id 16398057144); MTEB's model metadata gives
  // n_parameters=278043648 for an XLM-RoBERTa-base fine-tune (code index id 1827101584).
  const ModelConfig c = parse_model_config(
      R"({"model_type": "xlm-roberta", "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
          "intermediate_size": 3072, "max_position_embeddings": 514, "type_vocab_size": 1, "vocab_size": 250002,
          "pad_token_id": 1})",
      "xlm-roberta-base.json");
  CHECK(count_parameters(c).total == 278'043'648ULL);
}

TEST_CASE("Falcon-H1 1.5B: attention and a Mamba-2 mixer in all 24 layers, untied head", "[parameters]") {
  // modeling_falcon_h1.py, hidden 2048, 24 layers, vocab 65537:
  // FalconH1Mixer, mamba_d_ssm 3072 (48 heads × 64), n_groups 1, d_state 256, d_conv 4, conv bias, no
  //   projection biases, mamba_rms_norm true: conv_dim = 3072 + 2·256 = 3584; in_proj (3072 + 3584 + 48)
  //   × 2048 = 13,729,792; conv1d 3584 × 4 = 14,336 + bias 3584; dt_bias, A_log, D 3 × 48 = 144; gated
  //   norm 3072; out_proj 2048 × 3072 = 6,291,456 -> 20,042,384
  // attention, 8 heads × head_dim 128, 2 kv heads: q 1024 × 2048 + k, v 2 × 256 × 2048 + o 2048 × 1024
  //   = 5,242,880
  // MLP gate, up 2 × 4608 × 2048 + down 2048 × 4608 = 28,311,552; input_layernorm, pre_ff_layernorm 2 × 2048
  // embed_tokens and lm_head 2 × 65537 × 2048 = 268,439,552; final_layernorm 2048.
  const std::uint64_t mamba = (3072ULL + 3584 + 48) * 2048 + 3584ULL * 4 + 3584 + 144 + 3072 + 2048ULL * 3072;
  CHECK(mamba == 20'042'384ULL);
  const std::uint64_t attention = 2ULL * 1024 * 2048 + 2ULL * 256 * 2048;
  CHECK(attention == 5'242'880ULL);
  const std::uint64_t layer = mamba + attention + 3ULL * 4608 * 2048 + 2ULL * 2048;
  const std::uint64_t expected = 24 * layer + 2ULL * 65'537 * 2048 + 2048;
  // Published: 1,554,863,488, the sum of numel over FalconH1ForCausalLM.from_pretrained's parameters for
  // the Falcon-H1-1.5B checkpoint (411 tensors; pinned revision 80ebc50d), whose BF16 model.safetensors
  // payload is 2 × 1,554,863,488 bytes, as public measurement logs assert (hub: "1.55B params").
  CHECK(expected == 1'554'863'488ULL);
  const Model m = test::model("falcon-h1-1.5b");
  REQUIRE(m.config.n_attention_layers() == 24);
  REQUIRE(m.config.recurrent->n_layers() == 24);
  CHECK(m.params->total == expected);
  CHECK(m.params->active == expected);
}

TEST_CASE("LFM2 1.2B: 10 short-convolution and 6 attention layers, tied head", "[parameters]") {
  // modeling_lfm2.py, hidden 2048, 16 layers (attention at full_attn_idxs 2, 5, 8, 10, 12, 14), vocab 65536:
  // Lfm2ShortConv (conv_bias false, conv_L_cache 3): in_proj 3·2048 × 2048 = 12,582,912; conv 2048 × 3 =
  //   6,144; out_proj 2048 × 2048 = 4,194,304 -> 16,783,360
  // Lfm2Attention, 32 heads × 64 (2048 / 32), 8 kv heads: q 2048 × 2048 + k, v 2 × 512 × 2048 + out_proj
  //   2048 × 2048 = 10,485,760 + q_layernorm, k_layernorm 2 × 64 -> 10,485,888
  // Lfm2MLP: block_ff_dim 12288 adjusted: int(2 × 12288 / 3) = 8192, × 1.0, rounded to 256: 8192;
  //   w1, w3, w2 3 × 8192 × 2048 = 50,331,648; operator_norm, ffn_norm 2 × 2048
  // embed_tokens 65536 × 2048 = 134,217,728 (tied); embedding_norm (the final norm) 2048.
  const std::uint64_t conv = 3ULL * 2048 * 2048 + 2048ULL * 3 + 2048ULL * 2048;
  CHECK(conv == 16'783'360ULL);
  const std::uint64_t attention = 2ULL * 2048 * 2048 + 2ULL * 512 * 2048 + 2ULL * 64;
  CHECK(attention == 10'485'888ULL);
  const std::uint64_t ffn = 3ULL * 8192 * 2048 + 2ULL * 2048;
  const std::uint64_t expected = 10 * conv + 6 * attention + 16 * ffn + 65'536ULL * 2048 + 2048;
  // Published: LiquidAI's model card table (LFM2-1.2B, "Parameters: 1,170,340,608"), also the
  // transformers parameter sum of the LFM2.5-1.2B checkpoints, which share the shapes.
  CHECK(expected == 1'170'340'608ULL);
  const Model m = test::model("lfm2-1.2b");
  REQUIRE(m.config.intermediate_size == 8192);
  REQUIRE(m.config.n_attention_layers() == 6);
  REQUIRE(m.config.recurrent->n_layers() == 10);
  CHECK(m.params->total == expected);
}

TEST_CASE("Qwen3 4B, 14B and 32B: the published counts", "[parameters]") {
  // Qwen3Attention (transformers modeling_qwen3.py): q [heads·128, h], k and v [8·128, h], o [h, heads·128],
  // no biases, q_norm and k_norm [128]; SwiGLU MLP 3·h·I; two RMSNorms of h per layer; final norm h.
  const auto qwen3 = [](std::uint64_t h, std::uint64_t inter, std::uint64_t layers, std::uint64_t heads, bool tied) {
    const std::uint64_t per_layer = 2 * h * heads * 128 + 2 * h * 8 * 128 + 3 * h * inter + 2 * 128 + 2 * h;
    return layers * per_layer + (tied ? 1 : 2) * 151'936ULL * h + h;
  };
  // Published: keras-hub keras_hub/src/models/qwen3/qwen3_presets.py metadata "params" (exact counts of the
  // converted checkpoints): qwen3_4b_en 4,022,468,096, qwen3_14b_en 14,768,307,200, qwen3_32b_en 32,762,123,264.
  // Qwen3-4B ties its head to the embedding (tie_word_embeddings true), 14B and 32B do not.
  CHECK(qwen3(2560, 9728, 36, 32, true) == 4'022'468'096ULL);
  CHECK(qwen3(5120, 17408, 40, 40, false) == 14'768'307'200ULL);
  CHECK(qwen3(5120, 25600, 64, 64, false) == 32'762'123'264ULL);
  CHECK(test::model("qwen3-4b").params->total == 4'022'468'096ULL);
  CHECK(test::model("qwen3-14b").params->total == 14'768'307'200ULL);
  CHECK(test::model("qwen3-32b").params->total == 32'762'123'264ULL);
}

TEST_CASE("Phi-4: Phi-3's fused blocks at 14B", "[parameters]") {
  // transformers modeling_phi3.py, h = 5120, 40 query and 10 KV heads of 128: qkv_proj (5120 + 2·1280) × 5120 =
  // 39,321,600; o_proj 5120 × 5120 = 26,214,400; gate_up_proj 2·17920 × 5120 = 183,500,800; down_proj 5120 × 17920
  // = 91,750,400; two RMSNorms 10,240 -> 340,797,440 per layer; × 40 + untied embed and head 2 × 100352 × 5120 +
  // final norm 5120.
  const std::uint64_t per_layer = 7680ULL * 5120 + 5120ULL * 5120 + 3ULL * 17920 * 5120 + 2ULL * 5120;
  CHECK(per_layer == 340'797'440ULL);
  const std::uint64_t expected = 40 * per_layer + 2ULL * 100'352 * 5120 + 5120;
  // Published: 14,659,507,200 is general.parameter_count of microsoft/phi-4's GGUF conversions (Ollama's phi4
  // metadata and llama-server's n_params, quoted in several public files).
  CHECK(expected == 14'659'507'200ULL);
  CHECK(test::model("phi-4").params->total == expected);
}

TEST_CASE("OLMo-2-1124-13B: the 7B's blocks at h = 5120", "[parameters]") {
  // As the 7B above: q, k, v, o 4 × 5120² = 104,857,600; MLP 3 × 5120 × 13824 = 212,336,640; q_norm and k_norm
  // 2 × 40 × 128 = 10,240; post-attention and post-feedforward norms 10,240 -> 317,214,720 per layer.
  const std::uint64_t per_layer = 4ULL * 5120 * 5120 + 3ULL * 5120 * 13824 + 2ULL * 5120 + 2ULL * 5120;
  CHECK(per_layer == 317'214'720ULL);
  const std::uint64_t expected = 40 * per_layer + 2ULL * 100'352 * 5120 + 5120;
  // Published: 13,716,198,400 is the hub's safetensors parameter total for allenai/OLMo-2-1124-13B (revision
  // 3fefddc), as public hub-metadata tables record it.
  CHECK(expected == 13'716'198'400ULL);
  CHECK(test::model("olmo2-13b").params->total == expected);
}

TEST_CASE("Granite 4.0-H-Small: 36 Mamba-2 and 4 attention layers, 72 experts and a shared MLP in each",
          "[parameters]") {
  // The Granite 4.0-H-Tiny case above at h = 4096: Mamba-2 of 128 heads × 64 (inner 8192), state 128, one group;
  // 72 experts of 768 (top 10), a shared MLP of 1536; 32 query and 8 KV heads; tied head, vocabulary 100352.
  const std::uint64_t h = 4096, inner = 8192, conv_dim = inner + 2 * 128;
  const std::uint64_t mamba = (inner + conv_dim + 128) * h + conv_dim * 4 + conv_dim + 3 * 128 + inner + h * inner;
  const std::uint64_t attention = 2 * h * h + 2 * h * 8 * 128;
  const std::uint64_t ffn = 72 * h + 72 * 3 * h * 768 + 3 * h * 1536;  // router, experts, shared MLP
  const std::uint64_t expected = 36 * mamba + 4 * attention + 40 * (ffn + 2 * h) + 100'352 * h + h;
  // Published: 32,207,337,984 is llama-server's n_params for unsloth's granite-4.0-h-small-Q8_0.gguf (a public
  // llama-swap model list quoting /props), the GGUF conversion of ibm-granite/granite-4.0-h-small.
  CHECK(expected == 32'207'337'984ULL);
  const Model m = test::model("granite-4.0-h-small");
  CHECK(m.params->total == expected);
  // Active: 62 idle experts of 72 in 40 layers leave 8,803,121,664 (the card's "~9B active").
  CHECK(m.params->active == expected - 40ULL * 62 * 3 * h * 768);
  CHECK(m.params->active == 8'803'121'664ULL);
}

TEST_CASE("GLM-4-0414 (glm4): four RMSNorms per layer, fused gate_up, q/k/v biases", "[parameters]") {
  // transformers modular_glm4.py: Glm4Attention = GlmAttention (q/k/v biased when attention_bias, o_proj not),
  // Glm4MLP = Phi3MLP (gate_up_proj [2·I, h], down_proj [h, I]), input_layernorm, post_self_attn_layernorm,
  // post_attention_layernorm, post_mlp_layernorm. Glm4Config's defaults are GLM-4-9B-0414's: h = 4096, I = 13696,
  // 40 layers, 32 heads and 2 KV heads of 128, attention_bias true, vocabulary 151552, untied head.
  // Per layer: q and o 2 × 4096² = 33,554,432; k and v 2 × 256 × 4096 = 2,097,152; biases 4096 + 2 × 256 = 4608;
  // MLP 3 × 4096 × 13696 = 168,296,448; norms 4 × 4096 = 16,384 -> 203,969,024.
  const std::uint64_t nine_b_layer = 2ULL * 4096 * 4096 + 2ULL * 256 * 4096 + 4608 + 3ULL * 4096 * 13696 + 4 * 4096;
  CHECK(nine_b_layer == 203'969'024ULL);
  const std::uint64_t nine_b = 40 * nine_b_layer + 2ULL * 151'552 * 4096 + 4096;
  // Published: 9,400,279,040 is llama-server's n_params for unsloth's GLM-4.6V-Flash-BF16.gguf, the glm4 text
  // model of GLM-4.6V-Flash (n_vocab 151552, n_embd 4096, n_ctx_train 131072; the vision tower is the separate
  // mmproj file), quoted in a public llama-swap model list; its shapes are Glm4Config's defaults.
  CHECK(nine_b == 9'400'279'040ULL);
  const auto defaults = make_model("glm4", std::nullopt,
                                   parse_model_config(R"({"model_type": "glm4", "num_hidden_layers": 40})", "g.json"));
  CHECK(defaults.params->total == nine_b);

  // GLM-4-32B-0414 (and GLM-Z1-32B-0414, the same shapes): h = 6144, I = 23040, 61 layers, 48 heads and 2 KV heads
  // of 128, attention_bias false (its GGUF files hold no attn_q/k/v.bias). Per layer: q and o 2 × 6144² =
  // 75,497,472; k and v 2 × 256 × 6144 = 3,145,728; MLP 3 × 6144 × 23040 = 424,673,280; norms 4 × 6144 = 24,576
  // -> 503,341,056. No exact published count was found for it; the by-hand sum is asserted, and the token
  // embedding alone matches llama.cpp's CPU_Mapped buffer of the IQ4_XS file in the validation case
  // (151552 × 6144 values at 136 bytes per 256 = 494,665,728 B = 471.75 MiB).
  const std::uint64_t layer = 2ULL * 6144 * 6144 + 2ULL * 256 * 6144 + 3ULL * 6144 * 23040 + 4 * 6144;
  CHECK(layer == 503'341'056ULL);
  const std::uint64_t expected = 61 * layer + 2ULL * 151'552 * 6144 + 6144;
  CHECK(expected == 32'566'081'536ULL);
  CHECK(test::model("glm4-32b").params->total == expected);
}

TEST_CASE("Gemma 3n E4B and E2B: the text model, exactly (AltUp, LAuReL, per-layer embeddings)", "[parameters]") {
  // transformers modeling_gemma3n.py, h = 2048, 8 query and 2 KV heads of 256, AltUp n = 4, LAuReL r = 64,
  // per-layer inputs p = 256 from a 262,144-row table, vocabulary 262,400, tied head. Per decoder layer:
  //   attention q, o 2 × 2048 × 2048 + k, v 2 × 512 × 2048 + q_norm, k_norm 2 × 256 = 10,486,272 (v_norm has no
  //     weight; the KV-sharing layers keep their k_proj and v_proj)
  //   four RMSNorms 4 × 2048 = 8,192
  //   AltUp: correct_output_scale 2048 + correction_coefs 4 × 4 + prediction_coefs 16 × 4 + modality_router
  //     4 × 2048 + router_norm 2048 = 12,368
  //   LAuReL: linear_left 64 × 2048 + linear_right 2048 × 64 + post_laurel_norm 2048 = 264,192
  //   per-layer input gate 256 × 2048 + projection 2048 × 256 + post_per_layer_input_norm 2048 = 1,050,624
  //   -> 11,821,648 besides the MLP (3 × 2048 × I: E4B I = 16384, E2B I = 8192).
  // Model: embed_tokens 262,400 × 2048 = 537,395,200; altup_projections and altup_unembed_projections
  //   6 × 2048² = 25,165,824; final norm 2048; embed_tokens_per_layer 262,144 × L·256; per_layer_model_projection
  //   L·256 × 2048; per_layer_projection_norm 256.
  const std::uint64_t rest = 10'486'272ULL + 8192 + 12'368 + 264'192 + 1'050'624;
  CHECK(rest == 11'821'648ULL);
  const auto text = [&](std::uint64_t L, std::uint64_t I) {
    return L * (rest + 3 * 2048 * I) + 537'395'200ULL + 25'165'824ULL + 2048 + 262'144ULL * L * 256 + L * 256 * 2048 +
           256;
  };
  const ParameterCount e4b = *test::model("gemma3n-e4b").params;
  const ParameterCount e2b = *test::model("gemma3n-e2b").params;
  CHECK(text(35, 16384) == 6'866'696'688ULL);
  CHECK(text(30, 8192) == 4'456'156'768ULL);
  // The text model is the total less the towers and embedders (the vision role; next test case).
  CHECK(e4b.total - e4b.vision == text(35, 16384));
  CHECK(e2b.total - e2b.vision == text(30, 8192));
  // No exact published count of the text model alone was found. Google's gemma3n-slicing-configs table gives the
  // "effective" parameters, the text model less its two embedding tables, rounded: 3.98 B (E4B) and 1.91 B (E2B).
  const std::uint64_t e4b_effective = text(35, 16384) - 262'144ULL * 35 * 256 - 537'395'200ULL;
  const std::uint64_t e2b_effective = text(30, 8192) - 262'144ULL * 30 * 256 - 537'395'200ULL;
  CHECK(e4b_effective == 3'980'491'248ULL);  // 3.98 B
  CHECK(e2b_effective == 1'905'495'648ULL);  // 1.91 B
  CHECK(e4b.embedding == 537'395'200ULL + 262'144ULL * 35 * 256);
}

TEST_CASE("GLM-4.7 (GLM-4.5 and 4.6 shapes): 3 dense and 89 MoE layers of 160 experts, QK-norm, an MTP layer",
          "[parameters]") {
  // The GLM-4.5-Air case above at h = 5120, 96 query and 8 KV heads of 128, use_qk_norm true:
  //   attention q and o 2 × 12288 × 5120, k and v 2 × 1024 × 5120, biases 12288 + 2048, q_norm and k_norm
  //   2 × 128, input and post-attention norms 2 × 5120 -> 136,339,712 per layer
  //   layers 0-2 (first_k_dense_replace 3): dense MLP 3 × 5120 × 12288 = 188,743,680
  //   layers 3-91: router 160 × 5120 + e_score_correction_bias 160; 160 experts and a shared one of 1536:
  //     161 × 3 × 5120 × 1536 -> 3,799,285,920
  //   embed and untied head 2 × 151552 × 5120; final norm 5120.
  const std::uint64_t layer = 2ULL * 12288 * 5120 + 2ULL * 1024 * 5120 + 12288 + 2048 + 2 * 128 + 2ULL * 5120;
  const std::uint64_t moe = 160ULL * 5120 + 160 + 161ULL * 3 * 5120 * 1536;
  CHECK(layer == 136'339'712ULL);
  CHECK(moe == 3'799'285'920ULL);
  const std::uint64_t expected = 92 * layer + 3 * 188'743'680ULL + 89 * moe + 2ULL * 151'552 * 5120 + 5120;
  const ParameterCount p = *test::model("glm4.7").params;
  CHECK(p.total == expected);
  CHECK(p.total == 352'797'829'024ULL);
  // model.layers.92 (num_nextn_predict_layers 1): a MoE layer, enorm, hnorm, shared_head.norm, eh_proj
  // [5120, 10240] and its own embedding and head.
  CHECK(p.mtp_extra == layer + moe + 3ULL * 5120 + 5120ULL * 10240 + 2ULL * 151'552 * 5120);
  // Published: 358,337,791,296 is the hub's safetensors parameter total for zai-org/GLM-4.5 (public tables of
  // hub totals record it; GLM-4.6 and GLM-4.7 keep its shapes), the checkpoint with its MTP layer.
  CHECK(p.checkpoint_values() == 358'337'791'296ULL);
}

TEST_CASE("OLMo-2-0325-32B: GQA with q/k norms over all heads", "[parameters]") {
  // As the 7B above, h = 5120, 40 query and 8 KV heads of 128: q and o 2 × 5120² = 52,428,800; k and v
  // 2 × 1024 × 5120 = 10,485,760; q_norm 40 × 128 = 5120 and k_norm 8 × 128 = 1024 (Olmo2Attention norms the whole
  // projections); MLP 3 × 5120 × 27648 = 424,673,280; post-attention and post-feedforward norms 10,240
  // -> 487,604,224 per layer; × 64 + untied embed and head 2 × 100352 × 5120 + final norm 5120.
  const std::uint64_t per_layer =
      2ULL * 5120 * 5120 + 2ULL * 1024 * 5120 + 5120 + 1024 + 3ULL * 5120 * 27648 + 2ULL * 5120;
  CHECK(per_layer == 487'604'224ULL);
  const std::uint64_t expected = 64 * per_layer + 2ULL * 100'352 * 5120 + 5120;
  // Published: 32,234,279,936 is OLMo 2 32B's parameter count in a public table of model sizes and training
  // compute (the same table gives OLMo 2 13B the hub total 13,716,198,400 checked above).
  CHECK(expected == 32'234'279'936ULL);
  CHECK(test::model("olmo2-32b").params->total == expected);
}

TEST_CASE("MiniMax-M1: 70 lightning-attention and 10 softmax layers, MoE 2 of 32 in all 80", "[parameters]") {
  // MiniMaxAI/MiniMax-M1-80k config.json (models/minimax-m1-80k.json): hidden 6144, 64 heads of 128,
  // 8 KV heads, 32 experts of 9216, vocabulary 200064, untied.
  //   lightning layer: qkv_proj 3 × 8192 × 6144 + output_gate 8192 × 6144 + out_proj 6144 × 8192 + norm 8192
  //                    = 150,994,944 + 50,331,648 + 50,331,648 + 8,192 = 251,666,432
  //   softmax layer:   q 8192 × 6144 + k, v 2 × 1024 × 6144 + o 6144 × 8192 = 113,246,208
  //   every layer:     32 experts × 3 × 9216 × 6144 = 5,435,817,984 + gate 32 × 6144 + 2 norms × 6144
  //   embeddings:      2 × 200064 × 6144 = 2,458,386,432, final norm 6144
  const std::uint64_t lightning = 3ULL * 8192 * 6144 + 2ULL * 8192 * 6144 + 8192;
  const std::uint64_t softmax = 2ULL * 8192 * 6144 + 2ULL * 1024 * 6144;
  const std::uint64_t expert = 3ULL * 9216 * 6144;
  const std::uint64_t layer_rest = 32 * expert + 32ULL * 6144 + 2ULL * 6144;
  const std::uint64_t total = 70 * lightning + 10 * softmax + 80 * layer_rest + 2ULL * 200064 * 6144 + 6144;
  // Published: 456,089,655,296, the hub's safetensors total for MiniMaxAI/MiniMax-M1-80k and -40k (as a
  // public table of hub model sizes quotes it); the model card's "456B total".
  CHECK(total == 456'089'655'296ULL);
  const Model m = test::model("minimax-m1-80k");
  CHECK(m.params->total == total);
  // Active per token: 2 of 32 experts in each of the 80 layers: 456,089,655,296 − 80 × 30 × 169,869,312
  // = 456,089,655,296 − 407,686,348,800 = 48,403,306,496 (the card's 45.9B leaves out the 2,458,386,432
  // of embeddings).
  CHECK(m.params->active == total - 80ULL * 30 * expert);
  CHECK(m.params->active == 48'403'306'496ULL);
  // transformers' own model_type minimax names the same layers by layer_types.
  std::string types;
  for (int i = 0; i < 80; ++i)
    types += std::string(i ? ", " : "") + (i % 8 == 7 ? "\"full_attention\"" : "\"linear_attention\"");
  const ModelConfig c = parse_model_config(
      R"({"model_type": "minimax", "hidden_size": 6144, "num_hidden_layers": 80, "num_attention_heads": 64,
          "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 200064, "intermediate_size": 9216,
          "num_local_experts": 32, "num_experts_per_tok": 2, "layer_types": [)" +
          types + "]}",
      "minimax.json");
  CHECK(count_parameters(c).total == total);
  CHECK_THROWS_AS(parse_model_config(R"({"model_type": "minimax_m1", "hidden_size": 64, "num_hidden_layers": 2,
      "num_attention_heads": 4, "vocab_size": 10, "intermediate_size": 8, "num_local_experts": 2,
      "num_experts_per_tok": 1, "attn_type_list": [0, 2]})",
                                     "bad.json"),
                  InputError);
}

TEST_CASE("multilingual-e5-large: XLM-RoBERTa large, as published", "[parameters][encoder]") {
  // models/multilingual-e5-large.json (intfloat/multilingual-e5-large's config.json as OpenSearch's model
  // registration quotes it): hidden 1024, 24 layers, intermediate 4096, 514 positions, vocabulary 250002.
  //   embeddings 250002 × 1024 = 256,002,048 + positions 514 × 1024 = 526,336 + token type 1024 + LayerNorm 2048
  //   each layer: q, k, v, o 4 × (1024 × 1024 + 1024) = 4,198,400 + MLP 1024 × 4096 + 4096 + 4096 × 1024 + 1024
  //               = 8,393,728 + two LayerNorms 4096 = 12,596,224; × 24 = 302,309,376
  //   pooler 1024 × 1024 + 1024 = 1,049,600
  const std::uint64_t total = 250002ULL * 1024 + 514ULL * 1024 + 1024 + 2048 +
                              24 * (4 * (1024ULL * 1024 + 1024) + 2 * 1024ULL * 4096 + 4096 + 1024 + 4096) +
                              1024ULL * 1024 + 1024;
  // Published: 559,890,432 (a public table of hub safetensors totals gives intfloat/multilingual-e5-large-instruct,
  // the same shapes, 559,890,432, and intfloat/multilingual-e5-large 559,890,946: that checkpoint also stores
  // the [1, 514] position_ids buffer, 514 integers that are not parameters; code index id 71142266638);
  // xlm-roberta-large 559,890,432 in a public model-size list (code index id 16158615188).
  CHECK(total == 559'890'432ULL);
  CHECK(test::model("multilingual-e5-large").params->total == total);
}

TEST_CASE("Gemma 3n E4B and E2B: audio and vision towers and embedders, the published totals exactly", "[parameters]") {
  // Audio tower (transformers modeling_gemma3n.py Gemma3nAudioEncoder; audio_config: a = 1536, 12 conformer
  // blocks, 8 heads, conf_conv_kernel_size 5, input_feat_size 128, sscp channels (128, 32), 3 × 3 kernels,
  // stride 2):
  //   subsampling: conv_0 128 × 1 × 3 × 3 = 1,152 and conv_1 32 × 128 × 3 × 3 = 36,864 (no bias), their
  //     group-norm weights 128 + 32; frequency bins 128 -> (128 + 2 − 3) / 2 + 1 = 64 -> (64 + 2 − 3) / 2 + 1 = 32,
  //     so input_proj_linear 1536 × (32 × 32) = 1,572,864 -> 1,611,040
  //   per block: two feed-forwards 2 × (2 × 4a² + 2a), attention 5a² (q, k, v, pos_proj, post) + 2a + per_dim_scale
  //     a / 8 = 192, light conv 3a² (linear_start 2a², linear_end a²) + 5a (depthwise) + 2a, block norm a
  //     -> 24a² + 14a + 192 = 56,623,104 + 21,504 + 192 = 56,644,800; 12 blocks 679,737,600
  //   -> 681,348,640.
  const std::uint64_t a = 1536;
  const std::uint64_t subsample = 128ULL * 9 + 32ULL * 128 * 9 + 128 + 32 + a * 32 * 32;
  const std::uint64_t block = 24 * a * a + 14 * a + a / 8;
  CHECK(subsample == 1'611'040ULL);
  CHECK(block == 56'644'800ULL);
  const std::uint64_t audio = subsample + 12 * block;
  CHECK(audio == 681'348'640ULL);
  // Gemma3nMultimodalEmbedder: embedding [128, m] + hard and soft norms 2m + embedding_projection [2048, m]
  // (the post-projection norm has no weight): embed_audio m = 1536 -> 3,345,408; embed_vision m = 2048 -> 4,460,544.
  const auto embedder = [](std::uint64_t m) { return 128 * m + 2 * m + 2048 * m; };
  CHECK(embedder(1536) == 3'345'408ULL);
  CHECK(embedder(2048) == 4'460'544ULL);
  // Vision tower (timm mobilenetv5.py MobileNetV5Encoder "mobilenetv5_300m_enc"; convs without bias but the
  // stem's, each followed by an RmsNorm2d weight; UIR and MQA blocks end with a layer-scale gamma [out]):
  //   conv_stem 64 × 3 × 3 × 3 + bias 64 + norm 64 = 1,856
  //   stage 0, EdgeResidual k3 e4 to 128: 64 -> 256·64·9 + 256 + 128·256 + 128 = 180,608; twice from 128:
  //     512·128·9 + 512 + 128·512 + 128 = 656,000
  //   UIR (dw_start a×a, pw_exp in -> e·in, dw_mid k×k, pw_proj -> out, norms, gamma) =
  //     [a² in + in] + (in·e·in + in·e) + [k² in·e + in·e] + (in·e·out + out) + out
  //   stage 1: a3 k5 e6 128 -> 256: dw_start 9·128 + 128, pw_exp 128·768 + 768, dw_mid 25·768 + 768, pw_proj
  //     768·256 + 256, gamma 256 = 317,440; then a5 e4, a3 e4, a5 e4, a3 e4 at 256: 532,480, 528,384 (twice each)
  //   stage 2: a5 k5 e6 256 -> 640: 1,425,664; 7 × a5 e4 at 640: 3,297,280; e1 at 640: 821,120; then 14 pairs of
  //     MQA (12 heads, d 64, kv stride 2: norm 640, query 768·640, key and value down_conv 640·9 + norm 640 each,
  //     proj 64·640 each, output 640·768, gamma 640) = 1,079,040 and UIR e2 at 640 = 1,640,960
  //   stage 3: a5 k5 e6 640 -> 1280: 7,495,680; 19 pairs of MQA (16 heads, d 96, no kv stride) = 4,180,480 and
  //     UIR e2 at 1280 = 6,558,720
  //   msfa: pw_exp 1920 -> 3840 and its norm, pw_proj 3840 -> 2048 and its norm, final norm 2048 = 15,245,056
  //   -> 294,126,912 (timm results/benchmark-infer-*-pt291-*.csv: mobilenetv5_300m_enc param_count 294.13 M).
  const auto uir = [](std::uint64_t start, std::uint64_t mid, std::uint64_t e, std::uint64_t in, std::uint64_t out) {
    const std::uint64_t x = in * e;
    return (start ? start * start * in + in : 0) + in * x + x + (mid ? mid * mid * x + x : 0) + x * out + 2 * out;
  };
  CHECK(uir(3, 5, 6, 128, 256) == 317'440ULL);
  const std::uint64_t mqa640 = 640 + 640ULL * 768 + 2 * (640 * 9 + 640) + 2 * 640 * 64 + 768ULL * 640 + 640;
  const std::uint64_t mqa1280 = 1280 + 1280ULL * 1536 + 2 * 1280 * 96 + 1536ULL * 1280 + 1280;
  CHECK(mqa640 == 1'079'040ULL);
  CHECK(mqa1280 == 4'180'480ULL);
  const std::uint64_t vision = 1856 + 180'608 + 2 * 656'000 + uir(3, 5, 6, 128, 256) + 2 * uir(5, 0, 4, 256, 256) +
                               2 * uir(3, 0, 4, 256, 256) + uir(5, 5, 6, 256, 640) + 7 * uir(5, 0, 4, 640, 640) +
                               uir(0, 0, 1, 640, 640) + 14 * (mqa640 + uir(0, 0, 2, 640, 640)) +
                               uir(5, 5, 6, 640, 1280) + 19 * (mqa1280 + uir(0, 0, 2, 1280, 1280)) +
                               (1920ULL * 3840 + 3840 + 3840ULL * 2048 + 2048 + 2048);
  CHECK(vision == 294'126'912ULL);
  const std::uint64_t towers = audio + embedder(1536) + vision + embedder(2048);
  CHECK(towers == 983'281'504ULL);
  const ParameterCount e4b = *test::model("gemma3n-e4b").params;
  const ParameterCount e2b = *test::model("gemma3n-e2b").params;
  CHECK(e4b.vision == towers);  // the same towers in both (their audio_config and vision_config are equal)
  CHECK(e2b.vision == towers);
  // The text models (previous test case) plus the towers are the Hugging Face Hub's safetensors totals of
  // google/gemma-3n-E4B-it and google/gemma-3n-E2B-it, 7,849,978,192 and 5,439,438,272 (the Hub API's
  // ?expand[]=safetensors "raw parameters (BF16 checkpoint)", and an E2B model card's "5,439,438,272 parameters
  // (safetensors metadata)", public documents found by searching the digits). keras-hub's
  // keras_hub/src/models/gemma3n/gemma3n_presets.py gives 7,850,135,376 and 5,439,595,456: 157,184 more, the conv
  // biases its MobileNetV5 adds beside RMS norms (mobilenetv5_blocks.py use_bias = norm_layer == "rms_norm";
  // mobilenetv5_presets.py counts the tower as 294,284,096); its text, audio and embedder counts agree with ours.
  CHECK(e4b.total == 6'866'696'688ULL + towers);
  CHECK(e2b.total == 4'456'156'768ULL + towers);
  CHECK(e4b.total == 7'849'978'192ULL);
  CHECK(e2b.total == 5'439'438'272ULL);
  // The towers run once per image or audio clip, not per text token.
  CHECK(e4b.active == e4b.total - towers);
}
