#include <catch2/catch.hpp>

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
