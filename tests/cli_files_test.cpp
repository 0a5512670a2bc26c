// End-to-end for model files: the built binary on hostile or unusual files, its exit codes and
// its one-line errors (exit 3 is InputError, see src/cli/exit_codes.hpp).
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "file_writers.hpp"

namespace {

using llmmem::test::check_exact_error;
using llmmem::test::Result;
using llmmem::test::run;

const std::string k_tiny_config =
    R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000, "torch_dtype": "float16"})";

}  // namespace

TEST_CASE("cli: a GGUF with block_count 10^9 or 10^12 fails fast with exit 3", "[cli][files][gguf]") {
  llmmem::test::TempDir dir("cli_gguf_blocks");
  for (const std::uint64_t layers : {1'000'000'000ULL, 1'000'000'000'000ULL}) {
    INFO(layers);
    llmmem::test::Gguf g;
    llmmem::test::llama_metadata(g, layers);
    g.kv_u32("llama.attention.sliding_window", 4096);
    g.kv_str_array("tokenizer.ggml.tokens", 100'000);  // a file of about 1 MB
    g.tensor("output_norm.weight", {256}, 0, 1024);
    dir.write("big.gguf", g.bytes());
    const std::string path = (dir.path() / "big.gguf").string();
    // before: over a minute for 10^9; std::bad_alloc (exit 1) for 10^12
    const Result r = run("infer --model " + path);
    check_exact_error(
        r, 3,
        fmt::format("{}: key 'llama.block_count' = {} is larger than any real model (65536 at most)", path, layers));
    CHECK(r.seconds < 2.0);  // the process, start to end; the parse itself is milliseconds
  }
  // head_count_kv above head_count
  llmmem::test::Gguf kv;
  llmmem::test::llama_metadata(kv, 2, 8, 16);
  kv.tensor("output_norm.weight", {256}, 0, 1024);
  dir.write("kv.gguf", kv.bytes());
  const std::string kv_path = (dir.path() / "kv.gguf").string();
  check_exact_error(
      run("infer --model " + kv_path), 3,
      kv_path + ": llama.attention.head_count (8) must be a multiple of llama.attention.head_count_kv (16)");
  // a vocabulary of 10^12: named as the file's, not an overflow (exit 2) in the estimate
  llmmem::test::Gguf v;
  llmmem::test::llama_metadata(v);
  v.kv_u64("llama.vocab_size", 1'000'000'000'000ULL);
  v.tensor("output_norm.weight", {256}, 0, 1024);
  std::string bytes = v.bytes();
  dir.write("vocab.gguf", bytes);
  const std::string vocab_path = (dir.path() / "vocab.gguf").string();
  const Result vr = run("infer --model " + vocab_path);
  CHECK(vr.code == 3);
  CHECK(vr.err.find("llama.vocab_size") != std::string::npos);
}

TEST_CASE("cli: GGUF files without the .gguf suffix and FIFOs", "[cli][files][gguf]") {
  llmmem::test::TempDir dir("cli_magic");
  llmmem::test::Gguf g;
  llmmem::test::llama_metadata(g);
  g.tensor("output.weight", {256, 1000}, 14, 210'000);
  const std::string blob =
      (dir.path() / "sha256-0b4284c1f87029e67654c7953afa16279961632cf73dcfe33374c4c2f298fa35").string();
  dir.write(std::filesystem::path(blob).filename().string(), g.bytes());
  const Result ok = run("infer --model " + blob + " --format json");
  INFO(ok.err);
  REQUIRE(ok.code == 0);
  const auto j = nlohmann::json::parse(ok.out);
  CHECK(j["settings"]["precision"] == "as stored");
  dir.write("MODEL.GGUF", g.bytes());
  CHECK(run("infer --model " + (dir.path() / "MODEL.GGUF").string()).code == 0);

  const auto fifo = dir.path() / "x.gguf";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // was "no such file"; opening it would block forever (no writer)
  const Result f = run("infer --model " + fifo.string());
  check_exact_error(f, 3, fifo.string() + ": not a regular file or folder (a FIFO, socket or device?)");
  CHECK(f.seconds < 2.0);
  check_exact_error(run("inspect " + fifo.string()), 3,
                    fifo.string() + ": not a regular file or folder (a FIFO, socket or device?)");
}

TEST_CASE("cli: --explain on a GGUF model prints the file's bits per weight", "[cli][files][gguf]") {
  llmmem::test::TempDir dir("cli_explain");
  llmmem::test::Gguf g;
  llmmem::test::llama_metadata(g);
  g.tensor("blk.0.ffn_up.weight", {256, 1000}, 12, 144'000);  // q4_K: 4.5 bits
  g.tensor("output.weight", {256, 1000}, 14, 210'000);        // q6_K: 6.5625 bits
  dir.write("m.gguf", g.bytes());
  const Result r = run("infer --model " + (dir.path() / "m.gguf").string() + " --explain");
  INFO(r.err);
  REQUIRE(r.code == 0);
  // (144,000 + 210,000) × 8 / 512,000 = 5.53125; the fp16 default (16) used to be printed
  CHECK(r.out.find("5.531 bits per weight as stored: 256000 q6_K (6.562 bits) + 256000 q4_K (4.5 bits)") !=
        std::string::npos);
  CHECK(r.out.find("bits_per_weight=5.53125") != std::string::npos);
  CHECK(r.out.find("bits_per_weight=16") == std::string::npos);
}

TEST_CASE("cli: a checkpoint that contradicts its config is noted, an empty one refused", "[cli][files]") {
  llmmem::test::TempDir dir("cli_mismatch");
  dir.write("config.json", k_tiny_config);
  dir.write("model.safetensors",
            llmmem::test::safetensors_bytes({{"model.embed_tokens.weight", "F16", {1000, 64}, 2}}));
  const Result r = run("infer --model " + dir.path().string() + " --format json");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto notes = nlohmann::json::parse(r.out)["notes"];
  bool found = false;
  for (const auto& n : notes)
    found = found || n.get<std::string>().find("stores 64000 elements but " + (dir.path() / "config.json").string() +
                                               " describes 202048 parameters (31.68% of them)") != std::string::npos;
  CHECK(found);
  dir.write("model.safetensors", llmmem::test::safetensors_bytes({}));
  check_exact_error(run("infer --model " + dir.path().string()), 3,
                    (dir.path() / "model.safetensors").string() + ": holds no tensors; nothing to estimate from");
}

TEST_CASE("cli: HuggingFace cache refs cannot leave the cache", "[cli][files][hf-cache]") {
  llmmem::test::TempDir hub("cli_hub_refs");
  hub.write("models--acme--tiny/refs/main", "../../..\n");
  hub.write("models--acme--tiny/snapshots/abc/config.json", k_tiny_config);
  const std::string env = "HF_HUB_CACHE=" + hub.path().string();
  check_exact_error(run("infer --model acme/tiny", env), 3,
                    (hub.path() / "models--acme--tiny/refs/main").string() +
                        ": does not hold a commit hash or revision name ('../../..')");
  const Result r = run("infer --model acme/none", env);
  CHECK(r.code == 3);
  CHECK(r.err.find("looked for " + (hub.path() / "models--acme--none").string()) != std::string::npos);
}
