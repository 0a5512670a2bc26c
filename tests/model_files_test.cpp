#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "file_writers.hpp"
#include "llmmem/catalog.hpp"
#include "llmmem/error.hpp"
#include "llmmem/gguf.hpp"
#include "llmmem/model_files.hpp"
#include "llmmem/safetensors.hpp"
#include "llmmem/weight_storage.hpp"
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

namespace {
// A ~1 MB GGUF: Llama metadata with `layers` blocks, a 1000-token vocabulary padded with a large
// string array, and one f32 tensor, optionally with a sliding window (per-layer table).
std::string hostile_gguf(std::uint64_t layers, bool sliding, std::uint32_t heads = 8, std::uint32_t kv = 2) {
  test::Gguf g;
  test::llama_metadata(g, layers, heads, kv);
  if (sliding) g.kv_u32("llama.attention.sliding_window", 4096);
  g.kv_str_array("tokenizer.ggml.tokens", 100'000);
  g.tensor("output_norm.weight", {256}, 0, 1024);
  return g.bytes();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

TEST_CASE("GGUF: hostile block counts are rejected in well under a second", "[files][gguf][errors]") {
  test::TempDir dir("gguf_hostile");
  for (const std::uint64_t layers : {1'000'000'000ULL, 1'000'000'000'000ULL}) {
    for (const bool sliding : {false, true}) {
      INFO(layers << (sliding ? " sliding" : ""));
      const std::string bytes = hostile_gguf(layers, sliding);
      CHECK(bytes.size() > 900'000);
      dir.write("big.gguf", bytes);
      const auto path = (dir.path() / "big.gguf").string();
      const auto start = std::chrono::steady_clock::now();
      // before: 10^12 with a sliding window ended in std::bad_alloc, 10^9 took over a minute
      CHECK_THROWS_WITH(
          load_model_path(path),
          fmt::format("{}: key 'llama.block_count' = {} is larger than any real model (65536 at most)", path, layers));
      CHECK(seconds_since(start) < 1.0);  // about 0.1 s in a Debug build; room for sanitizers
    }
  }
}

TEST_CASE("GGUF metadata gets the same head checks as config.json", "[files][gguf][errors]") {
  auto config = [](const std::string& bytes) {
    return config_from_gguf(read_gguf(MemorySource(bytes, "m.gguf")), "m.gguf");
  };
  // head_count_kv > head_count used to be accepted
  CHECK_THROWS_WITH(config(hostile_gguf(2, false, 8, 16)),
                    "m.gguf: llama.attention.head_count (8) must be a multiple of llama.attention.head_count_kv (16)");
  CHECK_THROWS_WITH(config(hostile_gguf(2, false, 8, 3)),
                    "m.gguf: llama.attention.head_count (8) must be a multiple of llama.attention.head_count_kv (3)");
  // 256 / 6 heads used to floor to 42
  CHECK_THROWS_WITH(config(hostile_gguf(2, false, 6, 2)),
                    "m.gguf: llama.embedding_length (256) is not divisible by llama.attention.head_count (6) and no "
                    "llama.attention.key_length is given");
  CHECK(config(hostile_gguf(2, false, 8, 2)).head_dim == 32);
  // a vocabulary of 10^12 (vocab × hidden overflowed in the estimate) is named, not an overflow
  test::Gguf g;
  test::llama_metadata(g);
  g.kv_u64("llama.expert_count", 4);
  g.kv_u64("llama.expert_used_count", 8);
  g.tensor("a", {32}, 0, 128);
  CHECK_THROWS_WITH(config(g.bytes()),
                    "m.gguf: expert counts are inconsistent (4 routed, top-8): 'llama.expert_used_count' exceeds "
                    "'llama.expert_count'");
  test::Gguf v;
  v.kv_str("general.architecture", "llama");
  v.kv_u32("llama.block_count", 2);
  v.kv_u32("llama.embedding_length", 256);
  v.kv_u32("llama.attention.head_count", 8);
  v.kv_u64("llama.vocab_size", 1'000'000'000'000ULL);
  v.tensor("a", {32}, 0, 128);
  CHECK_THROWS_WITH(config(v.bytes()),
                    "m.gguf: key 'llama.vocab_size' = 1000000000000 is larger than any real model (16777216 at most)");
}

TEST_CASE("files without tensors are an error naming the file", "[files][errors]") {
  test::TempDir dir("no_tensors");
  dir.write("st/config.json", k_tiny_config);
  dir.write("st/model.safetensors", test::safetensors_bytes({}));  // header {"__metadata__": ...} only
  const std::string st_file = (dir.path() / "st/model.safetensors").string();
  CHECK_THROWS_WITH(load_model_path(dir.path() / "st"), st_file + ": holds no tensors; nothing to estimate from");
  CHECK_THROWS_WITH(load_model_path(st_file), st_file + ": holds no tensors; nothing to estimate from");
  test::Gguf g;
  test::llama_metadata(g);
  dir.write("empty.gguf", g.bytes());
  const std::string gguf_file = (dir.path() / "empty.gguf").string();
  CHECK_THROWS_WITH(load_model_path(gguf_file), gguf_file + ": holds no tensors; nothing to estimate from");
  // `inspect` still shows what such a file holds
  CHECK(inspect_path(gguf_file).tensors->tensors.empty());
}

TEST_CASE("a safetensors file that contradicts its config gets a note with both counts", "[files][safetensors]") {
  test::TempDir dir("mismatch");
  dir.write("config.json", k_tiny_config);
  // only the embedding: 1000 × 64 = 64,000 elements of the config's 202,048 parameters
  dir.write("model.safetensors", test::safetensors_bytes({{"model.embed_tokens.weight", "F16", {1000, 64}, 2}}));
  const Model m = load_model_path(dir.path());
  const std::string expected = fmt::format(
      "{} stores 64000 elements but {} describes 202048 parameters (31.68% of them): the weights are taken from the "
      "file; check that the file belongs to this config",
      (dir.path() / "model.safetensors").string(), (dir.path() / "config.json").string());
  REQUIRE(m.notes.size() == 1);
  CHECK(m.notes[0] == expected);
  const Estimate e = estimate(m, test::infer());
  CHECK(std::find(e.notes.begin(), e.notes.end(), expected) != e.notes.end());

  // the matching file: no note
  dir.write("model.safetensors", test::safetensors_bytes(test::tiny_llama_tensors()));
  CHECK(load_model_path(dir.path()).notes.empty());
  // within 2 %: one extra tensor of 4,000 elements (1.98 %) is tolerated
  auto extra = test::tiny_llama_tensors();
  extra.push_back({"rotary.inv_freq", "F32", {4000}, 4});
  dir.write("model.safetensors", test::safetensors_bytes(extra));
  CHECK(load_model_path(dir.path()).notes.empty());
  // tied embeddings: the config counts the table once, and the file stores it once
  dir.write("config.json", k_tiny_config.substr(0, k_tiny_config.size() - 1) + R"(, "tie_word_embeddings": true})");
  auto tied = test::tiny_llama_tensors();
  tied.pop_back();  // no lm_head.weight
  dir.write("model.safetensors", test::safetensors_bytes(tied));
  CHECK(load_model_path(dir.path()).notes.empty());
  // GPTQ packs 8 weights per int32: stored elements are not parameters, so no comparison is made
  dir.write("config.json", k_tiny_config.substr(0, k_tiny_config.size() - 1) +
                               R"(, "quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128}})");
  dir.write("model.safetensors", test::safetensors_bytes({{"model.layers.0.mlp.up_proj.qweight", "I32", {8, 128}, 4}}));
  CHECK(load_model_path(dir.path()).notes.empty());
}

TEST_CASE("model files are recognised by their magic bytes, not their names", "[files]") {
  test::TempDir dir("magic");
  test::Gguf g;
  test::llama_metadata(g);
  g.tensor("output_norm.weight", {256}, 0, 1024);
  // an Ollama blob and an upper-case suffix used to be parsed as JSON
  for (const char* name : {"sha256-6a0746a1ec1aef3e7ec53868f220ff6e389f6f8ef87a01d77c96807de94ca2aa", "MODEL.GGUF"}) {
    INFO(name);
    dir.write(name, g.bytes());
    const Model m = load_model_path(dir.path() / name);
    REQUIRE(m.files);
    CHECK(m.files->format == "gguf");
    REQUIRE(m.engine != nullptr);
    CHECK(m.engine->name == "llama.cpp");
    CHECK(m.config.n_layers == 2);
    CHECK(inspect_path(dir.path() / name).format == "gguf");
  }
  // safetensors under another name, with its config.json beside it
  dir.write("st/config.json", k_tiny_config);
  dir.write("st/weights.bin", test::safetensors_bytes(test::tiny_llama_tensors()));
  const Model s = load_model_path(dir.path() / "st/weights.bin");
  REQUIRE(s.files);
  CHECK(s.files->format == "safetensors");
  CHECK(s.files->total_elements() == k_tiny_params);
  // a config.json is still JSON, and a damaged .gguf still says what is wrong with it
  CHECK(load_model_path(dir.path() / "st/config.json").config.hidden_size == 64);
  dir.write("broken.gguf", "GGUX" + g.bytes().substr(4));
  CHECK_THROWS_WITH(load_model_path(dir.path() / "broken.gguf"), Contains("not a GGUF file (bad magic)"));
}

TEST_CASE("a FIFO named like a model file is refused without blocking", "[files][errors]") {
  test::TempDir dir("fifo");
  const auto fifo = dir.path() / "x.gguf";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string expected = fifo.string() + ": not a regular file or folder (a FIFO, socket or device?)";
  CHECK_THROWS_WITH(load_model_path(fifo), expected);
  CHECK_THROWS_WITH(inspect_path(fifo), expected);
  CHECK_THROWS_WITH(resolve_model(test::catalog(), fifo.string()), expected);
  CHECK_THROWS_WITH(FileSource(fifo), fifo.string() + ": not a regular file (a FIFO, socket or device?)");
}

TEST_CASE("HuggingFace cache: refs are validated like --revision", "[files][hf-cache][errors]") {
  test::TempDir hub("hub_refs");
  hub.write("models--acme--tiny/snapshots/abc123/config.json", k_tiny_config);
  const std::string ref = (hub.path() / "models--acme--tiny/refs/main").string();
  // "../../.." used to be followed out of the cache, and an empty ref to resolve to snapshots/ itself
  hub.write("models--acme--tiny/refs/main", "../../..\n");
  CHECK_THROWS_WITH(find_in_hf_cache(hub.path(), "acme/tiny"),
                    ref + ": does not hold a commit hash or revision name ('../../..')");
  hub.write("models--acme--tiny/refs/main", "");
  CHECK_THROWS_WITH(find_in_hf_cache(hub.path(), "acme/tiny"),
                    ref + ": does not hold a commit hash or revision name ('')");
  hub.write("models--acme--tiny/refs/main",
            "abc\x01"
            "123");
  CHECK_THROWS_WITH(find_in_hf_cache(hub.path(), "acme/tiny"),
                    ref + ": does not hold a commit hash or revision name ('abc?123')");
  hub.write("models--acme--tiny/refs/main", "abc123\n");
  CHECK(find_in_hf_cache(hub.path(), "acme/tiny")->filename() == "abc123");
  CHECK_THROWS_AS(find_in_hf_cache(hub.path(), "acme/tiny", ""), UsageError);
  CHECK_THROWS_AS(find_in_hf_cache(hub.path(), "acme/tiny", "a b"), UsageError);
  CHECK_THROWS_AS(find_in_hf_cache(hub.path(), "acme/tiny", ".."), UsageError);

  CHECK(is_safe_revision("main"));
  CHECK(is_safe_revision("v1.0"));
  CHECK(is_safe_revision("0123456789abcdef0123456789abcdef01234567"));
  for (const char* bad : {"", ".", "..", "a/b", "..\\x", "a\\b", "a b", "a\tb", "x..y"}) {
    INFO(bad);
    CHECK_FALSE(is_safe_revision(bad));
  }
  CHECK(hf_cache_repo_folder("/hub", "acme/tiny") == std::filesystem::path("/hub/models--acme--tiny"));
  CHECK_FALSE(hf_cache_repo_folder("/hub", "tiny"));
  CHECK_FALSE(hf_cache_repo_folder("", "acme/tiny"));

  // the unknown-model message names the cache folder that was searched
  ResolveOptions o;
  o.hf_hub_cache = hub.path();
  CHECK_THROWS_WITH(resolve_model(test::catalog(), "acme/none", o),
                    Contains("not in the HuggingFace cache either (looked for " +
                             (hub.path() / "models--acme--none").string() + ")"));
}

TEST_CASE("explain on a GGUF file gives the file's real bits per weight", "[files][gguf]") {
  test::Gguf g;
  test::llama_metadata(g);
  // q4_K [256, 1000]: 1000 blocks × 144 = 144,000 bytes (4.5 bits); q6_K [256, 1000]: 210,000 (6.5625 bits)
  g.tensor("blk.0.ffn_up.weight", {256, 1000}, 12, 144'000);
  g.tensor("output.weight", {256, 1000}, 14, 210'000);
  test::TempDir dir("gguf_bits");
  dir.write("m.gguf", g.bytes());
  const Model m = load_model_path(dir.path() / "m.gguf");
  // (144,000 + 210,000) × 8 / 512,000 = 5.53125 bits per weight
  CHECK(stored_bits_per_weight(*m.files) == 5.53125);
  const Estimate e = estimate(m, test::infer());
  const Component* w = e.find("weights");
  REQUIRE(w);
  CHECK(w->detail == "5.531 bits per weight as stored: 256000 q6_K (6.562 bits) + 256000 q4_K (4.5 bits)");
  double bits = 0;
  for (const auto& in : w->inputs)
    if (in.name == "bits_per_weight") bits = in.value;
  CHECK(bits == 5.53125);  // was 16: the fp16 default precision, not the file
}
