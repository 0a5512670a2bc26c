#include <algorithm>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "llmmem/error.hpp"
#include "llmmem/render.hpp"
#include "llmmem/report.hpp"
#include "test_support.hpp"

using namespace llmmem;
using Catch::Matchers::Contains;

TEST_CASE("the catalog holds the models the issue names", "[catalog]") {
  for (const char* name :
       {"llama2-7b",     "llama2-70b",       "llama3-8b",   "llama3-70b",   "llama3.1-8b",   "llama3.1-70b",
        "llama3.1-405b", "llama3.2-1b",      "mistral-7b",  "mixtral-8x7b", "mixtral-8x22b", "qwen2-7b",
        "qwen2-72b",     "qwen2.5-7b",       "qwen2.5-72b", "qwen3-8b",     "qwen3-30b-a3b", "gemma-2b",
        "gemma2-9b",     "gemma3-1b",        "phi-2",       "phi3-mini",    "falcon-40b",    "gpt2",
        "bloom",         "deepseek-v2-lite", "deepseek-v3", "gpt-oss-20b"}) {
    INFO(name);
    CHECK(test::catalog().find(name) != nullptr);
  }
  CHECK(test::catalog().items().size() >= 25);
}

TEST_CASE("names match case-insensitively by alias or HF id", "[catalog]") {
  CHECK(test::catalog().find("LLAMA3-70B")->alias == "llama3-70b");
  CHECK(test::catalog().find("meta-llama/meta-llama-3-70b")->alias == "llama3-70b");
}

TEST_CASE("an unknown name suggests the closest catalog names", "[catalog][errors]") {
  CHECK_THROWS_AS(test::model("llama3-7b"), InputError);
  CHECK_THROWS_WITH(test::model("llama3-7b"), Contains("did you mean") && Contains("llama3-8b"));
  CHECK_THROWS_WITH(test::model("./missing/config.json"), Contains("no such file"));
}

TEST_CASE("every catalog model estimates inference and training, or says it is unsupported", "[catalog]") {
  for (const auto& item : test::catalog().items()) {
    INFO(item.alias);
    const Model m = test::catalog().load(item);
    if (!m.params) {
      CHECK_THROWS_AS(estimate(m, test::infer()), UnsupportedError);
      continue;
    }
    for (Method method : {Method::document, Method::detailed}) {
      // Encoders hold no more tokens than their position table (BERT: 512).
      // BART's tables likewise (1024 tokens on each side).
      const bool table = m.config.encoder || (m.config.is_encoder_decoder() && m.config.learned_positions > 0);
      const std::uint64_t seq = table ? std::min<std::uint64_t>(m.config.max_position_embeddings, 2048) : 2048;
      Request i = test::infer(nullptr, 1, seq);
      i.method = method;
      Request t = test::train("bf16", 1, seq);
      t.method = method;
      for (const Request& r : {i, t}) {
        const Estimate e = estimate(m, r);
        CHECK(test::sums_to_total(e));
        const auto j = nlohmann::json::parse(render(EstimateReport{e, std::nullopt, {}, {}, {}}, {Format::json}));
        CHECK(j["total_bytes"].get<std::uint64_t>() == e.total.count());
      }
    }
  }
}

TEST_CASE("a user models folder adds and overrides entries", "[catalog]") {
  const Catalog c({std::string(LLMMEM_FIXTURES) + "/user_models"});
  REQUIRE(c.find("tiny-llama") != nullptr);
  const Model m = c.load(*c.find("tiny-llama"));
  CHECK(m.config.hidden_size == 64);
  CHECK_THROWS_AS(Catalog({std::string(LLMMEM_FIXTURES) + "/no_such_dir"}), InputError);
}

TEST_CASE("models shows each catalog model's family, from its structure", "[catalog]") {
  const std::pair<const char*, const char*> expected[] = {
      {"llama3-8b", "dense transformer"},  // every layer attention + MLP
      {"mixtral-8x7b", "MoE transformer"},
      {"bert-base-uncased", "encoder"},
      {"mamba-2.8b", "state-space (Mamba-1)"},                      // 64 Mamba-1 layers, no attention
      {"mamba-codestral-7b", "state-space (Mamba-2)"},              // 64 Mamba-2 layers
      {"nemotron-nano-9b-v2", "hybrid (Mamba-2 + attention)"},      // 27 Mamba-2, 4 attention layers
      {"granite-4.0-h-tiny", "hybrid (Mamba-2 + attention, MoE)"},  // 36 Mamba-2, 4 attention, 64 experts
      {"jamba-mini-1.5", "hybrid (Mamba-1 + attention, MoE)"},      // 28 Mamba-1, 4 attention, 16 experts
      {"qwen3-next-80b-a3b", "hybrid (Gated DeltaNet + attention, MoE)"},
      {"lfm2-1.2b", "hybrid (short convolution + attention)"},  // 10 conv, 6 attention layers
      {"t5-base", "encoder-decoder"},
      {"gemma3-4b", "vision-language (dense transformer)"},                             // SigLIP tower + Gemma 3 text
      {"llama4-scout", "vision-language (MoE transformer)"},                            // its tower + 16-expert MoE
      {"llama3.2-11b-vision", "vision-language (dense transformer, cross-attention)"},  // mllama
  };
  const ModelsReport rep = models_report(test::catalog());
  for (const auto& [name, family] : expected) {
    INFO(name);
    const auto row =
        std::find_if(rep.models.begin(), rep.models.end(), [&](const ModelRow& r) { return r.name == name; });
    REQUIRE(row != rep.models.end());
    CHECK(row->family == family);
  }
  for (const ModelRow& r : rep.models) {
    INFO(r.name);
    CHECK(r.supported);  // no catalog model exits 4
    CHECK_FALSE(r.family.empty());
  }
}
