#include <catch2/catch.hpp>

#include "llmmem/engine.hpp"
#include "llmmem/error.hpp"
#include "llmmem/framework.hpp"
#include "test_support.hpp"

using namespace llmmem;

TEST_CASE("KV cache of a Llama-2-7B shape at fp16 and 2048 tokens is exactly 1024 MiB", "[detailed][kv]") {
  Request r = test::infer();
  r.kv_format = &find_kv_format("fp16");
  // 2 × 32 layers × 32 heads × 128 head_dim × 2048 tokens × 2 bytes = 1,073,741,824
  CHECK(test::bytes_of(estimate(test::model("llama2-7b"), r), "kv_cache") == 1024ULL << 20);
}

TEST_CASE("grouped-query attention: Llama-3-70B's KV is an eighth of the article's", "[detailed][kv]") {
  // 2 × 80 × 8 kv heads × 128 × 2048 × 2 = 671,088,640 (the article's 5 GiB / 8)
  CHECK(test::bytes_of(estimate(test::model("llama3-70b"), test::infer()), "kv_cache") == 671'088'640ULL);
}

TEST_CASE("KV precision defaults to the 16-bit compute dtype, not the weight precision", "[detailed][kv]") {
  const auto m = test::model("llama2-7b");
  CHECK(test::bytes_of(estimate(m, test::infer("q4_0")), "kv_cache") == 1024ULL << 20);
  Request r = test::infer();
  r.kv_format = &find_kv_format("q8_0");
  // 536,870,912 values × 34/32 bytes = 570,425,344
  CHECK(test::bytes_of(estimate(m, r), "kv_cache") == 570'425'344ULL);
  r.kv_format = &find_kv_format("fp8");
  CHECK(test::bytes_of(estimate(m, r), "kv_cache") == 512ULL << 20);
}

TEST_CASE("MLA caches one latent per layer", "[detailed][kv]") {
  // DeepSeek-V2-Lite: 27 layers × (512 + 64) × 2048 tokens × 2 bytes = 63,700,992
  CHECK(test::bytes_of(estimate(test::model("deepseek-v2-lite"), test::infer()), "kv_cache") == 63'700'992ULL);
}

TEST_CASE("sliding-window layers hold at most the window", "[detailed][kv]") {
  Request r = test::infer(nullptr, 1, 32768);
  r.engine = &find_engine("sglang");  // a token pool without transformers' prefill view (below)
  // Gemma-3-1B at 32768 tokens: 4 global layers × 32768 + 22 sliding × 512 = 142,336 token-layers,
  // × 2 × 1 kv head × 256 head_dim × 2 bytes = 145,752,064
  CHECK(test::bytes_of(estimate(test::model("gemma3-1b"), r), "kv_cache") == 145'752'064ULL);
  // Mistral-7B v0.1 at 8192 tokens, window 4096: 32 × 4096 × 2 × 8 × 128 × 2 = 536,870,912
  r.seq_len = 8192;
  CHECK(test::bytes_of(estimate(test::model("mistral-7b-v0.1"), r), "kv_cache") == 536'870'912ULL);
}

TEST_CASE("transformers' sliding layers hold the whole prompt at the prefill peak", "[detailed][kv]") {
  // DynamicSlidingWindowLayer keeps a view of the prompt's K/V (measured on an H200: Gemma-2-9B's
  // cache storage 10.5 GiB for 5.9 GiB of tensors at 32768 tokens). Gemma-3-1B at 32768 tokens:
  // 26 layers × 32768 × 2 × 1 × 256 × 2 = 872,415,232; Mistral-7B v0.1 at 8192: 32 × 8192 × 2 × 8
  // × 128 × 2 = 1,073,741,824.
  CHECK(test::bytes_of(estimate(test::model("gemma3-1b"), test::infer(nullptr, 1, 32768)), "kv_cache") ==
        872'415'232ULL);
  CHECK(test::bytes_of(estimate(test::model("mistral-7b-v0.1"), test::infer(nullptr, 1, 8192)), "kv_cache") ==
        1'073'741'824ULL);
  // A chunked prefill never holds the whole prompt: the window again.
  Request r = test::infer(nullptr, 1, 8192);
  r.prefill_chunk = 2048;
  CHECK(test::bytes_of(estimate(test::model("mistral-7b-v0.1"), r), "kv_cache") == 536'870'912ULL);
}

TEST_CASE("Llama-3-8B bf16 weights are 14.96 GiB as vLLM reported", "[detailed][weights]") {
  const Estimate e = estimate(test::model("llama3-8b"), test::infer());
  CHECK(test::bytes_of(e, "weights") == 2 * 8'030'261'248ULL);
  CHECK(format_size(e.find("weights")->bytes) == "14.96 GiB");
}

TEST_CASE("training recipes: bytes per parameter", "[detailed][training]") {
  const auto m = test::model("llama3-8b");
  const std::uint64_t P = 8'030'261'248ULL;
  // 128 tokens: the peak is at the end of the backward, with every gradient held.
  Request r = test::train("bf16", 1, 128);
  r.framework = &find_framework("deepspeed");  // a persistent 16-bit copy beside the fp32 master
  const Estimate mixed = estimate(m, r);
  // mixed: 16-bit compute copy 2 + fp32 master 4 + fp32 grads 4 + AdamW 8 = 18 B/param
  CHECK(test::bytes_of(mixed, "weights") == 2 * P);
  CHECK(test::bytes_of(mixed, "master_weights") == 4 * P);
  CHECK(test::bytes_of(mixed, "gradients") == 4 * P);
  CHECK(test::bytes_of(mixed, "optimizer_states") == 8 * P);
  // The HF Trainer's autocast: the 16-bit weights are casts saved for the backward and gone by its
  // end: 0 + 4 + 4 + 8 = 16 B/param there.
  r.framework = &find_framework("trainer");
  const Estimate autocast = estimate(m, r);
  CHECK(test::bytes_of(autocast, "weights") == 0);
  CHECK(test::bytes_of(autocast, "master_weights") + test::bytes_of(autocast, "gradients") +
            test::bytes_of(autocast, "optimizer_states") ==
        16 * P);
  r.framework = &find_framework("deepspeed");
  r.recipe = Recipe::bf16;  // 2 + 2 + 2×2 = 8 B/param
  const Estimate pure = estimate(m, r);
  CHECK(test::bytes_of(pure, "master_weights") == 0);
  CHECK(test::bytes_of(pure, "gradients") == 2 * P);
  CHECK(test::bytes_of(pure, "optimizer_states") == 4 * P);
  r.recipe = Recipe::megatron;
  CHECK(test::bytes_of(estimate(m, r), "weights") + test::bytes_of(estimate(m, r), "master_weights") +
            test::bytes_of(estimate(m, r), "gradients") + test::bytes_of(estimate(m, r), "optimizer_states") ==
        18 * P);
  r.recipe = Recipe::mixed;
  r.optimizer = Optimizer::sgd;
  CHECK(test::bytes_of(estimate(m, r), "optimizer_states") == 0);
  r.optimizer = Optimizer::sgd_momentum;
  CHECK(test::bytes_of(estimate(m, r), "optimizer_states") == 4 * P);
  r.optimizer = Optimizer::adamw_8bit;
  CHECK(test::bytes_of(estimate(m, r), "optimizer_states") == 2 * P);
  r.optimizer = Optimizer::adafactor;
  // factored second moment, fp32: rows + cols per matrix, n per vector.
  // embed and head [128256, 4096]: 132,352 each; per layer q,o 8,192 each, k,v 5,120 each,
  // gate,up,down 18,432 each, two norms 8,192 -> 90,112, × 32 = 2,883,584; final norm 4,096
  // total 3,152,384 values × 4 bytes = 12,609,536
  CHECK(test::bytes_of(estimate(m, r), "optimizer_states") == 12'609'536ULL);
}

TEST_CASE("LoRA trains rank × (in + out) per adapted matrix", "[detailed][lora]") {
  Request r = test::train();
  r.lora_rank = 16;
  // Llama-3-8B, q,k,v,o: q,o 16×(4096+4096) = 131,072 each; k,v 16×(4096+1024) = 81,920 each
  // per layer 425,984; × 32 layers = 13,631,488 (PEFT prints the same trainable count)
  const Estimate e = estimate(test::model("llama3-8b"), r);
  CHECK(e.trainable_parameters == 13'631'488ULL);
  CHECK(test::bytes_of(e, "lora_adapters") == 4 * 13'631'488ULL);
  CHECK(test::bytes_of(e, "master_weights") == 0);
  CHECK(test::bytes_of(e, "optimizer_states") == 8 * 13'631'488ULL);
  CHECK(test::bytes_of(e, "weights") == 2 * 8'030'261'248ULL);  // frozen base, bf16
  r.lora_targets = {"all-linear"};
  // + gate,up 16×(4096+14336) = 294,912 each, down the same: 884,736 more per layer
  CHECK(estimate(test::model("llama3-8b"), r).trainable_parameters == 32ULL * (425'984 + 884'736));
}

TEST_CASE("QLoRA: NF4 base plus LoRA, full fine-tuning on a quantized base is refused", "[detailed][lora]") {
  Request r = test::train("nf4-dq");
  CHECK_THROWS_AS(estimate(test::model("llama3-8b"), r), UsageError);
  r.lora_rank = 16;
  const Estimate e = estimate(test::model("llama3-8b"), r);
  // NF4 with double quantization, 8452 bytes per 16384 values, on every decoder linear:
  //   per layer q,o 16,777,216 values -> 8,654,848 B each; k,v 4,194,304 -> 2,163,712 B each;
  //   gate,up,down 58,720,256 -> 30,291,968 B each: 112,513,024 B, × 32 = 3,600,416,768 B
  // embeddings and head stay bf16: 2 × 525,336,576 × 2 = 2,101,346,304 B; norms 266,240 × 2 = 532,480 B
  CHECK(test::bytes_of(e, "weights") == 3'600'416'768ULL + 2'101'346'304ULL + 532'480ULL);
  CHECK(test::sums_to_total(e));
}

TEST_CASE("gradient checkpointing shrinks training activations", "[detailed][training]") {
  Request r = test::train();
  r.optimizer_in_bwd = true;  // no gradients accumulate: the breakdown is the activation peak
  const auto m = test::model("llama3-8b");
  const auto none = test::bytes_of(estimate(m, r), "activations");
  r.checkpointing = Checkpointing::selective;
  const auto selective = test::bytes_of(estimate(m, r), "activations");
  r.checkpointing = Checkpointing::full;
  const auto full = test::bytes_of(estimate(m, r), "activations");
  CHECK(none > selective);
  CHECK(selective > full);
  // Llama-3-8B under the Trainer's autocast (fp32 residual stream), no checkpointing, per token per
  // layer: two RMSNorms saving 8 bytes per hidden unit each plus their 2-byte outputs,
  // 2·4096·(8 + 2) = 81,920; q, k, v, output and the MLP's four intermediates,
  // ((2·32 + 2·8)·128 + 4·14336)·2 = 135,168; 32 heads × 4 bytes of log-sum-exp: 217,216 bytes
  // × 2048 tokens × 32 layers = 14,235,467,776 (measured within 1 % on an H200 for Llama-3.2).
  CHECK(none == 217'216ULL * 2048 * 32);
  // Under full recomputation each layer keeps its fp32 input: 4096 × 4 bytes per token, plus one
  // layer recomputed whole.
  CHECK(full == 4096ULL * 4 * 2048 * 32 + 217'216ULL * 2048);
}

TEST_CASE("eager attention adds the seq_len² score matrix", "[detailed][activations]") {
  Request r = test::infer(nullptr, 1, 8192);
  const auto m = test::model("llama3-8b");
  const auto flash = test::bytes_of(estimate(m, r), "activations");
  r.attention = Attention::eager;
  const auto eager = test::bytes_of(estimate(m, r), "activations");
  // bf16 scores, their fp32 copy and the fp32 softmax: 32 heads × 8192² × 10 bytes =
  // 21,474,836,480 on top of q, k, v and the output (8192 × 10240 × 2 = 167,772,160), in place of
  // the MLP's peak (8192 × 3·14336 × 2 = 704,643,072): 20,937,965,568 more than with flash.
  CHECK(eager - flash == 20'937'965'568ULL);
}

TEST_CASE("runtime overhead: default per GPU, or --overhead", "[detailed][overhead]") {
  Request r = test::infer();
  const Estimate e = estimate(test::model("llama3-8b"), r);
  const auto act = test::bytes_of(e, "activations") + test::bytes_of(e, "logits");
  // 512 MiB CUDA context + ceil(20% of activations + logits)
  CHECK(test::bytes_of(e, "overhead") == (512ULL << 20) + (act * 20 + 99) / 100);
  r.overhead = Bytes(1ULL << 30);
  CHECK(test::bytes_of(estimate(test::model("llama3-8b"), r), "overhead") == 1ULL << 30);
}

TEST_CASE("tensor parallelism shards weights and KV heads, replicated below one head per rank", "[detailed][layout]") {
  const auto m = test::model("llama3-70b");
  Request r = test::infer();
  const auto one = estimate(m, r);
  r.layout.tp = 8;
  const auto eight = estimate(m, r);
  CHECK(test::bytes_of(eight, "kv_cache") == test::bytes_of(one, "kv_cache") / 8);
  CHECK(test::bytes_of(eight, "weights") < test::bytes_of(one, "weights") / 7);
  r.layout.tp = 16;  // 8 KV heads over 16 ranks: one head each, replicated
  CHECK(test::bytes_of(estimate(m, r), "kv_cache") == test::bytes_of(one, "kv_cache") / 8);
}

TEST_CASE("ZeRO stages shard optimizer, then gradients, then parameters", "[detailed][layout]") {
  const auto m = test::model("llama3-8b");
  // 128 tokens: the training peak is at the end of the backward, with every gradient held.
  Request r = test::train("bf16", 1, 128);
  r.layout.dp = 8;
  const std::uint64_t P = 8'030'261'248ULL;
  r.layout.zero = 1;
  auto e = estimate(m, r);
  CHECK(test::bytes_of(e, "optimizer_states") == 8 * P / 8);
  CHECK(test::bytes_of(e, "gradients") == 4 * P);
  r.layout.zero = 2;
  // ZeRO-2 partitions the gradients: the 16-bit partition and its fp32 copy at the step, 2 + 4 B
  CHECK(test::bytes_of(estimate(m, r), "gradients") == 6 * P / 8);
  r.layout.zero = 3;
  // a shard of the 16-bit weights plus two gathered units, the largest being the embedding
  // (128256 × 4096 = 525,336,576 parameters, larger than a decoder block's 218,112,000), in bf16
  const std::uint64_t unit = 128256ULL * 4096 * 2;
  CHECK(test::bytes_of(estimate(m, r), "weights") == 2 * P / 8 + 2 * unit);
  r.layout.offload_optimizer = true;
  CHECK(test::bytes_of(estimate(m, r), "optimizer_states") == 0);
}

TEST_CASE("every detailed estimate's components sum to its total", "[detailed]") {
  for (const char* name : {"llama3-70b", "mixtral-8x7b", "deepseek-v3", "gemma2-9b", "gpt-oss-20b", "bloom", "phi-2"}) {
    INFO(name);
    CHECK(test::sums_to_total(estimate(test::model(name), test::infer())));
    CHECK(test::sums_to_total(estimate(test::model(name), test::train())));
  }
}

TEST_CASE("checkpoint quantization is the default precision", "[detailed][weights]") {
  CHECK(estimate(test::model("gpt-oss-20b"), test::infer()).precision == "mxfp4");
  CHECK(estimate(test::model("deepseek-v3"), test::infer()).precision == "fp8");
  CHECK(estimate(test::model("llama3-8b"), test::infer()).precision == "bf16");
}

TEST_CASE("chunked prefill bounds the activation peak by the chunk", "[detailed][activations]") {
  Request r = test::infer(nullptr, 1, 131072);
  const auto m = test::model("llama3.1-8b");
  const auto whole = test::bytes_of(estimate(m, r), "activations");
  r.prefill_chunk = 8192;
  const auto chunked = test::bytes_of(estimate(m, r), "activations");
  // whole prompt: 131072 tokens × (4 hidden copies (transformers) · 4096 + 3·14336) × 2 bytes =
  // 15,569,256,448
  CHECK(whole == 131072ULL * (4 * 4096 + 3 * 14336) * 2);
  // 8192-token steps: 8192 × 59,392 × 2 = 973,078,528
  CHECK(chunked == 8192ULL * (4 * 4096 + 3 * 14336) * 2);
}

TEST_CASE("LoRA saves a matmul's input only where an adapter reads it", "[detailed][training]") {
  // Llama-3-8B, LoRA on q, k, v, o, no checkpointing, bf16 base (16-bit residual stream): per token
  // per layer two RMSNorms saving 6 bytes per hidden unit (fp32 copy 4 + normalised 2) and the
  // attention's input (2), not the MLP's: 4096·(2·6 + 2) = 57,344; q, k, v, output
  // (2·32 + 2·8)·128·2 = 20,480; the MLP's gate, up and SiLU output but not the down projection's
  // input, 3·14336·2 = 86,016; log-sum-exp 32·4 = 128: 163,968 bytes.
  Request r = test::train("bf16", 1, 2048);
  r.lora_rank = 16;
  const auto m = test::model("llama3-8b");
  const auto qkvo = test::bytes_of(estimate(m, r), "activations");
  CHECK(qkvo == 163'968ULL * 2048 * 32);
  // all-linear: every input saved, 4096·(2·6 + 2·2) + 20,480 + 4·14336·2 + 128 = 200,832 bytes.
  r.lora_targets = {"all-linear"};
  CHECK(test::bytes_of(estimate(m, r), "activations") == 200'832ULL * 2048 * 32);
}

TEST_CASE("Gemma 2's logit soft-capping keeps its tanh output through the loss", "[detailed][training]") {
  // 2048 tokens × 256,000 vocabulary × (12 bytes of HF's loss + the 2-byte tanh output).
  Request r = test::train("bf16", 1, 2048);
  r.optimizer_in_bwd = true;  // no gradients accumulate: the breakdown is the activation peak
  CHECK(test::bytes_of(estimate(test::model("gemma2-9b"), r), "logits") == 2048ULL * 256000 * 14);
  CHECK(test::model("gemma2-9b").config.logit_softcapping);
  CHECK(!test::model("gemma3-1b").config.logit_softcapping);
}

TEST_CASE("an encoder: no KV cache, no vocabulary logits, one forward of batch x seq_len", "[detailed][encoder]") {
  const Model m = test::model("bert-base-uncased");
  const Estimate e = estimate(m, test::infer(nullptr, 8, 512));
  CHECK(test::bytes_of(e, "kv_cache") == 0);
  CHECK(test::bytes_of(e, "logits") == 0);
  CHECK(e.find("kv_cache")->label.find("none") != std::string::npos);
  // One bidirectional forward of all batch × seq_len tokens (no chunking, even where the engine chunks a
  // decoder's prefill): with flash/sdpa attention the peak is linear in the tokens.
  const Estimate half = estimate(m, test::infer(nullptr, 8, 256));
  CHECK(test::bytes_of(e, "activations") == 2 * test::bytes_of(half, "activations"));
  Request vllm = test::infer(nullptr, 8, 512);
  vllm.engine = &find_engine("vllm");
  CHECK(estimate(m, vllm).prefill_chunk == 0);
  // Eager attention adds batch × heads × seq_len² scores.
  Request eager = test::infer(nullptr, 8, 512);
  eager.attention = Attention::eager;
  CHECK(test::bytes_of(estimate(m, eager), "activations") > test::bytes_of(e, "activations") + 8ULL * 12 * 512 * 512);
  // The position table holds 512 tokens: more is refused (RoBERTa: 514 rows, ids from pad_token_id + 1).
  CHECK_THROWS_AS(estimate(m, test::infer(nullptr, 1, 513)), UsageError);
  CHECK_THROWS_AS(estimate(test::model("roberta-base"), test::infer(nullptr, 1, 513)), UsageError);
  CHECK_NOTHROW(estimate(test::model("roberta-base"), test::infer(nullptr, 1, 512)));
}

TEST_CASE("encoder fine-tuning: a classification head and a loss over batch rows", "[detailed][encoder][training]") {
  const Model m = test::model("bert-base-uncased");
  const Estimate e = estimate(m, test::train("bf16", 16, 128));
  // BertForSequenceClassification: classifier [num_labels = 2, 768] + bias on the pooled output.
  CHECK(e.trainable_parameters == 109'482'240ULL + 2ULL * 768 + 2);
  CHECK(e.parameters == 109'482'240ULL + 2ULL * 768 + 2);
  // 16 rows × 2 labels × 12 B, not 16 × 128 × 30522 vocabulary logits.
  CHECK(test::bytes_of(e, "logits") <= 16ULL * 2 * 12);
  CHECK(e.find("activations")->label.find("GPT") != std::string::npos);
  CHECK_THROWS_AS(estimate(m, test::train("bf16", 1, 1024)), UsageError);
}

TEST_CASE("Gemma 3n: KV-sharing layers cache nothing, the per-layer embeddings have their own line", "[detailed]") {
  // E4B: 35 layers, the last 15 share K/V, so 20 keep a cache (16 sliding, 4 full: layer_types repeats four
  // sliding and one full); per token and layer 2 × 2 KV heads × 256 × 2 B = 2,048 B. vLLM holds the sliding
  // layers' window (512) once the prompt is longer.
  Request r = test::infer("bf16", 1, 8192);
  r.engine = &find_engine("vllm");
  const Model m = test::model("gemma3n-e4b");
  const Estimate e = estimate(m, r);
  CHECK(m.config.n_kv_layers() == 20);
  CHECK(m.config.n_kv_sliding_layers() == 16);
  CHECK(test::bytes_of(e, "kv_cache") == (4ULL * 8192 + 16ULL * 512) * 2048);
  // embed_tokens_per_layer 262,144 × 35 × 256 values in bf16, on the GPU under vLLM.
  CHECK(test::bytes_of(e, "per_layer_embeddings") == 262'144ULL * 35 * 256 * 2);
  CHECK(test::sums_to_total(e));
  // The prefill step (vLLM's 2048-token chunk) also holds AltUp's streams, predictions and corrections
  // (3 × 4 − 1 = 11 hidden-size tensors beyond the residual) and the per-layer inputs (35 × 256 per token).
  double streams = 0;
  for (const auto& in : e.find("activations")->inputs)
    if (in.name == "altup_and_per_layer_input_bytes") streams = in.value;
  CHECK(streams == 2048.0 * (11 * 2048 + 35 * 256) * 2);
  // llama.cpp keeps it on the host with token_embd (the input layer).
  const Estimate q = estimate(m, test::infer("q4_k_m", 1, 8192));
  const Component* ple = q.find("per_layer_embeddings");
  REQUIRE(ple != nullptr);
  CHECK(ple->bytes.count() == 0);
  CHECK(ple->host.count() > 0);
  CHECK(test::sums_to_total(q));
  // Training keeps it among the weights (no own line).
  CHECK(estimate(m, test::train()).find("per_layer_embeddings") == nullptr);
}
