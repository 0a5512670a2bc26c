#include <catch2/catch.hpp>

#include <chrono>

#include "file_writers.hpp"
#include "llmmem/catalog.hpp"
#include "llmmem/error.hpp"
#include "llmmem/gguf.hpp"
#include "llmmem/model_files.hpp"
#include "llmmem/safetensors.hpp"
#include "test_support.hpp"

using namespace llmmem;
using Catch::Matchers::Contains;

namespace {

const std::string k_tiny_config =
    R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000, "torch_dtype": "float16"})";

// tiny-llama by hand: embed 1000·64 = 64,000; per layer q 64·64 + k,v 2·32·64 + o 64·64 = 12,288,
// MLP 3·64·128 = 24,576, norms 128 -> 36,992; two layers 73,984; final norm 64; head 64,000
constexpr std::uint64_t k_tiny_params = 64'000 + 73'984 + 64 + 64'000;  // 202,048

std::string header_with_length(std::uint64_t n, const std::string& rest) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + rest;
}

TensorFile st(const std::string& bytes) { return read_safetensors(MemorySource(bytes, "test.safetensors")); }

}  // namespace

TEST_CASE("safetensors: a single file gives exact parameters and bytes", "[files][safetensors]") {
  test::TempDir dir("st_single");
  dir.write("config.json", k_tiny_config);
  dir.write("model.safetensors", test::safetensors_bytes(test::tiny_llama_tensors()));
  const Model m = load_model_path(dir.path());
  REQUIRE(m.params);
  REQUIRE(m.files);
  CHECK(m.params->total == k_tiny_params);
  CHECK(m.files->total_elements() == k_tiny_params);
  CHECK(m.files->total_bytes().count() == 2 * k_tiny_params);
  CHECK(m.files->tensors.size() == 1 + 2 * 9 + 2);
  const Estimate e = estimate(m, test::infer());
  CHECK(test::bytes_of(e, "weights") == 2 * k_tiny_params);
  CHECK(e.precision == "as stored");
}

TEST_CASE("safetensors: a sharded checkpoint with an index", "[files][safetensors]") {
  test::TempDir dir("st_sharded");
  auto tensors = test::tiny_llama_tensors("BF16");
  const std::vector<test::StTensor> a(tensors.begin(), tensors.begin() + 10), b(tensors.begin() + 10, tensors.end());
  nlohmann::json index;
  index["metadata"] = {{"total_size", 2 * k_tiny_params}};
  for (const auto& t : a) index["weight_map"][t.name] = "model-00001-of-00002.safetensors";
  for (const auto& t : b) index["weight_map"][t.name] = "model-00002-of-00002.safetensors";
  dir.write("config.json", k_tiny_config);
  dir.write("model.safetensors.index.json", index.dump());
  dir.write("model-00001-of-00002.safetensors", test::safetensors_bytes(a));
  dir.write("model-00002-of-00002.safetensors", test::safetensors_bytes(b));
  const TensorFile f = read_safetensors_checkpoint(dir.path());
  CHECK(f.files.size() == 2);
  CHECK(f.total_elements() == k_tiny_params);
  CHECK(f.by_dtype().size() == 1);
  CHECK(f.by_dtype()[0].dtype == "BF16");
  // a shard named in the index but missing
  dir.write("model.safetensors.index.json",
            nlohmann::json{{"weight_map", {{"x", "model-00009-of-00009.safetensors"}}}}.dump());
  CHECK_THROWS_WITH(read_safetensors_checkpoint(dir.path()), Contains("model-00009-of-00009.safetensors"));
  dir.write("model.safetensors.index.json", nlohmann::json{{"weight_map", {{"x", "../../etc/passwd"}}}}.dump());
  CHECK_THROWS_WITH(read_safetensors_checkpoint(dir.path()), Contains("leaves the folder"));
}

TEST_CASE("safetensors: packed GPTQ tensors are counted as stored", "[files][safetensors]") {
  // qweight int32 [in/8, out], scales fp16 [in/128, out], qzeros int32 [in/128, out/8], g_idx int32 [in]
  const auto f = st(test::safetensors_bytes({{"l.qweight", "I32", {512, 4096}, 4},
                                             {"l.scales", "F16", {32, 4096}, 2},
                                             {"l.qzeros", "I32", {32, 512}, 4},
                                             {"l.g_idx", "I32", {4096}, 4}}));
  // 512·4096·4 + 32·4096·2 + 32·512·4 + 4096·4 = 8,388,608 + 262,144 + 65,536 + 16,384
  CHECK(f.total_bytes().count() == 8'388'608ULL + 262'144 + 65'536 + 16'384);
}

TEST_CASE("safetensors: malformed headers are one clear error each", "[files][safetensors][errors]") {
  const std::string good = test::safetensors_bytes({{"a", "F32", {2, 2}, 4}});
  CHECK_THROWS_WITH(st(good.substr(0, 5)), Contains("truncated"));
  CHECK_THROWS_WITH(st(good.substr(0, 20)), Contains("truncated"));
  CHECK_THROWS_WITH(st(header_with_length(1ULL << 63, "{}")), Contains("100 MB"));
  CHECK_THROWS_WITH(st(header_with_length(200'000'000, "{}")), Contains("100 MB"));
  CHECK_THROWS_WITH(st(header_with_length(2, "[]")), Contains("not a JSON object"));
  CHECK_THROWS_WITH(st(header_with_length(5, "{\"a\":")), Contains("malformed"));
  auto with = [](const std::string& json, std::size_t data) {
    return header_with_length(json.size(), json) + std::string(data, '\0');
  };
  CHECK_THROWS_WITH(st(with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4)),
                    Contains("past the 4 bytes"));
  CHECK_THROWS_WITH(st(with(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)),
                    Contains("need 12 bytes"));
  CHECK_THROWS_WITH(st(with(R"({"a":{"dtype":"Q9","shape":[2],"data_offsets":[0,8]}})", 8)), Contains("unknown dtype"));
  CHECK_THROWS_WITH(
      st(with(
          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
          8)),
      Contains("listed twice"));
  CHECK_THROWS_WITH(
      st(with(
          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
          12)),
      Contains("overlaps"));
  CHECK_THROWS_WITH(st(with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12)),
                    Contains("belong to no tensor"));
  CHECK_THROWS_WITH(st(with(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8)),
                    Contains("overflows"));
  CHECK_THROWS_WITH(st(with(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}})", 8)),
                    Contains("non-negative"));
}

TEST_CASE("GGUF: metadata, tensor types and exact bytes", "[files][gguf]") {
  test::Gguf g;
  g.kv_str("general.architecture", "llama");
  g.kv_u32("llama.block_count", 2);
  g.kv_u32("llama.embedding_length", 256);
  g.kv_u32("llama.feed_forward_length", 512);
  g.kv_u32("llama.attention.head_count", 8);
  g.kv_u32("llama.attention.head_count_kv", 2);
  g.kv_u32("llama.context_length", 4096);
  g.kv_str_array("tokenizer.ggml.tokens", 1000);
  // token_embd q4_0 [256, 1000]: 256000/32 × 18 = 144,000 bytes; output q6_K [256, 1000]: 1000 × 210 = 210,000
  g.tensor("token_embd.weight", {256, 1000}, 2, 144'000);
  g.tensor("output.weight", {256, 1000}, 14, 210'000);
  g.tensor("blk.0.attn_q.weight", {256, 256}, 12, 256 * 144);  // q4_K: 256 rows of one block
  g.tensor("output_norm.weight", {256}, 0, 1024);
  test::TempDir dir("gguf");
  dir.write("m.gguf", g.bytes());
  const GgufFile f = read_gguf_file(dir.path() / "m.gguf");
  CHECK(f.version == 3);
  CHECK(f.architecture() == "llama");
  CHECK(f.tensors.tensors.size() == 4);
  CHECK(f.tensors.tensors[0].bytes == 144'000);
  CHECK(f.tensors.tensors[1].dtype == "q6_K");
  const ModelConfig c = config_from_gguf(f, "m.gguf");
  CHECK(c.n_layers == 2);
  CHECK(c.n_kv_heads == 2);
  CHECK(c.head_dim == 32);
  CHECK(c.vocab_size == 1000);

  const Model m = load_model_path(dir.path() / "m.gguf");
  Request r = test::infer(nullptr, 1, 1000);
  const Estimate e = estimate(m, r);
  // GPU weights: all but token_embd (llama.cpp keeps it on the host): 210,000 + 36,864 + 1,024
  CHECK(test::bytes_of(e, "weights") == 210'000 + 36'864 + 1'024);
  // KV f16, context padded to 1024: 2 layers × 1024 × 2 × 2 kv heads × 32 × 2 bytes = 524,288
  CHECK(test::bytes_of(e, "kv_cache") == 524'288);
  r.kv_format = &find_kv_format("q8_0");
  // 262,144 values × 34/32 = 278,528
  CHECK(test::bytes_of(estimate(m, r), "kv_cache") == 278'528);
}

TEST_CASE("GGUF: split files are merged", "[files][gguf]") {
  test::TempDir dir("gguf_split");
  for (int i = 1; i <= 2; ++i) {
    test::Gguf g;
    g.kv_str("general.architecture", "llama");
    g.kv_u32("llama.block_count", 1);
    g.kv_u32("llama.embedding_length", 32);
    g.kv_u32("llama.attention.head_count", 1);
    g.tensor("t" + std::to_string(i), {32}, 0, 128);
    dir.write("m-0000" + std::to_string(i) + "-of-00002.gguf", g.bytes());
  }
  const GgufFile f = read_gguf_file(dir.path() / "m-00001-of-00002.gguf");
  CHECK(f.tensors.files.size() == 2);
  CHECK(f.tensors.total_bytes().count() == 256);
}

TEST_CASE("GGUF: hostile headers fail fast without large allocations", "[files][gguf][errors]") {
  auto gg = [](const std::string& b) { return read_gguf(MemorySource(b, "bad.gguf")); };
  test::Gguf ok;
  ok.kv_str("general.architecture", "llama");
  ok.tensor("a", {32}, 0, 128);
  const std::string good = ok.bytes();
  CHECK_NOTHROW(gg(good));
  CHECK_THROWS_WITH(gg(good.substr(0, 30)), Contains("impossible"));  // 1 metadata entry cannot fit in 6 bytes
  CHECK_THROWS_WITH(gg(good.substr(0, 64)), Contains("truncated"));   // ends inside the first value
  CHECK_THROWS_WITH(gg("GGUX" + good.substr(4)), Contains("bad magic"));
  std::string v1 = good;
  v1[4] = 1;
  CHECK_THROWS_WITH(gg(v1), Contains("version 1"));
  std::string huge = good;  // tensor count 2^40
  const std::uint64_t n = 1ULL << 40;
  std::memcpy(huge.data() + 8, &n, 8);
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(gg(huge), Contains("tensor count 1099511627776"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  test::Gguf past;
  past.kv_str("general.architecture", "llama");
  past.tensor("a", {32}, 0, 128);
  std::string b = past.bytes();
  CHECK_THROWS_WITH(gg(b.substr(0, b.size() - 64)), Contains("past the end"));
  test::Gguf type;
  type.tensor("a", {32}, 99, 128);
  CHECK_THROWS_WITH(gg(type.bytes()), Contains("unknown ggml type 99"));
  test::Gguf rows;
  rows.tensor("a", {33}, 2, 18);
  CHECK_THROWS_WITH(gg(rows.bytes()), Contains("whole number"));
  test::Gguf dup;
  dup.tensor("a", {32}, 0, 128);
  dup.tensor("a", {32}, 0, 128);
  CHECK_THROWS_WITH(gg(dup.bytes()), Contains("listed twice"));
}

TEST_CASE("HuggingFace cache: refs/main, other revisions, and misses", "[files][hf-cache]") {
  test::TempDir hub("hub");
  hub.write("models--acme--tiny/refs/main", "abc123\n");
  hub.write("models--acme--tiny/snapshots/abc123/config.json", k_tiny_config);
  hub.write("models--acme--tiny/snapshots/abc123/model.safetensors",
            test::safetensors_bytes(test::tiny_llama_tensors()));
  hub.write("models--acme--tiny/snapshots/def456/config.json", k_tiny_config);
  const auto main_rev = find_in_hf_cache(hub.path(), "acme/tiny");
  REQUIRE(main_rev);
  CHECK(main_rev->filename() == "abc123");
  CHECK(find_in_hf_cache(hub.path(), "acme/tiny", "def456")->filename() == "def456");
  CHECK_THROWS_WITH(find_in_hf_cache(hub.path(), "acme/tiny", "v9"), Contains("not in the HuggingFace cache"));
  CHECK_FALSE(find_in_hf_cache(hub.path(), "acme/other"));
  CHECK_FALSE(find_in_hf_cache(hub.path(), "../x"));

  ResolveOptions o;
  o.hf_hub_cache = hub.path();
  const Model m = resolve_model(test::catalog(), "acme/tiny", o);
  CHECK(m.hf_id == std::optional<std::string>("acme/tiny"));
  REQUIRE(m.files);
  CHECK(m.files->total_elements() == k_tiny_params);

  CHECK(hf_hub_cache("/x", "/y", "/z") == std::filesystem::path("/x"));
  CHECK(hf_hub_cache(nullptr, "/y", "/z") == std::filesystem::path("/y/hub"));
  CHECK(hf_hub_cache(nullptr, nullptr, "/z") == std::filesystem::path("/z/.cache/huggingface/hub"));
}
