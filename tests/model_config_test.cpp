#include <catch2/catch.hpp>

#include <array>
#include <fstream>

#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
#include <string>
#include <vector>

#include "llmmem/error.hpp"
#include "llmmem/model_config.hpp"

using namespace llmmem;
using Catch::Matchers::Contains;

namespace {
std::string fixture(const char* name) { return std::string(LLMMEM_FIXTURES) + "/configs/" + name; }
}  // namespace

TEST_CASE("a Llama config parses into typed fields", "[config]") {
  const auto c = load_model_config(std::string(LLMMEM_SOURCE_DIR) + "/models/llama3-70b.json");
  CHECK(c.model_type == "llama");
  CHECK(c.hidden_size == 8192);
  CHECK(c.intermediate_size == 28672);
  CHECK(c.n_layers == 80);
  CHECK(c.n_heads == 64);
  CHECK(c.n_kv_heads == 8);
  CHECK(c.head_dim == 128);  // hidden / heads when head_dim is absent
  CHECK(c.vocab_size == 128256);
  CHECK_FALSE(c.tie_word_embeddings);
  CHECK(c.torch_dtype == "bfloat16");
  CHECK(c.max_position_embeddings == 8192);
}

TEST_CASE("explicit head_dim, tied embeddings and sliding layers are read", "[config]") {
  const auto l = load_model_config(std::string(LLMMEM_SOURCE_DIR) + "/models/llama3.2-1b.json");
  CHECK(l.head_dim == 64);
  CHECK(l.tie_word_embeddings);
  const auto g = load_model_config(std::string(LLMMEM_SOURCE_DIR) + "/models/gemma3-1b.json");
  // sliding_window_pattern 6: layers 5, 11, 17, 23 are global, the other 22 of 26 slide
  CHECK(g.n_sliding_layers() == 22);
  CHECK(g.sliding_window == 512);
  const auto o = load_model_config(std::string(LLMMEM_SOURCE_DIR) + "/models/gpt-oss-20b.json");
  CHECK(o.n_sliding_layers() == 12);  // layer_types alternates sliding/full over 24 layers
  CHECK(o.quantization->method == "mxfp4");
}

TEST_CASE("malformed JSON names the file, line and column", "[config][errors]") {
  REQUIRE_THROWS_AS(load_model_config(fixture("malformed.json")), InputError);
  CHECK_THROWS_WITH(load_model_config(fixture("malformed.json")),
                    Contains("malformed.json") && Contains("line 5") && Contains("column"));
}

TEST_CASE("missing, wrong-typed and negative keys are named", "[config][errors]") {
  CHECK_THROWS_WITH(load_model_config(fixture("missing_intermediate.json")),
                    Contains("missing_intermediate.json") && Contains("'intermediate_size'") && Contains("missing"));
  CHECK_THROWS_WITH(load_model_config(fixture("wrong_type.json")), Contains("'hidden_size'") && Contains("integer"));
  CHECK_THROWS_WITH(load_model_config(fixture("negative.json")), Contains("'num_hidden_layers'") && Contains("-32"));
  CHECK_THROWS_WITH(load_model_config(fixture("no_model_type.json")), Contains("'model_type'"));
  CHECK_THROWS_AS(load_model_config(fixture("not_object.json")), InputError);
  CHECK_THROWS_WITH(load_model_config(fixture("bad_heads.json")), Contains("multiple of num_key_value_heads"));
  CHECK_THROWS_WITH(load_model_config(fixture("absurd.json")), Contains("'hidden_size'") && Contains("larger than"));
}

TEST_CASE("files and folders: missing file, folder without config.json, folder with one", "[config][errors]") {
  CHECK_THROWS_WITH(load_model_config(fixture("nope.json")), Contains("nope.json") && Contains("no such file"));
  CHECK_THROWS_WITH(load_model_config(std::string(LLMMEM_FIXTURES) + "/empty_dir"), Contains("no config.json"));
  CHECK(load_model_config(std::string(LLMMEM_FIXTURES) + "/model_dir").hidden_size == 4096);
}

TEST_CASE("an unknown model_type parses generically and is marked unsupported", "[config]") {
  const auto c = load_model_config(fixture("unsupported.json"));
  CHECK_FALSE(c.supported);
  CHECK(c.hidden_size == 2560);
}

namespace {
// A Llama config with the given extra or overriding keys.
std::string llama_with(const std::string& keys) {
  return R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000)" +
         (keys.empty() ? std::string() : ", " + keys) + "}";
}
}  // namespace

TEST_CASE("hidden_size not divisible by num_attention_heads needs an explicit head_dim", "[config][errors]") {
  // 100 / 3 used to floor to 33; transformers raises, and so does llmmem, naming both numbers.
  const std::string bad = R"({"model_type": "qwen2", "hidden_size": 100, "intermediate_size": 128,
      "num_hidden_layers": 2, "num_attention_heads": 3, "num_key_value_heads": 1, "vocab_size": 1000})";
  REQUIRE_THROWS_AS(parse_model_config(bad, "odd.json"), InputError);
  CHECK_THROWS_WITH(parse_model_config(bad, "odd.json"),
                    "odd.json: hidden_size (100) is not divisible by num_attention_heads (3) and no head_dim is given");
  // an explicit head_dim is the model's own choice (Gemma 7B: 3072 / 16 heads of 256)
  CHECK(parse_model_config(R"({"model_type": "qwen2", "hidden_size": 100, "intermediate_size": 128,
      "num_hidden_layers": 2, "num_attention_heads": 3, "num_key_value_heads": 1, "vocab_size": 1000,
      "head_dim": 32})",
                           "odd.json")
            .head_dim == 32);
  // architectures without a head_dim key (GPT-2, OPT, BLOOM, Falcon, GPT-NeoX, Phi) too
  CHECK_THROWS_WITH(
      parse_model_config(R"({"model_type": "gpt2", "n_embd": 100, "n_layer": 2, "n_head": 3,
      "vocab_size": 1000, "n_positions": 64})",
                         "gpt2.json"),
      "gpt2.json: hidden_size (100) is not divisible by num_attention_heads (3) and no head_dim is given");
  // and the generic reader of unsupported model_types
  CHECK_THROWS_WITH(
      parse_model_config(R"({"model_type": "mamba9", "hidden_size": 100, "num_attention_heads": 3})", "generic.json"),
      Contains("hidden_size (100) is not divisible by num_attention_heads (3)"));
}

TEST_CASE("hostile layer counts are rejected before anything is sized by them", "[config][errors]") {
  // Qwen2 with sliding windows sizes a per-layer table from num_hidden_layers: 10^12 used to end in
  // std::bad_alloc. The bound is checked as the key is read.
  const std::string qwen = R"({"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128,
      "num_hidden_layers": 1000000000000, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000,
      "use_sliding_window": true, "sliding_window": 4096})";
  CHECK_THROWS_WITH(parse_model_config(qwen, "q.json"),
                    "q.json: key 'num_hidden_layers' = 1000000000000 is larger than any real model (65536 at most)");
  CHECK_THROWS_WITH(parse_model_config(llama_with(R"("num_hidden_layers": 65537)"), "l.json"),
                    "l.json: key 'num_hidden_layers' = 65537 is larger than any real model (65536 at most)");
  CHECK_NOTHROW(parse_model_config(llama_with(R"("num_hidden_layers": 65536)"), "l.json"));
  // unsupported architectures are bounded too (they drive estimates with --params)
  CHECK_THROWS_WITH(parse_model_config(R"({"model_type": "mamba9", "num_hidden_layers": 1000000000})", "g.json"),
                    Contains("'num_hidden_layers' = 1000000000"));
  CHECK_THROWS_WITH(parse_model_config(llama_with(R"("max_position_embeddings": 4294967297)"), "l.json"),
                    Contains("'max_position_embeddings' = 4294967297"));
}

TEST_CASE("dimensions whose products overflow are an InputError naming the file", "[config][errors]") {
  // Each within its own bound (2^24), together 65536 layers × 3 × 2^24 × 2^24 parameters: the
  // parameter count would overflow 64 bits (an OverflowError, exit 2, before).
  const std::string big = llama_with(
      R"("hidden_size": 16777216, "intermediate_size": 16777216, "num_hidden_layers": 65536,
         "num_attention_heads": 16, "num_key_value_heads": 16, "vocab_size": 16777216)");
  REQUIRE_THROWS_AS(parse_model_config(big, "big.json"), InputError);
  CHECK_THROWS_WITH(parse_model_config(big, "big.json"),
                    "big.json: num_hidden_layers = 65536, hidden_size = 16777216, intermediate_size = 16777216 and "
                    "vocab_size = 16777216 describe up to 2^64 parameters, more than any real model (2^50 at most)");
  // num_key_value_heads above num_attention_heads is not a model
  CHECK_THROWS_WITH(parse_model_config(llama_with(R"("num_key_value_heads": 8)"), "kv.json"),
                    "kv.json: num_attention_heads (4) must be a multiple of num_key_value_heads (8)");
}

TEST_CASE("validate_dimensions names the keys it is given", "[config][errors]") {
  ModelConfig c;
  c.origin = "m.gguf";
  c.n_layers = 2;
  c.hidden_size = 64;
  c.n_heads = 8;
  c.n_kv_heads = 16;
  c.head_dim = 8;
  const DimensionKeys keys{"a.block_count",
                           "a.embedding_length",
                           "a.feed_forward_length",
                           "a.attention.head_count",
                           "a.attention.head_count_kv",
                           "a.attention.key_length",
                           "a.vocab_size",
                           "a.expert_count",
                           "a.expert_used_count",
                           "a.context_length"};
  CHECK_THROWS_WITH(validate_dimensions(c, keys, true),
                    "m.gguf: a.attention.head_count (8) must be a multiple of a.attention.head_count_kv (16)");
  CHECK_NOTHROW(validate_dimensions(c, keys, false));  // unmodelled: bounds only
  c.n_kv_heads = 2;
  CHECK_NOTHROW(validate_dimensions(c, keys, true));
  c.n_layers = 1'000'000'000;
  CHECK_THROWS_WITH(validate_dimensions(c, keys, false),
                    "m.gguf: key 'a.block_count' = 1000000000 is larger than any real model (65536 at most)");
}

TEST_CASE("the architecture registry drives the supported list and the message", "[config]") {
  const std::vector<std::string_view> expected = {
      "llama",
      "mistral",
      "mixtral",
      "qwen2",
      "qwen2_moe",
      "qwen3",
      "qwen3_moe",
      "gemma",
      "gemma2",
      "gemma3_text",
      "phi",
      "phi-msft",
      "phi3",
      "phi3small",
      "falcon",
      "RefinedWeb",
      "RefinedWebModel",
      "gpt2",
      "gpt_neox",
      "gpt_bigcode",
      "bloom",
      "opt",
      "cohere",
      "deepseek_v2",
      "deepseek_v3",
      "gpt_oss",
      "mamba2",
      "nemotron_h",
      "qwen3_next",
      "olmo2",
      "glm4_moe",
      "jamba",
      "mamba",
      "granitemoehybrid",
      "bert",
      "roberta",
      "xlm-roberta",
      "falcon_h1",
      "lfm2",
      "glm4",
      "gemma3n_text",
      "llama4_text",
      "llama4",
      "deepseek_v32",
      "kimi_k2",
      "minimax_m2",
      "minimax_m1",
      "minimax",
      "gemma3",
      "llava",
      "mistral3",
      "qwen2_5_vl",
      "qwen3_vl",
      "mllama",
      "modernbert",
      "nomic_bert",
      "t5",
      "mt5",
      "bart",
  };
  CHECK(supported_model_types() == expected);
  CHECK(unsupported_architecture_message("rwkv", "m.json") ==
        "architecture 'rwkv' is not supported yet (m.json); supported: llama, mistral, mixtral, qwen2, qwen2_moe, "
        "qwen3, qwen3_moe, gemma, gemma2, gemma3_text, phi, phi-msft, phi3, phi3small, falcon, RefinedWeb, "
        "RefinedWebModel, gpt2, gpt_neox, gpt_bigcode, bloom, opt, cohere, deepseek_v2, deepseek_v3, gpt_oss, mamba2, "
        "nemotron_h, qwen3_next, olmo2, glm4_moe, jamba, mamba, granitemoehybrid, bert, roberta, xlm-roberta, "
        "falcon_h1, lfm2, glm4, gemma3n_text, llama4_text, llama4, deepseek_v32, kimi_k2, minimax_m2, minimax_m1, "
        "minimax, gemma3, llava, mistral3, qwen2_5_vl, qwen3_vl, mllama, modernbert, nomic_bert, t5, mt5, bart");
  // every registered model_type dispatches to its reader (marked supported), anything else is generic
  for (auto t : expected) {
    INFO(t);
    const std::string keys = R"("hidden_size": 64, "n_embd": 64, "intermediate_size": 128, "ffn_dim": 128,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000,
            "max_position_embeddings": 64, "n_positions": 64, "num_local_experts": 4, "num_experts": 4,
            "num_experts_per_tok": 2, "moe_intermediate_size": 32, "kv_lora_rank": 16, "qk_nope_head_dim": 8,
            "qk_rope_head_dim": 8, "v_head_dim": 8, "ff_intermediate_size": 128, "hybrid_override_pattern": "M*",
            "mamba_num_heads": 4, "mamba_head_dim": 16, "num_heads": 4, "head_dim": 16, "ssm_state_size": 4,
            "n_groups": 2, "conv_kernel": 4, "index_n_heads": 2, "index_head_dim": 16, "index_topk": 4, "cross_attention_layers": [1],
            "decoder_attention_heads": 4, "attn_type_list": [1, 1])";
    // Vision-language wrappers read the same keys from text_config (their vision tower: vision_test.cpp).
    const bool wrapper = t == "gemma3" || t == "llava" || t == "mistral3" || t == "qwen3_vl" || t == "mllama";
    const auto c = parse_model_config(
        R"({"model_type": ")" + std::string(t) + "\", " +
            (wrapper ? R"("vision_config": {"vision_use_head": false, "image_size": 896, "patch_size": 14},
                       "text_config": {)" +
                           keys + "}}"
                     : keys + "}"),
        "r.json");
    CHECK(c.supported);
    // Encoder-decoders: num_hidden_layers is the encoder's (T5Config.attribute_map); the decoder's defaults to
    // it (T5) or is BartConfig's decoder_layers (default 12, like encoder_layers: BART reads its own keys).
    if (c.model_type == "t5" || c.model_type == "mt5")
      CHECK(c.n_layers == 4);
    else if (c.model_type != "bart")
      CHECK(c.n_layers == 2);
  }
  CHECK_FALSE(parse_model_config(R"({"model_type": "Llama"})", "case.json").supported);
}

TEST_CASE("a FIFO is refused without being opened", "[config][errors]") {
  const std::string fifo = "/tmp/llmmem_config_fifo_" + std::to_string(::getpid()) + ".json";
  std::remove(fifo.c_str());
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // opening it for reading would block forever: no writer ever comes
  CHECK_THROWS_WITH(read_text_file(fifo), fifo + ": not a regular file (a FIFO, socket or device?)");
  std::remove(fifo.c_str());
}

TEST_CASE("the README lists exactly the architectures of the registry", "[model_config][docs]") {
  std::ifstream in(std::string(LLMMEM_SOURCE_DIR) + "/README.md");
  std::string line, listed;
  bool next = false;
  while (std::getline(in, line)) {
    if (next) {
      listed = line;
      break;
    }
    next = line.rfind("Architectures (model_type", 0) == 0;
  }
  std::string expected;
  for (const auto& t : supported_model_types()) expected += (expected.empty() ? "" : ", ") + std::string(t);
  CHECK(listed == expected + ".");
}

TEST_CASE("jamba: attention and expert periods and offsets choose the layers", "[config]") {
  // configuration_jamba.py: layers_block_type "attention" when i % attn_layer_period == attn_layer_offset,
  // layers_num_experts num_experts when i % expert_layer_period == expert_layer_offset; mamba_dt_rank
  // "auto" = ceil(hidden_size / 16).
  const auto c = parse_model_config(R"({"model_type": "jamba", "hidden_size": 72, "intermediate_size": 128,
      "num_hidden_layers": 6, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100,
      "attn_layer_period": 3, "attn_layer_offset": 1, "expert_layer_period": 2, "expert_layer_offset": 0,
      "num_experts": 4, "mamba_dt_rank": "auto"})",
                                    "j.json");
  CHECK(c.attention_layers == std::vector<bool>{false, true, false, false, true, false});
  CHECK(c.recurrent->layers == std::vector<bool>{true, false, true, true, false, true});
  CHECK(c.recurrent->kind == RecurrentKind::mamba1);
  CHECK(c.recurrent->inner() == 144);  // mamba_expand 2 × 72
  CHECK(c.recurrent->dt_rank == 5);    // ceil(72 / 16)
  CHECK(c.head_dim == 18);
  for (std::uint64_t i = 0; i < 6; ++i) CHECK(c.is_sparse_layer(i) == (i % 2 == 0));
  // num_experts 1: every feed-forward is a JambaMLP.
  const auto dense = parse_model_config(R"({"model_type": "jamba", "hidden_size": 64, "intermediate_size": 128,
      "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100, "num_experts": 1})",
                                        "j.json");
  CHECK_FALSE(dense.moe.has_value());
  CHECK(dense.n_kv_heads == 4);
}

TEST_CASE("jamba: malformed periods and ranks are InputErrors naming the key", "[config][errors]") {
  const std::string head = R"({"model_type": "jamba", "hidden_size": 64, "intermediate_size": 128,
      "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100, )";
  CHECK_THROWS_WITH(parse_model_config(head + R"("attn_layer_period": 4, "attn_layer_offset": 4})", "j.json"),
                    "j.json: key 'attn_layer_offset' (4) must be smaller than 'attn_layer_period' (4)");
  CHECK_THROWS_WITH(parse_model_config(head + R"("expert_layer_period": 0})", "j.json"),
                    "j.json: key 'expert_layer_period' must be positive, got 0");
  CHECK_THROWS_WITH(parse_model_config(head + R"("mamba_dt_rank": "big"})", "j.json"),
                    "j.json: key 'mamba_dt_rank' must be \"auto\" or a positive integer, got \"big\"");
  CHECK_THROWS_WITH(parse_model_config(head + R"("mamba_expand": 16777217})", "j.json"),
                    Catch::Matchers::Contains("larger than any real model"));
}

TEST_CASE("qwen3_next: full_attention_interval or layer_types choose the attention layers", "[config]") {
  // configuration_qwen3_next.py: layer i is "linear_attention" when (i + 1) % full_attention_interval != 0.
  const auto every_4th = parse_model_config(R"({"model_type": "qwen3_next", "hidden_size": 64,
      "num_hidden_layers": 8, "num_experts": 4, "num_experts_per_tok": 2})",
                                            "q.json");
  CHECK(every_4th.attention_layers == std::vector<bool>{false, false, false, true, false, false, false, true});
  CHECK(every_4th.recurrent->n_layers() == 6);
  CHECK(every_4th.recurrent->kind == RecurrentKind::gated_deltanet);
  CHECK(every_4th.attention_output_gate);
  CHECK(every_4th.mtp_layers == 1);  // vLLM qwen3_next_mtp.py: num_nextn_predict_layers, default 1
  const auto listed = parse_model_config(R"({"model_type": "qwen3_next", "hidden_size": 64, "num_hidden_layers": 3,
      "num_experts": 4, "num_experts_per_tok": 2, "full_attention_interval": 4,
      "layer_types": ["full_attention", "linear_attention", "full_attention"]})",
                                         "q.json");
  CHECK(listed.attention_layers == std::vector<bool>{true, false, true});
  CHECK(listed.recurrent->layers == std::vector<bool>{false, true, false});
}

TEST_CASE("olmo2: Llama keys with q/k RMSNorms over all heads", "[config]") {
  // modular_olmo2.py Olmo2Attention: q_norm [num_attention_heads × head_dim], k_norm [num_key_value_heads × head_dim]
  const auto c = parse_model_config(R"({"model_type": "olmo2", "hidden_size": 64, "intermediate_size": 128,
      "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000})",
                                    "o.json");
  CHECK(c.qk_norm == QkNorm::per_head);
  CHECK(c.head_dim == 16);
  CHECK_FALSE(c.tie_word_embeddings);  // Olmo2Config: tie_word_embeddings=False
  CHECK_FALSE(c.qkv_bias);
  CHECK(c.norms_per_layer == 2);  // post_attention_layernorm, post_feedforward_layernorm
}

TEST_CASE("glm4_moe: Glm4MoeConfig defaults, dense first layers, biased q/k/v only, optional qk norm", "[config]") {
  // configuration_glm4_moe.py defaults: hidden 4096, 96 heads, 8 KV heads; 4096 / 96 is not whole, so
  // with the default widths head_dim must come from the config (GLM-4.5's configs give 128).
  CHECK_THROWS_WITH(parse_model_config(R"({"model_type": "glm4_moe", "num_hidden_layers": 4})", "g.json"),
                    "g.json: hidden_size (4096) is not divisible by num_attention_heads (96) and no head_dim is given");
  const auto d = parse_model_config(R"({"model_type": "glm4_moe", "num_hidden_layers": 4, "head_dim": 128})", "g.json");
  CHECK(d.hidden_size == 4096);
  CHECK(d.n_heads == 96);
  CHECK(d.n_kv_heads == 8);
  CHECK(d.vocab_size == 151552);
  REQUIRE(d.moe);
  CHECK(d.moe->n_experts == 128);
  CHECK(d.moe->n_experts_per_token == 8);
  CHECK(d.moe->expert_intermediate == 1408);
  CHECK(d.moe->n_shared_experts == 1);
  CHECK(d.moe->score_correction_bias);
  CHECK_FALSE(d.is_sparse_layer(0));  // first_k_dense_replace defaults to 1
  CHECK(d.is_sparse_layer(1));
  CHECK(d.is_sparse_layer(3));
  CHECK(d.qk_norm == QkNorm::none);
  CHECK(d.mtp_layers == 0);
  const auto c = parse_model_config(R"({"model_type": "glm4_moe", "hidden_size": 64, "intermediate_size": 128,
      "num_hidden_layers": 5, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32,
      "vocab_size": 1000, "attention_bias": true, "use_qk_norm": true, "first_k_dense_replace": 3,
      "n_routed_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 16, "n_shared_experts": 2,
      "num_nextn_predict_layers": 1})",
                                    "g.json");
  CHECK(c.head_dim == 32);
  CHECK(c.qkv_bias);
  CHECK_FALSE(c.o_bias);  // Glm4MoeAttention: o_proj bias=False whatever attention_bias says
  CHECK(c.qk_norm == QkNorm::per_head_dim);
  CHECK_FALSE(c.is_sparse_layer(2));
  CHECK(c.is_sparse_layer(3));
  CHECK(c.moe->n_shared_experts == 2);
  CHECK(c.mtp_layers == 1);
  CHECK(c.mtp_own_embeddings);
}

TEST_CASE("qwen3_next: malformed hybrid keys are InputErrors naming the key", "[config][errors]") {
  const std::string head = R"({"model_type": "qwen3_next", "hidden_size": 64, "num_hidden_layers": 2,
      "num_experts": 4, "num_experts_per_tok": 2, )";
  CHECK_THROWS_WITH(parse_model_config(head + R"("full_attention_interval": 0})", "q.json"),
                    "q.json: key 'full_attention_interval' must be positive, got 0");
  CHECK_THROWS_WITH(parse_model_config(head + R"("layer_types": ["full_attention"]})", "q.json"),
                    "q.json: key 'layer_types' must be an array of 2 strings");
  CHECK_THROWS_WITH(parse_model_config(head + R"("layer_types": ["full_attention", "mamba"]})", "q.json"),
                    "q.json: key 'layer_types' holds \"mamba\" at layer 1; expected \"full_attention\" or "
                    "\"linear_attention\"");
  CHECK_THROWS_WITH(parse_model_config(head + R"("linear_num_key_heads": 3})", "q.json"),
                    "q.json: linear_num_value_heads (32) must be a multiple of linear_num_key_heads (3)");
  CHECK_THROWS_AS(parse_model_config(head + R"("linear_key_head_dim": 0})", "q.json"), InputError);
}

TEST_CASE("mamba: MambaConfig defaults, time_step_rank auto and biases", "[config]") {
  // configuration_mamba.py: intermediate_size = expand × hidden_size, time_step_rank "auto" =
  // ceil(hidden_size / 16), tie_word_embeddings true; every layer one MambaMixer, no attention, no MLP.
  const auto c = parse_model_config(R"({"model_type": "mamba", "hidden_size": 72, "num_hidden_layers": 3,
      "time_step_rank": "auto", "use_bias": true, "use_conv_bias": false})",
                                    "m.json");
  CHECK(c.recurrent->kind == RecurrentKind::mamba1);
  CHECK(c.recurrent->inner() == 144);
  CHECK(c.recurrent->dt_rank == 5);
  CHECK(c.recurrent->n_layers() == 3);
  CHECK(c.recurrent->proj_bias);
  CHECK_FALSE(c.recurrent->conv_bias);
  CHECK_FALSE(c.recurrent->bcdt_norms);
  CHECK(c.n_attention_layers() == 0);
  CHECK(c.n_mlp_layers() == 0);
  CHECK(c.tie_word_embeddings);
  CHECK(c.vocab_size == 50280);
  CHECK_THROWS_WITH(
      parse_model_config(R"({"model_type": "mamba", "num_hidden_layers": 2, "time_step_rank": "x"})", "m.json"),
      "m.json: key 'time_step_rank' must be \"auto\" or a positive integer, got \"x\"");
}

TEST_CASE("granitemoehybrid: layer_types, mamba_d_head auto and the dense variant", "[config]") {
  // configuration_granitemoehybrid.py: mamba_d_head "auto" = mamba_expand × hidden_size / mamba_n_heads;
  // layers_block_type all "mamba" without layer_types; num_local_experts 0 leaves the shared MLP alone.
  const std::string head = R"({"model_type": "granitemoehybrid", "hidden_size": 64, "num_hidden_layers": 3,
      "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100, "mamba_n_heads": 8, )";
  const auto c =
      parse_model_config(head + R"("layer_types": ["mamba", "attention", "mamba"], "num_local_experts": 4})", "g.json");
  CHECK(c.attention_layers == std::vector<bool>{false, true, false});
  CHECK(c.recurrent->layers == std::vector<bool>{true, false, true});
  CHECK(c.recurrent->head_dim == 16);  // 2 × 64 / 8
  CHECK(c.recurrent->state_size == 256);
  CHECK(c.head_dim == 16);
  REQUIRE(c.moe.has_value());
  CHECK(c.moe->shared_intermediate == 1024);
  CHECK(c.moe->expert_intermediate == 11008);
  for (std::uint64_t i = 0; i < 3; ++i) CHECK(c.is_sparse_layer(i));
  const auto dense = parse_model_config(head + R"("num_local_experts": 0, "shared_intermediate_size": 96})", "g.json");
  CHECK_FALSE(dense.moe.has_value());
  CHECK(dense.intermediate_size == 96);
  CHECK(dense.recurrent->n_layers() == 3);
  CHECK(dense.n_attention_layers() == 0);
  CHECK_THROWS_WITH(parse_model_config(head + R"("mamba_d_head": 12})", "g.json"),
                    "g.json: mamba_d_head (12) × mamba_n_heads (8) must equal mamba_expand × hidden_size (128)");
  CHECK_THROWS_WITH(parse_model_config(head + R"("layer_types": ["mamba", "moe", "mamba"]})", "g.json"),
                    "g.json: key 'layer_types' holds \"moe\" at layer 1; expected \"mamba\" or \"attention\"");
  CHECK_THROWS_WITH(parse_model_config(head + R"("layer_types": ["mamba"]})", "g.json"),
                    "g.json: key 'layer_types' must be an array of 3 strings");
}

TEST_CASE("falcon_h1: every layer attention and Mamba-2, mamba_d_ssm and its defaults", "[config]") {
  // configuration_falcon_h1.py: mamba_d_ssm default 1024, null = mamba_expand × hidden_size; mamba_d_head
  // "auto" = that / mamba_n_heads; num_key_value_heads default 8; projectors_bias biases out_proj only.
  const std::string head = R"({"model_type": "falcon_h1", "hidden_size": 64, "num_hidden_layers": 3,
      "num_attention_heads": 16, "vocab_size": 100, "mamba_n_heads": 8, )";
  const auto c = parse_model_config(head + R"("mamba_d_ssm": null, "projectors_bias": true})", "f.json");
  CHECK(c.n_attention_layers() == 3);
  CHECK(c.n_mlp_layers() == 3);
  REQUIRE(c.recurrent.has_value());
  CHECK(c.recurrent->n_layers() == 3);
  CHECK(c.recurrent->inner() == 128);  // 2 × 64
  CHECK(c.recurrent->head_dim == 16);
  CHECK(c.recurrent->out_proj_bias);
  CHECK_FALSE(c.recurrent->proj_bias);
  CHECK_FALSE(c.recurrent->gated_norm);  // mamba_rms_norm default False
  CHECK(c.n_kv_heads == 8);
  CHECK(c.head_dim == 4);  // 64 / 16
  CHECK_FALSE(c.tie_word_embeddings);
  const auto d = parse_model_config(head + R"("mamba_rms_norm": true})", "f.json");
  CHECK(d.recurrent->inner() == 1024);  // the class default
  CHECK(d.recurrent->head_dim == 128);
  CHECK(d.recurrent->gated_norm);
  CHECK_THROWS_WITH(parse_model_config(head + R"("mamba_d_ssm": 96, "mamba_d_head": 16})", "f.json"),
                    "f.json: mamba_d_head (16) × mamba_n_heads (8) must equal the Mamba-2 inner width (96)");
  CHECK_THROWS_WITH(parse_model_config(head + R"("mamba_d_ssm": 100})", "f.json"),
                    "f.json: mamba_n_heads (8) must divide the Mamba-2 inner width (100)");
}

TEST_CASE("lfm2: layer kinds, the adjusted MLP width and the conv window", "[config]") {
  // configuration_lfm2.py / Lfm2MLP: block_ff_dim wins over intermediate_size; int(2·ff/3), × multiplier,
  // rounded up to block_multiple_of; full_attn_idxs when layer_types is absent; tie_embedding wins.
  const std::string head = R"({"model_type": "lfm2", "hidden_size": 64, "num_hidden_layers": 4,
      "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100, )";
  const auto c = parse_model_config(
      head + R"("block_ff_dim": 300, "intermediate_size": 7, "block_multiple_of": 32, "full_attn_idxs": [1, 3],
      "tie_embedding": false, "tie_word_embeddings": true})",
      "l.json");
  CHECK(c.intermediate_size == 224);  // int(600 / 3) = 200 -> 32 × 7
  CHECK(c.attention_layers == std::vector<bool>{false, true, false, true});
  REQUIRE(c.recurrent.has_value());
  CHECK(c.recurrent->kind == RecurrentKind::short_conv);
  CHECK(c.recurrent->layers == std::vector<bool>{true, false, true, false});
  CHECK(c.recurrent->inner() == 64);
  CHECK(c.recurrent->conv_kernel == 3);
  CHECK(c.qk_norm == QkNorm::per_head_dim);
  CHECK_FALSE(c.tie_word_embeddings);
  const auto plain = parse_model_config(
      head + R"("intermediate_size": 300, "block_auto_adjust_ff_dim": false, "block_ffn_dim_multiplier": null})",
      "l.json");
  CHECK(plain.intermediate_size == 300);
  CHECK(plain.n_attention_layers() == 4);  // full_attn_idxs default: every layer
  CHECK(plain.tie_word_embeddings);
  const auto scaled = parse_model_config(
      head + R"("intermediate_size": 300, "block_ffn_dim_multiplier": 1.5, "block_multiple_of": 1})", "l.json");
  CHECK(scaled.intermediate_size == 300);  // int(1.5 × 200)
  CHECK_THROWS_WITH(parse_model_config(head + R"("layer_types": ["conv", "mamba", "conv", "conv"]})", "l.json"),
                    "l.json: key 'layer_types' holds \"mamba\" at layer 1; expected \"full_attention\" or \"conv\"");
  CHECK_THROWS_WITH(parse_model_config(head + R"("full_attn_idxs": [4]})", "l.json"),
                    "l.json: key 'full_attn_idxs' holds 4; expected a layer index below 4");
}

TEST_CASE("glm4: Glm4Config's defaults, four norms, fused gate_up, biases on q/k/v only", "[config]") {
  // configuration_glm4.py defaults: head_dim 128 (not hidden / heads), 2 KV heads, attention_bias true.
  const auto d = parse_model_config(R"({"model_type": "glm4", "hidden_size": 64, "num_hidden_layers": 2,
      "num_attention_heads": 4})",
                                    "g.json");
  CHECK(d.head_dim == 128);
  CHECK(d.n_kv_heads == 2);
  CHECK(d.intermediate_size == 13696);
  CHECK(d.vocab_size == 151552);
  CHECK(d.qkv_bias);
  CHECK_FALSE(d.o_bias);
  CHECK(d.fused_gate_up);
  CHECK(d.norms_per_layer == 4);
  CHECK_FALSE(d.tie_word_embeddings);
  const auto no_bias = parse_model_config(
      R"({"model_type": "glm4", "num_hidden_layers": 2, "attention_bias": false, "head_dim": 16})", "g.json");
  CHECK_FALSE(no_bias.qkv_bias);
  CHECK(no_bias.head_dim == 16);
  CHECK_THROWS_WITH(parse_model_config(R"({"model_type": "glm4", "num_hidden_layers": 2, "head_dim": 0})", "g.json"),
                    "g.json: key 'head_dim' must be positive, got 0");
  CHECK_THROWS_WITH(parse_model_config(R"({"model_type": "glm4", "hidden_size": 64})", "g.json"),
                    "g.json: required key 'num_hidden_layers' is missing");
}

TEST_CASE("gemma3n: the text_config of the multimodal wrapper, per-layer widths, KV sharing", "[config]") {
  const std::string text = R"({"model_type": "gemma3n_text", "hidden_size": 64, "num_hidden_layers": 5,
      "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 100,
      "vocab_size_per_layer_input": 50, "hidden_size_per_layer_input": 8, "altup_num_inputs": 2, "laurel_rank": 4,
      "num_kv_shared_layers": 2, "sliding_window": 16, )";
  // Gemma3nConfig wraps it: model_type gemma3n, text_config, tie_word_embeddings defaulting to true.
  const auto c = parse_model_config(R"({"model_type": "gemma3n", "torch_dtype": "bfloat16", "text_config": )" + text +
                                        R"("intermediate_size": [96, 96, 128, 96, 96]}})",
                                    "g.json");
  CHECK(c.model_type == "gemma3n_text");
  CHECK(c.torch_dtype == "bfloat16");
  CHECK(c.layer_intermediate == std::vector<std::uint64_t>{96, 96, 128, 96, 96});
  CHECK(c.intermediate_size == 128);
  CHECK(c.tie_word_embeddings);
  CHECK(c.logit_softcapping);  // final_logit_softcapping defaults to 30
  // Default layer_types: every fifth layer full attention.
  CHECK(c.sliding_layers == std::vector<bool>{true, true, true, true, false});
  CHECK(c.kv_shared_layers == 2);
  CHECK(c.n_kv_layers() == 3);
  CHECK(c.n_kv_sliding_layers() == 3);
  CHECK(c.altup_inputs == 2);
  CHECK(c.laurel_rank == 4);
  CHECK(c.per_layer_width == 8);
  CHECK(c.per_layer_vocab == 50);
  // One width for every layer is the plain field.
  CHECK(
      parse_model_config(text + R"("intermediate_size": [96, 96, 96, 96, 96]})", "g.json").layer_intermediate.empty());
  CHECK_THROWS_WITH(parse_model_config(text + R"("intermediate_size": [96, 96]})", "g.json"),
                    "g.json: key 'intermediate_size' has 2 widths for 5 layers");
  CHECK_THROWS_WITH(parse_model_config(text + R"("intermediate_size": [96, 96, 0, 96, 96]})", "g.json"),
                    "g.json: key 'intermediate_size' holds 0; expected positive integers");
  // is_kv_shared_layer needs num_hidden_layers - num_kv_shared_layers > 0: otherwise no layer shares.
  CHECK(parse_model_config(text + R"("intermediate_size": 96, "num_kv_shared_layers": 5})", "g.json").n_kv_layers() ==
        5);
  CHECK_THROWS_WITH(parse_model_config(text + R"("intermediate_size": 96, "altup_num_inputs": 100000})", "g.json"),
                    "g.json: key 'altup_num_inputs' = 100000 is larger than any real model (1024 at most)");
}

TEST_CASE("gemma3n: the wrapper's audio_config and vision_config (Gemma 3n's towers)", "[config]") {
  const std::string text = R"({"model_type": "gemma3n_text", "hidden_size": 64, "num_hidden_layers": 5,
      "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 100,
      "intermediate_size": 96})";
  const auto wrap = [&](const std::string& towers) {
    return parse_model_config(R"({"model_type": "gemma3n", "text_config": )" + text + towers + "}", "g.json");
  };
  // Absent: Gemma3nAudioConfig's and Gemma3nVisionConfig's defaults (E4B's and E2B's values).
  const auto d = wrap("");
  REQUIRE(d.gemma3n_towers);
  CHECK(d.gemma3n_towers->audio_hidden == 1536);
  CHECK(d.gemma3n_towers->audio_layers == 12);
  CHECK(d.gemma3n_towers->audio_heads == 8);
  CHECK(d.gemma3n_towers->audio_conv_kernel == 5);
  CHECK(d.gemma3n_towers->audio_input_features == 128);
  CHECK(d.gemma3n_towers->sscp_channels == std::array<std::uint64_t, 2>{128, 32});
  CHECK(d.gemma3n_towers->sscp_kernel_area == std::array<std::uint64_t, 2>{9, 9});
  CHECK(d.gemma3n_towers->sscp_stride_freq == std::array<std::uint64_t, 2>{2, 2});
  CHECK(d.gemma3n_towers->vision_hidden == 2048);
  CHECK(d.gemma3n_towers->text_hidden_size == 64);
  // Read from the wrapper: (time, frequency) pairs.
  const auto c = wrap(R"(, "audio_config": {"hidden_size": 32, "conf_num_hidden_layers": 2,
      "conf_num_attention_heads": 4, "sscp_conv_channel_size": [8, 4], "sscp_conv_kernel_size": [[3, 5], [1, 3]],
      "sscp_conv_stride_size": [[2, 1], [2, 2]]}, "vision_config": {"hidden_size": 16, "vocab_size": 10})");
  REQUIRE(c.gemma3n_towers);
  CHECK(c.gemma3n_towers->sscp_channels == std::array<std::uint64_t, 2>{8, 4});
  CHECK(c.gemma3n_towers->sscp_kernel_freq == std::array<std::uint64_t, 2>{5, 3});
  CHECK(c.gemma3n_towers->sscp_kernel_area == std::array<std::uint64_t, 2>{15, 3});
  CHECK(c.gemma3n_towers->sscp_stride_freq == std::array<std::uint64_t, 2>{1, 2});
  CHECK(c.gemma3n_towers->vision_hidden == 16);
  CHECK(c.gemma3n_towers->vision_vocab == 10);
  // The language model alone (model_type gemma3n_text) has no towers.
  CHECK(!parse_model_config(text, "g.json").gemma3n_towers);
  CHECK_THROWS_WITH(wrap(R"(, "audio_config": 3)"), "g.json: key 'audio_config' must be an object");
  CHECK_THROWS_WITH(wrap(R"(, "audio_config": {"sscp_conv_kernel_size": [3, 3]})"),
                    "g.json: key 'audio_config.sscp_conv_kernel_size' must be two [time, frequency] pairs of positive "
                    "integers");
  CHECK_THROWS_WITH(wrap(R"(, "audio_config": {"sscp_conv_channel_size": [128, 0]})"),
                    "g.json: key 'audio_config.sscp_conv_channel_size' must be two positive integers");
  CHECK_THROWS_WITH(wrap(R"(, "audio_config": {"hidden_size": 100, "conf_num_attention_heads": 8})"),
                    "g.json: audio_config hidden_size (100) is not divisible by conf_num_attention_heads (8)");
  CHECK_THROWS_WITH(wrap(R"(, "audio_config": {"input_feat_size": 1, "sscp_conv_kernel_size": [[3, 9], [3, 3]]})"),
                    "g.json: audio_config sscp_conv_kernel_size is wider than the 1 frequency bins it convolves");
  CHECK_THROWS_WITH(wrap(R"(, "audio_config": {"conf_num_hidden_layers": 100000})"),
                    "g.json: audio_config conf_num_hidden_layers = 100000 is larger than any real model (65536 at "
                    "most)");
  CHECK_THROWS_AS(wrap(R"(, "vision_config": {"architecture": "mobilenetv5_base"})"), UnsupportedError);
  // Hostile sizes are bounded before anything is multiplied.
  CHECK_THROWS_WITH(wrap(R"(, "audio_config": {"sscp_conv_channel_size": [16777216, 16777216],
      "sscp_conv_kernel_size": [[16777216, 3], [16777216, 3]]})"),
                    "g.json: audio_config and vision_config describe up to 2^64 parameters, more than any real model "
                    "(2^50 at most)");
}
