// Encoders with rotary positions (ModernBERT), embedding models, and encoder-decoders (T5, BART):
// parameter counts against published figures, KV caches and training estimates.
#include <catch2/catch.hpp>

#include "llmmem/error.hpp"
#include "llmmem/parameters.hpp"
#include "test_support.hpp"

using namespace llmmem;

TEST_CASE("ModernBERT base and large count as published", "[parameters][encoder][modernbert]") {
  // ModernBertModel (transformers modeling_modernbert.py), no head: tok_embeddings [vocab, h] and its norm
  // (weight only: norm_bias false); per layer Wqkv [3h, h], Wo [h, h], Wi [2I, h] (GeGLU), Wo [h, I], attn_norm
  // and mlp_norm, except layer 0's attn_norm (nn.Identity); final_norm.
  // base: h 768, I 1152, 22 layers, vocab 50368.
  const std::uint64_t base_layer = 3ULL * 768 * 768 + 768ULL * 768 + 2ULL * 1152 * 768 + 768ULL * 1152 + 2 * 768;
  CHECK(base_layer == 5'015'040ULL);
  const std::uint64_t base = 50'368ULL * 768 + 768 + 22 * base_layer - 768 + 768;
  // Published: keras-hub's ModernBERT presets (modernbert_presets.py backbone_presets "modern_bert_base_en"
  // "params": 149014272; code index id 71164684727); MTEB's metadata for ModernBERT-base fine-tunes
  // (ibm-granite/granite-embedding-english-r2, lightonai/DenseOn) n_parameters=149014272 with
  // n_embedding_parameters=38682624 = 50368 × 768.
  CHECK(base == 149'014'272ULL);
  const Model b = test::model("modernbert-base");
  CHECK(b.params->total == base);
  CHECK(b.params->embedding == 50'368ULL * 768);
  // large: h 1024, I 2624, 28 layers. Published: the same presets file, "modern_bert_large_en"
  // "params": 394781696.
  const std::uint64_t large_layer =
      3ULL * 1024 * 1024 + 1024ULL * 1024 + 2ULL * 2624 * 1024 + 1024ULL * 2624 + 2 * 1024;
  const std::uint64_t large = 50'368ULL * 1024 + 1024 + 28 * large_layer - 1024 + 1024;
  CHECK(large == 394'781'696ULL);
  CHECK(test::model("modernbert-large").params->total == large);
  // Every third layer global (0, 3, ..., 21: 8 of 22), the rest within a 128-token window.
  CHECK(b.config.n_sliding_layers() == 14);
  CHECK(b.config.sliding_window == 128);
  CHECK(b.config.encoder);
  CHECK(b.config.max_position_embeddings == 8192);
}

TEST_CASE("ModernBERT: no KV cache, 8192 tokens by default, more only noted (no position table)",
          "[detailed][encoder][modernbert]") {
  const Model m = test::model("modernbert-base");
  const Estimate e = estimate(m, test::infer(nullptr, 4, 8192));
  CHECK(test::bytes_of(e, "kv_cache") == 0);
  CHECK(test::bytes_of(e, "logits") == 0);
  CHECK(test::sums_to_total(e));
  // RoPE has no table to run past: a longer input is estimated with a note, not refused (BERT is refused).
  const Estimate longer = estimate(m, test::infer(nullptr, 1, 16384));
  bool noted = false;
  for (const auto& n : longer.notes) noted = noted || n.find("8192") != std::string::npos;
  CHECK(noted);
  // Fine-tuning: ModernBertForSequenceClassification adds ModernBertPredictionHead (dense [768, 768] without
  // bias, classifier_bias false; a 768 norm weight, norm_bias false) and the classifier [2, 768] + 2.
  const Estimate t = estimate(m, test::train("bf16", 8, 1024));
  CHECK(t.parameters == 149'014'272ULL + 768ULL * 768 + 768 + 2ULL * 768 + 2);
  CHECK(t.trainable_parameters == t.parameters);
  CHECK(test::bytes_of(t, "logits") <= 8ULL * 2 * 12);
  CHECK(test::sums_to_total(t));
}

TEST_CASE("bge-m3 is XLM-RoBERTa large with 8194 positions, 8192 tokens", "[parameters][encoder]") {
  const Model m = test::model("bge-m3");
  // XLMRobertaModel with pooler: word 250002 × 1024, positions 8194 × 1024, token type 1 × 1024, embedding
  // LayerNorm 2048; 24 layers of q, k, v, o (4 × (1024² + 1024)), intermediate and output (2 × 1024 × 4096 +
  // 4096 + 1024), two LayerNorms (4 × 1024) = 12,596,224; pooler 1024² + 1024.
  const std::uint64_t layer = 4ULL * (1024 * 1024 + 1024) + 2ULL * 1024 * 4096 + 4096 + 1024 + 4 * 1024;
  CHECK(layer == 12'596'224ULL);
  const std::uint64_t total = 250'002ULL * 1024 + 8194ULL * 1024 + 1024 + 2048 + 24 * layer + 1024ULL * 1024 + 1024;
  // 567,754,752: the model card's "568M"; no exact published figure was found (the fp32 checkpoint's
  // 2.27 GB is rounded), so the by-hand sum above is asserted.
  CHECK(total == 567'754'752ULL);
  CHECK(m.params->total == total);
  // Position ids start at pad_token_id + 1 = 2: 8194 rows hold 8192 tokens, and no more.
  CHECK(m.config.max_position_embeddings == 8192);
  CHECK_NOTHROW(estimate(m, test::infer(nullptr, 1, 8192)));
  CHECK_THROWS_AS(estimate(m, test::infer(nullptr, 1, 8193)), UsageError);
}

TEST_CASE("T5, mT5 and BART count as published", "[parameters][encoder-decoder]") {
  // T5ForConditionalGeneration / T5Model (modeling_t5.py), t5-base: shared 32128 × 768; 12 encoder blocks of
  // q, k, v, o (4 × 768 × 768; num_heads 12 × d_kv 64 = 768) and wi, wo (2 × 768 × 3072), 2 RMSNorm weights;
  // 12 decoder blocks with a second (cross) attention and 3 norms; relative_attention_bias 32 × 12 in each
  // stack's first block; 2 final norms. The head is tied (t5 configs omit tie_word_embeddings: default True).
  const std::uint64_t attn = 4ULL * 768 * 768, mlp = 2ULL * 768 * 3072;
  const std::uint64_t t5_base =
      32'128ULL * 768 + 12 * (attn + mlp + 2 * 768) + 12 * (2 * attn + mlp + 3 * 768) + 2 * 32 * 12 + 2 * 768;
  // Published: 222,903,552, counting the tied head once (num_parameters() of T5ForConditionalGeneration and
  // T5Model alike): keras-hub's T5 presets "t5_base" "params": 222903552 (code index id 21340840042); a
  // public script's size table 't5-base': 222903552 beside 't5-3b': 2851598336 (code index id 29090630826).
  CHECK(t5_base == 222'903'552ULL);
  const Model base = test::model("t5-base");
  CHECK(base.params->total == t5_base);
  CHECK(base.config.encoder_layers == 12);
  CHECK(base.config.decoder_layers == 12);
  CHECK(base.config.n_layers == 24);
  // t5-3b: d_model 1024, d_ff 16384, 32 heads of d_kv 128 (inner 4096), 24 + 24 blocks.
  const std::uint64_t attn3 = 4ULL * 1024 * 4096, mlp3 = 2ULL * 1024 * 16384;
  const std::uint64_t t5_3b =
      32'128ULL * 1024 + 24 * (attn3 + mlp3 + 2 * 1024) + 24 * (2 * attn3 + mlp3 + 3 * 1024) + 2 * 32 * 32 + 2 * 1024;
  // Published: 2,851,598,336 (keras-hub "t5_3b" "params": 2851598336; the same size table); DeepSpeed's
  // memory.rst prints "2851M total params" for AutoModel.from_pretrained("t5-3b") (T5Model, tied head).
  CHECK(t5_3b == 2'851'598'336ULL);
  CHECK(test::model("t5-3b").params->total == t5_3b);
  // mt5-small (MT5ForConditionalGeneration): gated-gelu (wi_0, wi_1, wo), untied lm_head, vocab 250112,
  // d_model 512, 6 heads of 64 (inner 384), d_ff 1024, 8 + 8 blocks.
  const std::uint64_t attn_m = 4ULL * 512 * 384, mlp_m = 3ULL * 512 * 1024;
  const std::uint64_t embed_m = 2ULL * 250'112 * 512;  // shared + lm_head
  const std::uint64_t mt5 =
      embed_m + 8 * (attn_m + mlp_m + 2 * 512) + 8 * (2 * attn_m + mlp_m + 3 * 512) + 2 * 32 * 6 + 2 * 512;
  // Published: lmqg's vocabulary-trimming experiments give mt5-small {"embedding": 256114688, "full":
  // 300176768} (code index id 3882053679): the embedding figure is shared + lm_head.
  CHECK(embed_m == 256'114'688ULL);
  CHECK(mt5 == 300'176'768ULL);
  CHECK(test::model("mt5-small").params->total == mt5);
  // BART large shapes (facebook/bart-large-mnli's config; BartModel, modeling_bart.py): shared 50265 × 1024;
  // two position tables of 1024 + 2 rows; two layernorm_embedding (weight + bias); 12 encoder layers of
  // attention with biases (4 × (1024² + 1024)), fc1/fc2 with biases (2 × 1024 × 4096 + 4096 + 1024) and two
  // LayerNorms; 12 decoder layers with a second attention and three LayerNorms. No final norm.
  const std::uint64_t attn_b = 4ULL * (1024 * 1024 + 1024), mlp_b = 2ULL * 1024 * 4096 + 4096 + 1024;
  const std::uint64_t bart = 50'265ULL * 1024 + 2ULL * 1026 * 1024 + 2 * 2048 + 12 * (attn_b + mlp_b + 2 * 2048) +
                             12 * (2 * attn_b + mlp_b + 3 * 2048);
  // Published: AutoModel.from_pretrained("facebook/bart-large").num_parameters() = 406291456 (a public script
  // printing it beside bart-base 139420416 and bert-base-uncased 109482240: code index id 2228351197). It is
  // BartModel: the LM head is tied to the shared embedding, and BartForConditionalGeneration's
  // final_logits_bias [1, 50265] is a registered buffer, not a parameter; neither is counted.
  CHECK(bart == 406'291'456ULL);
  const Model b = test::model("bart-large-mnli");
  CHECK(b.params->total == bart);
  CHECK(b.config.max_position_embeddings == 1024);
}

TEST_CASE("encoder-decoder KV: decoder self-attention over the output, cross-attention over the input",
          "[detailed][encoder-decoder]") {
  const Model m = test::model("t5-base");
  Request r = test::infer("bf16", 1, 512);
  r.target_len = 128;
  const Estimate e = estimate(m, r);
  // 12 decoder layers × (128 generated + 512 input tokens) × 2 (K, V) × 12 heads × 64 (d_kv) × 2 B
  // = 23,592,960, plus the encoder output held for cross-attention: 512 × 768 × 2 B = 786,432.
  CHECK(12ULL * (128 + 512) * 2 * 12 * 64 * 2 == 23'592'960ULL);
  CHECK(test::bytes_of(e, "kv_cache") == 23'592'960ULL + 786'432ULL);
  CHECK(test::sums_to_total(e));
  // Without --target-len the decoder generates as many tokens as the input holds: 12 × 1024 × 1536 × 2 + 786,432.
  CHECK(test::bytes_of(estimate(m, test::infer("bf16", 1, 512)), "kv_cache") == 12ULL * 1024 * 1536 * 2 + 786'432ULL);
  // t5-3b's heads are wider than d_model: 32 × 128 = 4096 values per token for K alone.
  Request r3 = test::infer("bf16", 2, 256);
  r3.target_len = 64;
  CHECK(test::bytes_of(estimate(test::model("t5-3b"), r3), "kv_cache") ==
        2ULL * 24 * (256 + 64) * 2 * 32 * 128 * 2 + 2ULL * 256 * 1024 * 2);
  // Encoders keep none.
  CHECK(test::bytes_of(estimate(test::model("modernbert-base"), test::infer("bf16", 1, 512)), "kv_cache") == 0);
  // Logits: one decoder position per sequence (fp32), as for a decoder-only model.
  CHECK(test::bytes_of(e, "logits") == 32'128ULL * 4);
}

TEST_CASE("encoder-decoder lengths: --target-len only for them, BART's tables bound both sides",
          "[detailed][encoder-decoder]") {
  Request r = test::infer("bf16", 1, 512);
  r.target_len = 64;
  CHECK_THROWS_AS(estimate(test::model("llama3.1-8b"), r), UsageError);
  CHECK_THROWS_AS(estimate(test::model("bert-base-uncased"), r), UsageError);
  const Model bart = test::model("bart-large-mnli");
  CHECK_NOTHROW(estimate(bart, r));
  Request long_in = test::infer("bf16", 1, 1025);
  long_in.target_len = 16;
  CHECK_THROWS_AS(estimate(bart, long_in), UsageError);
  Request long_out = test::infer("bf16", 1, 16);
  long_out.target_len = 1025;
  CHECK_THROWS_AS(estimate(bart, long_out), UsageError);
  // T5's relative buckets have no table: past n_positions (512) it is a note.
  Request t5_long = test::infer("bf16", 1, 4096);
  CHECK_NOTHROW(estimate(test::model("t5-base"), t5_long));
}

TEST_CASE("encoder-decoder training: teacher forcing over input and target tokens",
          "[detailed][encoder-decoder][training]") {
  const Model m = test::model("t5-base");
  Request r = test::train("bf16", 8, 512);
  r.target_len = 128;
  const Estimate e = estimate(m, r);
  CHECK(e.trainable_parameters == 222'903'552ULL);
  CHECK(test::sums_to_total(e));
  for (const char* id : {"weights", "gradients", "optimizer_states", "activations"}) CHECK(test::bytes_of(e, id) > 0);
  // Longer targets cost more activations (decoder blocks and the LM head run over them).
  Request longer = r;
  longer.target_len = 512;
  CHECK(test::bytes_of(estimate(m, longer), "activations") > test::bytes_of(e, "activations"));
  // The loss runs over batch × target tokens: 8 × 128 × 32128 logits × 12 B (HF loss) before the peak moves.
  Request no_ckpt = r;
  const Estimate at_start = estimate(m, no_ckpt);
  CHECK(test::bytes_of(at_start, "logits") <= 8ULL * 128 * 32'128 * 12);
  // BART and mT5 estimate too.
  CHECK(test::sums_to_total(estimate(test::model("bart-large-mnli"), test::train("bf16", 4, 512))));
  CHECK(test::sums_to_total(estimate(test::model("mt5-small"), test::train("bf16", 4, 512))));
}

TEST_CASE("encoder-decoder configs: hostile values are refused with the key named",
          "[config][errors][encoder-decoder]") {
  CHECK_THROWS_WITH(
      parse_model_config(R"({"model_type": "t5", "num_layers": 2, "num_decoder_layers": 70000})", "t.json"),
      Catch::Matchers::Contains("num_decoder_layers"));
  CHECK_THROWS_WITH(parse_model_config(R"({"model_type": "t5", "feed_forward_proj": "gated-gelu-x"})", "t.json"),
                    Catch::Matchers::Contains("feed_forward_proj"));
  CHECK_THROWS_WITH(
      parse_model_config(R"({"model_type": "bart", "max_position_embeddings": 18446744073709551615})", "b.json"),
      Catch::Matchers::Contains("max_position_embeddings"));
  CHECK_THROWS_AS(parse_model_config(R"({"model_type": "bart", "decoder_attention_heads": 8})", "b.json"),
                  UnsupportedError);
  CHECK_THROWS_WITH(
      parse_model_config(R"({"model_type": "modernbert", "num_hidden_layers": 2, "hidden_size": 0})", "m.json"),
      Catch::Matchers::Contains("hidden_size"));
  // T5Config's defaults (t5-small's shapes) fill what a config leaves out.
  const ModelConfig c = parse_model_config(R"({"model_type": "t5"})", "t.json");
  CHECK(c.hidden_size == 512);
  CHECK(c.encoder_layers == 6);
  CHECK(c.decoder_layers == 6);
  CHECK(c.tie_word_embeddings);
  CHECK_FALSE(parse_model_config(R"({"model_type": "mt5"})", "m.json").tie_word_embeddings);
}

TEST_CASE("T5 under eager attention also holds its position bias for every encoder block",
          "[detailed][encoder-decoder]") {
  const Model m = test::model("t5-base");
  Request eager = test::infer("bf16", 2, 1024);
  eager.attention = Attention::eager;
  Request flash = eager;
  flash.attention = Attention::flash;
  // Eager adds batch × heads × s × s × (10 B of bf16 scores and their fp32 softmax + 2 B of position_bias):
  // 2 × 12 × 1024 × 1024 × 12 B = 301,989,888 B beyond the flash peak (the attention side is then the max).
  const std::uint64_t e = test::bytes_of(estimate(m, eager), "activations");
  const std::uint64_t f = test::bytes_of(estimate(m, flash), "activations");
  CHECK(e > f);
  const Estimate eager_estimate = estimate(m, eager);  // find() points into it: keep it alive
  const auto* c = eager_estimate.find("activations");
  double score_bytes = 0;
  for (const auto& in : c->inputs)
    if (in.name == "score_bytes") score_bytes = in.value;
  CHECK(score_bytes == 2.0 * 12 * 1024 * 1024 * 12);
}

TEST_CASE("nomic-embed-text-v1.5 counts as published", "[parameters][encoder]") {
  // NomicBertModel (nomic-ai custom code modeling_hf_nomic_bert.py): word 30528 × 768, token types 2 × 768,
  // emb_ln (weight + bias); 12 layers of Wqkv [2304, 768] and out_proj [768, 768] without bias
  // (qkv_proj_bias false), SwiGLU fc11, fc12 [3072, 768] and fc2 [768, 3072] without bias, two LayerNorms
  // with bias; no position table (rotary), no pooler.
  const std::uint64_t layer = 3ULL * 768 * 768 + 768ULL * 768 + 3ULL * 3072 * 768 + 4 * 768;
  CHECK(layer == 9'440'256ULL);
  const std::uint64_t total = 30'528ULL * 768 + 2 * 768 + 2 * 768 + 12 * layer;
  // Published: the HF API's safetensors.parameters F32 = 136731648 for nomic-ai/nomic-embed-text-v1.5 (a public
  // model survey quoting it: code index id 68824673649; the HF table of id 71142266638 lists
  // ('Apache-2.0', 136731648)).
  CHECK(total == 136'731'648ULL);
  const Model m = test::model("nomic-embed-text-v1.5");
  CHECK(m.params->total == total);
  CHECK(m.config.encoder);
  CHECK(m.config.learned_positions == 0);
  CHECK(m.config.max_position_embeddings == 8192);
  const Estimate e = estimate(m, test::infer(nullptr, 16, 8192));
  CHECK(test::bytes_of(e, "kv_cache") == 0);
  CHECK(test::sums_to_total(e));
  CHECK(test::sums_to_total(estimate(m, test::train("bf16", 16, 512))));
  CHECK_THROWS_AS(parse_model_config(R"({"model_type": "nomic_bert", "rotary_emb_fraction": 0.0})", "n.json"),
                  UnsupportedError);
}
