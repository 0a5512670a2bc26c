// The `state` component of hybrid and state-space models, and KV only for their attention layers.
#include <catch2/catch.hpp>

#include "llmmem/engine.hpp"
#include "llmmem/recurrent_state.hpp"
#include "test_support.hpp"

using namespace llmmem;

namespace {

Request infer_on(const char* engine, std::uint64_t batch, std::uint64_t seq) {
  Request r = test::infer(nullptr, batch, seq);
  r.engine = &find_engine(engine);
  return r;
}

}  // namespace

TEST_CASE("Nemotron Nano 9B v2 under vLLM: KV for its 4 attention layers, state as vLLM's MambaSpec page", "[state]") {
  const Model m = test::model("nemotron-nano-9b-v2");
  REQUIRE(m.config.n_attention_layers() == 4);
  REQUIRE(m.config.recurrent->n_layers() == 27);
  const Estimate e = estimate(m, infer_on("vllm", 1, 8192));
  // KV: 4 attention layers × 8192 tokens × 2 (K, V) × 8 kv heads × 128 head_dim × 2 B = 134,217,728
  // (all 56 layers counted as attention would be 14 times that).
  CHECK(test::bytes_of(e, "kv_cache") == 4ULL * 8192 * 2 * 8 * 128 * 2);
  // vLLM's per-sequence page of one Mamba layer (kv_cache_interface.py MambaSpec.page_size_bytes: the
  // sum of its state shapes × dtype sizes; shapes from mamba_utils.py mamba2_state_shape at tp 1):
  //   conv (conv_kernel - 1, inner + 2·n_groups·state) = (3, 128·80 + 2·8·128) = (3, 12288) in bf16:
  //     3 × 12288 × 2 = 73,728
  //   ssm (heads, head_dim, state) = (128, 80, 128) in float32 (NemotronHForCausalLMConfig's
  //     default mamba_ssm_cache_dtype): 128 × 80 × 128 × 4 = 5,242,880
  // page 5,316,608 B; × 27 Mamba layers = 143,548,416 for the one sequence.
  CHECK(test::bytes_of(e, "state") == 27ULL * (3ULL * 12288 * 2 + 128ULL * 80 * 128 * 4));
  CHECK(test::sums_to_total(e));
}

TEST_CASE("the recurrent state scales with the batch, not with the context", "[state]") {
  const Model m = test::model("nemotron-nano-9b-v2");
  const auto one = test::bytes_of(estimate(m, infer_on("vllm", 1, 1024)), "state");
  CHECK(test::bytes_of(estimate(m, infer_on("vllm", 1, 65536)), "state") == one);
  CHECK(test::bytes_of(estimate(m, infer_on("vllm", 8, 1024)), "state") == 8 * one);
}

TEST_CASE("tensor parallelism splits the conv channels and the SSM heads", "[state]") {
  Request r = infer_on("vllm", 1, 4096);
  r.layout.tp = 2;
  // tp 2: conv (3, 12288 / 2) bf16 = 36,864; ssm (128 / 2, 80, 128) fp32 = 2,621,440; n_groups 8 divides.
  CHECK(test::bytes_of(estimate(test::model("nemotron-nano-9b-v2"), r), "state") ==
        27ULL * (3ULL * 6144 * 2 + 64ULL * 80 * 128 * 4));
}

TEST_CASE("llama.cpp keeps r and s states in F32: n_embd_r and n_embd_s of llama-hparams.cpp", "[state]") {
  // n_embd_r = (ssm_d_conv - 1) × (ssm_d_inner + 2·ssm_n_group·ssm_d_state) = 3 × (10240 + 2048) = 36,864
  // n_embd_s = ssm_d_state × ssm_d_inner = 128 × 10240 = 1,310,720; both f32 (create_memory: type_r =
  // type_s = GGML_TYPE_F32), 27 recurrent layers, 2 sequences.
  CHECK(test::bytes_of(estimate(test::model("nemotron-nano-9b-v2"), infer_on("llama.cpp", 2, 4096)), "state") ==
        2ULL * 27 * (36'864 + 1'310'720) * 4);
}

TEST_CASE("Mamba-Codestral: no KV cache at all, the state in the model dtype under transformers", "[state]") {
  const Estimate e = estimate(test::model("mamba-codestral-7b"), test::infer(nullptr, 1, 32768));
  CHECK(test::bytes_of(e, "kv_cache") == 0);
  // Mamba2Cache in bf16: conv 3 × (8192 + 2·8·128) × 2 = 61,440; ssm 128 × 64 × 128 × 2 = 2,097,152;
  // 64 layers: 138,149,888.
  CHECK(test::bytes_of(e, "state") == 64ULL * (3ULL * 10240 * 2 + 128ULL * 64 * 128 * 2));
  CHECK(test::sums_to_total(e));
}

TEST_CASE("Gated DeltaNet state matches llama.cpp's RS buffer for Qwen3.5-0.8B", "[state]") {
  // A published llama-server log of Qwen3.5-0.8B Q4_K_M (arch qwen35, n_seq_max 4):
  //   qwen35.ssm.conv_kernel 4, state_size 128, group_count 16, time_step_rank 16, inner_size 2048,
  //   full_attention_interval 4 (24 layers: 18 Gated DeltaNet, 6 attention)
  //   "llama_memory_recurrent: size = 77.06 MiB (4 cells, 24 layers, 4 seqs), R (f32): 5.06 MiB,
  //    S (f32): 72.00 MiB"
  // In Qwen3-Next terms: 16 key heads × 128, 16 value heads × 128 (inner_size = value heads × dim).
  RecurrentConfig g;
  g.kind = RecurrentKind::gated_deltanet;
  g.conv_kernel = 4;
  g.n_k_heads = 16;
  g.k_head_dim = 128;
  g.n_v_heads = 16;
  g.v_head_dim = 128;
  const RecurrentStateShape s = recurrent_state_shape(g, 1);
  // conv: 3 × (2 × 2048 + 2048) = 18,432 values; recurrent: 16 × 128 × 128 = 262,144 values
  CHECK(s.conv_values == 18'432);
  CHECK(s.ssm_values == 262'144);
  const RecurrentStateBytes b = recurrent_state_bytes(g, find_engine("llama.cpp"), 2);
  CHECK((b.conv == 4 && b.ssm == 4));
  // R: 4 seqs × 18 layers × 18,432 × 4 B = 5,308,416 B = 5.0625 MiB (logged 5.06)
  CHECK(4ULL * 18 * s.conv_values * b.conv == 5'308'416ULL);
  // S: 4 × 18 × 262,144 × 4 B = 75,497,472 B = 72.00 MiB (logged 72.00)
  CHECK(4ULL * 18 * s.ssm_values * b.ssm == 72ULL << 20);
}

TEST_CASE("Qwen3-Next-80B-A3B under vLLM: KV for its 12 attention layers, state for its 36 DeltaNet layers",
          "[state]") {
  const Model m = test::model("qwen3-next-80b-a3b");
  REQUIRE(m.config.n_attention_layers() == 12);
  REQUIRE(m.config.recurrent->n_layers() == 36);
  const Estimate e = estimate(m, infer_on("vllm", 1, 8192));
  // KV: 12 attention layers × 8192 tokens × 2 (K, V) × 2 kv heads × 256 head_dim × 2 B = 201,326,592
  // (all 48 layers counted as attention would be 4 times that).
  CHECK(test::bytes_of(e, "kv_cache") == 12ULL * 8192 * 2 * 2 * 256 * 2);
  // vLLM mamba_utils.py gated_delta_net_state_shape at tp 1:
  //   conv (conv_kernel - 1, 2·16·128 + 32·128) = (3, 8192); recurrent (32, 128, 128);
  // both in the model dtype, bf16 (gated_delta_net_state_dtype: mamba_cache_dtype and
  // mamba_ssm_cache_dtype "auto"): 3 × 8192 × 2 = 49,152 + 32 × 128 × 128 × 2 = 1,048,576 per layer,
  // × 36 DeltaNet layers = 39,518,208 for the one sequence.
  CHECK(test::bytes_of(e, "state") == 36ULL * (3ULL * 8192 * 2 + 32ULL * 128 * 128 * 2));
  CHECK(test::sums_to_total(e));
  // tp 2 splits the conv channels and the value heads: (3, 4096) and (16, 128, 128).
  Request r = infer_on("vllm", 1, 8192);
  r.layout.tp = 2;
  CHECK(test::bytes_of(estimate(m, r), "state") == 36ULL * (3ULL * 4096 * 2 + 16ULL * 128 * 128 * 2));
}

TEST_CASE("Jamba 1.5 Mini under vLLM: KV for its 4 attention layers, Mamba-1 state for the other 28", "[state]") {
  const Model m = test::model("jamba-mini-1.5");
  REQUIRE(m.config.n_attention_layers() == 4);
  REQUIRE(m.config.recurrent->n_layers() == 28);
  REQUIRE(m.config.recurrent->kind == RecurrentKind::mamba1);
  const Estimate e = estimate(m, infer_on("vllm", 1, 8192));
  // KV: 4 attention layers (i % 8 == 4) × 8192 tokens × 2 (K, V) × 8 kv heads × 128 head_dim × 2 B
  // = 134,217,728 (all 32 layers counted as attention would be 8 times that).
  CHECK(test::bytes_of(e, "kv_cache") == 4ULL * 8192 * 2 * 8 * 128 * 2);
  // vLLM mamba_utils.py mamba1_state_shape at tp 1, d_inner = mamba_expand × hidden = 2 × 4096 = 8192:
  //   conv (mamba_d_conv - 1, d_inner) = (3, 8192): 24,576 values; temporal (d_inner, mamba_d_state)
  //   = (8192, 16): 131,072 values; both in the model dtype, bf16 (mamba1_state_dtype ->
  //   _mamba_state_dtype, mamba_cache_dtype and mamba_ssm_cache_dtype "auto"):
  //   3 × 8192 × 2 = 49,152 + 8192 × 16 × 2 = 262,144 -> 311,296 B per layer and sequence;
  //   × 28 Mamba layers = 8,716,288 B for one sequence.
  const RecurrentStateShape s = recurrent_state_shape(*m.config.recurrent, 1);
  CHECK(s.conv_values == 3ULL * 8192);
  CHECK(s.ssm_values == 8192ULL * 16);
  CHECK(test::bytes_of(e, "state") == 28ULL * (3ULL * 8192 * 2 + 8192ULL * 16 * 2));
  CHECK(test::bytes_of(e, "state") == 8'716'288ULL);
  CHECK(test::sums_to_total(e));
  // Batch 8: eight sequences' states, 8 × 8,716,288 = 69,730,304 B, whatever the context.
  CHECK(test::bytes_of(estimate(m, infer_on("vllm", 8, 1024)), "state") == 69'730'304ULL);
  CHECK(test::bytes_of(estimate(m, infer_on("vllm", 8, 65536)), "state") == 69'730'304ULL);
  // tp 2 splits d_inner: conv (3, 4096), temporal (4096, 16).
  Request r = infer_on("vllm", 1, 8192);
  r.layout.tp = 2;
  CHECK(test::bytes_of(estimate(m, r), "state") == 28ULL * (3ULL * 4096 * 2 + 4096ULL * 16 * 2));
  // llama.cpp (F32 r and s): n_embd_r = (ssm_d_conv - 1) × ssm_d_inner = 3 × 8192 = 24,576 and
  // n_embd_s = ssm_d_state × ssm_d_inner = 16 × 8192 = 131,072 (llama-hparams.cpp, Mamba-1: n_group 0);
  // 8 sequences × 28 layers × (24,576 + 131,072) × 4 B = 139,460,608.
  CHECK(test::bytes_of(estimate(m, infer_on("llama.cpp", 8, 4096)), "state") == 139'460'608ULL);
}

TEST_CASE("Phi-3-small's blocksparse layers cache every token, as dense attention", "[state][kv]") {
  const Estimate e = estimate(test::model("phi3-small"), test::infer(nullptr, 1, 2048));
  // 32 layers × 2048 tokens × 2 × 8 kv heads × 128 × 2 B = 268,435,456; no recurrent state.
  CHECK(test::bytes_of(e, "kv_cache") == 268'435'456ULL);
  CHECK(e.find("state") == nullptr);
  CHECK(test::bytes_of(estimate(test::model("phi3-small"), test::train()), "weights") > 0);
}

TEST_CASE("Mamba 2.8B under vLLM: no KV cache, Mamba-1 state in all 64 layers", "[state]") {
  const Model m = test::model("mamba-2.8b");
  REQUIRE(m.config.n_attention_layers() == 0);
  REQUIRE(m.config.recurrent->n_layers() == 64);
  REQUIRE(m.config.recurrent->kind == RecurrentKind::mamba1);
  Request r = infer_on("vllm", 1, 8192);
  r.precision = &find_precision("bf16");
  const Estimate e = estimate(m, r);
  CHECK(test::bytes_of(e, "kv_cache") == 0);
  // vLLM mamba_utils.py mamba1_state_shape at tp 1, d_inner = intermediate_size = expand × hidden = 5120:
  //   conv (conv_kernel - 1, d_inner) = (3, 5120): 15,360 values; temporal (d_inner, state_size)
  //   = (5120, 16): 81,920 values; both in the model dtype (mamba1_state_dtype -> _mamba_state_dtype,
  //   mamba_ssm_cache_dtype "auto"), bf16 here: 30,720 + 163,840 = 194,560 B per layer and sequence;
  //   × 64 layers = 12,451,840 B for one sequence, whatever the context.
  const RecurrentStateShape s = recurrent_state_shape(*m.config.recurrent, 1);
  CHECK(s.conv_values == 3ULL * 5120);
  CHECK(s.ssm_values == 5120ULL * 16);
  CHECK(test::bytes_of(e, "state") == 64ULL * (3ULL * 5120 * 2 + 5120ULL * 16 * 2));
  CHECK(test::bytes_of(e, "state") == 12'451'840ULL);
  CHECK(test::sums_to_total(e));
  // The checkpoint's own dtype (torch_dtype float32, no --precision) keeps both states at 4 B: twice that.
  CHECK(test::bytes_of(estimate(m, infer_on("vllm", 1, 8192)), "state") == 24'903'680ULL);
  // llama.cpp (F32 r and s): n_embd_r = (ssm_d_conv - 1) × ssm_d_inner = 15,360, n_embd_s = ssm_d_state ×
  // ssm_d_inner = 81,920 (llama-hparams.cpp, Mamba-1: n_group 0): 64 × 97,280 × 4 B = 24,903,680 per sequence.
  CHECK(test::bytes_of(estimate(m, infer_on("llama.cpp", 1, 4096)), "state") == 64ULL * (15'360 + 81'920) * 4);
}

TEST_CASE("Granite 4.0-H-Tiny under vLLM: KV for its 4 attention layers, Mamba-2 state for the other 36", "[state]") {
  const Model m = test::model("granite-4.0-h-tiny");
  REQUIRE(m.config.n_attention_layers() == 4);
  REQUIRE(m.config.recurrent->n_layers() == 36);
  REQUIRE(m.config.recurrent->kind == RecurrentKind::mamba2);
  const Estimate e = estimate(m, infer_on("vllm", 1, 8192));
  // KV: 4 attention layers (5, 15, 25, 35) × 8192 tokens × 2 (K, V) × 4 kv heads × 128 head_dim × 2 B
  // = 33,554,432 (all 40 layers counted as attention would be 10 times that).
  CHECK(test::bytes_of(e, "kv_cache") == 4ULL * 8192 * 2 * 4 * 128 * 2);
  // vLLM mamba_utils.py mamba2_state_shape at tp 1: conv (mamba_d_conv - 1, inner + 2·n_groups·d_state)
  //   = (3, 3072 + 2·1·128) = (3, 3328): 9,984 values; temporal (heads, head_dim, d_state) = (48, 64, 128):
  //   393,216 values; both in the model dtype, bf16 (mamba2_state_dtype -> _mamba_state_dtype; no
  //   float32 default for granitemoehybrid as NemotronH has): (9,984 + 393,216) × 2 = 806,400 B per layer
  //   and sequence; × 36 Mamba layers = 29,030,400 B for one sequence.
  const RecurrentStateShape s = recurrent_state_shape(*m.config.recurrent, 1);
  CHECK(s.conv_values == 3ULL * 3328);
  CHECK(s.ssm_values == 48ULL * 64 * 128);
  CHECK(test::bytes_of(e, "state") == 36ULL * (3ULL * 3328 + 48ULL * 64 * 128) * 2);
  CHECK(test::bytes_of(e, "state") == 29'030'400ULL);
  CHECK(test::sums_to_total(e));
  // llama.cpp (F32 r and s): n_embd_r = (ssm_d_conv - 1) × (ssm_d_inner + 2·ssm_n_group·ssm_d_state) = 9,984,
  // n_embd_s = ssm_d_state × ssm_d_inner = 393,216: 36 × 403,200 × 4 B = 58,060,800 per sequence.
  CHECK(test::bytes_of(estimate(m, infer_on("llama.cpp", 1, 4096)), "state") == 58'060'800ULL);
}

TEST_CASE("Falcon-H1 1.5B under vLLM: KV and a Mamba-2 state in every one of its 24 layers", "[state]") {
  const Model m = test::model("falcon-h1-1.5b");
  REQUIRE(m.config.n_attention_layers() == 24);
  REQUIRE(m.config.recurrent->n_layers() == 24);
  REQUIRE(m.config.recurrent->kind == RecurrentKind::mamba2);
  const Estimate e = estimate(m, infer_on("vllm", 1, 8192));
  // KV: all 24 layers attend: 24 × 8192 tokens × 2 (K, V) × 2 kv heads × 128 head_dim × 2 B = 201,326,592.
  CHECK(test::bytes_of(e, "kv_cache") == 24ULL * 8192 * 2 * 2 * 128 * 2);
  // vLLM mamba_utils.py mamba2_state_shape at tp 1: conv (mamba_d_conv - 1, d_ssm + 2·n_groups·d_state)
  //   = (3, 3072 + 2·1·256) = (3, 3584): 10,752 values; temporal (heads, head_dim, d_state) = (48, 64, 256):
  //   786,432 values; both in the model dtype, bf16 (mamba2_state_dtype -> _mamba_state_dtype, no float32
  //   default for FalconH1): (10,752 + 786,432) × 2 = 1,594,368 B per layer and sequence; × 24 layers =
  //   38,264,832 B for one sequence.
  const RecurrentStateShape s = recurrent_state_shape(*m.config.recurrent, 1);
  CHECK(s.conv_values == 3ULL * 3584);
  CHECK(s.ssm_values == 48ULL * 64 * 256);
  CHECK(test::bytes_of(e, "state") == 24ULL * (3ULL * 3584 + 48ULL * 64 * 256) * 2);
  CHECK(test::bytes_of(e, "state") == 38'264'832ULL);
  CHECK(test::sums_to_total(e));
  // llama.cpp (F32 r and s): n_embd_r = (ssm_d_conv - 1) × (ssm_d_inner + 2·ssm_n_group·ssm_d_state) = 10,752,
  // n_embd_s = ssm_d_state × ssm_d_inner = 786,432: 24 × 797,184 × 4 B = 76,529,664 per sequence.
  CHECK(test::bytes_of(estimate(m, infer_on("llama.cpp", 1, 4096)), "state") == 76'529'664ULL);
}

TEST_CASE("LFM2 1.2B under vLLM: KV for its 6 attention layers, a conv window for the other 10", "[state]") {
  const Model m = test::model("lfm2-1.2b");
  REQUIRE(m.config.n_attention_layers() == 6);
  REQUIRE(m.config.recurrent->n_layers() == 10);
  REQUIRE(m.config.recurrent->kind == RecurrentKind::short_conv);
  const Estimate e = estimate(m, infer_on("vllm", 1, 8192));
  // KV: 6 attention layers × 8192 tokens × 2 (K, V) × 8 kv heads × 64 head_dim × 2 B = 100,663,296.
  CHECK(test::bytes_of(e, "kv_cache") == 6ULL * 8192 * 2 * 8 * 64 * 2);
  // vLLM mamba_utils.py short_conv_state_shape at tp 1: conv (conv_L_cache - 1, hidden_size) = (2, 2048):
  //   4,096 values in the model dtype (bf16), no SSM state: 8,192 B per layer and sequence; × 10 conv
  //   layers = 81,920 B for one sequence.
  const RecurrentStateShape s = recurrent_state_shape(*m.config.recurrent, 1);
  CHECK(s.conv_values == 2ULL * 2048);
  CHECK(s.ssm_values == 0);
  CHECK(test::bytes_of(e, "state") == 10ULL * 2 * 2048 * 2);
  CHECK(test::bytes_of(e, "state") == 81'920ULL);
  CHECK(test::sums_to_total(e));
  // tp 2 splits the channels: (2, 1024).
  CHECK(recurrent_state_shape(*m.config.recurrent, 2).conv_values == 2ULL * 1024);
  // llama.cpp (F32 r): n_embd_r = (n_shortconv_l_cache - 1) × n_embd = 4,096: 10 × 4,096 × 4 B = 163,840.
  CHECK(test::bytes_of(estimate(m, infer_on("llama.cpp", 1, 4096)), "state") == 163'840ULL);
}

TEST_CASE("MiniMax-M1 under vLLM: KV for its 10 softmax layers, a lightning-attention state for the other 70",
          "[state]") {
  const Model m = test::model("minimax-m1-80k");
  REQUIRE(m.config.n_attention_layers() == 10);  // attn_type_list: 7 lightning then 1 softmax, 10 times
  REQUIRE(m.config.recurrent->n_layers() == 70);
  const Estimate e = estimate(m, infer_on("vllm", 2, 32768));
  // KV: 2 sequences × 10 softmax layers × 32768 tokens × 2 (K, V) × 8 kv heads × 128 × 2 B = 2,684,354,560
  // (all 80 layers as attention would be 8 times that).
  CHECK(test::bytes_of(e, "kv_cache") == 2ULL * 10 * 32768 * 2 * 8 * 128 * 2);
  // vLLM linear_attention_state_shape: (64 heads / tp, 128, 128) per layer in the model dtype (bf16):
  // 2,097,152 B per layer, × 70 lightning layers × 2 sequences = 293,601,280, whatever the context.
  CHECK(test::bytes_of(e, "state") == 2ULL * 70 * 64 * 128 * 128 * 2);
  CHECK(test::bytes_of(estimate(m, infer_on("vllm", 2, 1024)), "state") == test::bytes_of(e, "state"));
  CHECK(test::sums_to_total(e));
  // tp 8 splits the heads: (8, 128, 128).
  Request r = infer_on("vllm", 2, 32768);
  r.layout.tp = 8;
  CHECK(test::bytes_of(estimate(m, r), "state") == 2ULL * 70 * 8 * 128 * 128 * 2);
}
